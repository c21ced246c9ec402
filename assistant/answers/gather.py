"""Gathering the sentences of a list, a comparison or a summary (see `shapes`).

Every function returns candidates that the answerer then composes, each with the [n] of its
passage: a list item per entity or document, one sentence per side of a comparison (or the side
the documents lack), a document's lead sentences.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Sequence

from assistant.answers.features import SENTENCE_FEATURES, Candidate, clean, is_chrome, is_page_line
from assistant.answers.types import CorpusStats
from assistant.core.money import find_money
from assistant.core.text import terms, words
from assistant.retrieval.anchors import Anchor, anchor_in
from assistant.retrieval.hybrid import Passage

_NAME = re.compile(r"\b(?:[A-Z][A-Za-z]*[-–]?\d[\w-]*|[A-Z]{2,}[\w-]*|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_QUOTE = re.compile(r"^\s*[\"“].{20,}[\"”],?\s+(said|says|added|noted|according)\b|^\s*[\"“]",
                    re.IGNORECASE)
LEAD_SENTENCES = 3
LEAD_CHUNKS = 3
# A section heading of a list page: a short line of its own, no end punctuation.
HEADING_WORDS = 5
HEADING_PASSAGES = 3
HEADING_HOPS = 2
HEADING_SCAN = 3  # chunks after a best-ranked passage whose headings are read too
_COVERAGE = SENTENCE_FEATURES.index("coverage")
_HEADING_END = re.compile(r"[.!?:;,)\]\"”]\s*$")


def is_quote(text: str) -> bool:
    """A sentence that is someone's quoted words ("... ," said the CEO)."""
    return bool(_QUOTE.search(text))


def entities(text: str) -> set[str]:
    """Names a sentence speaks about: code names ("KT-210"), acronyms, capitalised names (not
    the sentence's first word)."""
    out = set()
    for m in _NAME.finditer(text):
        if m.start() == 0 and not any(ch.isdigit() for ch in m.group(0)):
            continue
        out.add(m.group(0).lower())
    return out


def _heading_terms(p: Passage) -> set[str]:
    """Terms of the heading a passage sits under: its section, or its first line when that is a
    heading ("Quarry Cell Therapies expands in Dunmore" over the item's sentences)."""
    first = next(iter(p.sentence_texts()), "")
    heading = first if first and not re.search(r"[.!?:]\W*$", first) and len(first) <= 120 else ""
    return set(terms(f"{p.section or ''} {heading}"))


def heading_above(c: Candidate) -> str:
    """The heading a sentence sits under in its passage ("Orphan drug" over a weekly list's
    lines), or "" when none is above it."""
    for j in range(c.index - 1, -1, -1):
        if _is_heading(c.passage, j):
            return c.passage.sentence_texts()[j]
    return ""


def _before(c: Candidate) -> str:
    return c.passage.sentence_texts()[c.index - 1] if c.index > 0 else ""


def window_terms(c: Candidate) -> set[str]:
    """Terms of a sentence, the sentence before it and its document's title."""
    return set(terms(f"{_before(c)} {c.text} {c.passage.title}"))


def shares_a_term(c: Candidate) -> bool:
    """Does the sentence hold any of the question's terms (its "coverage" feature)?"""
    return c.features[_COVERAGE] > 0


def list_items(ranked: list[Candidate], limit: int, keep: float,
               per_document: bool = False, names: Sequence[Anchor] = (),
               prob: Callable[[Candidate], float] | None = None,
               admit: float | None = None) -> list[Candidate]:
    """One item per entity or document: the best sentence of each document that shares terms
    with the question, and further sentences of a document when they name something no item
    names yet and reach the `keep` probability (`prob`: the learned list-item model's, else the
    candidate's own); no two items alike. A sentence sharing no term with the question is an
    item only when `prob` reaches `admit` ("Which companies reported trial results?" is answered
    by "Halvorsen said its GLP-1 candidate cut body weight by 11.2% in a Phase 2 study"). When the question names
    things ("Which designations has Fucaso been granted?"), an item's sentence or its document's
    title names as many of them as the best-placed sentence does: a sentence about another
    product is not an item of this list."""
    if names:
        # Names in the sentence or its document's title (a document about Veltrix speaks of
        # Veltrix throughout), not in the sentence before: "A second candidate, VX-205, ..."
        # after a sentence on VX-101 is not about VX-101.
        hits = {id(c): sum(anchor_in(a, set(terms(f"{c.text} {c.passage.title}"))) for a in names)
                for c in ranked}
        most = max(hits.values(), default=0)
        if per_document and most:
            # one item per document: the most names within each document ("Roche across the
            # set: the 89bio deal and satralizumab's EU status?" is answered by two documents,
            # each naming Roche and one of the rest)
            best: dict[str, int] = {}
            for c in ranked:
                best[c.passage.source] = max(best.get(c.passage.source, 0), hits[id(c)])
            ranked = [c for c in ranked if hits[id(c)] and hits[id(c)] == best[c.passage.source]]
        else:
            ranked = [c for c in ranked if hits[id(c)] == most] if most else ranked
    chosen: list[Candidate] = []
    sources: set[str] = set()
    named: set[str] = set()
    for c in ranked:
        if len(chosen) >= limit:
            break
        # a sentence naming the question's subject by another name ("Bristol-Myers Squibb" for
        # "BMS") shares no word with it, and is still about it
        if not (shares_a_term(c) or any(anchor_in(a, set(terms(c.text))) for a in names)
                or (prob is not None and admit is not None and prob(c) >= admit)) \
                or any(_same(c, o) for o in chosen):
            continue
        new_names = entities(c.text) - named
        if c.passage.source in sources:
            if per_document or (prob(c) if prob else c.prob) < keep or not new_names:
                continue
        chosen.append(c)
        sources.add(c.passage.source)
        named |= entities(c.text)
    return chosen


def lead_item(items: list[Candidate], ranked: Sequence[Candidate], limit: int,
              per_document: bool) -> list[Candidate]:
    """A list's items led by the sentence the trade-press ranker puts first (the one a one-fact
    answer leads with: its `lead`), when it shares a term with the question and no item says the
    same; not a list of one item per document ("Where does Kestrel show up across these
    articles?" asks what each says of Kestrel, not the one fact the ranker would lead with:
    "The Phase 3 trial aims to enrol 1,100 patients across 14 countries"). ("Which territories does
    Hanmi get?" is answered by one sentence naming them all, which the item model, choosing
    several, may pass over.)"""
    scored = [c for c in ranked if c.lead is not None]
    if not scored or not items or per_document:
        return items
    best = max(scored, key=lambda c: c.lead)
    if not shares_a_term(best) or any(o is best or _same(o, best) for o in items):
        return items
    # (it is not held to naming as many of the question's names as the items do: measured on the
    # spent sets, that rule undid most of what the lead gives, 0.796 -> 0.791 key-fact recall)
    return [best] + items[:limit - 1]


def starts_line(passage: Passage, j: int) -> bool:
    """Does sentence j begin a new line (paragraph, list item) of its passage?"""
    if j == 0:
        return True
    start, prev_end = passage.sentences[j][0], passage.sentences[j - 1][1]
    return "\n" in passage.text[prev_end:start]


def _is_heading(passage: Passage, j: int) -> bool:
    """A line of its own of one to five words without end punctuation: "Priority review",
    "Other designations" (a section of a list page)."""
    sents = passage.sentence_texts()
    text = sents[j].strip()
    n = len(words(text))
    return (1 <= n <= HEADING_WORDS and text[:1].isupper() and not _HEADING_END.search(text)
            and starts_line(passage, j) and (j + 1 == len(sents) or starts_line(passage, j + 1)))


def heading_items(passages: Sequence[Passage], question_terms: set[str], plural: set[str],
                  limit: int, any_term: bool = True,
                  neighbor: Callable[[Passage, int], Passage | None] | None = None,
                  accept: Callable[[Passage], bool] | None = None
                  ) -> list[tuple[Passage, int, str]]:
    """The lines under a heading the question asks for: "Priority reviews that week?" on a page
    whose "Priority review" section lists three products is those three lines. A heading counts
    when at least half its terms are the question's, one of them written in the plural
    ("reviews", "approvals") unless `any_term` (a list question: "Which products got ODD?" and
    "Other designations"); its lines run to the next heading, across the document's next chunks
    (`neighbor`, up to HEADING_HOPS). The best-ranked passages only (HEADING_PASSAGES); at least
    two lines, else nothing. A heading in one of the next HEADING_SCAN chunks of their document
    counts too: a weekly list's "Priority review" section is rarely in its first chunk, which
    the search ranks first for the page's own words. A heading the question names whole ("Which
    CRL ...?" and "Complete response letters") may hold a single line."""
    # (with `accept`, the page named: the best five, the one named may rank lower)
    for p in _with_next(passages[:HEADING_PASSAGES if accept is None else HEADING_PASSAGES + 2], neighbor):
        if accept is not None and not accept(p):  # (`accept`: the page is the one asked about)
            continue
        sents = p.sentence_texts()
        for j in range(len(sents)):
            if not _is_heading(p, j):
                continue
            head = set(terms(sents[j]))
            shared = head & question_terms
            # (a heading of two words or more written whole, in a question with a plural:
            # "fast track grants in the Dec 6 list")
            whole = shared == head and len(head) >= 2 and bool(plural)
            if not shared or len(shared) * 2 < len(head) or not (any_term or shared & plural or whole):
                continue
            items = _section_lines(p, j, limit, neighbor)
            if len(items) >= 2 or whole and items:  # (a heading named whole may hold one line)
                return items
    return []


def _with_next(passages: Sequence[Passage],
               neighbor: Callable[[Passage, int], Passage | None] | None) -> Iterator[Passage]:
    """The passages, then the next HEADING_SCAN chunks after each (each chunk once)."""
    seen: set[str] = set()
    for p in passages:
        if p.id not in seen:
            seen.add(p.id)
            yield p
    for p in passages:
        nxt = p
        for _ in range(HEADING_SCAN if neighbor is not None else 0):
            nxt = neighbor(nxt, 1)
            if nxt is None:
                break
            if nxt.id not in seen:
                seen.add(nxt.id)
                yield nxt


def _section_lines(head: Passage, j: int, limit: int,
                   neighbor: Callable[[Passage, int], Passage | None] | None) -> list[tuple[Passage, int, str]]:
    """The lines after heading j of passage `head`, up to the next heading."""
    items: list[tuple[Passage, int, str]] = []
    for p, k, raw in following(head, j, neighbor, HEADING_HOPS):
        if len(items) >= limit or _is_heading(p, k):
            break
        if starts_line(p, k) and not is_chrome(raw) and not is_page_line(raw, p.title) and len(words(raw)) >= 3:
            items.append((p, k, raw))
    return items


def following(passage: Passage, j: int, neighbor: Callable[[Passage, int], Passage | None] | None,
              hops: int) -> Iterator[tuple[Passage, int, str]]:
    """The sentences after sentence j of `passage`, as (passage, index, text), on into the
    document's next chunks (at most `hops` of them): where a list or a section goes on."""
    k, hop = j + 1, 0
    while True:
        sents = passage.sentence_texts()
        if k >= len(sents):
            nxt = neighbor(passage, 1) if neighbor is not None and hop < hops else None
            if nxt is None:
                return
            passage, k, hop = nxt, 0, hop + 1
            continue
        yield passage, k, sents[k]
        k += 1


def compare_sides(ranked: list[Candidate], sides: Sequence[Sequence[Anchor]],
                  typed_wanted: bool, money: bool = False,
                  topic: Sequence[Anchor] = ()) -> list[Candidate | None]:
    """The best sentence for each side: one whose sentence, previous sentence or document title
    names that side (most of its names first), holding the kind of value asked for when the
    question asks for one; None for a side no sentence speaks to. With `money` (a comparison of
    size: "which deal was bigger"), a sentence stating an amount of money (a deal's value, not
    a price per share, `core.money.find_money`) goes before one that does not."""
    out: list[Candidate | None] = []
    for names in sides:
        best, best_key = None, None
        for c in ranked:
            vocab = window_terms(c) | _heading_terms(c.passage)
            hits = sum(anchor_in(a, vocab) for a in names)
            if not hits or not shares_a_term(c) and not c.typed:
                continue
            if typed_wanted and not c.typed:
                continue
            # the side's names (named in the sentence or the one before it, over named only
            # in the document's title: on a page of short items, the title is one item's), then
            # a fact over a quote, then the question's own terms (the deal's value over its
            # price per share), then the model's probability
            own = set(terms(f"{_before(c)} {c.text}"))
            # (and what the question asks about besides the sides: "Pieris-Genentech: do
            # BioWorld and Fierce agree?" wants each source's sentence on that deal)
            about = sum(anchor_in(a, vocab | own) for a in topic)
            key = (hits / len(names), about, sum(anchor_in(a, own) for a in names) / len(names),
                   not is_quote(c.text), money and bool(find_money(c.text)),
                   round(c.features[0], 2), c.prob)
            if best_key is None or key > best_key:
                best, best_key = c, key
        out.append(best)
    return out


def lead(passage: Passage, stats: CorpusStats) -> list[Candidate]:
    """A document's lead: its first LEAD_SENTENCES sentences of news (headline, byline, page
    lines, headings and quotes passed over), from its first chunks."""
    out: list[Candidate] = []
    head = stats.header(passage.source) or passage
    p, hops = head, 0
    while p is not None and hops < LEAD_CHUNKS and len(out) < LEAD_SENTENCES:
        for i, sent in enumerate(p.sentence_texts()):
            text = clean(sent)
            if len(words(text)) < 8 or is_chrome(sent) or is_page_line(sent, p.title) \
                    or is_quote(text) or any(_key(text) == _key(o.text) for o in out):
                continue
            p.rank, p.score = passage.rank or 1, passage.score
            out.append(Candidate(p, i, text, prob=1.0 - 0.001 * len(out)))
            if len(out) >= LEAD_SENTENCES:
                break
        p, hops = stats.neighbor(p, 1), hops + 1
    return out


def _same(a: Candidate, b: Candidate) -> bool:
    return _key(a.text) == _key(b.text)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def facet_sentences(chosen: list[Candidate], ranked: Sequence[Candidate],
                    wanted: Sequence[tuple[str, re.Pattern]], names: Sequence[Anchor],
                    window: Callable[[Candidate], set[str]]) -> list[Candidate]:
    """A question asking for several values at once ("Cambrex High Point: spend and job
    count?", `question.facets`): for each value no chosen sentence gives, the best-ranked
    sentence of the answer's document that gives it, in a chosen sentence's passage or naming
    one of the question's names (itself or the sentence before it: `window`), so a round-up's
    other plant does not lend its jobs."""
    if not chosen or not wanted:
        return []
    source = chosen[0].passage.source
    near = {c.passage.id for c in chosen}
    out: list[Candidate] = []
    for _, holds in wanted:
        if any(holds.search(c.text) for c in chosen + out):
            continue
        pick = next((c for c in ranked if c not in chosen and c not in out
                     and c.passage.source == source and holds.search(c.text)
                     and (c.passage.id in near or any(anchor_in(a, window(c)) for a in names))), None)
        if pick is not None:
            out.append(pick)
    return out
