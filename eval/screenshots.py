"""Screenshots of the web page: `python -m eval.screenshots` (or `make screenshots`).

Ingests the corpus into a temporary folder, starts the real server (`python -m assistant serve`)
on a free loopback port, asks two questions in Debian's headless Chromium and saves PNGs at
1280×800 and 375×800 into assistant/web/ (README.md and docs/web.md show them):

- screenshot-desktop.png: two answers with their source cards, the documents panel;
- screenshot-passage.png: a source opened, the used sentence highlighted;
- screenshot-phone.png: the same conversation on a phone, the question box at the bottom;
- screenshot-answer-kinds.png (1280×1200): an answer from the tables, then a hedged answer;
- screenshot-tables.png: the Tables view (#tables), the deals sorted by total, one cell's quote
  open; screenshot-tables-phone.png: the same at 375×800, the table scrolling in its own box.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistant.core import offline
from eval.load import stop_server

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "assistant" / "web"
CHROMIUM = "/usr/bin/chromium"
QUESTIONS = ["How much did AstraZeneca pay for Gracell Biotechnologies?",
             "What should a biotech verify before contracting a CDMO for late-stage trials?"]

# screenshot-answer-kinds.png: an answer from the tables, and a hedge (the subject is in the
# documents, the answer is not stated plainly).
ANSWER_KINDS = ["What are the largest deals?",
                "When did the FDA approve Fucaso?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(page, question: str, turn: int) -> None:
    page.fill("#question", question)
    page.locator("#question").press("Enter")
    page.wait_for_function(
        "n => { const a = document.querySelectorAll('.turn')[n - 1]?.querySelector('.answer');"
        " return a && !a.classList.contains('streaming'); }", arg=turn, timeout=60_000)
    page.wait_for_timeout(200)


def shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                    "--disable-gpu"])
        for name, size in (("desktop", (1280, 800)), ("phone", (375, 800))):
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(base + "/")
            page.wait_for_selector("#examples .example")
            if name == "desktop":
                page.screenshot(path=str(out / "screenshot-empty.png"))
                saved.append(out / "screenshot-empty.png")
            for i, q in enumerate(QUESTIONS, 1):
                ask(page, q, i)
            path = out / f"screenshot-{name}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            if name == "desktop":
                page.locator(".turn").nth(1).locator(".sources .card").first.click()
                page.locator("#passage").wait_for(state="visible")
                page.wait_for_timeout(200)
                path = out / "screenshot-passage.png"
                page.screenshot(path=str(path))
                saved.append(path)
            page.close()
        # a table answer and a hedged one, in the chat
        page = browser.new_page(viewport={"width": 1280, "height": 1200})  # both answers in view
        page.goto(base + "/")
        page.wait_for_selector("#examples .example")
        for i, q in enumerate(ANSWER_KINDS, 1):
            ask(page, q, i)
        path = out / "screenshot-answer-kinds.png"
        page.screenshot(path=str(path))
        saved.append(path)
        page.close()
        for name, size in (("tables", (1280, 800)), ("tables-phone", (375, 800))):
            path = out / f"screenshot-{name}.png"
            shoot_tables(browser.new_page(viewport={"width": size[0], "height": size[1]}), base, path)
            saved.append(path)
        browser.close()
    return saved


def shoot_tables(page, base: str, path: Path) -> None:
    """The deals table sorted by total, largest first, with the quote of the largest open."""
    page.goto(base + "/#tables")
    page.wait_for_selector("#records-table tbody tr")
    sort = page.locator('#records-table th[data-field="total"] button')
    sort.click()
    sort.click()
    page.locator('#records-table th[data-field="total"][aria-sort="descending"]').wait_for()
    page.locator('#records-table tbody tr').first.locator('td[data-field="total"] button').click()
    page.locator("#quote-pop").wait_for(state="visible")
    page.wait_for_timeout(200)
    page.screenshot(path=str(path))
    page.close()


def main() -> int:
    env = {**offline.env(), "UNSTRUCTURED_DISABLE_NOTICE": "1"}
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        env.update(ASSISTANT_CHROMA_PATH=str(Path(tmp) / "db"), ASSISTANT_CORPUS_DIR=str(ROOT / "corpus"),
                   ASSISTANT_AUTH="auto")
        subprocess.run([sys.executable, "-m", "ingest", str(ROOT / "corpus")], env=env, check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 120
            while True:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.3)
            for path in shoot(base, OUT):
                print(path.relative_to(ROOT))
        finally:
            stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
