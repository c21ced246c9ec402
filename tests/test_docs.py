"""The README and docs/: every relative link resolves (file and #anchor), the README stays one
screen per idea (<= 15 KB, with the two set-up commands), and docs/configuration.md's settings
reference matches the settings class."""

import pathlib
import re
import sys

import pytest

from assistant.core import config_doc

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_BYTES = 15 * 1024

_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def _prose(text: str, blank_code: bool = True) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, with inline code spans blanked."""
    out, fence = [], False
    for n, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fence = not fence
            continue
        if not fence:
            out.append((n, _CODE_SPAN.sub("", line) if blank_code else line))
    return out


def links(path: pathlib.Path) -> list[tuple[int, str]]:
    return [(n, m.group(1)) for n, line in _prose(path.read_text(encoding="utf-8"))
            for m in _LINK.finditer(line)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|__", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: pathlib.Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, line in _prose(path.read_text(encoding="utf-8"), blank_code=False):
        m = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)
        if not m:
            continue
        s = slug(m.group(1))
        out.add(s if s not in seen else f"{s}-{seen[s]}")
        seen[s] = seen.get(s, 0) + 1
    return out


def broken_links(path: pathlib.Path) -> list[str]:
    out = []
    for n, target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}:{n}: ({target})"
        if not dest.exists():
            out.append(f"{where} no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            out.append(f"{where} no heading #{fragment} in {dest.relative_to(ROOT)}")
    return out


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path):
    assert not broken_links(path), "\n".join(broken_links(path))


def test_link_checker_catches_a_broken_link(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    doc = tmp_path / "a.md"
    (tmp_path / "b.md").write_text("# Some heading: `here`\n")
    doc.write_text("# A\n[ok](b.md#some-heading-here) [self](#a) [gone](c.md) [bad](b.md#nope)\n"
                   "`[in code](x.md)`\n```\n[fenced](y.md)\n```\n![img](pic.png) [web](https://x.y)\n")
    got = broken_links(doc)
    assert len(got) == 3 and "(c.md) no such file" in got[0] and "#nope" in got[1] \
        and "(pic.png)" in got[2], got


def test_readme_is_short():
    size = len(README.read_bytes())
    assert size <= MAX_README_BYTES, (
        f"README.md is {size:,} bytes (at most {MAX_README_BYTES:,}): move detail into docs/")


def test_readme_keeps_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    assert re.search(r"^make run\b", text, re.MULTILINE), "README.md lost the `make run` command"
    assert re.search(r"^make test\b", text, re.MULTILINE), "README.md lost the `make test` command"


def test_every_doc_is_linked_from_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [p.name for p in DOCS if f"docs/{p.name}" not in text]
    assert not missing, f"not linked from README.md's Documentation table: {missing}"


def test_configuration_reference_is_current():
    text = config_doc.DOC_PATH.read_text(encoding="utf-8")
    block = config_doc.current_block(text)
    assert block is not None, (f"docs/configuration.md has no generated part; run "
                               f"`{config_doc.COMMAND}`")
    assert block == config_doc.generated_block(), (
        f"docs/configuration.md is out of date with assistant/core/config.py; run "
        f"`{config_doc.COMMAND}` and commit the result")


def test_configuration_reference_shows_no_secret_and_no_absolute_path():
    table = config_doc.render()
    assert str(config_doc.PROJECT_ROOT) not in table
    for line in table.splitlines():
        if line.startswith("| `ASSISTANT_") and "| secret |" in line:
            assert "| unset (secret) |" in line or "| (secret) |" in line, line
    assert "`ASSISTANT_SLACK_SIGNING_SECRET` | secret | unset (secret) |" in table
    assert "`ASSISTANT_CHROMA_PATH` | path | `.data/chroma` |" in table


def test_configuration_reference_ignores_the_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "3")
    monkeypatch.setenv("ASSISTANT_SLACK_BOT_TOKEN", "xoxb-not-a-real-token")
    table = config_doc.render()
    assert "xoxb-not-a-real-token" not in table
    assert "| `ASSISTANT_TOP_K` | int (≥ 1, ≤ 20) | `12` |" in table
