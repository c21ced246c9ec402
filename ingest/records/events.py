"""The date of the event a sentence states.

The first date in the sentence that dates the event: not a deadline or a forecast ("expected to
close in the fourth quarter of 2020", "by 2029", "operational in 2024"), not a founding year, not
an "accessed" or "published" date. Relative dates ("last month", "today", "in August") are
resolved against the document's own date. A sentence with no date that opens the document (the
headline or its first paragraphs) and reports the news in the present ("has agreed", "will
build", "said today") takes the document's date, quoted from its dateline. Otherwise: no date.
"""

from __future__ import annotations

import re

from ingest.records.dates import DateMention, find_dates
from ingest.records.document import Document, Sentence

_NOT_EVENT_BEFORE = re.compile(
    r"\b(?:expected|expects?|expecting|close|closing|closes|founded|accessed|published|results?|"
    r"within|due|scheduled|planned|targeted|aims?|aiming|start|starts|operational|operations|"
    r"ready|completion|reach|reaching|launch|finish|projected|forecast|estimated|enrolment|"
    r"enrollment|copyright)\W+(?:\w+\W+){0,4}$|\b(?:by|until|till|through|since|before|over|"
    r"from|between|to|after)\W+(?:the\s+(?:end|start|beginning)\s+of\s+)?$", re.I)
_NOT_EVENT_AFTER = re.compile(r"^\W*(?:and\s+(?:19|20)\d\d|to\s+(?:19|20)\d\d|-\s*(?:19|20)\d\d)",
                              re.I)
_NEWS_TENSE = re.compile(r"\b(?:has|have|is|are|will|to|today|this week|announced|announces|"
                         r"said|says|plans?|agreed|signed|granted|grants|gains|wins|gets|receives|"
                         r"acquires|buys|invests|expands|builds|approves)\b", re.I)


def _is_event_date(text: str, d: DateMention) -> bool:
    before = text[max(0, d.start - 60):d.start]
    if _NOT_EVENT_BEFORE.search(before):
        return False
    if _NOT_EVENT_AFTER.match(text[d.end:d.end + 12]):
        return False
    if d.kind == "year" and not re.search(r"\b(?:in|In|during|of|since)\s+$|(?:'s|’s)\s*$|^\s*$",
                                          before[-12:]) and \
            not re.match(r"\s+(?:acquisition|deal|agreement|purchase|approval|designation)",
                         text[d.end:d.end + 14]):
        return False
    return True


_ASIDE = re.compile(r",\s+(?:which|who|whose)\b[^,]*(?:,[^,]*)?,")


def _without_asides(text: str) -> str:
    """Relative clauses blanked out (same length): "Novartis, which hired a chief digital officer
    in 2017, has now tied up with ..." is not dated 2017."""
    return _ASIDE.sub(lambda m: " " * len(m.group(0)), text)


def event_date(doc: Document, sent: Sentence, kind: str) -> tuple[str, Sentence] | None:
    """(date, the sentence that states it) for an event stated in `sent`, or None."""
    for d in find_dates(_without_asides(sent.text), doc.anchor):
        if _is_event_date(sent.text, d):
            return d.value, sent
    if sent.lead and doc.date is not None and doc.date_sentence is not None and \
            _NEWS_TENSE.search(sent.text) and not re.search(r"\b(?:had|was|were)\b", sent.text):
        return doc.date.value, doc.date_sentence
    return None


def dates_in(doc: Document, sent: Sentence) -> list[DateMention]:
    text = _without_asides(sent.text)
    return [d for d in find_dates(text, doc.anchor) if _is_event_date(text, d)]
