"""Disk set aside while the index is written (the embedded store only).

SQLite needs free space to delete rows: a segment write that fills the disk could not drop what
it had half-written, and the next listing showed a segment no state names (found by
`tests/test_disk_full.py` once the corpus gave a few more records). The writer takes a reserve
before it writes and frees it before dropping a half-written segment, and after the write either
way. Too little space for the reserve is a `DiskFullError` before anything is written. In server
mode the store's disk is the server's, and nothing is reserved here.
"""

from __future__ import annotations

import errno
from pathlib import Path

from assistant.core.config import Settings
from assistant.index.errors import DiskFullError

RESERVE_BYTES = 8 << 20  # a few MB: what dropping a half-written segment needs, with room to spare
_BLOCK = 1 << 20


class Reserve:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def release(self) -> None:
        """Free the reserved space (again: a no-op)."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    def __enter__(self) -> "Reserve":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def reserve(settings: Settings, size: int = RESERVE_BYTES) -> Reserve:
    """Set `size` bytes aside next to the embedded store; a `Reserve` to release."""
    if settings.server_mode or size <= 0:
        return Reserve(None)
    path = settings.chroma_path / ".write-reserve"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "wb") as fh:
            left = size
            while left > 0:
                n = min(_BLOCK, left)
                fh.write(b"\0" * n)
                left -= n
            fh.flush()
    except OSError as exc:
        path.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"disk full: less than {size >> 20} MB free next to the index, so "
                                "nothing was written; the previous index keeps answering") from exc
        raise
    return Reserve(path)
