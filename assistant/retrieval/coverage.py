"""Passages for the names one search left out.

One search for "Largest M&A among Collegium/BDSI, Shionogi/Torii and Roche/89bio?" returns the
passages of whichever deal its terms match best: twelve chunks of one article, none naming
Collegium. A question that names several things (a comparison's sides, a list of deals, a
company and a publication) needs a passage for each, so after the question's own search:

- each side of a comparison that no retrieved passage names is searched for on its own, with
  the question's other words ("Radiance/Novatim" + "bigger upfront");
- each other name of the question that no retrieved passage holds, and that the index does hold,
  likewise ("Collegium", "BioSpace").

The best such passage that names what was missing joins the passages, after the question's own
(at most MAX_EXTRA of them). Nothing is dropped: the answerer still reads the question's own
passages first, and a name the index does not hold at all is left to the premise check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.retrieval.anchors import (
    Anchor,
    anchor_in,
    passage_vocabulary,
    question_anchors,
)

MAX_EXTRA = 4  # passages added per question
PER_SEARCH = 4  # passages each extra search reads
MAX_SEARCHES = 4


def _rest(question: str, surfaces: Sequence[str]) -> str:
    """The question without the given names: what is asked of them."""
    out = question
    for s in sorted(set(surfaces), key=len, reverse=True):
        out = re.sub(rf"(?<!\w){re.escape(s)}(?:['’]s)?(?!\w)", " ", out)
    return " ".join(out.split())


def uncovered(question: str, passages: Sequence, known: Callable[[str], bool],
              sides: Sequence[tuple[str, Sequence[Anchor]]] = ()) -> list[tuple[str, list[Anchor]]]:
    """The searches still to make: (query, the names its passage must hold). `known(term)`:
    whether the index holds a term; `sides`: a comparison's sides as (label, names)."""
    vocabs = [passage_vocabulary(p) for p in passages]
    everywhere = set().union(*vocabs) if vocabs else set()
    anchors = [a for a in question_anchors(question)
               if not a.numeric or re.search(r"[A-Za-z]", a.surface)]
    surfaces = [a.surface for a in anchors] + [label for label, _ in sides]
    rest = _rest(question, surfaces)
    out: list[tuple[str, list[Anchor]]] = []
    covered: set[str] = set()
    for label, names in sides:
        names = [a for a in names if known(a.term)]
        if not names or any(all(anchor_in(a, v) for a in names) for v in vocabs):
            covered.update(a.term for a in names)
            continue
        out.append((f"{label} {rest}".strip(), list(names)))
        covered.update(a.term for a in names)
    for a in anchors:
        if a.term in covered or anchor_in(a, everywhere) or not known(a.term):
            continue
        out.append((f"{a.surface} {rest}".strip(), [a]))
    return out[:MAX_SEARCHES]


def cover(search: Callable[[str, int], list], passages: list,
          searches: Sequence[tuple[str, Sequence[Anchor]]]) -> list:
    """`passages` and, for each search, its best passage holding all its names (or, failing
    that, the most of them) that is not there yet."""
    out = list(passages)
    have = {p.id for p in out}
    extra_vocabs: list[set[str]] = []  # of the passages added
    for query, names in searches:
        if len(extra_vocabs) >= MAX_EXTRA:
            break
        if any(all(anchor_in(a, v) for a in names) for v in extra_vocabs):
            continue  # an earlier extra passage already names them
        best, best_hits, best_vocab = None, 0, set()
        for p in search(query, PER_SEARCH):
            if p.id in have:
                continue
            vocab = passage_vocabulary(p)
            hits = sum(anchor_in(a, vocab) for a in names)
            if hits > best_hits:
                best, best_hits, best_vocab = p, hits, vocab
            if hits == len(names):
                break
        if best is not None:
            best.rank = len(out) + 1
            out.append(best)
            have.add(best.id)
            extra_vocabs.append(best_vocab)
    return out
