"""Questions that name several deals, and lists under a page's headings (issue 24, kinds 5 and 6),
on round-up pages of our own (`tests/data/roundup/`): a weekly deal sheet whose deals are a table
written with pipes, an acquisition story, and an FDA weekly list whose sections run past its
first chunk.

Real pipeline: ingested into embedded Chroma with the packaged embedder and asked through the
service the API and Slack use. The pure parts (which lines are navigation, which names a search
missed) are checked on their own below.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from assistant.answers.features import is_page_line
from assistant.answers.shapes import shape_of
from assistant.core.money import find_money
from assistant.retrieval.coverage import cover, uncovered
from assistant.retrieval.spelling import question_abbreviations

SHEET = "weekly-deal-sheet-14.txt"
OSTRAVA = "ostrava-quill-acquisition-2025.txt"
WATCH = "fda-watch-week-ended-march-8.html"
PLANTS = "plant-news-tag-page-3.md"


@pytest.fixture(scope="module")
def ask(roundup_indexed):
    *_, assistant = roundup_indexed
    return lambda question: assistant.ask(question).answer


# --- a table written with pipes is read, not skipped as a navigation bar ---------------------

def test_a_pipe_table_row_is_not_a_navigation_bar():
    assert is_page_line("Home | News | Regulatory | Deals | Events | Subscribe")
    assert is_page_line("1 | 2 | 3 | Next")
    assert not is_page_line("Apr 7 | Alderwick Pharma – Brightwater Bio | Licensing | "
                            "$35M upfront; $900M potential | Oncology (ADC)")
    assert not is_page_line("Apr 10 | Iverton Health – Jessop Genomics | Licensing | Undisclosed | Diagnostics")


def test_a_comparison_of_two_table_rows_gives_both(ask):
    a = ask("Alderwick/Brightwater vs Corvel/Dunmore: bigger upfront?")
    assert a.kind == "answered", a.answer
    assert "$35M upfront" in a.answer and "$80M upfront" in a.answer, a.answer
    assert {c.source for c in a.citations} == {SHEET}


# --- "largest among A, B and C": every side, each from its own passage -----------------------

def test_among_a_list_is_a_comparison_of_each():
    shape = shape_of("Largest deal among Alderwick/Brightwater, Corvel/Dunmore and Ostrava/Quill?")
    assert shape.kind == "comparison"
    assert shape.labels == ["Alderwick/Brightwater", "Corvel/Dunmore", "Ostrava/Quill"]


def test_largest_among_three_deals_answers_each_with_its_value(ask):
    a = ask("Largest deal among Alderwick/Brightwater, Corvel/Dunmore and Ostrava/Quill?")
    assert a.kind == "answered", a.answer
    assert "$900M potential" in a.answer and "$1.4B potential" in a.answer, a.answer
    # the deal's value, not its price per share
    assert "$2.1 billion" in a.answer, a.answer
    assert {c.source for c in a.citations} == {SHEET, OSTRAVA}


def test_a_price_per_named_share_is_not_a_deal_value():
    assert find_money("Ostrava will pay $31 per Quill share, a 48% premium") == []
    assert [m.value for m in find_money("$31 per share in cash, or $2.1 billion")] == [2.1e9]


# --- a heading's lines, past the first chunk, asked in the plural or by abbreviation ----------

def test_a_section_after_the_first_chunk_is_listed(ask):
    a = ask("Priority reviews in the FDA week ended March 8?")
    assert a.shape == "list", a.answer
    assert "PLM-77" in a.answer and "Tovrela" in a.answer, a.answer
    assert "Lurvanta" not in a.answer and "SG-015" not in a.answer, a.answer


def test_an_abbreviation_in_the_plural_finds_its_section(ask):
    assert ("breakthrough", "therapi") in question_abbreviations("BTDs that week?")
    a = ask("BTDs in the week ended March 8 - which drugs?")
    assert a.kind == "answered", a.answer
    assert "YB-301" in a.answer and "zelvotinib" in a.answer, a.answer
    assert "SG-015" not in a.answer, a.answer  # a fast track, the section before


def test_crls_by_abbreviation(ask):
    a = ask("Which CRLs did the FDA issue in the week ended March 8?")
    assert "HB-220" in a.answer and "ustekinumab" in a.answer, a.answer
    assert "Orvexa" not in a.answer, a.answer


# --- names one search left out are searched for on their own (pure logic) ---------------------

def _p(id_: str, text: str) -> SimpleNamespace:
    return SimpleNamespace(id=id_, text=text, title="", section="", rank=0)


def test_a_name_no_passage_holds_is_searched_for_when_the_index_knows_it():
    got = [_p("a", "Shionogi completed its acquisition of Torii for $1.1 billion.")]
    known = {"collegium", "shionogi", "torii"}.__contains__
    searches = uncovered("Largest M&A among Collegium and Shionogi?", got, lambda t: known(t))
    assert [names[0].surface for _, names in searches] == ["Collegium"]
    query = searches[0][0]
    assert query.startswith("Collegium") and "Shionogi" not in query and "Largest" in query
    # a name the index does not hold is left to the premise check: no search
    assert uncovered("What did Seagen pay?", got, lambda t: False) == []


def test_a_comparison_side_without_a_passage_is_searched_with_what_is_asked():
    got = [_p("a", "Apr 7 | Alderwick Pharma – Brightwater Bio | Licensing | $35M upfront")]
    q = "Alderwick/Brightwater vs Ostrava/Quill: bigger upfront?"
    shape = shape_of(q)
    searches = uncovered(q, got, lambda t: True, list(zip(shape.labels, shape.sides)))
    assert len(searches) == 1
    query, names = searches[0]
    assert query.startswith("Ostrava/Quill") and "upfront" in query
    assert {a.surface for a in names} == {"Ostrava", "Quill"}


def test_cover_adds_the_best_passage_naming_what_was_missing_and_keeps_the_rest():
    got = [_p("a", "Shionogi completed its acquisition of Torii.")]
    found = {"Collegium": [_p("a", "dup"), _p("x", "Other news."),
                           _p("b", "Collegium will buy BDSI for $604 million.")]}
    searches = uncovered("Largest among Collegium and Shionogi?", got,
                         {"collegium", "shionogi"}.__contains__)

    def search(query: str, k: int):
        return found[query.split()[0]]
    out = cover(search, got, searches)
    assert [p.id for p in out] == ["a", "b"]
    assert re.search("Collegium", out[1].text)


# --- the subject's own passage leads over another table's row ----------------------------------

def _cand(text: str, passage_text: str, prob: float):
    from assistant.answers.features import Candidate
    return Candidate(_p(passage_text[:8], passage_text), 0, text, prob=prob)


def test_a_sentence_of_a_passage_naming_the_subject_leads_when_close_behind():
    from assistant.answers.extractive import _facts_first
    from assistant.retrieval.anchors import question_anchors
    q = SimpleNamespace(names=question_anchors("who's funding CABIM?"))
    other = _cand("Series C Funding | Wugen CAR-T biotech | $115M", "Series C Funding | Wugen CAR-T biotech | $115M", 0.12)
    own = _cand("The center is backed by $76M, in a round led by Harvard.",
                "CABIM, the Watertown center. The center is backed by $76M, in a round led by Harvard.", 0.09)
    far = _cand("The center is backed by $76M.", "CABIM said. The center is backed by $76M.", 0.05)
    assert _facts_first(q, [other, own])[0] is own
    assert _facts_first(q, [other, far])[0] is other  # not close enough behind
    # a figure is not traded for a sentence without one ("What's BMS paying per Amira share?")
    q2 = SimpleNamespace(names=question_anchors("What's BMS paying per Amira share?"))
    paid = _cand("BMS will pay $1.5bn upfront.", "BMS will pay $1.5bn upfront.", 0.14)
    vague = _cand("BMS will take over all of Amira's shares.", "BMS will take over all of Amira's shares.", 0.08)
    assert _facts_first(q2, [paid, vague])[0] is paid


# --- a comparison of size measures what the question names: jobs, floor space, money ----------

def test_a_list_of_sides_after_a_superlative_is_a_comparison():
    shape = shape_of("largest capex: Marlow Fenton, Quarry Dunmore, Tessel Ghent?")
    assert shape.kind == "comparison" and len(shape.sides) == 3
    assert shape_of("What are the largest deals in 2024, by value?").kind != "comparison"


def test_more_jobs_compares_the_job_counts(ask):
    a = ask("More jobs: Marlow's Fenton plant or Quarry's Dunmore expansion?")
    assert "150 jobs" in a.answer and "410 new jobs" in a.answer, a.answer


def test_a_larger_footprint_compares_floor_space_not_money(ask):
    a = ask("Larger footprint: Marlow's Fenton plant or Quarry's Dunmore expansion?")
    assert "180,000-square-foot" in a.answer and "62,000-square-foot" in a.answer, a.answer


def test_capex_is_asked_in_money(ask):
    a = ask("Capex: Marlow Fenton vs Quarry Dunmore?")
    assert "$240 million" in a.answer and "$95 million" in a.answer, a.answer


# --- what a question asks for: the slot a sentence must give, a drug's INN as a name ------------

@pytest.mark.parametrize("question, slot", [
    ("Astellas/OSI break fee?", "the termination fee"),
    ("What termination fee applies if the deal falls through?", "the termination fee"),
    ("Who advised Shionogi on the Torii acquisition?", "the advisers"),
    ("Levadex indication?", "the indication"),
    ("Where is Aurobac headquartered?", "the headquarters"),
    ("Who sponsors Erleada?", "the sponsor"),
    ("Erleada sponsor?", "the sponsor"),
    ("What's Prometheus' lead asset?", "the lead asset"),
    ("What's Roche paying upfront?", "the upfront payment"),
])
def test_a_question_names_the_term_a_sentence_must_give(question, slot):
    from assistant.answers.question import slot_of
    assert slot_of(question)[0] == slot


def test_a_sponsor_in_another_sense_is_no_slot():
    from assistant.answers.question import slot_of
    assert slot_of("what does the designation give a sponsor, per the post?") is None


def test_a_terse_date_question_and_a_headcount_ask_for_their_kinds_of_value():
    from assistant.answers.question import answer_type
    assert answer_type("date FDA granted povetacicept BTD?")[0] == "date"
    assert answer_type("Headcount at Selkirk's Spokane plant?")[0] == "jobs"
    assert answer_type("What's the update on the candidate?") is None
    assert answer_type("Lilly Gateway Labs investment $?")[0] == "amount"
    assert answer_type("Synthego plant - what's it costing?")[0] == "amount"


def test_a_drugs_lower_case_inn_is_a_name_of_the_question():
    from assistant.retrieval.anchors import question_anchors
    assert [a.surface for a in question_anchors("date FDA granted povetacicept BTD?")] == \
        ["FDA", "povetacicept", "BTD"]
    assert [a.surface for a in question_anchors("what does tezepelumab target?")] == ["tezepelumab"]
    # ordinary words are not: "peptide", "excel", "statement"
    assert question_anchors("is the peptide in the excel statement?") == []


def test_one_item_per_document_each_naming_what_it_can_of_the_question():
    """"Roche across the set: the 89bio deal and satralizumab's EU status?": each document names
    Roche and one of the rest; each gives its item (not only the document naming the most)."""
    import numpy as np

    from assistant.answers.features import Candidate
    from assistant.answers.gather import list_items
    from assistant.retrieval.anchors import question_anchors

    def cand(source: str, text: str, prob: float) -> Candidate:
        p = SimpleNamespace(id=source, source=source, text=text, title="", section="", rank=0)
        return Candidate(p, 0, text, features=np.array([0.5]), prob=prob)
    # (the answerer's list subject: names, and numbers that are part of a code or name)
    names = [a for a in question_anchors("Roche across the set: the 89bio deal and satralizumab's EU status?")
             if not a.numeric or re.search(r"[A-Za-z]", a.surface)]
    ranked = [cand("ema.txt", "The EMA validated Roche's application for satralizumab in the EU.", 0.4),
              cand("reuters.txt", "Roche has agreed to buy 89bio for up to $3.5 billion.", 0.3),
              cand("other.txt", "Shares rose 4% on the news.", 0.2)]
    items = list_items(ranked, 6, 0.5, per_document=True, names=names)
    assert [c.passage.source for c in items] == ["ema.txt", "reuters.txt"]


def test_two_names_joined_by_a_hyphen_are_two_anchors_each_as_written():
    """"NVS-Argo deal terms?": NVS is read through the alias table's tickers (Novartis)."""
    from assistant.retrieval.anchors import anchor_in, question_anchors
    got = question_anchors("NVS-Argo Sept 2025 deal terms?")
    assert [a.surface for a in got[:2]] == ["NVS", "Argo"]
    assert anchor_in(got[0], {"novarti"}) and anchor_in(got[1], {"argo"})
    # a code name stays whole
    assert {a.surface for a in question_anchors("What is KT-210?")} == {"KT-210"}


def test_a_section_of_the_page_the_question_names_not_of_another_weeks_page(ask):
    a = ask("FDA approvals wk ended March 15?")
    assert "Cavexa" in a.answer and "Rhonvia" in a.answer, a.answer
    assert "Lurvanta" not in a.answer, a.answer  # the March 8 page's approvals
    b = ask("FDA approvals wk ended March 8?")
    assert "Lurvanta" in b.answer and "Cavexa" not in b.answer, b.answer


def test_a_heading_written_whole_in_a_question_with_a_plural(ask):
    a = ask("fast track grants in the March 8 FDA list")
    assert "SG-015" in a.answer and "WX-8" in a.answer, a.answer
    assert "QT-88" not in a.answer, a.answer


def test_a_price_or_payment_is_a_sum_of_money_not_a_percentage():
    from assistant.answers.question import answer_type
    kind, holds = answer_type("What price did Halden offer for Torvik?")
    assert kind == "amount"
    assert not holds.search("Halden signed a binding offer to acquire 100% of the stock")
    assert holds.search("Halden will pay $5.60 apiece") and holds.search("EUR 40 million")
    assert answer_type("What is Halden paying Torvik?")[0] == "amount"


def test_abbreviations_with_a_digit_and_a_topic_first_word():
    from assistant.core.text import terms
    from assistant.retrieval.anchors import anchor_in, question_anchors
    got = question_anchors("Xorvel: which regulators signed off in Q1 2014, as 1L therapy?")
    assert [a.surface for a in got] == ["Xorvel", "Q1", "2014", "1L"]
    text = set(terms("Xorvel was approved in the first quarter of 2014 as a first-line treatment"))
    assert all(anchor_in(a, text) for a in got)
    # "Bridge Bio x Atomwise": "Bio" is the kind of company after its name, not a premise
    assert [a.surface for a in question_anchors("Bridge Bio x Atomwise: how many?")] == ["Atomwise"]


def test_a_first_word_starting_a_run_of_names_or_owning_something_is_a_name():
    from assistant.retrieval.anchors import question_anchors
    def names(q):
        return [a.surface for a in question_anchors(q)]
    # a rare word (no English word of the embedder's vocabulary) or a known company
    assert names("Corvane Raleigh plant: cost and jobs?") == ["Corvane", "Raleigh"]
    assert names("Pfizer Portage plant: cost, size, jobs?") == ["Pfizer", "Portage"]
    assert names("Kite's Netherlands plant: size?") == ["Kite", "Netherlands"]
    # phrasing, an English word, the trade's words: not names
    assert names("Compare Halden and Norvane deals") == ["Halden", "Norvane"]
    assert names("Premium Halden paid for Aurion?") == ["Halden", "Aurion"]
    assert names("Upfront Halden paid?") == ["Halden"]
    assert names("Did Halden pay?") == ["Halden"]
    # a contraction, a misspelt question word, an instruction: not names
    assert names("Didn't Halden buy Aurion?") == ["Halden", "Aurion"]
    assert names("Whats Halden's Raleigh plant cost?") == ["Halden", "Raleigh"]
    assert names("Recap Halden's quarter") == ["Halden"]


def test_a_designation_said_by_the_heading_a_line_is_listed_under():
    from assistant.answers.features import Candidate
    from assistant.answers.gather import heading_above
    text = "Fast track\n\nHalden Pharma's HX-1 for sepsis.\n\nOrphan drug\n\nTorvik Bio's TV-2 for ALS."
    spans, at = [], 0
    for line in text.split("\n\n"):
        start = text.index(line, at)
        spans.append((start, start + len(line)))
        at = start + len(line)
    p = SimpleNamespace(id="p", source="s", text=text, title="", section="", rank=1, sentences=spans,
                        sentence_texts=lambda: [text[a:b] for a, b in spans])
    assert heading_above(Candidate(p, 3, "Torvik Bio's TV-2 for ALS.")) == "Orphan drug"
    assert heading_above(Candidate(p, 1, "Halden Pharma's HX-1 for sepsis.")) == "Fast track"
    assert heading_above(Candidate(p, 0, "Fast track")) == ""


def test_do_two_sources_agree_is_a_comparison_of_each_on_the_topic():
    shape = shape_of("Pieris-Genentech: do BioWorld and Fierce agree on the money?")
    assert shape.kind == "comparison" and len(shape.sides) == 2
    assert shape_of("Do you agree?").kind == "single"


# --- a topic page of headlines: the line under a headline answers with it ---------------------

TOPIC = "deals-topic-page-41.html"


@pytest.mark.parametrize("question, fact", [
    ("who got the US rights to Halvern's kidney drug Trevasin?", "Ashgrove Bio"),
    ("Cantrell merged with whom?", "Wexmoor"),
    ("size of Pelham's Dorrance generics deal", "$6.4 billion"),
])
def test_a_headline_comes_with_the_line_under_it(ask, question, fact):
    a = ask(question)
    assert fact in a.answer, a.answer
    assert {c.source for c in a.citations} == {TOPIC}, a.answer
    assert "By March" not in a.answer  # the byline under the dek is not body text


def test_what_an_agency_approved_in_a_period_is_a_list_question():
    assert shape_of("What did the FDA approve in the week ended Dec. 14?").kind == "list"
    assert shape_of("What has the EMA recommended since January?").kind == "list"
    # one named product: what it was approved for, one fact
    assert shape_of("What did the FDA approve Cavexa for?").kind == "single"


def test_a_heading_named_by_its_abbreviation_in_the_singular_gives_its_one_line_whole(ask):
    """"Which CRL ...?" is the page's "Complete response letters" section, even with one line,
    and the line comes whole: what the letter asked for is its second sentence."""
    a = ask("Which CRL went out in the FDA week ended March 15?")
    assert "Dovrelin" in a.answer and "second twelve-month safety study" in a.answer, a.answer
    assert "Cavexa" not in a.answer and "QT-88" not in a.answer, a.answer
    assert {c.source for c in a.citations} == {"fda-watch-week-ended-march-15.html"}


def test_a_why_question_naming_an_abbreviation_is_not_the_sections_lines(ask):
    a = ask("Why did Ferrant get a CRL for Dovrelin?")
    assert a.shape != "list", a.answer
    assert "Dovrelin" in a.answer, a.answer


# --- a page of several stories: one story's figure is not another's ------------------------

BRIEFS = "deal-briefs-may-2.html"


@pytest.mark.parametrize("question", [
    # the next paragraph's "Ostrel is banking $25 million up front" is Ostrel's
    "How much is Harlow paying Quenby up front for QB-310?",
    # "it estimates the payoff could reach $1.2 billion" follows Kestrin and Tarnow's story
    "What is Marlin Health paying Velto in their digital therapeutics partnership?",
])
def test_a_figure_of_another_story_on_the_page_is_not_the_answer(ask, question):
    a = ask(question)
    assert a.kind == "hedged", a.answer
    assert a.answer.startswith("The documents do not state"), a.answer


def test_a_figure_of_the_story_asked_about_is_the_answer(ask):
    a = ask("How much is Ostrel getting up front from Genvia?")
    assert a.kind == "answered" and "$25 million up front" in a.answer, a.answer
    assert {c.source for c in a.citations} == {BRIEFS}
