"""`GET /v1/records` and the MCP `records` tool (issue 20, part B point 4): the real app on a real
uvicorn server on loopback, real embedded Chroma, the packaged embedder, records extracted by the
real ingest from small made-up press releases.

Collections: `alpha` holds a licence, a GSK acquisition, an FDA designation and a facility;
`beta` holds another GSK acquisition that alpha's key must never see (JSON, CSV, MCP). `gamma`
is written through the upload API and emptied through it (removal)."""

from __future__ import annotations

import csv
import io
import time

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from assistant.api.app import create_app
from assistant.auth.keys import KeyStore
from assistant.index.store import ChunkStore
from assistant.service import records as service
from assistant.service.assistant import Assistant
from ingest.pipeline import Ingestor
from tests.clients_env import audit_lines
from tests.conftest import make_settings
from tests.server import serve

HELION = """# Helion Therapeutics licenses Borvexa to Quintar Pharma

Boston, March 4, 2024

Helion Therapeutics licensed its kinase inhibitor Borvexa to Quintar Pharma for $310 million upfront. Quintar Pharma will run the Phase 3 trial of Borvexa in lung cancer.
"""
GSK = """# GlaxoSmithKline to acquire Zentara Bio

London, 12 June 2023

GlaxoSmithKline has agreed to acquire Zentara Bio for $2.1 billion, the company said today.
"""
ORVANE = """# Orvane Bio receives FDA orphan drug designation for ORV-101

Cambridge, January 15, 2025

Orvane Bio said today that the FDA granted orphan drug designation to ORV-101 for the treatment of Duchenne muscular dystrophy.
"""
LONZA = """# Lonza to build a plant in Visp

6 May 2021

Lonza will build a new facility in Visp, Switzerland, with six 20,000L bioreactors for a total investment of about CHF 650 million. The project will create 300 new jobs.
"""
SECRET = GSK.replace("Zentara Bio", "Nimbrax Bio").replace("2.1 billion", "3.4 billion")
REMOVABLE = """Tervane Pharma to acquire Kolbrin Therapeutics

Oslo, 2 February 2022

Tervane Pharma has agreed to acquire Kolbrin Therapeutics for $640 million, the company said today.
"""
ALPHA = {"alpha/helion.md": HELION, "alpha/gsk.md": GSK, "alpha/orvane.md": ORVANE,
         "alpha/lonza.md": LONZA}
BETA = {"beta/secret.md": SECRET}
TEXTS = {**ALPHA, **BETA}


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("records_api")
    corpus = tmp / "corpus"
    for name, text in TEXTS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp, corpus, auth="on",
                             rate_limit_failed_auth_per_address="1000/minute")
    store = ChunkStore(settings)
    ing = Ingestor(settings, store, embedder, progress=False)
    assert not ing.run([corpus / "alpha"], collection="alpha").failed
    assert not ing.run([corpus / "beta"], collection="beta").failed
    keys = KeyStore(store.client, settings.collection_prefix)
    env = {"settings": settings, "store": store}
    for name, role, cols in (("a", "reader", ["alpha"]), ("b", "reader", ["beta"]),
                             ("admin", "admin", ["*"]), ("wg", "writer", ["gamma"]),
                             ("g", "reader", ["gamma"])):
        env[name], _ = keys.create(f"key-{name}", role, cols)
    with serve(create_app(settings, Assistant(settings, store, embedder))) as base:
        env["base"] = base
        yield env


def get(env, key="a", **params):
    headers = {**bearer(env[key]), **params.pop("headers", {})}
    return httpx.get(f"{env['base']}/v1/records", params=params, headers=headers, timeout=60)


def records(env, key="a", **params) -> list[dict]:
    r = get(env, key, **params)
    assert r.status_code == 200, r.text
    return r.json()["records"]


def sources(found) -> list[str]:
    return [r["source"] for r in found]


def squash(text: str) -> str:
    return " ".join(text.split())


# --- JSON -----------------------------------------------------------------------------------------


def test_json_shape_and_every_quote_is_verbatim(env):
    found = records(env)
    assert sorted(sources(found)) == sorted(ALPHA)  # one record per document, alpha's only
    for rec in found:
        assert set(rec) == {"id", "type", "source", "date", "fields"}
        assert rec["type"] in ("deal", "regulatory", "facility")
        assert rec["date"] is None or isinstance(rec["date"], str)
        assert rec["fields"]
        for name, cell in rec["fields"].items():
            assert {"value", "quote", "page"} <= set(cell), name
            assert cell["page"] is None  # text files have no pages
            # verbatim: the quote is a span of the document (as loaded: its line breaks and
            # Markdown marks are not part of the text, hence whitespace squashed)
            assert squash(cell["quote"]) in squash(TEXTS[rec["source"]]), (name, cell)
    dates = [r["date"] for r in found]
    assert dates == sorted(dates, reverse=True)  # newest event first
    by_source = {r["source"]: r for r in found}
    helion = by_source["alpha/helion.md"]
    assert helion["type"] == "deal" and helion["date"] == "2024-03-04"
    assert helion["fields"]["parties"]["value"] == ["Quintar Pharma", "Helion Therapeutics"]
    assert helion["fields"]["upfront"] == {
        "value": 310e6, "currency": "USD", "page": None,
        "quote": "Helion Therapeutics licensed its kinase inhibitor Borvexa to Quintar Pharma "
                 "for $310 million upfront."}
    assert by_source["alpha/lonza.md"]["fields"]["investment"]["currency"] == "CHF"
    assert by_source["alpha/orvane.md"]["fields"]["designation"]["value"] == "orphan"
    assert "currency" not in helion["fields"]["kind"]  # only money cells have one


def test_filters(env):
    assert sources(records(env, type="deal")) == ["alpha/helion.md", "alpha/gsk.md"]
    assert sources(records(env, type="regulatory")) == ["alpha/orvane.md"]
    assert sources(records(env, type="facility")) == ["alpha/lonza.md"]
    for name in ("GSK", "GSK plc", "glaxosmithkline plc", "GlaxoSmithKline"):  # aliases
        assert sources(records(env, company=name)) == ["alpha/gsk.md"], name
    assert sources(records(env, company="Quintar Pharma Inc.")) == ["alpha/helion.md"]
    assert records(env, company="Pfizer") == []
    assert sources(records(env, since="2024")) == ["alpha/orvane.md", "alpha/helion.md"]
    assert sources(records(env, until="2023-06")) == ["alpha/gsk.md", "alpha/lonza.md"]
    assert sources(records(env, since="2023-06-12", until="2024-03-03")) == ["alpha/gsk.md"]
    assert sources(records(env, min_usd="1e9")) == ["alpha/gsk.md"]
    # CHF 650 million is about $730 million; the regulatory event has no size
    assert sources(records(env, min_usd=300_000_000)) == \
        ["alpha/helion.md", "alpha/gsk.md", "alpha/lonza.md"]
    assert sources(records(env, source="alpha/lonza.md")) == ["alpha/lonza.md"]
    assert sources(records(env, type="deal", company="GSK", since="2023", min_usd=2e9)) == \
        ["alpha/gsk.md"]
    assert records(env, type="facility", company="GSK") == []
    assert len(records(env, type="", company=" ")) == 4  # blank filters are no filters


@pytest.mark.parametrize("params,needle", [
    ({"type": "merger"}, "type must be one of deal, regulatory, facility, not 'merger'"),
    ({"since": "2024-13"}, "since must be a date as YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"until": "last year"}, "until must be a date as YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"since": "2024-02-30"}, "since must be a date"),
    ({"since": "2025", "until": "2024"}, "since (2025) is after until (2024)"),
    ({"min_usd": "-1"}, "min_usd must be a number of US dollars >= 0, not '-1'"),
    ({"min_usd": "lots"}, "min_usd must be a number of US dollars >= 0, not 'lots'"),
    ({"min_usd": "nan"}, "min_usd must be a number of US dollars >= 0"),
    ({"min_usd": "inf"}, "min_usd must be a number of US dollars >= 0"),
    ({"format": "xml"}, "format must be one of json, csv, not 'xml'"),
    ({"source": "alpha/nope.md"}, "unknown source: alpha/nope.md; see GET /v1/sources"),
])
def test_bad_filters_are_a_specific_422(env, params, needle):
    r = get(env, **params)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]


def test_authentication_and_audit(env):
    assert httpx.get(f"{env['base']}/v1/records", timeout=30).status_code == 401
    r = httpx.get(f"{env['base']}/v1/records", headers=bearer("bpa_" + "x" * 43), timeout=30)
    assert r.status_code == 401
    def ok_lines():
        return [e for e in audit_lines(env["settings"]) if e["route"] == "/v1/records"
                and e["status"] == 200]

    before = len(ok_lines())
    records(env, type="deal", company="GSK")
    # the line is written just after the response has gone: wait for it, then read it
    deadline = time.time() + 10
    while len(ok_lines()) == before and time.time() < deadline:
        time.sleep(0.05)
    line = ok_lines()[-1]
    assert line["key"] == "key-a" and line["collections"] == ["alpha"]
    assert line["filters"] == {"type": "deal", "company": "GSK"} and line["records"] == 1
    assert line["format"] == "json"
    spec = httpx.get(f"{env['base']}/openapi.json", timeout=30).json()
    assert "/v1/records" in spec["paths"]


# --- collections ----------------------------------------------------------------------------------


def test_a_key_never_sees_another_collections_records(env):
    assert all(s.startswith("alpha/") for s in sources(records(env, "a")))
    assert sources(records(env, "a", company="GSK")) == ["alpha/gsk.md"]
    assert records(env, "a", min_usd=3e9) == []  # only beta's deal is that big
    # another collection's document is unknown in the same words as one that does not exist
    r = get(env, "a", source="beta/secret.md")
    assert r.status_code == 422 and r.json()["detail"] == \
        "unknown source: beta/secret.md; see GET /v1/sources"
    assert sources(records(env, "b")) == ["beta/secret.md"]
    assert sources(records(env, "b", company="GlaxoSmithKline")) == ["beta/secret.md"]
    assert set(ALPHA) | set(BETA) <= set(sources(records(env, "admin")))
    text = get(env, "a", format="csv").text
    assert "secret.md" not in text and "Nimbrax" not in text


# --- CSV ------------------------------------------------------------------------------------------


def parse_csv(r: httpx.Response) -> list[dict]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def test_csv_has_a_header_and_one_row_per_record(env):
    r = get(env, format="csv")
    assert r.headers["content-disposition"] == 'attachment; filename="records.csv"'
    header = next(csv.reader(io.StringIO(r.text)))
    assert header == service.columns(None)
    assert header[:4] == ["id", "type", "source", "date"]
    assert header[4:8] == ["parties", "parties_quote", "kind", "kind_quote"]
    assert {"upfront", "upfront_currency", "upfront_quote", "date_quote", "jobs_quote"} <= \
        set(header)
    assert len(header) == len(set(header))  # the event date is the one `date` column
    rows = parse_csv(r)
    found = records(env)
    assert [row["id"] for row in rows] == [x["id"] for x in found]
    helion = next(row for row in rows if row["source"] == "alpha/helion.md")
    assert helion["type"] == "deal" and helion["date"] == "2024-03-04"
    assert helion["parties"] == "Quintar Pharma; Helion Therapeutics"
    assert helion["upfront"] == "310000000" and helion["upfront_currency"] == "USD"
    assert helion["upfront_quote"].startswith("Helion Therapeutics licensed")
    assert helion["jobs"] == "" and helion["agency"] == ""  # other types' columns are empty
    lonza = next(row for row in rows if row["source"] == "alpha/lonza.md")
    assert lonza["capacity_liters"] == "120000" and lonza["date_quote"] == "6 May 2021"


def test_csv_of_one_type_and_by_accept_header(env):
    r = get(env, type="deal", headers={"Accept": "text/csv"})
    assert r.headers["content-disposition"] == 'attachment; filename="records-deal.csv"'
    rows = parse_csv(r)
    assert list(rows[0]) == ["id", "type", "source", "date", "parties", "parties_quote", "kind",
                             "kind_quote", "asset", "asset_quote", "upfront", "upfront_currency",
                             "upfront_quote", "milestones", "milestones_currency",
                             "milestones_quote", "total", "total_currency", "total_quote",
                             "announced", "announced_quote"]
    assert [row["source"] for row in rows] == ["alpha/helion.md", "alpha/gsk.md"]
    assert rows[1]["total"] == "2100000000"
    facility = next(csv.reader(io.StringIO(get(env, type="facility", format="csv").text)))
    assert facility[-2:] == ["status_quote", "date_quote"] and "date" == facility[3]
    # JSON stays the default, and `format` wins over Accept
    assert get(env).headers["content-type"] == "application/json"
    r = get(env, format="json", headers={"Accept": "text/csv"})
    assert r.headers["content-type"] == "application/json"
    assert get(env, headers={"Accept": "application/json, text/csv;q=0.5"}).headers[
        "content-type"] == "application/json"
    empty = get(env, company="Pfizer", format="csv")
    assert empty.status_code == 200 and len(list(csv.reader(io.StringIO(empty.text)))) == 1


def test_csv_cells_never_start_a_formula():
    rec = {"id": "v:0", "type": "deal", "source": "=HYPERLINK(\"http://x\")", "date": None,
           "fields": {"parties": {"value": ["+cmd", "@SUM(A1)", "Acme"], "quote": "-2+3",
                                  "page": None},
                      "kind": {"value": "acquisition", "quote": "\t=1", "page": None},
                      "upfront": {"value": 5e6, "currency": "USD", "quote": "@x", "page": None}}}
    [row] = list(csv.DictReader(io.StringIO(service.to_csv([rec], "deal"))))
    assert row["source"] == "'=HYPERLINK(\"http://x\")"
    assert row["parties"] == "'+cmd; @SUM(A1); Acme"
    assert row["parties_quote"] == "'-2+3" and row["kind_quote"] == "'\t=1"
    assert row["upfront_quote"] == "'@x" and row["upfront"] == "5000000"
    assert row["kind"] == "acquisition" and row["date"] == ""


def test_the_service_knows_the_extractors_fields():
    from ingest.records.extract import FIELDS
    from ingest.records.grounding import MONEY_FIELDS

    assert service.FIELDS == FIELDS and service.MONEY == set(MONEY_FIELDS)


# --- MCP ------------------------------------------------------------------------------------------


def mcp(env, key: str) -> Client:
    return Client(streamable_http_client(
        f"{env['base']}/v1/mcp", http_client=create_mcp_http_client(headers=bearer(env[key]))))


def test_mcp_records_tool_same_records_and_collections(env):
    async def go():
        async with mcp(env, "a") as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            every = await c.call_tool("records", {})
            gsk = await c.call_tool("records", {"company": "GSK plc", "type": "deal"})
            big = await c.call_tool("records", {"min_usd": 3e9})
            theirs = await c.call_tool("records", {"source": "beta/secret.md"})
            bad_date = await c.call_tool("records", {"since": "June 2024"})
            bad_type = await c.call_tool("records", {"type": "merger"})
            negative = await c.call_tool("records", {"min_usd": -5})
        async with mcp(env, "b") as c:
            b = await c.call_tool("records", {"company": "GSK"})
        return tools, every, gsk, big, theirs, bad_date, bad_type, negative, b

    tools, every, gsk, big, theirs, bad_date, bad_type, negative, b = anyio.run(go)
    schema = tools["records"].input_schema["properties"]
    assert set(schema) == {"type", "company", "since", "until", "min_usd", "source"}
    assert not every.is_error
    assert every.structured_content["records"] == records(env)  # the route's very records
    assert "alpha/helion.md" in every.content[0].text and "upfront: USD 310,000,000" in \
        every.content[0].text
    assert sources(gsk.structured_content["records"]) == ["alpha/gsk.md"]
    assert big.structured_content["records"] == []
    assert big.content[0].text == "No records found."
    assert theirs.is_error and "unknown source: beta/secret.md" in theirs.content[0].text
    assert bad_date.is_error and "since must be a date as YYYY, YYYY-MM or YYYY-MM-DD" in \
        bad_date.content[0].text
    assert bad_type.is_error and "deal" in bad_type.content[0].text
    assert negative.is_error and "min_usd" in negative.content[0].text
    assert sources(b.structured_content["records"]) == ["beta/secret.md"]
    line = [e for e in audit_lines(env["settings"]) if e.get("tool") == "records"
            and e.get("filters") == {"type": "deal", "company": "GSK plc"}][-1]
    assert line["key"] == "key-a" and line["collections"] == ["alpha"] and line["records"] == 1


# --- removal --------------------------------------------------------------------------------------


def wait_job(env, job_id: str, timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = httpx.get(f"{env['base']}/v1/jobs/{job_id}", headers=bearer(env["wg"]),
                        timeout=30).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_removing_a_document_removes_its_records(env):
    r = httpx.post(f"{env['base']}/v1/documents", headers=bearer(env["wg"]), timeout=120,
                   files={"files": ("tervane.txt", REMOVABLE.encode(), "text/plain")},
                   data={"collection": "gamma"})
    assert r.status_code == 202, r.text
    [f] = r.json()["files"]
    assert wait_job(env, r.json()["job_id"])["status"] == "done"
    found = records(env, "g")
    assert sources(found) == ["uploads/tervane.txt"]
    assert found[0]["fields"]["total"]["value"] == 640e6
    assert "uploads/tervane.txt" not in sources(records(env, "a"))
    assert len(parse_csv(get(env, "g", format="csv"))) == 1

    r = httpx.delete(f"{env['base']}/v1/documents/{f['document_id']}",
                     headers=bearer(env["wg"]), timeout=60)
    assert r.status_code == 202, r.text
    assert wait_job(env, r.json()["job_id"])["status"] == "done"
    assert records(env, "g") == []
    assert "uploads/tervane.txt" not in sources(records(env, "admin"))
    assert len(parse_csv(get(env, "g", format="csv"))) == 0
    r = get(env, "g", source="uploads/tervane.txt")
    assert r.status_code == 422 and "unknown source" in r.json()["detail"]
