"""File-format checks shared by uploads (`assistant.documents`) and ingestion (`ingest.loading`):
what one document may cost (`Limits`, from the ASSISTANT_MAX_* settings, whose defaults are its
own), zip-bomb refusal from a .docx's declared sizes, and a PDF that cannot be parsed."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.config import Settings


class LoadError(Exception):
    """A file that cannot be ingested; the message says why."""


@dataclass(frozen=True)
class Limits:
    """What one document may cost; see the ASSISTANT_MAX_* settings for the reasons."""

    file_bytes: int = Settings.model_fields["max_file_bytes"].default
    expanded_bytes: int = Settings.model_fields["max_expanded_bytes"].default
    compression_ratio: float = Settings.model_fields["max_compression_ratio"].default
    chars: int = Settings.model_fields["max_document_chars"].default
    elements: int = Settings.model_fields["max_document_elements"].default
    chunks: int = Settings.model_fields["max_document_chunks"].default

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(file_bytes=settings.max_file_bytes, expanded_bytes=settings.max_expanded_bytes,
                   compression_ratio=settings.max_compression_ratio,
                   chars=settings.max_document_chars, elements=settings.max_document_elements,
                   chunks=settings.max_document_chunks)


LIMITS = Limits()
RATIO_MIN_BYTES = 1_000_000  # members smaller than this expanded are never called bombs
MAX_ARCHIVE_MEMBERS = 10_000


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,.0f} bytes"


def too_much_text(chars: int, limits: Limits, over: bool = False) -> LoadError:
    return LoadError(f"too much text: {'over ' if over else ''}{chars:,} characters "
                     f"(limit {limits.chars:,}, ASSISTANT_MAX_DOCUMENT_CHARS)")


def too_many_elements(n: int, limits: Limits, over: bool = False) -> LoadError:
    return LoadError(f"too many paragraphs: {'over ' if over else ''}{n:,} "
                     f"(limit {limits.elements:,}, ASSISTANT_MAX_DOCUMENT_ELEMENTS)")


def check_archive(path: Path, limits: Limits = LIMITS) -> None:
    """Refuse a zip (.docx) that would expand too far, from the sizes its directory declares
    (zipfile never inflates a member beyond its declared size, so they cannot lie)."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: reported when it is parsed (after hashing, so remembered by its hash)
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise LoadError(f"archive has {len(members):,} members (limit {MAX_ARCHIVE_MEMBERS:,})")
    total = 0
    for m in members:
        if m.file_size > limits.expanded_bytes:
            raise LoadError(f"archive member {m.filename} expands to {mb(m.file_size)} (limit "
                            f"{mb(limits.expanded_bytes)}, ASSISTANT_MAX_EXPANDED_BYTES)")
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size >= RATIO_MIN_BYTES and ratio > limits.compression_ratio:
            raise LoadError(f"archive member {m.filename} is compressed {ratio:,.0f}:1 "
                            f"({mb(m.compress_size)} to {mb(m.file_size)}; limit "
                            f"{limits.compression_ratio:,.0f}:1, ASSISTANT_MAX_COMPRESSION_RATIO): "
                            f"a decompression bomb")
        total += m.file_size
    if total > limits.expanded_bytes:
        raise LoadError(f"archive expands to {mb(total)} (limit {mb(limits.expanded_bytes)}, "
                        f"ASSISTANT_MAX_EXPANDED_BYTES)")



def check_pdf(path: Path) -> None:
    """unstructured returns no elements for a broken PDF; say it is broken instead."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    try:
        with path.open("rb") as fh:
            doc = PDFDocument(PDFParser(fh))
            next(PDFPage.create_pages(doc))
    except StopIteration:
        raise LoadError("cannot be parsed as pdf: it has no pages") from None
    except Exception as exc:
        raise LoadError(f"cannot be parsed as pdf: {type(exc).__name__}: {exc}"[:300]) from exc


# Keys and action types that make a PDF do something when it is opened or clicked: scripts,
# launching programs, sending or importing data, embedded files and rich media (red-team row 13).
# Chromium's viewer runs a PDF's JavaScript even under `Content-Security-Policy: sandbox`.
PDF_ACTIVE_KEYS = frozenset({"JS", "JavaScript", "AA", "Launch", "RichMedia", "EmbeddedFile",
                             "EmbeddedFiles", "XFA"})
PDF_ACTIVE_ACTIONS = frozenset({"JavaScript", "Launch", "SubmitForm", "ImportData",
                                "RichMediaExecute", "GoToE"})
ACTIVE_MAX_OBJECTS = 500_000


def pdf_active_content(fh) -> str | None:
    """What active content a PDF holds (the first found: "JavaScript", "Launch", ...), or None.
    Every object the cross-reference tables list is looked at, compressed object streams
    included. A PDF that cannot be parsed or is too large to check counts as active."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream
    from pdfminer.psparser import PSLiteral

    try:
        doc = PDFDocument(PDFParser(fh))
        seen = 0
        for xref in doc.xrefs:
            for objid in xref.get_objids():
                seen += 1
                if seen > ACTIVE_MAX_OBJECTS:
                    return "too many objects to check"
                try:
                    obj = doc.getobj(objid)
                except Exception:
                    continue
                d = obj.attrs if isinstance(obj, PDFStream) else obj
                if not isinstance(d, dict):
                    continue
                hit = PDF_ACTIVE_KEYS.intersection(d)
                if hit:
                    return sorted(hit)[0]
                action = d.get("S")
                action = action.name if isinstance(action, PSLiteral) else action
                if action in PDF_ACTIVE_ACTIONS:
                    return str(action)
    except Exception as exc:
        return f"unreadable ({type(exc).__name__})"
    return None
