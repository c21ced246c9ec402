"""Records as tables: the one service call behind `GET /v1/records` and the MCP `records` tool.

`RecordFilters.parse(...)` checks the filters (a `RecordQueryError` names the parameter and what
it accepts); `find_records(store, filters, collections)` returns the live records the caller's
collections hold, newest event first; `to_csv(records, type)` writes them as CSV, one row per
record. Both channels call these, so a filter means the same thing, and fails with the same
words, on either.

CSV: columns `id, type, source, date`, then per field of the type, in the fixed order of
FIELDS, the value and `<field>_quote` (money fields also `<field>_currency` after the value).
Without a type: the union of the three types' fields in that order. The field `date` of
regulatory events and facilities is the record's event date, so it has no second value column
(its quote is `date_quote`). Lists are joined with "; ". Every text cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe, so a spreadsheet shows it as
text instead of running it as a formula (CSV/formula injection: quotes are document text, and a
document can say anything); numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assistant.core.collections import collection_of
from assistant.index.records import TYPES, RecordQueryError, RecordStore, date_span

# The fields of each type, in column order (the extractor's order: ingest/records/extract.py).
FIELDS: dict[str, tuple[str, ...]] = {
    "deal": ("parties", "kind", "asset", "upfront", "milestones", "total", "announced"),
    "regulatory": ("agency", "action", "designation", "product", "sponsor", "indication", "date"),
    "facility": ("company", "site", "country", "capacity_liters", "investment", "jobs", "status",
                 "date"),
}
MONEY = frozenset({"upfront", "milestones", "total", "investment"})
BASE_COLUMNS = ("id", "type", "source", "date")
DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD"
FORMATS = ("json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UnknownSource(RecordQueryError):
    """A `source` that is not a live document of the caller's collections (one of another
    collection is unknown in the same words as one that does not exist)."""

    def __init__(self, source: str) -> None:
        super().__init__(f"unknown source: {source}")
        self.source = source


@dataclass(frozen=True)
class RecordFilters:
    type: str | None = None
    company: str | None = None
    since: str | None = None
    until: str | None = None
    min_usd: float | None = None
    source: str | None = None

    @classmethod
    def parse(cls, type: str | None = None, company: str | None = None,
              since: str | None = None, until: str | None = None,
              min_usd: Any = None, source: str | None = None) -> RecordFilters:
        """The filters, checked; RecordQueryError names the parameter and the accepted values.
        Blank values count as not given."""
        type, company, since, until, source = (_blank(v) for v in (type, company, since, until,
                                                                    source))
        if type is not None and type not in TYPES:
            raise RecordQueryError(f"type must be one of {', '.join(TYPES)}, not {type!r}")
        for name, value in (("since", since), ("until", until)):
            if value is not None and date_span(value) is None:
                raise RecordQueryError(f"{name} must be a date as {DATE_FORMS} (a real date), "
                                       f"not {value!r}")
        if since and until and date_span(since)[0] > date_span(until)[1]:
            raise RecordQueryError(f"since ({since}) is after until ({until})")
        amount = None
        if _blank(min_usd) is not None:
            try:
                amount = float(min_usd)
            except (TypeError, ValueError):
                raise RecordQueryError(f"min_usd must be a number of US dollars >= 0, not "
                                       f"{min_usd!r}") from None
            if not math.isfinite(amount) or amount < 0:
                raise RecordQueryError(f"min_usd must be a number of US dollars >= 0, not "
                                       f"{min_usd!r}")
        return cls(type, company, since, until, amount, source)

    def given(self) -> dict[str, Any]:
        """The filters that were given (for the audit line)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def _blank(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def find_records(store, filters: RecordFilters,
                 collections: Sequence[str] | None) -> list[dict[str, Any]]:
    """The live records matching `filters` that `collections` hold (None: every collection),
    as `{"id", "type", "source", "date", "fields"}`, newest event first (undated last).
    `store`: the ChunkStore. UnknownSource when `source` is not a document the caller sees."""
    if filters.source is not None:
        doc = store.live_records([filters.source]).get(filters.source)
        if doc is None or (collections is not None and collection_of(doc) not in collections):
            raise UnknownSource(filters.source)
    return RecordStore(store).query(filters.type, filters.company, filters.since, filters.until,
                                    filters.min_usd, filters.source, collections)


def columns(type: str | None) -> list[str]:
    """The CSV header for records of `type` (None: every type)."""
    cols = list(BASE_COLUMNS)
    for name in _fields(type):
        if name != "date":
            cols.append(name)
            if name in MONEY:
                cols.append(f"{name}_currency")
        cols.append(f"{name}_quote")
    return cols


def _fields(type: str | None) -> list[str]:
    names = FIELDS[type] if type else [f for t in TYPES for f in FIELDS[t]]
    return list(dict.fromkeys(names))


def row(record: dict[str, Any], type: str | None) -> list[Any]:
    """One record as a CSV row for `columns(type)`."""
    out: list[Any] = [record["id"], record["type"], record["source"], record.get("date")]
    fields = record.get("fields") or {}
    for name in _fields(type):
        cell = fields.get(name) or {}
        if name != "date":
            out.append(cell.get("value"))
            if name in MONEY:
                out.append(cell.get("currency"))
        out.append(cell.get("quote"))
    return [_cell(v) for v in out]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    return safe_text(str(value))


def safe_text(text: str) -> str:
    """`text` as a spreadsheet shows it: a leading apostrophe when it would start a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(records: Iterable[dict[str, Any]], type: str | None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)  # RFC 4180: CRLF line ends, quotes where needed
    writer.writerow(columns(type))
    for record in records:
        writer.writerow(row(record, type))
    return buf.getvalue()


def csv_filename(filters: RecordFilters) -> str:
    return f"records-{filters.type}.csv" if filters.type else "records.csv"


def summary(record: dict[str, Any]) -> str:
    """One line of text for a record (the MCP tool's text content)."""
    parts = []
    for name, cell in (record.get("fields") or {}).items():
        value = cell.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, float) and value.is_integer():
            value = f"{int(value):,}"
        if cell.get("currency"):
            value = f"{cell['currency']} {value}"
        if cell.get("qualifier"):
            value = f"{cell['qualifier']} {value}"
        parts.append(f"{name}: {value}")
    return (f"- {record['type']}, {record.get('date') or 'undated'} ({record['source']}; "
            f"{record['id']}): " + "; ".join(parts))
