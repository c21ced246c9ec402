"""File helpers shared by ingestion and the model assembler."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class UnsafeFile(Exception):
    """A file that may not be served; the message says why (for the log and the audit line)."""


def open_verified(path: Path, roots, sha256: str | None) -> int:
    """An open read-only descriptor of `path`, only when it is a regular file (the last component
    is not a link: O_NOFOLLOW), its resolved path lies inside one of `roots`, and its bytes hash to
    `sha256`, the content that was indexed. The hash is taken from the open descriptor, so a file
    swapped for another between the checks is caught too. Raises `UnsafeFile` otherwise."""
    if not sha256:
        raise UnsafeFile("no content hash is recorded for it")
    resolved = Path(os.path.realpath(path))
    inside = []
    for r in roots:
        if r is None:
            continue
        try:
            inside.append(resolved.is_relative_to(Path(os.path.realpath(r))))
        except (OSError, ValueError):
            continue
    if not any(inside):
        raise UnsafeFile(f"{path} resolves outside the document folders")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UnsafeFile(f"{path} cannot be opened as a plain file: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeFile(f"{path} is not a regular file")
        h = hashlib.sha256()
        while block := os.read(fd, 1 << 20):
            h.update(block)
        if h.hexdigest() != sha256:
            raise UnsafeFile(f"{path} no longer holds the content that was indexed")
        os.lseek(fd, 0, os.SEEK_SET)
        return fd
    except BaseException:
        os.close(fd)
        raise


def iter_fd(fd: int, block: int = 1 << 16):
    """The bytes of an open descriptor, in blocks, closing it at the end (or when abandoned)."""
    try:
        while data := os.read(fd, block):
            yield data
    finally:
        os.close(fd)
