"""Page chrome never reaches the index; article text does."""

from __future__ import annotations

import pytest

from assistant.index.store import iter_records
from ingest.chrome import Piece, chrome_mask

# Lines of page chrome from the scraped corpus files: none may be indexed.
CORPUS_CHROME = [
    "Explore recent issues of Contract Pharma",
    "Subscribe to Contract Pharma",
    "Download in-depth eBooks",
    "Join online webinars",
    "What are you searching for?",
    "Enter your account email",
    "verification code",
    "Set a new password",
    "Your Password has been Updated",
    "top of page",
    "bottom of page",
    "Stay up-to-date on major biopharma news",
    "Dive into the Biopharma Space",
    "Click on the image below",
    "How to obtain the latest research advancements",
    "not investment or legal advice",
]
# Article text next to that chrome: all of it must be indexed.
CORPUS_CONTENT = [
    "June 3, 2025",
    "By: Nimrod Bar Zvi",
    "How specialized expertise, advanced infrastructure, and strategic partnerships",
    "Nimrod Bar Zvi joined Pluri as chief commercial officer in 2022",
    "Big/Pharma Open for Business for Cell Therapy Collaborations",
    "→ Lineage - ophthalmology",
    "15 July 2024",
    "offering new hope to patients worldwide",
    "TECELRA",
]


def indexed_text(store) -> str:
    return "\n".join(r.text for r in iter_records(store.active())).lower()


@pytest.mark.parametrize("line", CORPUS_CHROME)
def test_corpus_chrome_is_not_indexed(indexed, line):
    _, store, _ = indexed
    assert line.lower() not in indexed_text(store)


@pytest.mark.parametrize("line", CORPUS_CONTENT)
def test_corpus_content_is_indexed(indexed, line):
    _, store, _ = indexed
    assert line.lower() in indexed_text(store)


def mask(lines, titles=()):
    return chrome_mask([Piece(t, t in titles) for t in lines])


def test_navigation_block_goes_but_a_lone_link_like_line_stays():
    article = ("Acme Bio said its CAR-T programme will enter Phase 3 next year, after a strong "
               "Phase 2 readout in relapsed myeloma and talks with two CDMOs about capacity.")
    lines = ["Watch our latest videos", "Download free eBooks", "Browse company profiles",
             "Read the digital magazine", "Join our webinars", article,
             "Watch the video of the keynote below.", article]
    out = mask(lines)
    assert out[:5] == [True] * 5
    assert out[5] is False and out[7] is False
    assert out[6] is False  # a single link-like line inside an article is not a menu


def test_sign_in_form_and_promo_footer():
    lines = ["The deal closes in Q3 2025, subject to regulatory approval.",
             "Forgot your password?", "Sign in", "Enter the 6-digit code",
             "Want more?", "Click here to subscribe to our newsletter."]
    assert mask(lines, titles={"Want more?"}) == [False, True, True, True, True, True]


def test_long_paragraph_mentioning_boilerplate_words_is_kept():
    text = ("Under the new privacy policy rules, sponsors must explain how trial participants "
            "can sign in to portals that hold their genomic data, and the FDA will review "
            "the consent forms before any enrolment begins in the United States or Europe. "
            "Companies that fail to comply face delays of six to twelve months.")
    assert mask([text]) == [False]


def test_heading_of_a_real_section_is_kept():
    lines = ["Manufacturing capacity", "Novartis raised capacity by 60% between Q1 and Q3."]
    assert mask(lines, titles={"Manufacturing capacity"}) == [False, False]


def test_the_last_items_of_a_list_page_above_a_footer_stay():
    """A list page's last lines, which the partitioner may set as headings, above a footer: only
    a heading whose own section is chrome goes, and it does not take the headings above it (all
    of these once went, one after another, because each one's section had become chrome)."""
    lines = ["Priority review", "Quenby Biologics' Astrivel for recurrent glioblastoma.",
             "Other designations", "Orphan drug, for Lanark Pharma's LNK-88, for Alport syndrome.",
             "Fast track, for Brevia Therapeutics' BRV-102, for progressive supranuclear palsy.",
             "More from our desk", "Related articles | Share this article"]
    out = mask(lines, titles=set(lines[:5]) | {"More from our desk"})
    assert out == [False] * 5 + [True, True]
