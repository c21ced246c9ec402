"""The web page, driven in Debian's headless Chromium against the real app on loopback.

The page's Content-Security-Policy already forbids inline script; the browser context bypasses
it here so that the tests check the page's own escaping (markup from documents and questions is
never turned into HTML), not just the CSP. The last tests (`strict_page`) obey the CSP header the
server sends: the page and /docs work under it, and another origin cannot frame the page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.api import create_app
from assistant.service import Assistant
from assistant.store import ChunkStore
from ingest.pipeline import Ingestor
from tests.conftest import make_settings
from tests.server import serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]

if not Path(CHROMIUM).exists():  # `make test` installs it; a bare pytest run may not have it
    pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)",
                pytrace=False)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(indexed):
    settings, _, assistant = indexed
    with serve(create_app(settings, assistant)) as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, bypass_csp=True)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.errors.append("dialog: " + d.message), d.dismiss()))
    yield pg
    context.close()


def open_site(page, base):
    page.goto(base + "/")
    page.wait_for_selector("#doc-list li")


def ask(page, question: str, turn: int):
    page.fill("#question", question)
    # Enter on the box itself: after Escape closes the passage view, focus moves back to the
    # marker asynchronously, and a page-level key press could land there under load.
    page.locator("#question").press("Enter")
    box = page.locator(".turn").nth(turn - 1).locator(".answer")
    box.locator(".feedback, .badge, .body").first.wait_for()
    page.wait_for_function(
        "n => { const a = document.querySelectorAll('.turn')[n - 1]?.querySelector('.answer');"
        " return a && !a.classList.contains('streaming'); }", arg=turn)
    return box


def test_question_streams_and_the_answer_cites_passages(page, site):
    open_site(page, site)
    box = ask(page, "How much did AstraZeneca pay for Gracell Biotechnologies?", 1)
    assert box.get_attribute("data-streamed") == "yes"  # deltas were shown before the final
    assert "$1.2 billion" in box.locator(".body").inner_text()
    assert box.locator(".marker").count() >= 1
    assert "Innovent Sells CAR T-Cell Stake" in box.locator(".sources").inner_text()
    assert page.errors == []


def test_a_marker_opens_its_passage_with_the_answer_words_highlighted(page, site, tmp_path):
    open_site(page, site)
    box = ask(page, "How much did AstraZeneca pay for Gracell Biotechnologies?", 1)
    box.locator(".marker").first.click()
    dialog = page.locator("#passage")
    dialog.wait_for(state="visible")
    assert "Innovent Sells CAR T-Cell Stake" in page.inner_text("#passage-title")
    marks = page.locator("#passage-text mark").all_inner_texts()
    assert {"Gracell", "$1.2", "billion"} <= set(marks)
    page.screenshot(path=str(tmp_path / "answer-with-passage.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('marker')")


def test_follow_up_shows_what_was_searched(page, site):
    open_site(page, site)
    ask(page, "What cell therapy deals did AstraZeneca do in 2023?", 1)
    box = ask(page, "And what did Novartis do?", 2)
    assert page.locator(".turn").nth(1).locator(".searched").inner_text() == \
        "Searched: What cell therapy deals did Novartis do in 2023?"
    assert "Legend Biotech" in box.inner_text()
    # A new conversation forgets the context.
    page.click("#new-conversation")
    assert page.locator(".turn").count() == 0


def test_filter_by_document(page, site):
    open_site(page, site)
    page.check('#doc-list input[data-source="novartis-aws-cell-gene-therapy-manufacturing.txt"]')
    # The learned answerer declines a question that names nothing ("the company") more often
    # than the rules did; this test is about the filter, so the question names its subject.
    box = ask(page, "What did Novartis do to improve its CAR-T manufacturing?", 1)
    titles = box.locator(".sources button").all_inner_texts()
    assert titles and all(t.startswith("Cell, gene therapy manufacturing takes center stage")
                          for t in titles)


def test_abstention_is_shown_clearly(page, site):
    open_site(page, site)
    box = ask(page, "How much did Pfizer pay to acquire Seagen?", 1)
    assert "abstained" in box.get_attribute("class")
    assert box.locator(".badge").inner_text() == "The documents don't cover this"


def test_errors_are_shown_in_words(page, site, tmp_path, embedder):
    open_site(page, site)
    page.evaluate("document.getElementById('question').removeAttribute('maxlength')")
    box = ask(page, "x" * 2001, 1)
    assert box.get_attribute("role") == "alert"
    assert "limit is 2000" in box.inner_text()

    settings = make_settings(tmp_path, tmp_path / "empty")
    empty = Assistant(settings, ChunkStore(settings), embedder)
    with serve(create_app(settings, empty)) as base:
        page.goto(base + "/")
        page.locator("#doc-status", has_text="nothing has been ingested").wait_for()
        box = ask(page, "Anything?", 1)
        assert "make ingest" in box.inner_text()


def test_feedback_is_stored(page, site, indexed):
    _, _, assistant = indexed
    open_site(page, site)
    box = ask(page, "Which antigen does Fucaso target?", 1)
    box.get_by_role("button", name="Not helpful").click()
    box.get_by_text("feedback was recorded").wait_for()
    stored = [f for f in assistant.feedback.all() if f.question == "Which antigen does Fucaso target?"]
    assert stored and stored[-1].helpful is False and stored[-1].channel == "web"
    assert stored[-1].citations and "BCMA" in stored[-1].answer


def test_keyboard_only(page, site):
    open_site(page, site)
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.type("Which FDA designations has Fucaso been granted?")
    page.keyboard.press("Enter")
    page.locator(".answer .marker").first.wait_for()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('marker')"):
            break
    else:
        pytest.fail("no citation marker reachable with Tab")
    page.keyboard.press("Enter")
    page.locator("#passage").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator("#passage").wait_for(state="hidden")


def test_phone_width_has_no_horizontal_scroll(browser, site):
    context = browser.new_context(viewport={"width": 375, "height": 740}, bypass_csp=True)
    page = context.new_page()
    open_site(page, site)
    ask(page, "What should a biotech verify before contracting a CDMO for late-stage trials?", 1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator("#send").is_visible()
    context.close()


def test_markup_in_documents_and_questions_never_runs(page, tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus)
    (corpus / "evil.txt").write_text(
        "Zorblax Therapeutics licensing note\n\n"
        "Zorblax Therapeutics licensed its ZRX-9 program to Quenta Bio for $75 million. "
        "<script>window.__xss = 1</script> <img src=x onerror=\"window.__xss = 2\"> "
        "The Zorblax deal closed in March 2025.\n", encoding="utf-8")
    settings = make_settings(tmp_path, corpus)
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([corpus])
    with serve(create_app(settings, Assistant(settings, store, embedder))) as base:
        open_site(page, base)
        box = ask(page, "What did Zorblax Therapeutics license to Quenta Bio?", 1)
        box.locator(".marker").first.click()
        page.locator("#passage").wait_for(state="visible")
        passage = page.inner_text("#passage-text")
        assert "<script>window.__xss = 1</script>" in passage
        assert '<img src=x onerror="window.__xss = 2">' in passage
        page.keyboard.press("Escape")
        ask(page, 'Zorblax? <img src=y onerror="window.__xss=3"><script>window.__xss=4</script>', 2)
        assert "<img src=y" in page.locator(".turn .q").nth(1).inner_text()
        assert page.evaluate("window.__xss") is None
        assert page.locator("#passage-text script, #passage-text img, .answer img, .q img").count() == 0
        assert page.errors == []


# --- under the server's real Content-Security-Policy header (no bypass) ---

RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
                          e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


@pytest.fixture
def strict_page(browser):
    """A page that obeys the CSP the server sends, recording every violation and every URL."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    pg = context.new_page()
    pg.errors, pg.console_errors, pg.requests = [], [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("request", lambda r: pg.requests.append(r.url))
    yield pg
    context.close()


def no_csp_trouble(pg) -> None:
    assert pg.evaluate("window.__csp") == []
    assert [m for m in pg.console_errors if "Content Security Policy" in m] == []
    assert pg.errors == []


def test_the_page_works_under_the_csp_header(strict_page, site):
    open_site(strict_page, site)
    box = ask(strict_page, "How much did AstraZeneca pay for Gracell Biotechnologies?", 1)
    box.locator(".marker").first.click()
    strict_page.locator("#passage").wait_for(state="visible")
    assert strict_page.locator("#passage-text mark").count() > 0
    no_csp_trouble(strict_page)
    assert all(u.startswith(site + "/") for u in strict_page.requests), strict_page.requests


def test_docs_render_offline_under_their_csp(strict_page, site):
    strict_page.goto(site + "/docs")
    strict_page.wait_for_selector(".swagger-ui .opblock")  # operations read from /openapi.json
    strict_page.locator(".opblock-summary").first.click()  # an operation opens (React renders)
    strict_page.wait_for_selector(".opblock-body")
    no_csp_trouble(strict_page)
    assert all(u.startswith((site + "/", "data:")) for u in strict_page.requests), \
        strict_page.requests


def test_another_origin_cannot_frame_the_page(strict_page, site):
    """A page on another origin (another loopback port) puts the app in an iframe: refused."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    framing = f'<iframe id="app" src="{site}/"></iframe>'
    other = Starlette(routes=[Route("/", lambda request: HTMLResponse(framing))])
    with serve(other, ready_path="/") as other_base:
        with strict_page.expect_console_message(lambda m: "frame-ancestors" in m.text):
            strict_page.goto(other_base + "/")
        assert strict_page.frames[1].url.startswith("chrome-error://")
        assert strict_page.frame_locator("#app").locator("#ask-form").count() == 0
        assert site + "/" in strict_page.requests  # it was asked for, and refused
