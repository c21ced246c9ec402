"""The states of ingest jobs, of the files in them and of uploaded documents, one Enum each.

They are `StrEnum`s: stored in JSON and returned by the API as their plain values ("queued"), and
equal to those strings when read back."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    WAITING = "waiting"  # for the ingest lock (a CLI run or another job holds it)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FileStatus(StrEnum):
    """One file of a job."""

    QUEUED = "queued"
    INGESTING = "ingesting"
    INDEXED = "indexed"
    FAILED = "failed"
    REMOVED = "removed"


class DocumentStatus(StrEnum):
    """An uploaded document's record (and a listed document)."""

    QUEUED = "queued"
    INGESTING = "ingesting"
    INDEXED = "indexed"
    FAILED = "failed"
    DELETING = "deleting"


class UploadResult(StrEnum):
    """What an upload request says of each file."""

    QUEUED = "queued"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
