"""Uploaded originals (`<sha256>.<ext>`) and one record per uploaded content, on disk."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock

from assistant.documents.jobs import read_json, write_json_atomic
from assistant.documents.uploads import KINDS


class DocumentStore:
    """Originals (`<sha256>.<ext>`) and one record per uploaded content (`records/<sha256>.json`)
    in the documents folder; changes under a file lock in that folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.records_dir = self.folder / "records"
        self.incoming = self.folder / ".incoming"
        for d in (self.folder, self.records_dir, self.incoming):
            d.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(str(self.folder / ".lock"))

    def original(self, rec: dict) -> Path:
        return self.folder / f"{rec['sha256']}{KINDS[rec['type']][0]}"

    def record(self, sha: str) -> dict | None:
        return read_json(self.records_dir / f"{sha}.json") if sha.isalnum() else None

    def records(self) -> list[dict]:
        recs = [read_json(p) for p in self.records_dir.glob("*.json")]
        return [r for r in recs if r]

    def save(self, rec: dict) -> None:
        write_json_atomic(self.records_dir / f"{rec['sha256']}.json", rec)

    def update(self, sha: str, **changes) -> None:
        with self.lock:
            rec = self.record(sha)
            if rec is not None:
                rec.update(changes)
                self.save(rec)

    def drop(self, rec: dict) -> None:
        with self.lock:
            self.original(rec).unlink(missing_ok=True)
            (self.records_dir / f"{rec['sha256']}.json").unlink(missing_ok=True)
