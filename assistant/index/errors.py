"""What can go wrong with the store, as exceptions the layers above translate into words."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The store cannot be reached or holds something unusable."""


class DiskFullError(StoreError):
    """The disk filled up while writing; what was half-written has been removed."""


class EmbedderMismatch(StoreError):
    """The index was built with another embedding model than this process's: a setting to fix
    (or a re-embed), not a passing failure of the store."""


class StoreTimeout(StoreError):
    """A store call did not return within ASSISTANT_STORE_TIMEOUT_SECONDS."""


def is_disk_full(exc: BaseException) -> bool:
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError) and exc.errno == 28:
            return True
        text = str(exc).lower()
        if "no space left" in text or "disk full" in text or "database or disk is full" in text:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
