"""Peak memory and wall time of ingesting hostile files (issue 14 row 4).

    python -m eval.ingest_memory [--repo DIR] [--timeout 600] [--case NAME ...]

Cases docx-at-limit and text-at-limit (the largest documents the default limits admit, indexed
in full: partitioning, chunking, embedding, writing) are run only when named.

Generates, in a temporary folder, a docx decompression bomb (word/document.xml of one repeated
run, ~200 MB expanded from well under 1 MB), a docx of varied paragraphs that compresses normally
(~10 MB of XML, 13:1, so no ratio check catches it) and a text file of exactly 50,000,000 bytes
(at the default file-size limit, not over it). Each is ingested by the
real `python -m ingest` of `--repo` (default: this checkout) in its own subprocess and fresh
store; prints the peak RSS (the child's, sampled with psutil and from getrusage) and wall time.
A child still running after `--timeout` seconds is killed and reported as such.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from assistant.core import offline

ROOT = Path(__file__).resolve().parent.parent

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
       'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
       '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
       'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
       '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
         'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
         '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="word/document.xml"/></Relationships>')
_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://'
         'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
_TAIL = "</w:body></w:document>"


def make_docx(path: Path, xml_bytes: int, varied: bool = False, runs_per_paragraph: int = 1) -> Path:
    """A minimal valid docx whose word/document.xml is about `xml_bytes` long: repeated
    identical paragraphs (a bomb: compresses ~1000:1) or varied ones (compresses ~13:1)."""
    rnd = random.Random(0)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(_HEAD.encode())
            n = len(_HEAD)
            block = []
            while n < xml_bytes:
                word = f"{rnd.randrange(10**9):x}" if varied else "lorem"
                runs = "".join(f"<w:r><w:t>Paragraph {word} about antibody licensing deals. </w:t></w:r>"
                               for _ in range(runs_per_paragraph))
                p = f"<w:p>{runs}</w:p>"
                block.append(p)
                n += len(p)
                if len(block) >= 1000:
                    f.write("".join(block).encode())
                    block = []
            f.write(("".join(block) + _TAIL).encode())
    return path


def make_text(path: Path, size: int) -> Path:
    rnd = random.Random(1)
    words = ["antibody", "licensing", "milestone", "royalty", "Phase", "trial", "CAR-T", "CDMO",
             "upfront", "million", "approval", "biosimilar", "capacity", "manufacturing"]
    with path.open("w", encoding="utf-8") as f:
        written = 0
        while written < size:
            para = " ".join(rnd.choice(words) for _ in range(rnd.randrange(20, 60))) + ".\n\n"
            para = para[:size - written]  # exactly `size` bytes: at the file-size limit, not over
            f.write(para)
            written += len(para)
    return path


CASES = {
    "docx-bomb": lambda d: make_docx(d / "bomb.docx", 200_000_000),
    "docx-varied": lambda d: make_docx(d / "varied.docx", 10_000_000, varied=True),
    "text-50mb": lambda d: make_text(d / "big.txt", 50_000_000),
    # the largest documents the default limits admit: the bound on an ingest that succeeds
    "docx-at-limit": lambda d: make_docx(d / "limit.docx", 1_600_000, varied=True),
    "text-at-limit": lambda d: make_text(d / "limit.txt", 995_000),
}
DEFAULT_CASES = ["docx-bomb", "docx-varied", "text-50mb"]


def measure(repo: Path, file: Path, store: Path, timeout: float) -> dict:
    import psutil

    env = offline.env(ASSISTANT_CHROMA_PATH=str(store), ASSISTANT_CORPUS_DIR=str(file.parent),
                      ASSISTANT_AUDIT_PATH=str(store.parent / "audit.jsonl"))
    rusage_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "--json", "-q", str(file)], cwd=repo,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    killed = False
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            pass
        if time.perf_counter() - start > timeout:
            proc.kill()
            killed = True
            break
        time.sleep(0.2)
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    rusage = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if rusage > rusage_before:  # the maximum over all children so far: this child's if it grew
        peak = max(peak, rusage * 1024)
    reason = ""
    for line in err.splitlines():
        if line.startswith(("FAILED", "error", "skipped")):
            reason = line.split(": ", 1)[-1]
    return {"exit": "killed" if killed else proc.returncode, "peak_mb": peak / 1e6,
            "seconds": seconds, "reason": reason[:160]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=ROOT, help="checkout whose `python -m ingest` runs")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in args.case or DEFAULT_CASES:
            folder = tmp / name
            folder.mkdir()
            file = CASES[name](folder)
            r = measure(args.repo.resolve(), file, tmp / f"store-{name}", args.timeout)
            print(f"{name:12} {file.stat().st_size / 1e6:7.2f} MB file  peak RSS {r['peak_mb']:7.0f} MB"
                  f"  {r['seconds']:6.1f} s  exit {r['exit']}  {r['reason']}", flush=True)


if __name__ == "__main__":
    main()
