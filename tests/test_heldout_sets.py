"""The frozen held-out eval sets made for issues 24 and 20 (eval/data/heldout2/, eval/data/heldout3/),
each checked the same way: it loads, has the required mix of questions, every gold quote is an exact
span of its document and carries the question's key facts, every document is used, listed in
SOURCES.md and carries its source, none of its documents is a document (or a source address) of the
corpus, the trade-press set, another held-out set or the records development set, no question
repeats one of theirs, and the gold record table is well formed with every cell quoted verbatim.

Structural checks of the data only. Unlike tests/test_heldout_set.py there is no ingest test: the
ingest pipeline runs the record extractor, and nothing runs on these sets before they are used."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from eval.dataset import CATEGORIES, EvalQuestion, load, normalize_ws
from tests.test_eval_sets import document_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "eval" / "data"


@dataclass(frozen=True)
class HeldOut:
    name: str  # the folder under eval/data
    prefix: str  # question ids: h2_001, ...
    min_questions: int
    min_multi_document: int
    min_documents: int
    min_records: int
    # (file-name prefixes of its deal articles, how many): the mix SOURCES.md states
    deal_files: tuple[tuple[str, ...], int] | None = None
    # extra wordings of an agency or a country its gold records use
    agency_wording: dict = field(default_factory=dict)
    country_wording: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return DATA / self.name

    @property
    def docs(self) -> Path:
        return self.folder / "docs"

    @property
    def questions(self) -> list[EvalQuestion]:
        return load(self.folder / f"{self.name}_eval.jsonl")

    def records(self) -> list[dict]:
        path = self.folder / "records_gold.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


SETS = [
    HeldOut("heldout2", "h2", min_questions=64, min_multi_document=4, min_documents=13, min_records=25,
            # Japan's Ministry of Health, Labour and Welfare; the tag page's headlines say "Japan approves"
            agency_wording={"MHLW": ("mhlw", "ministry of health, labour and welfare", "japan approves")},
            country_wording={"US": ("us", "u.s.", "united states")}),
    HeldOut("heldout3", "h3", min_questions=72, min_multi_document=5, min_documents=14, min_records=30,
            deal_files=(("abbvie-", "pfizer-", "sanofi-teva-", "merck-kelun-", "jnj-"), 5),
            country_wording={"US": ("(us)", "u.s.", "united states"),
                             "South Korea": ("south korea", "republic of korea")}),
    HeldOut("heldout4", "h4", min_questions=78, min_multi_document=6, min_documents=16, min_records=29),
    HeldOut("heldout5", "h5", min_questions=78, min_multi_document=6, min_documents=16, min_records=27),
    HeldOut("heldout6", "h6", min_questions=66, min_multi_document=6, min_documents=12, min_records=32),
    HeldOut("heldout7", "h7", min_questions=74, min_multi_document=8, min_documents=15, min_records=52,
            # the UK approval is written "U.K. regulatory approval"
            agency_wording={"MHRA": ("mhra", "u.k. regulatory")}),
    HeldOut("heldout8", "h8", min_questions=91, min_multi_document=7, min_documents=14, min_records=46),
    HeldOut("heldout9", "h9", min_questions=96, min_multi_document=9, min_documents=14, min_records=53),
    HeldOut("heldout10", "h10", min_questions=92, min_multi_document=7, min_documents=15, min_records=60,
            # the BioCentury table writes "Japan approves", "Canada and FDA approve" and "South Korea approves"
            agency_wording={"MHLW": ("mhlw", "ministry of health, labour and welfare", "japan approves"),
                            "Health Canada": ("health canada", "canada and fda approve"),
                            "MFDS": ("mfds", "south korea approves")}),
    HeldOut("heldout11", "h11", min_questions=92, min_multi_document=8, min_documents=14, min_records=57),
    HeldOut("heldout12", "h12", min_questions=89, min_multi_document=8, min_documents=14, min_records=60,
            # the Week in Review writes China's regulator as "CFDA"
            agency_wording={"CFDA": ("cfda",)}),
]
BY_NAME = {s.name: s for s in SETS}
# every other set's documents, sources and questions: none may be shared
OTHER_DOC_FOLDERS = [ROOT / "corpus", DATA / "tradepress" / "docs", DATA / "heldout" / "docs",
                     DATA / "records_dev" / "docs"]
OTHER_SOURCES = [DATA / "tradepress" / "SOURCES.md", DATA / "heldout" / "SOURCES.md"]
OTHER_SETS = [DATA / "corpus_eval.jsonl", DATA / "tradepress_eval.jsonl", DATA / "heldout" / "heldout_eval.jsonl"]


def _others(s: HeldOut) -> tuple[list[Path], list[Path], list[Path]]:
    rest = [o for o in SETS if o is not s]
    return (OTHER_DOC_FOLDERS + [o.docs for o in rest], OTHER_SOURCES + [o.folder / "SOURCES.md" for o in rest],
            OTHER_SETS + [o.folder / f"{o.name}_eval.jsonl" for o in rest])


@pytest.fixture(scope="module", params=[s.name for s in SETS])
def held(request) -> HeldOut:
    return BY_NAME[request.param]


_TEXTS: dict[str, dict[str, str]] = {}


def texts_of(s: HeldOut) -> dict[str, str]:
    if s.name not in _TEXTS:
        _TEXTS[s.name] = {p.name: normalize_ws(document_text(p)) for p in sorted(s.docs.iterdir()) if p.is_file()}
    return _TEXTS[s.name]


ANSWERABLE = [(s, q) for s in SETS for q in s.questions if q.answerable]


# --- the question set --------------------------------------------------------------------------------

def test_set_loads_with_required_counts(held):
    questions = held.questions
    cats = Counter(q.category for q in questions)
    assert set(cats) <= CATEGORIES
    assert len(questions) >= held.min_questions
    assert cats["unanswerable"] >= 12
    assert cats["list"] + cats["comparison"] >= 15
    assert cats["comparison"] >= 1 and cats["list"] >= 1
    assert cats["multi_document"] >= held.min_multi_document
    assert cats["factoid"] + cats["number_date"] + cats["definition"] >= 20
    assert all(not q.answerable for q in questions if q.category == "unanswerable")
    assert all(q.answerable for q in questions if q.category != "unanswerable")
    # multi-document questions really cite more than one article
    assert all(len(q.gold_sources) > 1 for q in questions if q.category == "multi_document")
    # unanswerable items carry no gold, and say why in the reference answer
    for q in questions:
        if not q.answerable:
            assert not q.gold and not q.key_facts and q.reference_answer.strip(), q.id
        for fact in q.key_facts:
            assert fact and all(v.strip() for v in fact), q.id
        assert q.question.strip() and q.reference_answer.strip(), q.id


def test_ids_and_questions_are_unique(held):
    questions = held.questions
    ids = [q.id for q in questions]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(rf"{held.prefix}_\d{{3}}", i) for i in ids), ids
    assert ids == sorted(ids)
    assert len({q.question for q in questions}) == len(questions)


def test_no_question_is_shared_with_another_set(held):
    mine = {normalize_ws(q.question).lower() for q in held.questions}
    for path in _others(held)[2]:
        theirs = {normalize_ws(json.loads(line)["question"]).lower()
                  for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
        assert not mine & theirs, (path.name, mine & theirs)


def test_documents_and_formats(held):
    texts = texts_of(held)
    assert len(texts) >= held.min_documents
    if held.deal_files:  # the mix of kinds SOURCES.md states
        prefixes, n = held.deal_files
        assert sum(name.startswith(prefixes) for name in texts) == n
    suffixes = Counter(Path(n).suffix for n in texts)
    assert set(suffixes) == {".txt", ".html", ".md"}
    assert 2 <= suffixes[".md"] <= 3
    assert suffixes[".html"] >= 3 and suffixes[".txt"] >= 3
    for name in texts:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*\.(txt|md|html)", name), name


def test_html_documents_keep_chrome_in_page_tags(held):
    for p in held.docs.glob("*.html"):
        raw = p.read_text(encoding="utf-8")
        for tag in ("<header", "<nav", "<aside", "<footer", "<article"):
            assert tag in raw, (p.name, tag)


def test_every_document_is_used_and_listed_in_sources(held):
    texts = texts_of(held)
    used = {g.source for q in held.questions for g in q.gold}
    assert used <= set(texts), used - set(texts)
    assert set(texts) <= used, f"documents no question uses: {set(texts) - used}"
    listed = (held.folder / "SOURCES.md").read_text(encoding="utf-8")
    for name in texts:
        assert f"`{name}`" in listed, f"{name} missing from SOURCES.md"


def test_documents_carry_their_source_url_date_and_publisher(held):
    sources = (held.folder / "SOURCES.md").read_text(encoding="utf-8")
    for name in texts_of(held):
        # HTML keeps them in a comment at the top, the others as the first lines
        head = (held.docs / name).read_text(encoding="utf-8")[:800]
        url = re.search(r"Source: (https?://\S+)", head)
        assert url, name
        assert "Date:" in head and "Publisher:" in head, name
        assert url.group(1) in sources, f"{name}: its URL is not in SOURCES.md"


@pytest.mark.parametrize("s, q", ANSWERABLE, ids=lambda x: getattr(x, "id", getattr(x, "name", "")))
def test_gold_quotes_are_exact_spans(s, q):
    texts = texts_of(s)
    assert q.gold, q.id
    for g in q.gold:
        assert g.source in texts, f"{q.id}: unknown document {g.source}"
        assert normalize_ws(g.quote) in texts[g.source], f"{q.id}: quote not in {g.source}: {g.quote!r}"


@pytest.mark.parametrize("s, q", ANSWERABLE, ids=lambda x: getattr(x, "id", getattr(x, "name", "")))
def test_key_facts_are_in_the_gold_quotes(s, q):
    """Each key fact is stated by a gold quote of its question, not just somewhere in the document."""
    from eval.scoring import normalize

    quotes = normalize(" ".join(g.quote for g in q.gold))
    for fact in q.key_facts:
        assert any(normalize(v) in quotes for v in fact), f"{q.id}: {fact} in none of its gold quotes"


# --- no overlap with the other sets ---------------------------------------------------------------------

def test_no_document_is_a_document_of_another_set(held):
    texts = texts_of(held)
    others = {p.name: normalize_ws(document_text(p)) for f in _others(held)[0] for p in f.rglob("*")
              if p.is_file() and p.suffix in (".txt", ".md", ".html", ".htm", ".pdf")}
    assert not set(others) & set(texts)
    for name, text in texts.items():
        # sentence-sized windows from the article body must not occur in any other document
        for start in (len(text) // 3, len(text) // 2, 2 * len(text) // 3):
            body = text[start: start + 160]
            assert not any(body in o for o in others.values()), name


def test_no_source_address_is_another_sets_source(held):
    folders, sources, _ = _others(held)
    others = " ".join(p.read_text(encoding="utf-8") for p in sources)
    others += " ".join((f / name).read_text(encoding="utf-8", errors="ignore")[:800]
                       for f in folders for name in (p.name for p in f.iterdir() if p.is_file()))
    for name in texts_of(held):
        url = re.search(r"Source: (https?://\S+)", (held.docs / name).read_text(encoding="utf-8")[:800]).group(1)
        bare = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
        assert bare not in others, f"{name} reuses another set's source"


# --- the gold record tables (records_gold.jsonl) -------------------------------------------------------------

FIELDS = {
    "deal": {"parties", "kind", "asset", "upfront", "milestones", "total", "announced"},
    "regulatory": {"agency", "action", "designation", "product", "sponsor", "indication", "date"},
    "facility": {"company", "site", "country", "capacity_liters", "investment", "jobs", "status", "date"},
}
MONEY = {"upfront", "milestones", "total", "investment"}
DATES = {"announced", "date"}
NUMBERS = {"capacity_liters", "jobs"}
ENUMS = {
    "kind": {"acquisition", "license", "collaboration", "investment", "merger", "option", "royalty"},
    "action": {"approval", "conditional_approval", "tentative_approval", "designation", "complete_response",
               "filing_acceptance", "delay", "positive_opinion"},
    "designation": {"orphan", "breakthrough", "fast_track", "rmat", "prime", "priority_review",
                    "accelerated_approval", "qidp"},
    "status": {"announced", "under_construction", "operational", "completed"},
}
CURRENCIES = {"USD", "EUR", "CHF", "GBP", "JPY", "KRW", "CNY", "DKK", "SEK", "INR", "CAD", "AUD"}
# the wording of a normalised value as the documents write it
AGENCY_WORDING = {
    "FDA": ("fda", "food and drug administration"),
    "EMA": ("ema", "european medicines agency", "chmp"),
    "European Commission": ("european commission", "(ec)", "ec "),
    "NMPA": ("nmpa", "national medical products administration"),
    "MHRA": ("mhra", "medicines and healthcare products regulatory agency"),
    "MHLW": ("mhlw", "ministry of health, labour and welfare"),
}
RELATIVE_DATE = re.compile(r"January|February|March|April|May|June|July|August|September|October|November"
                           r"|December|Monday|Tuesday|Wednesday|Thursday|Friday|year|month|week|days?\b")
COUNTRY_WORDING = {"Ireland": ("ireland",)}
WORD_NUMBERS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}


def _number_wordings(value: float) -> set[str]:
    """How a figure may be written: 1695000000 -> '1.695' (billion), 54000 -> '54,000', ..."""
    out = {f"{value:,.0f}", f"{value:.0f}"}
    for scale in (1e3, 1e6, 1e9, 1e12):
        if value >= scale:
            out.add(f"{value / scale:.3f}".rstrip("0").rstrip("."))
    return out


def _states_number(quote: str, value: float) -> bool:
    """The quote writes the figure, or it is the sum of two stated figures ("48,000-litre fed-batch
    and 6,000-litre perfusion"), or a count times a volume ("eight new 20,000-liter")."""
    if any(w in quote for w in _number_wordings(value)):
        return True
    nums = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", quote)]
    if any(a + b == value for i, a in enumerate(nums) for b in nums[i + 1:]):
        return True
    counts = [WORD_NUMBERS[w] for w in re.findall(r"[a-z]+", quote.lower()) if w in WORD_NUMBERS]
    return any(c * n == value for c in counts for n in nums)


def test_records_load_with_valid_types_fields_and_ids(held):
    texts = texts_of(held)
    records = held.records()
    assert len(records) >= held.min_records
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"g\d{3}", i) for i in ids)
    for r in records:
        assert set(r) == {"id", "source", "type", "fields"}, r["id"]
        assert r["source"] in texts, r["id"]
        assert r["type"] in FIELDS, r["id"]
        assert r["fields"] and set(r["fields"]) <= FIELDS[r["type"]], (r["id"], set(r["fields"]) - FIELDS[r["type"]])
        for name, f in r["fields"].items():
            assert set(f) == ({"value", "currency", "quote"} if name in MONEY else {"value", "quote"}), (r["id"], name)
            assert f["quote"].strip(), (r["id"], name)
    # every document states at least one record, and each type is represented
    assert {r["source"] for r in records} == set(texts)
    counts = Counter(r["type"] for r in records)
    assert all(counts[t] >= 8 for t in FIELDS), counts
    # a deal names its parties and kind; a regulatory event its agency, action and product; a facility its company
    for r in records:
        if r["type"] == "deal":
            assert isinstance(r["fields"]["parties"]["value"], list) and r["fields"]["parties"]["value"], r["id"]
            assert "kind" in r["fields"], r["id"]
        if r["type"] == "regulatory":
            assert {"agency", "action", "product"} <= set(r["fields"]), r["id"]
        if r["type"] == "facility":
            assert {"company", "site"} <= set(r["fields"]), r["id"]


def test_record_values_have_valid_formats(held):
    check_record_values(held.records())


def check_record_values(records: list[dict]) -> None:
    """Every cell's value in the schema's form: money positive with a currency, counts positive
    integers, real dates, enums from their lists (shared with tests/test_heldout_set.py)."""
    import datetime

    for r in records:
        for name, f in r["fields"].items():
            v = f["value"]
            where = (r["id"], name, v)
            if name in MONEY:
                assert isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0, where
                assert f["currency"] in CURRENCIES, where
            elif name in NUMBERS:
                assert isinstance(v, int) and not isinstance(v, bool) and v > 0, where
            elif name in DATES:
                m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", v)
                assert m, where
                y, mo, d = (int(x) if x else 1 for x in m.groups())
                datetime.date(y, mo, d)  # a real date
                assert 2000 <= y <= 2026, where
            elif name in ENUMS:
                assert v in ENUMS[name], where
            elif name == "parties":
                assert all(isinstance(p, str) and p.strip() for p in v), where
            else:
                assert isinstance(v, str) and v.strip(), where
            if r["type"] == "regulatory" and name == "designation":
                assert r["fields"]["action"]["value"] == "designation", where


def test_record_quotes_are_exact_spans_stating_the_value(held):
    texts = texts_of(held)
    agencies = {**AGENCY_WORDING, **held.agency_wording}
    countries = {**COUNTRY_WORDING, **held.country_wording}
    for r in held.records():
        text = texts[r["source"]]
        for name, f in r["fields"].items():
            quote = normalize_ws(f["quote"])
            where = (r["id"], name, f["quote"])
            assert quote in text, f"quote not in {r['source']}: {where}"
            low = quote.lower()
            v = f["value"]
            if name == "parties":
                assert all(p.lower() in low for p in v), where
            elif name == "agency":
                assert any(w in low + " " for w in agencies.get(v, (v.lower(),))), where
            elif name == "country":
                assert any(w in low for w in countries.get(v, (v.lower(),))), where
            elif name in MONEY or name in NUMBERS:
                assert _states_number(quote, float(v)), where
            elif name in DATES:
                # the year, the dateline's day, or a relative date the record resolves ("today (30 April)", "this week")
                assert v[:4] in quote or re.search(RELATIVE_DATE, quote), where
            elif name not in ENUMS:
                assert v.lower() in low, where


def test_records_are_unique_events(held):
    seen = set()
    for r in held.records():
        f = r["fields"]
        key = (r["source"], r["type"], json.dumps({k: f[k]["value"] for k in sorted(f) if k not in ("quote",)},
                                                  sort_keys=True))
        assert key not in seen, r["id"]
        seen.add(key)
