"""The web page's Tables view (issue 20 point 6), driven in Debian's headless Chromium against the
real app on loopback (the fixtures of tests/test_web.py): the deals, regulatory events and
facilities of GET /v1/records as sortable tables, filtered by company (aliases resolved by the
server) and date, every cell opening its verbatim quote and its passage, a CSV download of the
current table, at a desktop and a phone size."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from assistant.api.app import create_app
from assistant.service.records import FIELDS
from tests.conftest import make_settings, sized_page
from tests.server import serve
from tests.test_web import (
    RECORD_CSP_VIOLATIONS,
    SIZES,
    no_csp_trouble,
    no_horizontal_overflow,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(params=list(SIZES))
def sized(browser, request):
    with sized_page(browser, request.param, SIZES[request.param], bypass_csp=True,
                    accept_downloads=True) as pg:
        yield pg


def api_records(base: str, key: str | None = None, **params) -> list[dict]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    r = httpx.get(f"{base}/v1/records", params=params, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["records"]


def open_tables(page, base: str, hash_: str = "#tables"):
    page.goto(base + "/" + hash_)
    wait_table(page)


def wait_table(page):
    page.wait_for_function("() => { const s = document.getElementById('records-status').textContent;"
                           " return s && s !== 'Loading…'; }")


def rows(page) -> list[dict]:
    """The shown rows as {field: cell text}."""
    return page.evaluate("""() => [...document.querySelectorAll('#records-table tbody tr')].map(tr =>
        Object.fromEntries([...tr.cells].map(td => [td.dataset.field, td.innerText.trim()])))""")


def row_of(page, parties: str):
    return page.locator("#records-table tbody tr", has_text=parties)


def test_the_tables_link_opens_the_deals_of_the_corpus(sized, site):
    page = sized
    page.goto(site + "/")
    page.wait_for_selector("#doc-list li", state="attached")
    assert page.locator("#tables-view").is_hidden()
    # by keyboard: Tab to the header's "Tables" link, Enter
    page.locator("#view-chat").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "view-tables"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#tables$"))
    wait_table(page)
    assert page.locator(".layout").is_hidden() and page.locator("#tables-view").is_visible()
    assert page.get_attribute("#view-tables", "aria-current") == "page"
    assert page.get_attribute("#tab-deal", "aria-selected") == "true"
    # the columns: the fields of a deal in the order of FIELDS, then the document
    fields = page.locator("#records-table thead th").evaluate_all("ths => ths.map(t => t.dataset.field)")
    assert fields == [*FIELDS["deal"], "source"]
    deals = api_records(site, type="deal")
    shown = rows(page)
    assert len(shown) == len(deals) >= 3
    assert page.inner_text("#records-status") == f"{len(deals)} deals."
    gracell = next(r for r in shown if r["parties"] == "AstraZeneca, Gracell Biotechnologies")
    assert gracell["total"] == "$1.2 billion" and gracell["kind"] == "acquisition"
    assert gracell["announced"] == "2023-12"
    assert gracell["source"] == "Innovent Sells CAR T-Cell Stake to IASO Bio for 18% Equity"
    legend = next(r for r in shown if r["parties"].startswith("Novartis, Legend Biotech"))
    assert legend["total"] == "over $1 billion"  # the qualifier, with the amount
    no_horizontal_overflow(page)
    # back to the chat: the conversation view as it was
    page.click("#view-chat")
    page.locator("#ask-form").wait_for()
    assert page.locator("#tables-view").is_hidden()
    assert page.get_attribute("#view-chat", "aria-current") == "page"
    assert page.errors == []


def test_each_table_by_its_tab_and_by_its_link(sized, site):
    page = sized
    open_tables(page, site, "#tables/regulatory")  # a link straight to a table
    assert page.get_attribute("#tab-regulatory", "aria-selected") == "true"
    fields = page.locator("#records-table thead th").evaluate_all("ths => ths.map(t => t.dataset.field)")
    assert fields == [*FIELDS["regulatory"], "source"]
    events = api_records(site, type="regulatory")
    shown = rows(page)
    assert len(shown) == len(events) >= 5
    assert {"agency": "NMPA", "action": "approval", "product": "Fucaso", "date": "2024-06"}.items() \
        <= shown[0].items()
    assert any(r["action"] == "IND clearance" for r in shown)
    no_horizontal_overflow(page)
    # arrow keys move between the tabs (and the hash follows)
    page.locator("#tab-regulatory").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"#tables/facility$"))
    wait_table(page)
    assert page.evaluate("document.activeElement.id") == "tab-facility"
    assert len(api_records(site, type="facility")) == 0  # the corpus states no facility
    expect(page.locator("#records-status")).to_have_text("0 facilities: the documents state none.")
    assert page.locator("#records-panel").is_hidden()
    page.keyboard.press("Home")
    page.wait_for_url(re.compile(r"#tables$"))
    wait_table(page)
    expect(page.locator("#tab-deal")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-facility")).to_have_attribute("aria-selected", "false")
    assert page.errors == []


def test_a_column_header_sorts_the_rows(sized, site):
    page = sized
    open_tables(page, site)
    before = [r["parties"] for r in rows(page)]
    header = page.locator('#records-table th[data-field="parties"]')
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    asc = [r["parties"] for r in rows(page)]
    assert asc == sorted(before, key=str.lower) and asc != before
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert [r["parties"] for r in rows(page)] == asc[::-1]
    # money sorts by amount, empty cells last either way; one column is sorted at a time
    total = page.locator('#records-table th[data-field="total"]')
    total.locator("button").click()
    assert total.get_attribute("aria-sort") == "ascending"
    assert header.get_attribute("aria-sort") is None
    assert [r["total"] for r in rows(page)][:3] == ["over $1 billion", "$1.2 billion", "—"]
    total.locator("button").press("Enter")  # the header is a button: the keyboard sorts too
    assert total.get_attribute("aria-sort") == "descending"
    assert [r["total"] for r in rows(page)][:3] == ["$1.2 billion", "over $1 billion", "—"]
    no_horizontal_overflow(page)


def test_the_company_filter_resolves_an_alias_on_the_server(sized, site):
    page = sized
    open_tables(page, site)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/records?" in r.url else None)
    page.fill("#records-company", "Astra Zeneca")  # an alias spelling of AstraZeneca
    page.locator("#records-company").press("Enter")
    page.locator("#records-status", has_text="of Astra Zeneca").wait_for()
    assert any("company=Astra+Zeneca" in u for u in sent), sent
    shown = rows(page)
    expected = api_records(site, type="deal", company="AstraZeneca")
    assert len(shown) == len(expected) >= 2
    assert len(shown) < len(api_records(site, type="deal"))
    assert all("AstraZeneca" in r["parties"] for r in shown)
    assert page.inner_text("#records-status") == f"{len(expected)} deals of Astra Zeneca."
    # a date narrows further
    page.fill("#records-since", "2023-12")
    page.fill("#records-until", "2023")
    page.click("#records-filter button[type=submit]")
    page.locator("#records-status", has_text="from 2023-12 to 2023").wait_for()
    assert [r["parties"] for r in rows(page)] == ["AstraZeneca, Gracell Biotechnologies"]
    no_horizontal_overflow(page)


def test_a_bad_date_shows_the_api_message(sized, site):
    page = sized
    open_tables(page, site)
    detail = httpx.get(f"{site}/v1/records", params={"type": "deal", "since": "2024-13"}).json()["detail"]
    assert detail.startswith("since must be a date")
    page.fill("#records-since", "2024-13")
    page.click("#records-filter button[type=submit]")
    status = page.locator("#records-status.records-error")
    status.wait_for()
    assert detail in status.inner_text()
    assert page.locator("#records-panel").is_hidden()
    page.fill("#records-since", "2025")
    page.fill("#records-until", "2024")
    page.click("#records-filter button[type=submit]")
    page.locator("#records-status", has_text="since (2025) is after until (2024)").wait_for()
    no_horizontal_overflow(page)
    page.fill("#records-since", "")
    page.fill("#records-until", "")
    page.click("#records-filter button[type=submit]")
    page.locator("#records-status:not(.records-error)", has_text="deals.").wait_for()
    assert page.locator("#records-panel").is_visible()


def test_a_cell_shows_its_verbatim_quote_and_opens_its_passage(sized, site):
    page = sized
    open_tables(page, site)
    cell = row_of(page, "Gracell").locator('td[data-field="total"] button')
    quote = cell.get_attribute("title")  # hover shows it too
    cell.click()  # a click or a tap opens the panel
    pop = page.locator("#quote-pop")
    pop.wait_for(state="visible")
    assert page.inner_text("#quote-what") == "Total: $1.2 billion"
    shown = page.locator("#quote-text").text_content()
    assert shown == quote and "$1.2 billion" in shown
    document = (CORPUS / "innovent-iaso-fucaso-car-t-stake-2024.txt").read_text(encoding="utf-8")
    assert shown in document  # the document's own words
    where = page.inner_text("#quote-source")
    assert "innovent-iaso-fucaso-car-t-stake-2024.txt" in where
    assert "Innovent Sells CAR T-Cell Stake" in where
    # the panel is on screen, by its cell
    box = pop.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    no_horizontal_overflow(page)
    # the passage, as the chat's source cards open it: the quote highlighted in its passage
    page.click("#quote-passage")
    page.locator("#passage").wait_for(state="visible")
    assert pop.is_hidden()
    assert page.inner_text("#passage-title") == "Innovent Sells CAR T-Cell Stake to IASO Bio for 18% Equity"
    marks = page.locator("#passage-text mark").all_text_contents()
    assert marks == [quote]
    assert len(page.inner_text("#passage-text")) > len(quote) + 100  # the passage, not the quote
    href = page.get_attribute("#passage-open", "href")
    assert re.fullmatch(r"/v1/documents/[0-9a-f]{16}/file", href), href
    page.keyboard.press("Escape")
    page.locator("#passage").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('cell')")
    # Escape closes the panel and gives the focus back to its cell
    page.keyboard.press("Enter")
    pop.wait_for(state="visible")
    page.keyboard.press("Escape")
    pop.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('cell')")
    assert page.errors == []


def test_the_passage_route(site):
    deal = next(r for r in api_records(site, type="deal")
                if r["fields"]["parties"]["value"][0] == "AstraZeneca" and "total" in r["fields"])
    r = httpx.get(f"{site}/v1/records/{deal['id']}/passage", params={"field": "total"})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["text"][p["start"]:p["end"]] == deal["fields"]["total"]["quote"] == p["quote"]
    assert p["source"] == deal["source"]
    for rid, field in ((deal["id"], "site"), ("ffffffffffffffff:0", "total"),
                       (deal["id"].split(":")[0] + ":99", "total")):
        assert httpx.get(f"{site}/v1/records/{rid}/passage", params={"field": field}).status_code == 404
    assert httpx.get(f"{site}/v1/records/{deal['id']}/passage",
                     params={"field": "<b>"}).status_code == 422


def test_the_csv_link_carries_the_filters_and_downloads_csv(sized, site):
    page = sized
    open_tables(page, site, "#tables/regulatory")
    page.fill("#records-company", "Novartis AG")
    page.fill("#records-since", "")
    page.click("#records-filter button[type=submit]")
    page.locator("#records-status", has_text="of Novartis AG").wait_for()
    href = page.get_attribute("#records-csv", "href")
    assert href.startswith("/v1/records?")
    params = dict(httpx.QueryParams(href.split("?", 1)[1]))
    assert params == {"type": "regulatory", "company": "Novartis AG", "format": "csv"}
    with page.expect_download() as info:
        page.click("#records-csv")
    download = info.value
    assert download.suggested_filename == "records-regulatory.csv"
    text = Path(download.path()).read_bytes().decode("utf-8")
    header = text.splitlines()[0]
    assert header.startswith("id,type,source,date,agency,agency_quote,action")
    assert "Kymriah" in text and "Fucaso" not in text
    assert len(text.splitlines()) == 1 + len(rows(page))
    r = httpx.get(site + href)
    assert r.headers["content-type"].startswith("text/csv") and r.text == text
    no_horizontal_overflow(page)


def test_the_tables_view_works_under_the_csp_header(browser, site):
    """No bypass: the panel's placement (CSSOM, not inline style) and the view obey the CSP."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    pg = context.new_page()
    pg.errors, pg.console_errors = [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    try:
        open_tables(pg, site)
        row_of(pg, "Gracell").locator('td[data-field="parties"] button').click()
        pg.locator("#quote-pop").wait_for(state="visible")
        assert pg.evaluate("getComputedStyle(document.getElementById('quote-pop')).position") == "fixed"
        pg.click("#quote-passage")
        pg.locator("#passage-text mark").wait_for()
        no_csp_trouble(pg)
    finally:
        context.close()


def test_signed_in_with_a_key_the_table_and_its_csv_use_the_session(browser, indexed, tmp_path):
    """With keys, the page's session cookie is what lets the table and its CSV link load."""
    from assistant.auth.keys import KeyStore

    settings, store, assistant = indexed
    cfg = make_settings(tmp_path, settings.corpus_dir, chroma_path=settings.chroma_path,
                        collection_prefix=f"tbl{uuid.uuid4().hex[:8]}")
    key, _ = KeyStore(store.client, cfg.collection_prefix).create("tables", "reader", ["*"])
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    pg = context.new_page()
    try:
        with serve(create_app(cfg, assistant)) as base:
            assert httpx.get(f"{base}/v1/records?type=deal&format=csv").status_code == 401
            pg.goto(base + "/")
            pg.wait_for_selector("#sign-in:not([hidden])")
            pg.fill("#api-key", key)
            pg.locator("#sign-in button[type=submit]").click()
            pg.wait_for_selector("#sign-out:not([hidden])")
            pg.click("#view-tables")
            wait_table(pg)
            assert len(rows(pg)) == len(api_records(base, key, type="deal")) >= 3
            with pg.expect_download() as info:
                pg.click("#records-csv")
            text = Path(info.value.path()).read_text(encoding="utf-8")
            assert text.startswith("id,type,source,date,parties") and "Gracell" in text
    finally:
        context.close()

