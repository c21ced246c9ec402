"""Record storage (issue 20, point 1 and the storage of part A): records go in and out with their
document through real ingest (real embedded Chroma, the packaged embedder): re-ingest replaces
them, removal removes them, a run that dies before its switch leaves the old ones, collections
never leak, and bad documents never stop ingest."""

from __future__ import annotations

import pytest

from assistant.index.records import RecordQueryError, RecordStore, date_span
from assistant.index.store import ChunkStore
from ingest.pipeline import Ingestor
from tests.conftest import make_settings

DEAL_V1 = """# Helion Therapeutics licenses Borvexa to Quintar Pharma

Boston, March 4, 2024

Helion Therapeutics licensed its kinase inhibitor Borvexa to Quintar Pharma for $310 million
upfront. Quintar Pharma will run the Phase 3 trial of Borvexa in lung cancer.
"""
DEAL_V2 = DEAL_V1.replace("$310 million", "$450 million")
GSK_DEAL = """# GlaxoSmithKline to acquire Zentara Bio

London, 12 June 2023

GlaxoSmithKline has agreed to acquire Zentara Bio for $2.1 billion, the company said today.
"""
FACILITY = """# Lonza to build a plant in Visp

6 May 2021

Lonza will build a new facility in Visp, Switzerland, with six 20,000L bioreactors for a total
investment of about CHF 650 million. The project will create 300 new jobs.
"""
FORUM = """# Forum thread: rumours

posted on February 30, 2024

lol Acme Pharma to acquire Zorblax Therapeutics for $1.2 trillion upfront, my cousin says.
"""
NOTHING = "Clean rooms need HEPA filters. Cold chains keep cells viable below -150 Celsius.\n"


@pytest.fixture
def env(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = make_settings(tmp_path, corpus)
    store = ChunkStore(settings)

    def ingest(*paths, **kw):
        return Ingestor(settings, store, embedder, progress=False).run(
            list(paths) or [corpus], **kw)

    return corpus, store, RecordStore(store), ingest, embedder, settings


def _upfront(records):
    return sorted(r["fields"]["upfront"]["value"] for r in records if "upfront" in r["fields"])


def test_records_follow_their_document_in_and_out(env):
    corpus, store, records, ingest, embedder, settings = env
    (corpus / "helion.md").write_text(DEAL_V1)
    (corpus / "nothing.txt").write_text(NOTHING)
    assert not ingest().failed
    got = records.query(type="deal")
    assert len(got) == 1 and got[0]["source"] == "helion.md"
    assert set(got[0]) == {"id", "type", "source", "date", "fields"}
    assert got[0]["fields"]["parties"]["value"] == ["Quintar Pharma", "Helion Therapeutics"]
    assert _upfront(got) == [310e6]
    assert got[0]["date"] == "2024-03-04"
    version = store.live_records(["helion.md"])["helion.md"]["version"]
    assert got[0]["id"] == f"{version}:0"

    (corpus / "helion.md").write_text(DEAL_V2)  # changed: the records are replaced
    assert not ingest().failed
    got = records.query()
    assert _upfront(got) == [450e6]
    assert records.count() == 1  # the old version's rows are gone, not just hidden

    (corpus / "helion.md").unlink()  # removed from the folder: its records go with it
    assert not ingest().failed
    assert records.query() == []
    assert records.count() == 0


def test_a_run_that_dies_before_its_switch_leaves_the_old_records(env):
    corpus, store, records, ingest, embedder, settings = env
    (corpus / "helion.md").write_text(DEAL_V1)
    ingest()
    (corpus / "helion.md").write_text(DEAL_V2)
    ing = Ingestor(settings, store, embedder, progress=False)
    ing.fail_at = "after_keyword"
    with pytest.raises(RuntimeError):
        ing.run([corpus])
    assert _upfront(records.query()) == [310e6]  # the new rows exist but are not live
    assert not ingest().failed  # the next run switches and collects
    assert _upfront(records.query()) == [450e6]
    assert records.count() == 1


def test_removing_a_document_by_name_removes_its_records(env):
    corpus, store, records, ingest, embedder, settings = env
    (corpus / "helion.md").write_text(DEAL_V1)
    (corpus / "gsk.md").write_text(GSK_DEAL)
    ingest()
    Ingestor(settings, store, embedder, progress=False).remove(["gsk.md"])
    assert [r["source"] for r in records.query()] == ["helion.md"]


def test_filters_alias_aware_and_scoped_to_collections(env, tmp_path):
    corpus, store, records, ingest, embedder, settings = env
    (corpus / "helion.md").write_text(DEAL_V1)
    (corpus / "gsk.md").write_text(GSK_DEAL)
    (corpus / "lonza.md").write_text(FACILITY)
    ingest()
    other = tmp_path / "other"
    other.mkdir()
    (other / "secret.md").write_text(GSK_DEAL.replace("Zentara Bio", "Nimbrax Bio"))
    assert not ingest(other, collection="beta").failed

    for name in ("GSK", "GlaxoSmithKline", "GSK plc", "glaxosmithkline plc"):
        got = records.query(company=name, collections=["default"])
        assert [r["source"] for r in got] == ["gsk.md"], name
    assert {r["source"] for r in records.query(company="GSK")} == {"gsk.md", "secret.md"}
    assert [r["source"] for r in records.query(collections=["beta"])] == ["secret.md"]
    assert records.query(collections=[]) == []
    assert all(r["source"] != "secret.md" for r in records.query(collections=["default"]))

    assert [r["type"] for r in records.query(type="facility")] == ["facility"]
    fac = records.query(type="facility")[0]["fields"]
    assert fac["capacity_liters"]["value"] == 120000 and fac["jobs"]["value"] == 300
    assert {r["source"] for r in records.query(min_usd=1e9)} == {"gsk.md", "secret.md"}
    assert {r["source"] for r in records.query(min_usd=500e6, collections=["default"])} == \
        {"gsk.md", "lonza.md"}  # CHF 650 million is about $730 million
    assert {r["source"] for r in records.query(since="2023-06", until="2024",
                                               collections=["default"])} == \
        {"gsk.md", "helion.md"}
    assert [r["source"] for r in records.query(until="2021", collections=["default"])] == \
        ["lonza.md"]
    assert records.query(source="helion.md")[0]["source"] == "helion.md"
    dates = [r["date"] for r in records.query(collections=["default"])]
    assert dates == sorted(dates, reverse=True)  # newest first


@pytest.mark.parametrize("kw", [{"type": "merger"}, {"since": "2024-13"}, {"until": "last year"},
                                {"min_usd": -1}, {"min_usd": "lots"},
                                {"min_usd": float("nan")}])
def test_bad_filters_get_a_clear_error(env, kw):
    records = env[2]
    with pytest.raises(RecordQueryError):
        records.query(**kw)


def test_bad_documents_never_stop_ingest_and_yield_no_bad_cells(env):
    corpus, store, records, ingest, embedder, settings = env
    (corpus / "forum.md").write_text(FORUM)
    (corpus / "nothing.txt").write_text(NOTHING)
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02 not text \xff\xfe")
    summary = ingest()
    assert summary.files_new >= 2  # the forum post and the empty-of-records text are indexed
    for rec in records.query():
        for name, c in rec["fields"].items():
            assert name not in ("upfront", "total", "milestones", "announced", "date"), c


def test_a_reader_that_raced_a_switch_sees_one_version(env):
    """Rows of the new version written, the manifest still naming the old one: the old rows
    are returned; once it names the new one, the new rows (never both, never neither)."""
    corpus, store, records, ingest, embedder, settings = env
    (corpus / "helion.md").write_text(DEAL_V1)
    ingest()
    live = store.live_records(["helion.md"])["helion.md"]
    new_rows = [{"type": "deal", "fields": {"parties": {"value": ["A", "B"], "quote": "A B",
                                                        "page": None}},
                 "date": "2025", "companies": ["A"], "usd": None}]
    records.write("helion.md", "v-new", "default", new_rows)
    assert [r["date"] for r in records.query()] == ["2024-03-04"]
    store.commit(store.state(), [dict(live, version="v-new")])
    assert [r["date"] for r in records.query()] == ["2025"]


def test_date_spans():
    assert date_span("2024") == (20240101, 20241231)
    assert date_span("2024-06") == (20240601, 20240631)
    assert date_span("2024-06-15") == (20240615, 20240615)
    assert date_span("June 2024") is None and date_span(None) is None
