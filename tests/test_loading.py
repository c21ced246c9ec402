"""Every supported format is partitioned offline; bad files fail with a specific reason."""

from __future__ import annotations

import os

import pytest

from assistant.core.config import Settings
from ingest.chunking import chunk_document
from ingest.loading import LoadError, check_file
from ingest.pipeline import load_document
from tests.formats import write_all


@pytest.fixture
def docs(tmp_path):
    return write_all(tmp_path / "docs")


def texts(doc) -> str:
    return "\n".join(e.text for e in doc.elements)


@pytest.mark.parametrize("kind,expected", [
    ("txt", "$310 million upfront"),
    ("md", "$2.9 million per patient"),
    ("html", "$840 million in January 2025"),
    ("pdf", "manufacturing agreement with a CDMO in Basel"),
    ("docx", "taken a cell therapy through a Phase 3 trial"),
])
def test_each_format_is_partitioned_offline(docs, kind, expected):
    doc, _ = load_document(docs[kind], docs[kind].parent)
    assert expected in texts(doc)
    assert doc.source == docs[kind].name


def test_titles_come_from_metadata_or_headings(docs):
    titles = {k: load_document(p, p.parent)[0].title for k, p in docs.items()}
    assert titles["pdf"] == "Tessaro manufacturing update"
    assert titles["docx"] == "Vendor checklist"
    assert titles["html"] == "Quillon deal news"
    assert titles["md"] == "Market notes"
    assert titles["txt"] == "Zentrix Licenses KRT-77 to Halvard"


def test_html_page_furniture_is_removed(docs):
    doc, _ = load_document(docs["html"], docs["html"].parent)
    body = texts(doc)
    for chrome in ["Subscribe", "newsletter", "header banner", "All rights reserved", "password",
                   "other stories"]:
        assert chrome not in body


def test_pdf_chunks_carry_their_page(docs):
    doc, _ = load_document(docs["pdf"], docs["pdf"].parent)
    chunks = chunk_document(doc, Settings(), "test-model", "hash")
    pages = {c.metadata["page"] for c in chunks}
    assert pages == {1, 2}
    second = [c for c in chunks if "HEPA" in c.text]
    assert second and all(c.metadata["page"] == 2 for c in second)


def test_chunks_keep_source_title_and_section(docs):
    doc, _ = load_document(docs["md"], docs["md"].parent)
    [chunk] = chunk_document(doc, Settings(), "test-model", "hash")
    assert chunk.metadata["source"] == "market.md"
    assert chunk.metadata["title"] == "Market notes"
    assert chunk.metadata["section"] in {"Market notes", "Pricing"}
    assert "page" not in chunk.metadata


@pytest.mark.parametrize("name,content,reason", [
    ("slides.pptx", b"PK\x03\x04", "unsupported file type '.pptx'"),
    ("empty.txt", b"", "empty file"),
    ("binary.txt", b"\x00\x01\x02" * 100, "binary content"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "cannot be parsed as pdf"),
    ("broken.docx", b"not a zip archive at all", "cannot be parsed as docx"),
])
def test_bad_files_fail_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        load_document(path, tmp_path)
    assert reason in str(err.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(LoadError, match="file not found"):
        check_file(tmp_path / "nope.txt")
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):  # running as root: permissions are not enforced
            pytest.skip("root can read any file")
        with pytest.raises(LoadError, match="cannot read file"):
            check_file(locked)
    finally:
        locked.chmod(0o644)
