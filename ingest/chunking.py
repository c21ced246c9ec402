"""Structure-following chunks (unstructured's `chunk_by_title`) with citation metadata.

Each chunk keeps its source, the document title, the section heading it sits under, the PDF page
(when there is one) and the character spans of its sentences, which the extractive answerer uses
at question time without loading an NLP pipeline.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field

from assistant.core.config import Settings
from ingest.loading import TABLE_ROW, Element, LoadedDocument
from ingest.offline_nlp import offline_pipeline

# "Facility design: Part of having..." -- a run-in heading at the start of a paragraph.
_RUN_IN_HEADING = re.compile(r"^([A-Z][\w/&,'’ -]{2,60}?):\s+\S")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")
# "...clinical settings.1 As of April 2024" -- a footnote number glued to the full stop.
_CONTINUES = re.compile(r"[a-z]")
_FOOTNOTE_BREAK = re.compile(r"(?<=[a-z)][.!?])\d{1,2}(?=\s+[A-Z])")


@dataclass
class Chunk:
    id: str
    text: str
    metadata: dict = field(default_factory=dict)


def chunk_id(embedder_name: str, source: str, text: str, occurrence: int) -> str:
    """Content-derived id: same text in the same document -> same id, so it is not re-embedded."""
    h = hashlib.sha256(f"{embedder_name}\x00{source}\x00{occurrence}\x00{text}".encode("utf-8"))
    return h.hexdigest()[:32]


def sentence_spans(text: str) -> list[list[int]]:
    """[start, end) character spans of the sentences in `text`.

    Line breaks end sentences. Runs of short fragment lines (a dateline, a byline, bullet points
    without full stops) are kept together as one unit, so they can be quoted with their context.
    """
    nlp = offline_pipeline()
    units: list[list[int]] = []
    pos = 0
    for m in list(_PARAGRAPH_BREAK.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        block = text[pos:end]
        if block.strip():
            lead = len(block) - len(block.lstrip())
            start, stop = pos + lead, pos + len(block.rstrip())
            if _is_fragment(text[start:stop]):
                if units and units[-1][2] and stop - units[-1][0] <= MAX_FRAGMENT_RUN:
                    units[-1][1] = stop
                else:
                    units.append([start, stop, True])
            else:
                first = len(units)
                for sent in nlp(block).sents:
                    base = pos + sent.start_char
                    cuts = [0] + [x.end() for x in _FOOTNOTE_BREAK.finditer(sent.text)] + [len(sent.text)]
                    for a, b in zip(cuts, cuts[1:]):
                        piece = sent.text[a:b]
                        if piece.strip():
                            s0 = base + a + (len(piece) - len(piece.lstrip()))
                            if len(units) > first and _CONTINUES.match(piece.lstrip()) \
                                    and text[units[-1][1] - 1] == ".":
                                # A sentence does not begin in lower case: the full stop before it
                                # ended an abbreviation ("population of Ae. aegypti").
                                units[-1][1] = s0 + len(piece.strip())
                            else:
                                units.append([s0, s0 + len(piece.strip()), False])
        pos = m.end() if m else len(text)
    return [[a, b] for a, b in _join_open_quotes(text, [[a, b] for a, b, _ in units])]


def _join_open_quotes(text: str, spans: list[list[int]]) -> list[list[int]]:
    """Keep a quotation that runs over several sentences together with its attribution."""
    out: list[list[int]] = []
    open_quote = False
    for a, b in spans:
        if open_quote and out and "\n" not in text[out[-1][1]:a]:
            out[-1][1] = b
        else:
            out.append([a, b])
        piece = text[out[-1][0]:out[-1][1]]
        open_quote = (piece.count("“") > piece.count("”")) or piece.count('"') % 2 == 1
    return out


MAX_FRAGMENT_RUN = 400


def _is_fragment(line: str) -> bool:
    """A short line that is not a sentence: heading, dateline, byline, bullet."""
    n_words = len(line.split())
    return n_words <= 8 or (len(line) < 100 and not line.rstrip().endswith((".", "!", "?", '"', "”")))


def _heading_of(el: Element) -> str | None:
    if el.is_title and len(el.text) <= 200:
        return el.text
    if el.category == TABLE_ROW:  # "Company: Sangamo; Partner: Gilead." is a row, not a heading
        return None
    m = _RUN_IN_HEADING.match(el.text)
    if m and len(m.group(1).split()) <= 8:
        return m.group(1).strip()
    return None


def _split_at_sentences(raw, max_chars: int, target: int) -> list:
    """A PDF paragraph too long for one chunk (its lines are joined into one element, see
    `ingest.loading.join_pdf_lines`) as several elements of whole sentences, so that chunking does
    not cut it in the middle of a sentence ("up to $432" | "million"). A single sentence longer
    than a chunk is still cut by chunking."""
    text = raw.text or ""
    if len(text) <= max_chars:
        return [raw]
    from unstructured.documents.elements import NarrativeText

    parts: list[str] = []
    start = 0
    for a, b in sentence_spans(text):
        if b - start > target and a > start:
            parts.append(text[start:a].strip())
            start = a
    parts.append(text[start:].strip())
    if len(parts) == 1:
        return [raw]
    return [NarrativeText(text=part, metadata=copy.deepcopy(raw.metadata)) for part in parts if part]


def chunk_document(doc: LoadedDocument, settings: Settings, embedder_name: str,
                   file_hash: str) -> list[Chunk]:
    from unstructured.chunking.title import chunk_by_title

    # A PDF is chunked page by page, so that every chunk cites exactly one page.
    if doc.kind == "pdf":
        groups: dict[int | None, list] = {}
        for el in doc.elements:
            groups.setdefault(el.page, []).extend(
                _split_at_sentences(el.raw, settings.chunk_max_chars, settings.chunk_new_after_chars))
        batches = list(groups.values())
    else:
        batches = [[el.raw for el in doc.elements]]
    pieces = []
    for batch in batches:
        pieces.extend(chunk_by_title(
            batch,
            max_characters=settings.chunk_max_chars,
            new_after_n_chars=settings.chunk_new_after_chars,
            combine_text_under_n_chars=settings.chunk_combine_under_chars,
            overlap=settings.chunk_overlap_chars or None,
            multipage_sections=False,
            include_orig_elements=True,
        ))
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    heading: str | None = None
    page_of_heading = None
    for piece in pieces:
        text = piece.text.strip()
        if not text:
            continue
        page = getattr(piece.metadata, "page_number", None)
        if doc.kind == "pdf" and page != page_of_heading:
            # A page's section label comes from that page, never from the previous page's lines.
            heading, page_of_heading = None, page
        orig = getattr(piece.metadata, "orig_elements", None) or []
        headings = [_heading_of(Element(text=(el.text or "").strip(), category=el.category))
                    for el in orig]
        # The section a chunk belongs to: its own opening heading, else the one carried over.
        if headings and headings[0]:
            heading = headings[0]
        chunk_heading = heading
        later = [h for h in headings[1:] if h]
        if later:
            heading = later[-1]
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        meta = {
            "source": doc.source,
            "title": doc.title,
            "kind": doc.kind,
            "file_hash": file_hash,
            "chunk_index": len(chunks),
            "sentences": json.dumps(sentence_spans(text)),
        }
        if chunk_heading:
            meta["section"] = chunk_heading
        if page is not None:
            meta["page"] = int(page)
        chunks.append(Chunk(id=chunk_id(embedder_name, doc.source, text, occurrence),
                            text=text, metadata=meta))
    return chunks
