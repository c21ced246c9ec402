"""Remove web-page chrome (navigation, sign-in forms, subscribe prompts, promotional footers).

Scraped articles carry the page around them: menus, search boxes, "top of page", password-reset
forms, newsletter prompts and house adverts. None of it may reach the index, or it could be
retrieved and cited. Three rules, applied to partitioned elements in document order:

1. *Boilerplate lines*: a short element matching a pattern that marks site furniture
   (sign-in and password forms, subscribe/newsletter prompts, cookie and legal notices, search
   boxes, "click on the image below" adverts, page anchors). Long paragraphs are never dropped by
   a pattern, so an article that *discusses* privacy policy keeps its text.
2. *Navigation blocks*: in a run of consecutive short lines, the span between the first and last
   line that looks like a site-section link ("Download in-depth eBooks...", "Join online
   webinars...") is dropped when most of its lines look like that. A menu is a block of such
   lines; a single one inside an article is left alone.
3. *Lead-ins*: a heading (or a short line ending in "?" or ":") whose section holds nothing but
   chrome goes with it ("Dive into the Biopharma Space" above a subscribe prompt).

HTML is cleaned structurally before partitioning as well (see `ingest.loading`): <nav>, <header>,
<footer>, <aside>, <form> and friends never reach the partitioner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

SHORT_LINE = 300  # rule 1 only applies to elements at most this long
NAV_LINE = 120  # a navigation block is made of lines at most this long
MIN_NAV_BLOCK = 4
NAV_DENSITY = 0.6
LEAD_IN_LINE = 150

_BOILERPLATE = [
    # page anchors and search boxes
    r"^(back to |skip to )?(the )?(top|bottom) of (the )?page\.?$",
    r"^skip to (main )?content",
    r"^back to top\.?$",
    r"^what are you (searching|looking) for\??$",
    r"^search( this site| the site)?\.?$",
    # sign-in, account and password forms
    r"\b(sign|log)[- ]?(in|up|out)\b",
    r"\bpassword\b",
    r"\bverification code\b",
    r"\benter (your|the) (account |e-?mail|\d+-digit)",
    r"\bresend (the )?code\b",
    r"\bspam folder\b",
    r"\bcreate (an|your) account\b",
    r"\bforgot (your )?(user ?name|password)\b",
    # subscribe and newsletter prompts
    r"\bsubscribe\b",
    r"\bnewsletter\b",
    r"\bstay (informed|up[- ]to[- ]date|updated|tuned)\b",
    r"\bkeep abreast\b",
    r"\bdon'?t miss (out|a)\b",
    # promotional footers and house adverts
    r"\bclick (on )?(the |this )?(image|banner|button|link|here)\b",
    r"\badvertis(e|ing) (with us|opportunities)\b|\badvertising opportunities\b",
    r"^sponsored\b|\bsponsored (content|post|links?)\b|\bcontent sponsored by\b",
    r"\bfollow us\b",
    r"\bshare (this (article|page|story|post)|on (facebook|twitter|linkedin|x)\b)",
    r"\bdownload (our|the) app\b",
    r"\bembark on\b",
    # cookie and legal notices
    r"\b(accept|use|uses|allow)( all)? cookies\b|\bcookie (policy|settings|preferences|notice)\b",
    r"\bprivacy (policy|notice|statement)\b",
    r"\bterms (and|&) conditions\b|\bterms of (use|service)\b",
    r"\ball rights reserved\b|©|\(c\) \d{4}",
    r"\beditorial (standards|guidelines|policy)\b",
    r"\bhandles your personal data\b",
    r"\bnot (intended as |to be construed as )?(investment|legal|financial|medical)"
    r"( or (investment|legal|financial|medical))? advice\b",
]
_BOILERPLATE_RE = re.compile("|".join(f"(?:{p})" for p in _BOILERPLATE), re.IGNORECASE)

# Lines that read like links to sections of a publisher's site.
_NAV_VERB = re.compile(
    r"^(explore|read|discover|browse|watch|download|view|listen|meet|engage|hear|join|find|access|"
    r"get|keep track|learn more|see|visit|check out|register|review|understand|contact)\b",
    re.IGNORECASE,
)
_NAV_VOCAB = re.compile(
    r"\b(e-?books?|white ?papers?|webinars?|podcasts?|brochures?|videos?|magazine|press releases?|"
    r"glossary|company profiles?|calendar|breaking news|latest (news|updates|issues)|"
    r"in-depth (articles|analysis|videos)|interviews?|q&a sessions?|live coverage|"
    r"industry (news|events|insights|leaders|experts)|expert (discussions|insights))\b",
    re.IGNORECASE,
)


@dataclass
class Piece:
    """The part of an element the filter looks at."""

    text: str
    is_title: bool = False


def is_boilerplate(text: str) -> bool:
    text = text.strip()
    return len(text) <= SHORT_LINE and bool(_BOILERPLATE_RE.search(text))


def _looks_like_nav(text: str) -> bool:
    text = text.strip()
    return len(text) <= NAV_LINE and bool(_NAV_VERB.search(text) or _NAV_VOCAB.search(text))


def chrome_mask(pieces: Sequence[Piece]) -> list[bool]:
    """True for each piece that is page chrome."""
    n = len(pieces)
    texts = [p.text.strip() for p in pieces]
    chrome = [is_boilerplate(t) or not t for t in texts]

    # Rule 2: navigation blocks inside runs of short lines.
    i = 0
    while i < n:
        if len(texts[i]) > NAV_LINE:
            i += 1
            continue
        j = i
        while j < n and len(texts[j]) <= NAV_LINE:
            j += 1
        marks = [k for k in range(i, j) if chrome[k] or _looks_like_nav(texts[k])]
        if marks:
            first, last = marks[0], marks[-1]
            span = last - first + 1
            if span >= MIN_NAV_BLOCK and len(marks) / span >= NAV_DENSITY:
                for k in range(first, last + 1):
                    chrome[k] = True
        i = j

    # Rule 3: lead-ins whose whole section is chrome. A section ends at the next heading that is
    # not chrome by rules 1 and 2 (one lead-in dropped here does not make the heading above it a
    # lead-in too: the last items of a list page, set as headings above a footer, stay), and a
    # line ending in a full stop is a sentence, not a lead-in.
    before = list(chrome)
    for k in range(n - 1, -1, -1):
        t = texts[k]
        if chrome[k] or len(t) > LEAD_IN_LINE or t.endswith("."):
            continue
        if not (pieces[k].is_title or t.endswith("?") or t.endswith(":")):
            continue
        section = []
        for m in range(k + 1, n):
            if pieces[m].is_title and not before[m]:
                break
            section.append(m)
        if section and all(chrome[m] for m in section):
            chrome[k] = True
    return chrome
