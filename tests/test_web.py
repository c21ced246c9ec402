"""The web page, driven in Debian's headless Chromium against the real app on loopback.

The page's Content-Security-Policy already forbids inline script; the browser context bypasses
it here so that the tests check the page's own escaping (markup from documents and questions is
never turned into HTML), not just the CSP. The last tests (`strict_page`) obey the CSP header the
server sends: the page and /docs work under it, and another origin cannot frame the page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assistant.api.app import create_app
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from ingest.pipeline import Ingestor
from tests.conftest import ARGS, CHROMIUM, make_settings, sized_page  # noqa: F401 (the browser; `browser` and `site`: conftest)
from tests.server import serve

if not Path(CHROMIUM).exists():  # `make test` installs it; a bare pytest run may not have it
    pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)",
                pytrace=False)


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
    page.wait_for_selector("#doc-list li", state="attached")  # folded away on a phone


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
    assert any("AstraZeneca acquired Gracell Biotechnologies for $1.2 billion" in m for m in marks)
    page.screenshot(path=str(tmp_path / "answer-with-passage.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('marker')")


def sent_conversation_ids(page) -> list:
    """The conversation_id of every question the page sends (None: a new conversation)."""
    import json

    sent = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data).get("conversation_id"))
            if r.url.endswith("/v1/chat/stream") else None)
    return sent


def test_follow_up_shows_what_was_searched(page, site):
    import re

    sent = sent_conversation_ids(page)
    open_site(page, site)
    ask(page, "What cell therapy deals did AstraZeneca do in 2023?", 1)
    box = ask(page, "And what did Novartis do?", 2)
    assert page.locator(".turn").nth(1).locator(".searched").inner_text() == \
        "Searched: What cell therapy deals did Novartis do in 2023?"
    assert "Legend Biotech" in box.inner_text()
    # The page starts without an id and follows up with the one the server made.
    assert sent[0] is None and re.fullmatch(r"[0-9a-f]{48}", sent[1] or ""), sent
    # A new conversation forgets the context.
    page.click("#new-conversation")
    assert page.locator(".turn").count() == 0
    ask(page, "And what did Novartis do?", 1)
    assert page.locator(".turn").nth(0).locator(".searched").is_hidden()
    assert sent[2] is None, sent


def test_filter_by_document(page, site):
    open_site(page, site)
    page.check('#doc-list input[data-source="novartis-aws-cell-gene-therapy-manufacturing.txt"]')
    # The learned answerer declines a question that names nothing ("the company") more often
    # than the rules did; this test is about the filter, so the question names its subject.
    box = ask(page, "What did Novartis do to improve its CAR-T manufacturing?", 1)
    titles = box.locator(".sources .card-title").all_inner_texts()
    assert titles and all(t.startswith("Cell, gene therapy manufacturing takes center stage")
                          for t in titles)


def test_abstention_is_shown_clearly(page, site):
    open_site(page, site)
    box = ask(page, "How much did Pfizer pay to acquire Seagen?", 1)
    assert "abstained" in box.get_attribute("class")
    assert box.locator(".badge").inner_text() == "The documents don't cover this"
    assert box.inner_text().count("cover this") == 1  # said once, not in a badge and the text
    assert "Seagen" in box.locator(".reason").inner_text()


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
        # the passage view closed and focus handed back (its "close" event, which moves focus to
        # the marker) before the next question is typed: a clean-clone run under load typed it
        # while the view was still closing, and the Enter went to the marker
        page.evaluate("""() => { window.__closed = false; document.getElementById('passage')
            .addEventListener('close', () => setTimeout(() => { window.__closed = true; }, 0),
                              {once: true}); }""")
        page.keyboard.press("Escape")
        page.wait_for_function("window.__closed === true")
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


# --- issue 12: upload, documents, scrolling, source cards, passages, examples, copy, fonts ---
# Each runs at a desktop and a phone size.

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 800}}


@pytest.fixture(params=list(SIZES))
def sized(browser, request):
    with sized_page(browser, request.param, SIZES[request.param], bypass_csp=True,
                    permissions=["clipboard-read", "clipboard-write"]) as pg:
        yield pg


def no_horizontal_overflow(page):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def open_documents(page):
    if page.locator("#docs-panel").get_attribute("open") is None:
        page.click("#docs-panel summary")
    page.locator("#pick").wait_for()


def in_viewport(page, selector_js: str) -> dict:
    return page.evaluate(f"""() => {{ const r = ({selector_js}).getBoundingClientRect();
        return {{top: r.top, bottom: r.bottom, h: innerHeight}}; }}""")


def wait_upload_done(page):
    page.wait_for_function("""() => { const rows = [...document.querySelectorAll('#upload-files li')];
        return rows.length && rows.every(r => ['indexed', 'failed', 'rejected', 'duplicate']
            .includes(r.dataset.status)); }""", timeout=120_000)


def remove_document(page, title):
    item = page.locator("#doc-list li", has_text=title)
    item.locator("button.remove").click()
    page.locator("#confirm").wait_for(state="visible")
    assert title in page.inner_text("#confirm-text")
    page.click("#confirm-ok")
    page.locator("#doc-status", has_text="Removed").wait_for(timeout=120_000)
    assert page.locator("#doc-list li", has_text=title).count() == 0


def test_upload_with_the_picker_and_by_drop_then_remove(sized, site, tmp_path):
    page = sized
    open_site(page, site)
    open_documents(page)
    tag = page.size.capitalize()
    picked = tmp_path / f"quorvane-{page.size}.txt"
    picked.write_text(f"Quorvane {tag} Therapeutics licensing note\n\nQuorvane {tag} Therapeutics "
                      f"licensed its QRV-{len(tag)} antibody to Helmora Bio for $42 million in "
                      "June 2025. The deal includes milestones.\n", encoding="utf-8")
    # the file picker
    page.set_input_files("#file-input", str(picked))
    page.locator("#upload").wait_for()
    wait_upload_done(page)
    row = page.locator("#upload-files li").first
    assert row.get_attribute("data-status") == "indexed", row.inner_text()
    assert page.locator("#upload-progress").get_attribute("value") == "100"
    assert "ready to ask about" in page.inner_text("#upload-message")
    title = f"Quorvane {tag} Therapeutics licensing note"
    item = page.locator("#doc-list li", has_text=title)
    item.wait_for(state="attached")
    assert item.locator(".doc-state").inner_text() == "1 passage"  # one short note: one passage
    # a synthetic drop of two files: one good, one refused, each with its status in words
    page.evaluate("""([name, tag]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([`Brintova ${tag} Pharma supply note\\n\\nBrintova ${tag} Pharma ` +
            'signed a fill-finish supply agreement with Castellan CDMO in May 2025.\\n'],
            name, {type: 'text/plain'}));
        dt.items.add(new File([new Uint8Array([0, 1, 2, 3, 255, 254, 0, 0])], 'blob.bin'));
        document.getElementById('drop').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", [f"brintova-{page.size}.txt", tag])
    wait_upload_done(page)
    statuses = dict(zip(page.locator("#upload-files .file-name").all_inner_texts(),
                        page.locator("#upload-files li").evaluate_all(
                            "rows => rows.map(r => r.dataset.status)")))
    assert statuses == {f"brintova-{page.size}.txt": "indexed", "blob.bin": "rejected"}
    refused = page.locator('#upload-files li[data-status="rejected"]').inner_text()
    assert "refused" in refused and "blob.bin" in refused
    no_horizontal_overflow(page)
    # removal asks first (a dialog in the page); Cancel keeps the document
    item.locator("button.remove").click()
    page.locator("#confirm").wait_for(state="visible")
    page.click("#confirm-cancel")
    assert page.locator("#doc-list li", has_text=title).count() == 1
    remove_document(page, title)
    remove_document(page, f"Brintova {tag} Pharma supply note")
    assert page.errors == []


QUESTIONS = ["How much did AstraZeneca pay for Gracell Biotechnologies?",
             "What did Novartis do to improve its CAR-T manufacturing?",
             "What should a biotech verify before contracting a CDMO for late-stage trials?",
             "Which antigen does Fucaso target?"]


def test_the_newest_answer_and_the_question_box_stay_in_view(sized, site):
    page = sized
    open_site(page, site)
    for turn, q in enumerate(QUESTIONS, 1):
        ask(page, q, turn)
        page.wait_for_timeout(100)
        start = in_viewport(page, f"document.querySelectorAll('.turn')[{turn - 1}].querySelector('.answer')")
        assert 0 <= start["top"] < start["h"] - 40, (turn, start)  # the answer's start shows
        box = in_viewport(page, "document.getElementById('question')")
        assert 0 <= box["top"] and box["bottom"] <= box["h"], (turn, box)
        # the question above it is not hidden behind the question box
        form = in_viewport(page, "document.getElementById('ask-form')")
        assert start["top"] < form["top"]
    no_horizontal_overflow(page)


def test_source_cards_are_unique_and_quote_the_cited_sentence(sized, site):
    page = sized
    open_site(page, site)
    # An answer quoting several passages: the CDMO checklist runs over three chunks.
    box = ask(page, "What should we check before signing a CDMO?", 1)
    cards = box.locator(".sources .card")
    assert cards.count() >= 2
    keys = cards.evaluate_all("cs => cs.map(c => c.dataset.source + '|' + "
                              "c.querySelector('.card-snippet').textContent)")
    assert len(keys) == len(set(keys))
    numbers = [n for ns in cards.evaluate_all("cs => cs.map(c => c.dataset.n)") for n in ns.split(",")]
    assert len(numbers) == len(set(numbers))  # every [n] on exactly one card
    answer = box.locator(".body").inner_text()
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.locator(".card-title").inner_text()
        assert card.locator(".card-where").inner_text().endswith(".txt")
        snippet = card.locator(".card-snippet")
        text = snippet.text_content()
        # the sentence the answer quotes (a numbered item's "2." is drawn by its list)
        text = re.sub(r"^\d{1,2}[.)]\s+", "", text or "")
        assert text and text[:40] in answer
        lines = snippet.evaluate("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)")
        assert lines <= 2.05
    no_horizontal_overflow(page)


def test_a_card_opens_the_passage_with_only_the_used_sentences_highlighted(sized, site):
    page = sized
    open_site(page, site)
    box = ask(page, "How much did AstraZeneca pay for Gracell Biotechnologies?", 1)
    box.locator(".sources .card").first.click()
    page.locator("#passage").wait_for(state="visible")
    marks = page.locator("#passage-text mark").all_inner_texts()
    passage = page.inner_text("#passage-text")
    answer = box.locator(".body").inner_text()
    assert marks and sum(map(len, marks)) < len(passage) / 2  # sentences, not the passage
    for m in marks:
        assert m.strip().rstrip(".") [:30] in answer
    # the highlight is scrolled into view inside the passage box
    seen = page.evaluate("""() => { const m = document.querySelector('#passage-text mark').getBoundingClientRect();
        const b = document.getElementById('passage-text').getBoundingClientRect();
        return m.top >= b.top - 1 && m.top < b.bottom; }""")
    assert seen
    link = page.locator("#passage-open")
    href = link.get_attribute("href")
    import re
    assert re.fullmatch(r"/v1/documents/[0-9a-f]{16}/file", href), href
    import httpx
    r = httpx.get(site + href)
    assert r.status_code == 200 and "Gracell" in r.text
    no_horizontal_overflow(page)
    page.keyboard.press("Escape")


def test_empty_state_offers_questions_from_the_documents(sized, site):
    page = sized
    open_site(page, site)
    examples = page.locator("#examples .example")
    examples.first.wait_for()
    assert examples.count() >= 3
    first = examples.first.inner_text()
    assert not first.startswith("What is “")  # drawn from the documents' sentences (issue 22)
    examples.first.click()
    page.locator(".turn").first.wait_for()
    page.wait_for_function("() => { const a = document.querySelector('.turn .answer');"
                           " return a && !a.classList.contains('streaming'); }")
    box = page.locator(".turn .answer").first
    assert "abstained" not in box.get_attribute("class")
    assert box.locator(".marker").count() >= 1
    assert page.locator("#empty").is_hidden()
    page.click("#new-conversation")
    assert page.locator("#empty").is_visible()
    no_horizontal_overflow(page)


def test_a_declined_answer_is_said_once_with_its_reason(sized, site):
    page = sized
    open_site(page, site)
    box = ask(page, "How much did Pfizer pay to acquire Seagen?", 1)
    text = box.inner_text()
    assert text.count("don't cover this") == 1
    assert "No passage mentions “Seagen”." in text
    no_horizontal_overflow(page)


def test_copy_answer_gives_markdown_with_its_sources(sized, site):
    page = sized
    open_site(page, site)
    box = ask(page, "What did Novartis do to improve its CAR-T manufacturing?", 1)
    box.get_by_role("button", name="Copy answer").click()
    box.get_by_text("Copied as Markdown.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("**Q:** What did Novartis do to improve its CAR-T manufacturing?")
    assert box.locator(".body").inner_text().split("[1]")[0].strip() in copied
    assert "**Sources**" in copied
    assert "*Cell, gene therapy manufacturing takes center stage as Novartis, Amazon join forces*" in copied
    assert "`novartis-aws-cell-gene-therapy-manufacturing.txt`" in copied
    assert "\n  > " in copied  # the quoted sentence


def test_symbols_render_with_a_font_that_has_them(page, site):
    """The documents use emoji and symbols (📸 → • —): Chromium draws them with a real font
    (DejaVu Sans for symbols, Noto Color Emoji for emoji, both Debian packages), never tofu."""
    import subprocess

    installed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    if "Noto Color Emoji" not in installed:
        pytest.skip("fonts-noto-color-emoji is not installed (make browser installs it)")
    open_site(page, site)
    # laid out and painted before the fonts are asked for: on a loaded machine Chromium may not
    # have shaped the text yet, and then reports no fonts at all
    page.evaluate("""async () => { const s = document.createElement('span'); s.id = 'sym';
        s.textContent = '📸 → • —'; document.querySelector('.chat').append(s);
        s.getBoundingClientRect(); await document.fonts.ready;
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); }""")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    fonts: set[str] = set()
    for _ in range(20):
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#sym"})["nodeId"]
        fonts = {f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
        if fonts:
            break
        page.wait_for_timeout(250)
    assert "Noto Color Emoji" in fonts, fonts
    assert fonts <= {"Noto Color Emoji", "DejaVu Sans", "Liberation Sans"}, fonts


def test_sign_in_with_a_key_then_sign_out(browser, indexed, tmp_path):
    """With keys, the page asks for one, keeps only the session cookie, and signs out."""
    import uuid

    from assistant.auth.keys import KeyStore

    settings, store, assistant = indexed
    cfg = make_settings(tmp_path, settings.corpus_dir, chroma_path=settings.chroma_path,
                        collection_prefix=f"web{uuid.uuid4().hex[:8]}")
    key, _ = KeyStore(store.client, cfg.collection_prefix).create("web", "reader", ["*"])
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    try:
        with serve(create_app(cfg, assistant)) as base:
            pg.goto(base + "/")
            pg.wait_for_selector("#sign-in:not([hidden])")
            assert pg.locator("#sign-out").is_hidden()
            pg.fill("#api-key", key)
            pg.locator("#sign-in button[type=submit]").click()
            pg.wait_for_selector("#sign-in", state="hidden")
            pg.wait_for_selector("#sign-out:not([hidden])")
            assert key not in pg.evaluate("JSON.stringify(localStorage) + document.cookie")
            # signed in, a follow-up continues the key's own conversation
            pg.wait_for_selector("#doc-list li", state="attached")
            ask(pg, "What cell therapy deals did AstraZeneca do in 2023?", 1)
            ask(pg, "And what did Novartis do?", 2)
            assert pg.locator(".turn").nth(1).locator(".searched").inner_text() == \
                "Searched: What cell therapy deals did Novartis do in 2023?"
            pg.locator("#sign-out").click()
            pg.wait_for_selector("#sign-in:not([hidden])")
            assert pg.locator("#sign-out").is_hidden()
            # the cookie is gone: the server no longer knows this page
            status = pg.evaluate("fetch('/v1/session').then(r => r.status)")
            assert status == 401
    finally:
        context.close()
