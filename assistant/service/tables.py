"""Answers from tables: a question that asks for a list, a count or a ranking of deals, regulatory
events or manufacturing sites ("List all deals over $1 billion", "How many FDA approvals in
2024?", "Which EMA orphan designations are mentioned?", "What are the largest deals?") is
answered from the records extracted at ingest (`ingest/records/`, `GET /v1/records`), not from
sentences: a short lead, then one line per record in which every cell carries the [n] of the
verbatim quote that states it. The JSON response carries the records as data too.

Where the question is not of that form, or no record fits its filters, `answer_from_tables`
returns None and the question is answered from passages as before. The records hold what the
extractor found (docs/records.md gives its measured recall): the lead says the list is of the
records found, and points to the full table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answers.types import ANSWERED, Answer, Citation
from assistant.core import aliases
from assistant.core.text import MONTHS
from assistant.index.records import RecordStore, StoredRecord

MAX_ROWS = 15
# What kind of record the question asks for: its first such word decides.
_TYPE_WORDS = [
    ("deal", (r"deals?|acquisitions?|buyouts?|mergers?|licen[cs]es|licen[cs]ing deals?|"
              r"collaborations?|partnerships?|transactions?|agreements?|investments?|financings?|"
              r"funding rounds?|venture rounds?")),
    ("regulatory", (r"approvals?|designations?|clearances?|complete response letters?|CRLs?|"
                    r"regulatory (?:events?|actions?|decisions?|milestones?)")),
    ("facility", (r"sites?|plants?|facilities|facility|factories|manufacturing (?:sites?|capacity)|"
                  r"expansions?|bioreactor capacity")),
]
_TYPE = re.compile(r"\b(?:" + "|".join(f"(?P<{t}>{w})" for t, w in _TYPE_WORDS) + r")\b",
                   re.IGNORECASE)
# ... and asks for all of them, a ranking or a filter, in so many words (not one fact about one
# deal, nor what one article "highlights": those are told best by its sentences).
_WORDS = "|".join(w for _, w in _TYPE_WORDS)
_LIST = re.compile(r"^\s*(?:please\s+)?(?:list|show(?: me)?|give me|enumerate|tabulate)\b|"
                   r"\b(?:all|every|each)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:" + _WORDS + r")\b|"
                   r"^\s*(?:which|what)\s+(?:\w+\s+){0,3}?(?:" + _WORDS + r")\s+(?:[\w$.]+\s+){0,3}?(?:are|were|have been|"
                   r"has been)\s+(?:mentioned|listed|reported|announced|named|covered|described|"
                   r"in the (?:documents|articles|corpus))\b", re.IGNORECASE)
# "Which approvals does the PharmaFile page report?": a plural record word, then what a text says
_REPORTED = re.compile(r"^\s*(?:which|what)\s+(?:[\w-]+\s+){0,3}?(?P<what>" + _WORDS + r")\s+"
                       r"(?:[\w$.'’-]+\s+){0,6}?(?:do|does|did)\s+(?:[\w'’-]+\s+){1,5}?"
                       r"(?:report|mention|list|name|cover)\b", re.IGNORECASE)
# "Which products did the FDA approve ...", "Which candidates got fast track status ...": a list of
# regulatory events asked for by what they were granted to, with no record word in the question.
_ITEMS = re.compile(r"^\s*(?:(?:which|what)\s+(?:[\w-]+\s+){0,2}?|(?:please\s+)?(?:list|name|show(?:\s+me)?|"
                    r"give\s+me)\s+(?:all\s+)?(?:the\s+)?(?:[\w-]+\s+){0,2}?)(?:products|drugs|medicines|candidates|"
                    r"therapies|treatments|applications|assets|vaccines|biologics|molecules|"
                    r"programs|programmes|compounds)\b", re.IGNORECASE)
_GRANTED = re.compile(r"\b(?:approv(?:e|ed|es)|cleared|granted|got|received|won|earned|hold|holds|"
                      r"held|recommend(?:ed|s)?|backed|endorsed)\b", re.IGNORECASE)
_COUNT = re.compile(r"^\s*how many\b", re.IGNORECASE)
_RANK = re.compile(r"\b(?:largest|biggest|highest|top\s*(?P<n>\d{1,2})?|most valuable|"
                   r"smallest|most recent|latest|newest)\b", re.IGNORECASE)
# A deal word that names its kind ("acquisitions", "licensing deals") narrows to that kind.
_KINDS = {"acquisition": r"acquisitions?|buyouts?", "license": r"licen[cs]es|licen[cs]ing deals?",
          "collaboration": r"collaborations?|partnerships?",
          "investment": r"investments?|financings?|funding rounds?|venture rounds?",
          "merger": r"mergers?"}
_CAPACITY = re.compile(r"\b(?:capacity|liters?|litres?|bioreactors?|volume)\b", re.IGNORECASE)
_SMALLEST = re.compile(r"\bsmallest\b", re.IGNORECASE)
_RECENT = re.compile(r"\b(?:most recent|latest|newest)\b", re.IGNORECASE)
_MONEY = re.compile(r"\b(?:over|above|more than|greater than|at least|exceeding|bigger than|"
                    r"larger than)\s*(?:US\s?)?\$\s?(?P<n>\d+(?:\.\d+)?)\s*(?P<s>billion|bn|b|"
                    r"million|mn|m)\b", re.IGNORECASE)
_QUARTER = re.compile(r"\b(?:in\s+)?(?:Q(?P<q>[1-4])|(?P<qw>first|second|third|fourth) quarter"
                      r"(?: of)?)\s*(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE)
_SINCE = re.compile(r"\b(?:since|after|from)\s+(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(?:before|until|through|up to)\s+(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:in|during|of)\s+(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE)
_AGENCIES = {"FDA": r"FDA|Food and Drug Administration", "EMA": r"EMA|European Medicines Agency|CHMP",
             "European Commission": r"European Commission", "NMPA": r"NMPA",
             "MHRA": r"MHRA", "PMDA": r"PMDA", "Health Canada": r"Health Canada",
             "MHLW": r"MHLW|Ministry of Health, Labou?r and Welfare"}
_DESIGNATIONS = {"orphan": r"orphan", "breakthrough": r"breakthrough", "fast_track": r"fast[- ]track",
                 "rmat": r"RMAT", "prime": r"PRIME", "priority_review": r"priority review",
                 "accelerated_approval": r"accelerated approval",
                 "qidp": r"QIDP|qualified infectious disease product"}
_APPROVAL = re.compile(r"\bapprov(?:al|als|ed)\b", re.IGNORECASE)
_DESIGNATION = re.compile(r"\bdesignations?\b", re.IGNORECASE)
_NAME = re.compile(r"(?<![\w-])[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*)*")
_NOT_NAMES = {"which", "what", "list", "show", "how", "name", "give", "all", "the", "in", "of",
              "q1", "q2", "q3", "q4", "us", "u.s.", "eu", "europe", "china", "japan", "bla", "nda",
              "maa", "cdmo", "cdmos", "car-t", "ind",
              # months are not companies ("in the week ended Dec. 20")
              "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
              "january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december"}
_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_PLURAL = {"deal": "deals", "regulatory": "regulatory events", "facility": "facilities"}


@dataclass
class TableQuery:
    type: str
    kind: str | None = None  # deals: acquisition, license, ... when the question names one
    rank: str | None = None  # "largest" | "smallest" | "recent"
    top: int | None = None
    since: str | None = None
    until: str | None = None
    min_usd: float | None = None
    agency: str | None = None
    designation: str | None = None
    action: str | None = None
    names: list[str] = field(default_factory=list)  # companies or products the question names
    by_capacity: bool = False  # facilities ranked by bioreactor capacity, not by investment
    said: list[str] = field(default_factory=list)  # the filters in words, for the lead


def table_query(question: str) -> TableQuery | None:
    """The table a question asks for, or None when it asks for something else."""
    m = _TYPE.search(question)
    items = _ITEMS.search(question) and _GRANTED.search(question) and (
        re.search(r"\b(?:agency|agencies|regulators?)\b", question, re.IGNORECASE) or
        any(re.search(rf"\b(?:{p})\b", question) for p in _AGENCIES.values()) or any(
            re.search(rf"\b(?:{p})\b", question, re.IGNORECASE if n != "prime" else 0)
            for n, p in _DESIGNATIONS.items())) and (m is None or m.lastgroup == "regulatory")
    if m is None and not items:
        return None
    # A count ("How many deals ...?") is not answered from the tables: they hold what the
    # extractor found, and a document that states the count is better evidence than a tally.
    if _COUNT.search(question):
        return None
    rank = _RANK.search(question)
    money = _MONEY.search(question)
    reported = _REPORTED.search(question)
    listed = _LIST.search(question) or (reported and reported.group("what").lower().endswith("s"))
    if not (rank or money or items or listed):
        return None
    q = TableQuery(type="regulatory" if items else m.lastgroup)
    if q.type == "deal" and m is not None:
        q.kind = next((k for k, pattern in _KINDS.items()
                       if re.fullmatch(pattern, m.group(0), re.IGNORECASE)), None)
    if rank:
        q.rank = ("smallest" if _SMALLEST.search(question) else
                  "recent" if _RECENT.search(question) else "largest")
        q.top = int(rank.group("n")) if rank.group("n") else None
        q.by_capacity = q.type == "facility" and bool(_CAPACITY.search(question))
    if money:
        scale = 1e9 if money.group("s").lower().startswith("b") else 1e6
        q.min_usd = float(money.group("n")) * scale
        q.said.append(f"over ${money.group('n')} {'billion' if scale == 1e9 else 'million'}")
    _dates(question, q)
    for name, pattern in _AGENCIES.items():
        if re.search(rf"\b(?:{pattern})\b", question):
            q.agency = name
            break
    for name, pattern in _DESIGNATIONS.items():
        if re.search(rf"\b(?:{pattern})\b", question, re.IGNORECASE if name != "prime" else 0):
            q.designation = name
            break
    if q.designation == "orphan" and re.search(r"\borphan\s+(?:drugs|medicines|products)\b", question,
                                               re.IGNORECASE) and re.search(r"\bapprov", question, re.IGNORECASE) \
            and not re.search(r"\b(?:designat\w*|status)\b", question, re.IGNORECASE):
        q.designation = None  # "Which orphan drugs did the FDA approve?": approvals of them
    if q.type == "regulatory":
        approval = _APPROVAL.search(question) or (items and re.search(r"\bapprov", question, re.IGNORECASE))
        q.action = ("approval" if approval and not _DESIGNATION.search(question) and not q.designation
                    else "designation" if _DESIGNATION.search(question) or q.designation else None)
    q.names = _names(question, q)
    return q


_MONTH_YEAR = re.compile(r"\b(?:in|during|of)\s+(?P<m>January|February|March|April|May|June|July|"
                         r"August|September|October|November|December)\s+(?P<y>(?:19|20)\d\d)\b",
                         re.IGNORECASE)


def _dates(question: str, q: TableQuery) -> None:
    quarter = _QUARTER.search(question)
    if quarter:
        n = int(quarter.group("q") or _QUARTERS[quarter.group("qw").lower()])
        y = quarter.group("y")
        q.since, q.until = f"{y}-{3 * n - 2:02d}", f"{y}-{3 * n:02d}"
        q.said.append(f"in Q{n} {y}")
        return
    month = _MONTH_YEAR.search(question)
    if month:  # "in February 2021": that month
        n = MONTHS[month.group("m").lower()]
        q.since = q.until = f"{month.group('y')}-{n:02d}"
        q.said.append(f"in {month.group('m')} {month.group('y')}")
        return
    since, before, year = _SINCE.search(question), _BEFORE.search(question), _YEAR.search(question)
    if since:
        q.since = since.group("y")
        q.said.append(f"since {q.since}")
    if before:
        q.until = str(int(before.group("y")) - 1) if before.group(0).lower().startswith("before") \
            else before.group("y")
        q.said.append(before.group(0))
    if year and not since and not before:
        q.since = q.until = year.group("y")
        q.said.append(f"in {q.since}")


def _names(question: str, q: TableQuery) -> list[str]:
    """Names of companies or products the question narrows to: capitalised runs that are not
    question words, agencies, designations or the record words themselves."""
    out = []
    for m in _NAME.finditer(question):
        words = [w for w in m.group(0).split()
                 if re.sub(r"['’]s$", "", w.lower()).strip(",.?") not in _NOT_NAMES]
        name = " ".join(words).strip(" ,.?")
        name = re.sub(r"['’]s$", "", name)
        if not name or _TYPE.fullmatch(name) or any(
                re.fullmatch(p, name, re.IGNORECASE) for p in _AGENCIES.values()) or any(
                re.fullmatch(p, name, re.IGNORECASE) for p in _DESIGNATIONS.values()):
            continue
        if m.start() == 0 and not aliases.known(name):
            continue  # the question's first word ("Show", "Which") unless it is a company
        out.append(name)
    return out


def _matches(r: StoredRecord, q: TableQuery) -> bool:
    f = r.fields
    if q.kind and (f.get("kind") or {}).get("value") != q.kind:
        return False
    if q.agency and (f.get("agency") or {}).get("value") != q.agency:
        return False
    if q.designation and (f.get("designation") or {}).get("value") != q.designation:
        return False
    action = (f.get("action") or {}).get("value")
    if q.action and action != q.action and not (  # a conditional or tentative approval is one
            q.action == "approval" and str(action).endswith("_approval")):
        return False
    return all(_names_it(r, name, _NAMING_FIELDS) for name in q.names)


# The cells that name a company, and those that name anything a question may narrow to.
_COMPANY_FIELDS = ("parties", "sponsor", "company")
_NAMING_FIELDS = _COMPANY_FIELDS + ("asset", "product", "site", "country", "indication")


def _names_it(r: StoredRecord, name: str, fields: Sequence[str]) -> bool:
    """Does the record name `name`: one of its companies by any alias, or one of `fields`?"""
    canonical = aliases.table().find(name)
    if canonical and canonical in r.companies:
        return True
    said = list(r.companies)
    for field_name in fields:
        v = (r.fields.get(field_name) or {}).get("value")
        said.extend(v if isinstance(v, list) else [v] if v else [])
    return any(re.search(rf"\b{re.escape(name)}", str(x), re.IGNORECASE) for x in said)


def _capacity(r: StoredRecord) -> float | None:
    v = (r.fields.get("capacity_liters") or {}).get("value")
    return float(v) if v is not None else None


def find(store, q: TableQuery, collections: Sequence[str] | None,
         sources: Sequence[str] | None, view=None) -> list[StoredRecord]:
    """The records the query asks for; none when it names a product rather than a company (one
    product's events are told best by its sentences, which the extractor may not all cover).
    A name no record holds but a document's title does ("in the Endpoints roundup", "S&P's FDA
    Watch") narrows to that document (`q.names` and `q.said` are updated)."""
    rows = RecordStore(store).rows(q.type, None, q.since, q.until, q.min_usd, None, collections)
    rows = [r for r in rows if not sources or r.source in sources]
    for name in list(q.names):
        if any(_names_it(r, name, _NAMING_FIELDS) for r in rows):
            continue
        titled = {r.source for r in rows if re.search(
            rf"(?<!\w){re.escape(name)}(?!\w)", f"{_title(view, r.source)} {r.source.replace('-', ' ')}",
            re.IGNORECASE)}
        if titled:
            rows = [r for r in rows if r.source in titled]
            q.names.remove(name)
            if len(titled) == 1:
                source = next(iter(titled))
                title = _title(view, source)
                q.said.append(f"in “{source if re.search(r'https?://|^Source:', title) else title}”")
    rows = [r for r in rows if _matches(r, q)]
    if any(not any(_names_it(r, name, _COMPANY_FIELDS) for r in rows) for name in q.names):
        return []
    if q.rank in ("largest", "smallest"):
        size = _capacity if q.by_capacity else (lambda r: r.usd)
        rows = [r for r in rows if size(r) is not None]
        rows.sort(key=size, reverse=q.rank == "largest")
    if q.top:
        rows = rows[:q.top]
    return rows


def answer_from_tables(question: str, store, view, collections: Sequence[str] | None = None,
                       sources: Sequence[str] | None = None) -> Answer | None:
    """The table answer to `question`, or None (not a table question, or no record fits).
    `view`: the index view (document titles)."""
    q = table_query(question)
    if q is None:
        return None
    rows = find(store, q, collections, sources, view)
    if not rows:
        return None
    return compose(q, rows, view)


def compose(q: TableQuery, rows: list[StoredRecord], view) -> Answer:
    shown = rows[:MAX_ROWS]
    cites: dict[tuple[str, str], Citation] = {}
    lines, items = [], []
    for r in shown:
        cells, used = _cells(r), []
        parts: list[str] = []
        for i, (text, cell) in enumerate(cells):
            key = (r.source, cell["quote"])
            if key not in cites:
                cites[key] = Citation(n=len(cites) + 1, source=r.source, title=_title(view, r.source),
                                      text=cell["quote"], page=cell.get("page"), score=1.0)
            n = cites[key].n
            nxt = cells[i + 1][1]["quote"] if i + 1 < len(cells) else None
            # cells stated by the same quote share its marker, after the last of them
            parts.append(text if nxt == cell["quote"] else f"{text} [{n}]")
            used.append(n)
        line = ", ".join(parts)
        lines.append(f"- {line}")
        items.append({"text": line, "citations": sorted(set(used))})
    answer = "\n".join([_lead(q, rows, len(shown))] + lines)
    if len(rows) > len(shown):
        answer += f"\n…and {len(rows) - len(shown)} more (GET /v1/records lists them all)."
    return Answer(answer=answer, citations=list(cites.values()), abstained=False,
                  generator="records", kind=ANSWERED, shape="table", items=items,
                  extra={"records": [r.public() for r in shown], "records_total": len(rows)})


def _lead(q: TableQuery, rows: list[StoredRecord], shown: int) -> str:
    """"The documents' tables hold 3 FDA approvals in 2024, largest first (...):"."""
    one = len(rows) == 1
    what = {"deal": q.kind or "deal", "regulatory": "regulatory event", "facility": "facility"}[q.type]
    if q.type == "regulatory" and q.action in ("approval", "designation"):
        what = q.action
        if q.designation:
            what = f"{q.designation.replace('_', ' ')} {what}"
    if not one:
        what = _PLURAL.get(what, "facilities" if what == "facility" else f"{what}s")
    agency = f"{q.agency} " if q.agency else ""
    names = f" of {', '.join(q.names)}" if q.names else ""
    filters = "".join(f" {s}" for s in q.said)
    order = {"largest": ", largest first", "smallest": ", smallest first"}.get(q.rank or "", "")
    return (f"The documents' tables hold {len(rows)} {agency}{what}{names}{filters}{order} "
            f"(each value cites the sentence that states it):")


def _title(view, source: str) -> str:
    head = view.header(source) if view is not None and hasattr(view, "header") else None
    return (head.title if head is not None and head.title else source)


def _money(cell: dict) -> str:
    v, cur = float(cell["value"]), cell.get("currency") or "USD"
    sign = "$" if cur == "USD" else f"{cur} "
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if v >= scale:
            text = f"{v / scale:.2f}".rstrip("0").rstrip(".")
            return f"{cell.get('qualifier') + ' ' if cell.get('qualifier') else ''}{sign}{text} {word}"
    return f"{sign}{v:,.0f}"


def _cells(r: StoredRecord) -> list[tuple[str, dict[str, Any]]]:
    """The record's cells as words, in reading order, each with its cell (value and quote)."""
    f = r.fields
    out: list[tuple[str, dict]] = []

    def add(name: str, fmt) -> None:
        cell = f.get(name)
        if cell and cell.get("value") not in (None, "", []) and cell.get("quote"):
            out.append((fmt(cell), cell))

    if r.type == "deal":
        add("parties", lambda c: " & ".join(c["value"]) if isinstance(c["value"], list) else str(c["value"]))
        add("kind", lambda c: str(c["value"]))
        add("asset", lambda c: f"for {c['value']}")
        add("upfront", lambda c: f"{_money(c)} upfront")
        add("milestones", lambda c: f"{_money(c)} in milestones")
        add("total", lambda c: f"{_money(c)} in total")
        add("announced", lambda c: f"announced {c['value']}")
    elif r.type == "regulatory":
        add("agency", lambda c: str(c["value"]))
        if not (f.get("designation") and (f.get("action") or {}).get("value") == "designation"):
            add("action", lambda c: str(c["value"]).replace("_", " "))  # (else the next says it)
        add("designation", lambda c: f"{str(c['value']).replace('_', ' ')} designation")
        add("product", lambda c: f"for {c['value']}")
        add("sponsor", lambda c: f"({c['value']})")
        add("indication", lambda c: f"in {c['value']}")
        add("date", lambda c: str(c["value"]))
    else:
        add("company", lambda c: str(c["value"]))
        add("site", lambda c: str(c["value"]))
        add("country", lambda c: str(c["value"]))
        add("capacity_liters", lambda c: f"{float(c['value']):,.0f} L")
        add("investment", lambda c: f"{_money(c)} invested")
        add("jobs", lambda c: f"{int(float(c['value'])):,} jobs")
        add("status", lambda c: str(c["value"]).replace("_", " "))
        add("date", lambda c: str(c["value"]))
    return out
