"""Find documents and partition them into elements with `unstructured`, offline.

Supported: .txt, .md, .html/.htm, .pdf, .docx. A file that cannot be used raises `LoadError`
with a reason a person can act on; the pipeline reports it and goes on with the rest.

Size limits (`Limits`, from the ASSISTANT_MAX_* settings) are checked before a file is partitioned,
so a huge file or a decompression bomb is refused in seconds with little memory: the file size; a
.docx's declared member sizes and compression ratios (read from the zip's directory, nothing
extracted); the amount of text and the number of paragraphs (a text file's decoded text; a
.docx's word/document.xml streamed; an HTML page's cleaned tree). PDFs are bounded by the file size
before partitioning and by text and element counts after it.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from assistant.core.formats import (
    LIMITS,
    Limits,
    LoadError,
    check_archive,
    check_pdf,
    mb,
    too_many_elements,
    too_much_text,
)
from assistant.core.text import BULLET
from ingest import offline_nlp
from ingest.table_rows import table_rows

log = logging.getLogger(__name__)

SUPPORTED = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html",
             ".htm": "html", ".pdf": "pdf", ".docx": "docx"}


# HTML elements that are page furniture, never article text.
_HTML_CHROME_TAGS = ["nav", "header", "footer", "aside", "form", "script", "style", "noscript",
                     "iframe", "template", "button", "select", "svg"]
_HTML_CHROME_ROLES = ["navigation", "banner", "contentinfo", "search", "complementary", "dialog"]


@dataclass
class Element:
    """One partitioned element: the parts of unstructured's Element that we use."""

    text: str
    category: str
    page: int | None = None
    depth: int | None = None
    raw: Any = field(default=None, repr=False)  # the unstructured element, for chunking

    @property
    def is_title(self) -> bool:
        return self.category == "Title"


@dataclass
class LoadedDocument:
    path: Path
    source: str  # path relative to the corpus root, with forward slashes
    kind: str
    title: str
    elements: list[Element]


OUTSIDE_FILE = "symlink to a file outside the folder"
OUTSIDE_FOLDER = "symlink to a folder outside the folder"
LINK_LOOP = "symlink loop (the link leads back to itself)"
FOLDER_LOOP = "symlink loop (a link to a folder that contains it)"
DANGLING = "broken symlink (its target does not exist)"


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def discover(paths: Iterable[Path], skipped: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Files under `paths` (recursively), hidden files and folders skipped, sorted.

    Symbolic links never lead out of a folder being listed: a link (to a file or a folder) whose
    resolved target lies outside it is left out and, when `skipped` is given, added to it with the
    reason. Links to folders are never descended into (the folder's own files are listed where
    they are), so a link cannot loop; a file reached by several names is listed once. Links that
    loop (to themselves, to each other, or to a folder above them) and dangling links are left out
    and reported the same way."""
    found: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            found.append(p)
            continue
        root = p.resolve()
        listed: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for d in dirnames:
                link = here / d
                if link.is_symlink() and (not _inside(link.resolve(), root)
                                          or _inside(here.resolve(), link.resolve())):
                    listed.append(link)  # reported below, in sorted order
            for name in filenames:
                if not name.startswith("."):
                    listed.append(here / name)
        for f in sorted(listed):
            if f.is_symlink():
                try:
                    target = f.resolve(strict=True)
                except (OSError, RuntimeError) as exc:  # dangling or looping link
                    reason = DANGLING if isinstance(exc, FileNotFoundError) else LINK_LOOP
                    log.warning("skipped %s: %s", f, reason)
                    if skipped is not None:
                        skipped.append((f, reason))
                    continue
                if target.is_dir() and _inside(f.parent.resolve(), target):
                    log.warning("skipped %s: %s (%s)", f, FOLDER_LOOP, target)
                    if skipped is not None:
                        skipped.append((f, FOLDER_LOOP))
                    continue
                if not _inside(target, root):
                    reason = OUTSIDE_FOLDER if target.is_dir() else OUTSIDE_FILE
                    log.warning("skipped %s: %s (%s)", f, reason, target)
                    if skipped is not None:
                        skipped.append((f, reason))
                    continue
                if target.is_dir():
                    continue
            if f.is_file() and f.resolve() not in seen:
                seen.add(f.resolve())
                found.append(f)
    return found


def check_file(path: Path, limits: Limits = LIMITS) -> str:
    """The file's kind, or LoadError if it cannot be read at all or is over a size limit."""
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise LoadError(
            f"unsupported file type {path.suffix or '(no extension)'!r}; "
            f"supported: {', '.join(sorted(SUPPORTED))}"
        )
    if not path.exists():
        raise LoadError("file not found")
    if not path.is_file():
        raise LoadError("not a regular file")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise LoadError("empty file")
    if size > limits.file_bytes:
        shown, limit = mb(size), mb(limits.file_bytes)
        if shown == limit:  # "50.0 MB (limit 50.0 MB)" says nothing
            shown, limit = f"{size:,} bytes", f"{limits.file_bytes:,} bytes"
        raise LoadError(f"file too large: {shown} (limit {limit}, ASSISTANT_MAX_FILE_BYTES)")
    if kind == "docx":
        check_archive(path, limits)
    return kind


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def scan_docx(path: Path, limits: Limits = LIMITS) -> None:
    """Count the text and paragraphs of word/document.xml by streaming it (constant memory) and
    refuse the document before python-docx builds its tree (~70 MB per MB of XML, ~280
    paragraphs a second in unstructured)."""
    from lxml import etree

    chars = paragraphs = 0
    try:
        with zipfile.ZipFile(path) as zf, zf.open("word/document.xml") as fh:
            for _, el in etree.iterparse(fh, events=("end",), tag=(f"{_W}p", f"{_W}t"),
                                         resolve_entities=False, no_network=True):
                if el.tag == f"{_W}t":
                    chars += len(el.text or "")
                    if chars > limits.chars:
                        raise too_much_text(limits.chars, limits, over=True)
                    continue
                paragraphs += 1
                if paragraphs > limits.elements:
                    raise too_many_elements(limits.elements, limits, over=True)
                el.clear()
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
    except LoadError:
        raise
    except KeyError:
        return  # no main document part: partition_docx says what is wrong
    except Exception as exc:
        raise LoadError(f"cannot be parsed as docx: {type(exc).__name__}: {exc}"[:300]) from exc


def check_text(text: str, limits: Limits = LIMITS) -> None:
    """Refuse a text before it is partitioned: too many characters or paragraphs."""
    if len(text) > limits.chars:
        raise too_much_text(len(text), limits)
    if _hard_wrapped(text):  # lines are joined into paragraphs at blank lines
        paragraphs = len([b for b in re.split(r"\n\s*\n", text) if b.strip()])
    else:
        paragraphs = sum(1 for line in text.splitlines() if line.strip())
    if paragraphs > limits.elements:
        raise too_many_elements(paragraphs, limits)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise LoadError("binary content in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise LoadError(f"not valid UTF-8 or Windows-1252 text: {exc}") from exc


def _hard_wrapped(text: str) -> bool:
    """Is this text wrapped at a fixed width (lines to be joined into paragraphs)?"""
    lengths = [len(line.rstrip()) for line in text.splitlines() if line.strip()]
    if len(lengths) < 8:
        return False
    wrapped = sum(1 for n in lengths if 50 <= n <= 100)
    return max(lengths) <= 120 and wrapped / len(lengths) >= 0.6


_HTML_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "pre", "blockquote",
                "dt", "dd")


def _clean_html(html: str, limits: Limits = LIMITS) -> tuple[str, str | None]:
    """Drop page furniture from HTML; return the cleaned markup and the <title>. Refuses a page
    with too much text or too many blocks left before it is partitioned."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except Exception as exc:  # lxml raises ParserError/ValueError on junk
        raise LoadError(f"not parseable as HTML: {exc}") from exc
    title_el = root.find(".//title")
    title = title_el.text_content().strip() if title_el is not None else None
    for el in root.xpath(
        " | ".join(f"//{t}" for t in _HTML_CHROME_TAGS)
        + " | "
        + " | ".join(f"//*[@role='{r}']" for r in _HTML_CHROME_ROLES)
        + " | //*[@aria-hidden='true'] | //head"
    ):
        if el.getparent() is not None:
            el.drop_tree()
    chars = len(root.text_content())
    if chars > limits.chars:
        raise too_much_text(chars, limits)
    blocks = len(root.xpath(" | ".join(f"//{t}" for t in _HTML_BLOCKS)))
    if blocks > limits.elements:
        raise too_many_elements(blocks, limits)
    return lxml.html.tostring(root, encoding="unicode"), title or None


def _pdf_title(path: Path) -> str | None:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    try:
        with path.open("rb") as fh:
            doc = PDFDocument(PDFParser(fh))
            for info in doc.info:
                raw = info.get("Title")
                if isinstance(raw, bytes):
                    raw = raw.decode("utf-16" if raw.startswith(b"\xfe\xff") else "latin-1", "ignore")
                if isinstance(raw, str) and raw.strip():
                    return raw.strip()
    except Exception:
        return None
    return None


def _docx_title(path: Path) -> str | None:
    import docx

    try:
        return (docx.Document(str(path)).core_properties.title or "").strip() or None
    except Exception:
        return None


def partition(path: Path, kind: str, limits: Limits = LIMITS) -> tuple[list[Any], str | None]:
    """unstructured elements of the file and a title from its metadata, if any. Text and
    paragraph limits are checked first, before unstructured or spaCy are loaded, where the format
    allows (all but PDF)."""
    meta_title: str | None = None
    try:
        text = cleaned = ""
        if kind in ("text", "markdown"):
            text = _read_text(path)
            check_text(text, limits)
        elif kind == "html":
            text = _read_text(path)
            if len(text) > 10 * limits.chars:  # markup included; the cleaned text is checked next
                raise LoadError(f"too much HTML: {len(text):,} characters of markup (limit "
                                f"{10 * limits.chars:,}, ten times ASSISTANT_MAX_DOCUMENT_CHARS)")
            cleaned, meta_title = _clean_html(text, limits)
        elif kind == "docx":
            scan_docx(path, limits)
        offline_nlp.install()
        if kind == "text":
            from unstructured.partition.text import partition_text

            # Scraped pages put one paragraph on each line; only hard-wrapped text needs lines
            # joined back into paragraphs (unstructured's default grouping joins them whenever the
            # file has blank lines, which glues a headline to the paragraph under it).
            grouper = None if _hard_wrapped(text) else False
            return partition_text(text=text, paragraph_grouper=grouper), None
        if kind == "markdown":
            from unstructured.partition.md import partition_md

            return partition_md(text=text), None
        if kind == "html":
            from unstructured.partition.html import partition_html

            return partition_html(text=cleaned), meta_title
        if kind == "pdf":
            from unstructured.partition.pdf import partition_pdf

            check_pdf(path)
            return (join_pdf_lines(partition_pdf(filename=str(path), strategy="fast",
                                                 languages=["eng"])),
                    _pdf_title(path))
        if kind == "docx":
            from unstructured.partition.docx import partition_docx

            return partition_docx(filename=str(path)), _docx_title(path)
    except LoadError:
        raise
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LoadError(f"cannot be parsed as {kind}: {reason[:300]}") from exc
    raise LoadError(f"no partitioner for {kind}")  # pragma: no cover


_WS = re.compile(r"[ \t\u00a0]+")
TABLE_ROW = "TableRow"

# --- PDF lines back into paragraphs ---
# pdfminer gives a PDF's visual lines; a sentence wrapped over three lines would become three
# elements (and a paragraph's short last line a "Title"). Lines are joined when the layout says
# they belong together: the next line starts under the line above (a gap under one line height)
# and the line above reaches the right margin (it wrapped) or ends mid-sentence with the next
# going on in lower case or with a figure; or a full, unfinished last line of a page goes on at
# the top of the next page. A headline (short, no full stop) above a paragraph stays apart.
_TEXT_KINDS = {"NarrativeText", "Title", "UncategorizedText", "Header", "ListItem", "Text"}
_SENTENCE_END = re.compile(r"[.!?:;\"”)\]]\s*$")
FULL_LINE = 0.9  # a line reaching 90% of the page's right margin wrapped onto the next


def _box(el: Any) -> tuple[float, float, float, float] | None:
    c = getattr(el.metadata, "coordinates", None)
    pts = getattr(c, "points", None) if c else None
    if not pts:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _joined(a: str, b: str) -> str:
    a, b = a.rstrip(), b.lstrip()
    if a.endswith("-") and not a.endswith(" -") and b[:1].islower():
        return a[:-1] + b  # "manu-" + "facturing"
    if a.endswith("-"):
        return a + b  # "CAR-" + "T cells": a real hyphen
    return f"{a} {b}"


def join_pdf_lines(elements: list[Any]) -> list[Any]:
    from unstructured.documents.elements import NarrativeText

    out: list[Any] = []
    right: dict[Any, float] = {}
    left: dict[Any, float] = {}
    for el in elements:
        box = _box(el)
        if box:
            page = getattr(el.metadata, "page_number", None)
            right[page] = max(right.get(page, 0.0), box[2])
            left[page] = min(left.get(page, box[0]), box[0])
    prev_box = None
    for el in elements:
        box = _box(el)
        text = (el.text or "").strip()
        if out and box and prev_box and text and el.category in _TEXT_KINDS \
                and out[-1].category in _TEXT_KINDS:
            prev = out[-1]
            same_page = getattr(prev.metadata, "page_number", None) == getattr(el.metadata, "page_number", None)
            height = prev_box[3] - prev_box[1]
            below = same_page and 0 <= box[1] - prev_box[3] <= height
            page = getattr(prev.metadata, "page_number", None)
            width = right.get(page, prev_box[2]) - left.get(page, prev_box[0])
            full = prev_box[2] >= FULL_LINE * right.get(page, prev_box[2]) and \
                prev_box[0] <= left.get(page, prev_box[0]) + (1 - FULL_LINE) * width
            open_sentence = not _SENTENCE_END.search(prev.text or "")
            continues = open_sentence and (text[:1].islower() or text[:1].isdigit()
                                           or text[:1] in "($€£%")
            # A sentence runs over the page break: the last line is full and unfinished.
            next_page = not same_page and full and open_sentence
            if (below and (full or continues)) or next_page:
                merged = NarrativeText(text=_joined(prev.text, text), metadata=prev.metadata)
                out[-1] = merged
                prev_box = box if same_page else prev_box
                continue
        out.append(el)
        prev_box = box
    return out


_BULLET = BULLET


def _as_list_item(el: Any) -> Any:
    """unstructured takes short lines starting with an arrow or dash for titles; they are items.
    (A title starts a new section in chunking, which would cut a list from its heading.)"""
    from unstructured.documents.elements import ListItem

    return ListItem(text=el.text, metadata=el.metadata)


_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.IGNORECASE)


def _running_heads(raw_elements: list[Any]) -> set[str]:
    """Header/footer texts that repeat on several pages (running heads), digits ignored."""
    seen: dict[str, set] = {}
    for el in raw_elements:
        if el.category in ("Header", "Footer"):
            key = re.sub(r"\d+", "#", (el.text or "").strip().lower())
            seen.setdefault(key, set()).add(getattr(el.metadata, "page_number", None))
    return {k for k, pages in seen.items() if len(pages) >= 2}


def table_row_elements(table: Any) -> list[Any]:
    """A table element as one element per row ("Header: cell; Header: cell."), see
    `ingest.table_rows`; [] when its HTML has no rows to read."""
    rows = table_rows(getattr(table.metadata, "text_as_html", None))
    if not rows:
        return []
    out = []
    for row in rows:
        md = copy.copy(table.metadata)
        md.text_as_html = None
        text = row if _SENTENCE_END.search(row) else row + "."
        out.append(_table_row_class()(text=text, metadata=md))
    return out


_TABLE_ROW = None


def _table_row_class():
    """unstructured's NarrativeText, labelled "TableRow" (a row is never a run-in heading)."""
    global _TABLE_ROW
    if _TABLE_ROW is None:
        from unstructured.documents.elements import NarrativeText

        class TableRow(NarrativeText):
            category = TABLE_ROW

        _TABLE_ROW = TableRow
    return _TABLE_ROW


def to_elements(raw_elements: list[Any]) -> list[Element]:
    """Our view of unstructured's elements: page furniture dropped, bullets made list items.

    A PDF's header and footer are dropped when they repeat across pages or are page numbers; a
    line that merely sits at the top of one page (a title, say) is kept."""
    out = []
    running = _running_heads(raw_elements)
    for el in raw_elements:
        if el.category == "Title" and _BULLET.match(el.text or ""):
            el = _as_list_item(el)
        text = _WS.sub(" ", (getattr(el, "text", "") or "")).strip()
        if not text or el.category in ("PageBreak", "Image", "PageNumber"):
            continue
        if el.category == "Table":
            rows = table_row_elements(el)
            if rows:
                out.extend(Element(text=r.text, category=r.category,
                                   page=getattr(r.metadata, "page_number", None), raw=r)
                           for r in rows)
                continue
        if el.category in ("Header", "Footer") and (
                _PAGE_NUMBER.match(text) or re.sub(r"\d+", "#", text.lower()) in running):
            continue
        if el.category == "Header" and getattr(el.metadata, "page_number", None) is not None \
                and len(text) <= 120 and not _SENTENCE_END.search(text) and len(text.split()) >= 2:
            # A heading at the top of a page that does not repeat on other pages is the page's
            # section heading (unstructured calls anything at the top a header).
            from unstructured.documents.elements import Title

            el = Title(text=el.text, metadata=el.metadata)
        md = el.metadata
        out.append(
            Element(text=text, category=el.category, page=getattr(md, "page_number", None),
                    depth=getattr(md, "category_depth", None), raw=el)
        )
    return out


_DATELINE = re.compile(
    r"^(by[: ]|\d{1,2}[ /.-]\w+[ /.-]\d{2,4}$|\w+ \d{1,2}, \d{4}$|\d{4}-\d{2}-\d{2}$)", re.IGNORECASE
)


def humanize_filename(path: Path) -> str:
    words = re.split(r"[-_\s]+", path.stem)
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:] if text else path.name


def pick_title(path: Path, meta_title: str | None, elements: list[Element]) -> str:
    """Metadata title, else a heading-like first line, else the file name made readable."""
    if meta_title:
        return meta_title
    for el in elements[:3]:
        t = el.text
        if (len(t) <= 150 and len(t.split()) >= (1 if el.is_title else 3)
                and not t.endswith((".", ":", ";", ",")) and not _DATELINE.match(t)
                and (el.is_title or len(t.split()) <= 20)):
            return t
    return humanize_filename(path)


def source_name(path: Path, root: Path | None) -> str:
    """The document's name in citations: its path relative to the corpus root."""
    path = path.resolve()
    if root is not None:
        try:
            return path.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.name
