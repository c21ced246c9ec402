"""What an uploaded file may be: its kind judged by content (magic bytes), its name, and the
checks a PDF or .docx must pass before it is stored (the same limits as `ingest.loading`)."""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from assistant.core.formats import (
    LIMITS,
    Limits,
    LoadError,
    check_archive,
    check_pdf,
    pdf_active_content,
)

# kind -> (stored extension, content type)
KINDS = {
    "pdf": (".pdf", "application/pdf"),
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "html": (".html", "text/html; charset=utf-8"),
    "markdown": (".md", "text/markdown; charset=utf-8"),
    "text": (".txt", "text/plain; charset=utf-8"),
}
SUFFIX_KIND = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "markdown",
               ".markdown": "markdown", ".txt": "text"}
SUPPORTED_TEXT = "txt, md, html, pdf, docx"
MAX_NAME_CHARS = 255
SNIFF_BYTES = 64 * 1024


class StagedFile(Protocol):
    """An uploaded file written to a temporary file as it arrived (see `assistant.api.multipart`)."""

    name: bytes | None  # the file name as sent
    tmp: Path
    size: int
    sha: "hashlib._Hash"


class Rejected(Exception):
    """A file that is refused; the message says why."""


def doc_id(source: str) -> str:
    """A document's id: stable for its source name (the index's key)."""
    return hashlib.sha256(f"doc:{source}".encode()).hexdigest()[:16]


# --- names -------------------------------------------------------------------------------------

def check_name(raw: bytes | str | None) -> str:
    """The uploaded file name, for display; Rejected if it is not a plain file name."""
    if raw is None:
        raise Rejected("the part has no file name")
    name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not name.strip():
        raise Rejected("empty file name")
    if len(name) > MAX_NAME_CHARS:
        raise Rejected(f"file name too long ({len(name)} characters; at most {MAX_NAME_CHARS})")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise Rejected("file name contains control characters")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".."):
        raise Rejected("file name must not contain a path ('/', '\\\\' or '..')")
    return name.strip()


def ascii_name(name: str) -> str:
    """A Content-Disposition `filename=` fallback: printable ASCII, no quotes or separators."""
    out = "".join(c if 32 < ord(c) < 127 and c not in '"\\/;%' else "_"
                  for c in unicodedata.normalize("NFKD", name))
    return out.strip("._") or "document"


def content_disposition(name: str, disposition: str = "inline") -> str:
    return f"{disposition}; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- content sniffing --------------------------------------------------------------------------

def sniff(path: Path, name: str, limits: Limits = LIMITS) -> str:
    """The kind of the file by its content (see KINDS); Rejected when it is none of them."""
    size = path.stat().st_size
    if size == 0:
        raise Rejected("empty file (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if b"%PDF-" in head[:1024]:
        _check_pdf(path)
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        _check_docx(path, limits)
        return "docx"
    if _is_text(head, size):
        text = head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n").lower()
        if text.startswith(("<!doctype html", "<html")) or "<html" in text[:1024] or \
                ("<body" in text[:4096] and "</" in text):
            return "html"
        return {"markdown": "markdown", "html": "html"}.get(
            SUFFIX_KIND.get(Path(name).suffix.lower(), ""), "text")
    raise Rejected(f"unsupported file type: the content is {_describe(head)}, not one of "
                   f"{SUPPORTED_TEXT} (judged by content, not by the file name)")


def _is_text(head: bytes, size: int) -> bool:
    if b"\x00" in head:
        return False
    sample = head if size <= len(head) else head[:-4]  # a multi-byte character may be cut off
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = sample.decode("cp1252")
        except UnicodeDecodeError:
            return False
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    return controls <= max(1, len(text) // 100)


def _describe(head: bytes) -> str:
    try:
        import filetype

        kind = filetype.guess(head)
        if kind is not None:
            return f"{kind.mime} ({kind.extension})"
    except Exception:
        pass
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    return "binary data"


def _check_pdf(path: Path) -> None:
    try:
        check_pdf(path)
    except LoadError as exc:
        raise Rejected(f"corrupt PDF: {exc}") from None
    with path.open("rb") as fh:
        active = pdf_active_content(fh)
    if active:  # it would run in the reader's PDF viewer when opened from the page
        raise Rejected(f"the PDF holds active content ({active}: scripts, launch or form "
                       "actions, or embedded files), which is not accepted; save it again "
                       "without them (for example, print it to a new PDF)")


def _check_docx(path: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "word/document.xml" not in names:
                raise Rejected("unsupported file type: a zip archive that is not a .docx "
                               f"(no word/document.xml); supported: {SUPPORTED_TEXT}")
    except zipfile.BadZipFile as exc:
        raise Rejected(f"corrupt .docx (not a readable zip): {exc}") from None
    # A zip bomb is refused from the sizes the zip declares, before anything unpacks it, by the
    # same check and limits (ASSISTANT_MAX_EXPANDED_BYTES, ..._COMPRESSION_RATIO) as the loader.
    try:
        check_archive(path, limits)
    except LoadError as exc:
        raise Rejected(f"refused as a zip bomb: {exc}") from None


def _shown(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    name = raw.decode("utf-8", "replace")
    return "".join(c if unicodedata.category(c)[0] != "C" else "\ufffd" for c in name)[:100]
