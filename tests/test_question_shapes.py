"""What a question asks for (pure logic): its shape (one fact, a list, a comparison, a summary,
one item per document) and the deal term or designation an answer sentence must state."""

from __future__ import annotations

import pytest

from assistant.answers.features import is_page_line
from assistant.answers.question import answer_type, slot_of
from assistant.answers.shapes import shape_of


@pytest.mark.parametrize("question", [
    "Where does BMS show up as a deal counterparty across these articles?",
    "What's Sanofi involved in across this set?",
    "Where does J&J appear in these stories?",
    "What is Lonza's role in each document?",
    "Which deals are mentioned throughout the articles?",
    "What do these documents report about Halvorsen?",
    "Merrow comes up twice in these docs: what are the two items?",
    "Tessaro turns up in two of the regulatory stories. Which products?",
    "Varda-related items across the docs?",
])
def test_one_item_per_document(question):
    shape = shape_of(question)
    assert shape.kind == "list" and shape.per_document, question


@pytest.mark.parametrize("question", [
    # what a set of documents holds, however many items each gives
    "Which gene and cell therapies in these articles won a designation, and from whom?",
    "What Texas manufacturing investments are in the set?",
    "Halvorsen deal activity in these docs?",
])
def test_what_a_set_of_documents_holds_is_a_list(question):
    shape = shape_of(question)
    assert shape.kind == "list" and not shape.per_document, question


@pytest.mark.parametrize("question, kind", [
    # a plural thing asked for, then its verb: a list
    ("Which roles is Halvorsen hiring for in Leiden?", "list"),
    ("Which execs are quoted on Merrow buying Tessaro?", "list"),
    ("What buildings make up Varda's Vienna project?", "list"),
    ("Which territories does Quillon keep under the licence?", "list"),
    # one thing, or a value however it is worded: one fact
    ("Which pivotal study supports the Varda approval?", "single"),
    ("What Phase 3 asset comes with Merrow's purchase of Tessaro?", "single"),
    ("What are the headline economics of the Quillon deal?", "single"),
    ("What royalty rates will Halvorsen earn on sales?", "single"),
    ("What milestone payments can Merrow earn?", "single"),
    ("What accounts for the delay at Varda?", "single"),  # a verb, not a plural
    ("Which virus does the Quillon vaccine target?", "single"),
    # where to look, then one fact
    ("In the documents, when did the FDA approve Leqembi?", "single"),
    ("In these articles, what price did Halvorsen offer?", "single"),
    ("From these stories, who is the CEO of Merrow?", "single"),
    ("What is the main finding of the reports?", "single"),
    # several things, and a value of each
    ("Which biologics sites are being built in these articles, and with how much money?", "list"),
])
def test_a_plural_asked_for_is_a_list(question, kind):
    assert shape_of(question).kind == kind, question


@pytest.mark.parametrize("question, kind", [
    ("Where is the new plant?", "single"),
    ("Where does the company plan to build its plant?", "single"),
    ("Which companies signed licences?", "list"),
    ("Summarize this document", "summary"),
    ("What does the article say the price is?", "single"),  # one document
    ("How much did Halvorsen pay in the deal the document describes?", "single"),
    # two parties of one deal are no sides: the fee they agreed is one fact ...
    ("What break fee did Halvorsen and Ventor agree?", "single"),
    # ... where two sources asked whether they agree are
    ("Ventor deal: do BioWorld and Fierce agree on the money?", "comparison"),
])
def test_other_shapes_are_left_alone(question, kind):
    shape = shape_of(question)
    assert shape.kind == kind and not shape.per_document, question


@pytest.mark.parametrize("question, slot", [
    ("What's Roche paying Oxford Biotherapeutics upfront?", "the upfront payment"),
    ("How much is paid up front?", "the upfront payment"),
    ("What milestones could Dren earn?", "the milestone payments"),
    ("What royalty rate does Servier owe?", "the royalties"),
    ("What premium does the offer represent?", "the premium"),
    ("Under what brand name was it approved in Japan?", "the brand name"),
    ("Did BXCL701 also get orphan drug designation?", "an orphan drug designation"),
    ("Does it hold BTD?", "a breakthrough therapy designation"),
    ("Did the EMA grant PRIME?", "a PRIME designation"),
    ("When did the FDA approve teplizumab?", "an approval"),
    ("When did it get accelerated approval?", "an accelerated approval"),
    ("What price per share did Coloplast pay?", "the price per share"),
    ("How big is Merck's equity stake?", "the stake"),
    ("When is the Seagen deal expected to close?", "the closing"),
    ("How many bioreactors will Plant 4 have?", "the number of bioreactors"),
    ("How many jobs will the plant create?", None),
    ("What were the phase 3 results for MultiStem?", "phase 3 results"),
    ("What did the vaccine show in its Phase IIb trial?", "phase 2b results"),
    ("Which partner runs the Phase 3 program?", None),
    ("How much is the deal worth?", None),
    ("Did UK competition regulators clear Halvorsen's takeover of Ventor?", "an approval"),
    ("Is it clear why the deal failed?", None),
    # an approval the question dates its subject by is not what it asks about
    ("How much did Ostrel stock rise on the OST-104 approval?", None),
    ("When will Ostrel launch Velmora in Malaysia?", "the launch"),
    ("How much start-up capital does Ostrel launch with?", None),
    ("When will Ostrel's Harby facility start operating?", "the start of operations"),
    ("How much is Ostrel investing in Harby, and when will the plant be operational?", None),
    ("What valuation did Ostrel's series C imply?", "the valuation"),
    ("What's the Halden-Ostrel deal valued at?", None),
    ("What deficiencies did the FDA cite in Ostrel's CRL?", "the deficiencies"),
    ("Who led Ostrel's series C?", "the lead investor"),
    ("Who led the Velmora trial?", None),
    ("What is the name of the pain antibody Ostrel licensed?", "the name"),
    ("What is the name of Ostrel's new subsidiary?", None),
    ("Who will lead the program at Ostrel?", None),
    ("Could the acquisition lead to new products?", None),
    ("Why was the Ostrel drug deal called off?", None),
    ("Which company was named partner for the vaccine?", None),
    ("Who led the phase 2 trial of the investigational drug?", None),
    ("When does the new Harby plant start production?", "the start of operations"),
    ("Why did the FDA issue a CRL for Velmora?", None),
])
def test_the_deal_term_or_designation_asked_about(question, slot):
    found = slot_of(question)
    assert (found[0] if found else None) == slot


@pytest.mark.parametrize("sentence, holds", [
    ("Sanofi is paying a hefty $600 million up front.", True),
    ("The deal could reach as much as $1.9 billion.", False),
])
def test_a_sentence_states_the_upfront_or_not(sentence, holds):
    assert bool(slot_of("How much upfront?")[1].search(sentence)) == holds


@pytest.mark.parametrize("question, sentence, holds", [
    ("What stake in Ostrel did Halden already hold?",
     "It currently holds 14.5% of Ostrel's outstanding shares and will buy the remainder.", True),
    ("What stake in Ostrel did Halden already hold?", "Halden will buy Ostrel for $8 billion.", False),
    ("When will Ostrel launch Velmora?", "Ostrel expects Velmora to be available in pharmacies in May.", True),
    ("When will Ostrel launch Velmora?", "Malaysia granted Velmora sales approval on 7 February 2019.", False),
    ("When did the Harby plant start production?", "The site has been operating since 2005.", True),
    ("When will the expanded Harby plant start production?", "The site has been operating since 2005.", False),
    ("When will the Harby plant start production?", "It is its third manufacturing facility.", False),
    ("When will the Harby plant start production?", "Production is expected to begin in 2027.", True),
    ("Who led Ostrel's series C?", "Ostrel raised $105 million in a series C financing round.", False),
    ("Who led Ostrel's series C?", "The round was led by Halden Ventures.", True),
    ("ostrel series c lead investors?", "Halden Ventures was the lead investor.", True),
    ("What is the name of the pain antibody Ostrel licensed?", "Ostrel licensed its pain antibody.", False),
    ("What is the name of the pain antibody Ostrel licensed?", "Ostrel licensed its pain antibody in 2019.", False),
    ("What is the name of the pain antibody Ostrel licensed?", "Ostrel licensed it for a rare disease.", False),
    ("What is the name of the pain antibody Ostrel licensed?", "Ostrel licensed OST-104, its pain antibody.", True),
    ("What is the name of the pain antibody Ostrel licensed?", "Ostrel licensed velmorumab.", True),
    ("What was Ostrel's lead HSP90 compound called?", "Ostrel works on drugs that inhibit HSP90.", False),
    ("When will the Harby plant start production?", "The Harby plant will cost $40 million.", False),
])
def test_a_sentence_says_the_term_asked_or_not(question, sentence, holds):
    assert bool(slot_of(question)[1].search(sentence)) == holds


def test_a_share_of_people_may_be_given_in_words_not_a_first_half():
    holds = answer_type("What share of Americans get vaccines from the Harby site?")[1]
    assert holds.search("Currently, one in four Americans are administered a vaccine from this site.")
    assert holds.search("About half of its sales come from Europe.")
    assert not holds.search("The trial is due to start in the first half of 2025.")


def test_a_premium_or_royalty_rate_is_asked_as_a_percentage():
    assert answer_type("What premium does $31.26 a share represent?")[0] == "percentage"
    assert answer_type("What royalty rate does Servier owe?")[0] == "percentage"
    assert answer_type("How much did Amgen pay?")[0] == "amount"


@pytest.mark.parametrize("line, page", [
    ("Date: not shown in the stored copy (the deal matches July 2011)", True),
    ("Publisher: BioWorld (rewritten text of the stored copy; the copy breaks off in the Taiho-Araris "
     "summary, after the upfront figure, so the rewrite ends there)", True),
    ("News | Articles | Drug Development | Manufacturing | QA/QC | Formulation | Webinars", True),
    ("The deal, worth $1 billion, closed in May.", False),
    ("Bristol Myers Squibb (BMS) is teaming up with BioNTech in a deal that could exceed $11bn.", False),
])
def test_labelled_metadata_and_navigation_bars_are_page_lines(line, page):
    """Such lines were list items of "Where does BMS show up across these articles?"."""
    assert is_page_line(line) == page


def test_a_phase_is_matched_in_either_numeral():
    holds = slot_of("What were the phase 3 results?")[1]
    assert holds.search("the Phase III trial met its goal") and holds.search("a phase 3 study")
    assert not holds.search("in the confirmatory part of a phase 2 trial")


@pytest.mark.parametrize("question, kind", [
    ("How many square feet will Ostrel add at Harby?", "area"),
    ("What is the floor area of Ostrel's Harby expansion?", "area"),
    ("Harby plant: square footage and completion?", "area"),
    ("How many bioreactors will Harby have?", "count"),
])
def test_floor_space_is_asked_as_an_area(question, kind):
    found = answer_type(question)
    assert found[0] == kind
    if kind == "area":  # given by a floor space, not by a count or a sum
        assert found[1].search("a 120,000-square-foot plant") and not found[1].search("3 work centers for $50 million")


@pytest.mark.parametrize("question, kind, sentence", [
    ("When is the deal expected to close?", "date", "The merger is expected to close before the end of the year."),
    ("What will the Harby park cost?", "amount", "The park, with an investment of 850 crore, is being built."),
    ("How much revenue capacity could the plant add?", "amount", "It could add $150 million in annual revenue capacity."),
])
def test_values_written_as_the_trade_writes_them(question, kind, sentence):
    found = answer_type(question)
    assert found[0] == kind and found[1].search(sentence)


@pytest.mark.parametrize("question, labels", [
    # a comparative an analyst writes ("richer", "harder"), then the two sides
    ("Who paid the richer premium: Merrow for Tessaro or Quillon for Varda?",
     ["Merrow for Tessaro", "Quillon for Varda"]),
    ("Which CRL hit the stock harder, Varda's or Tessaro's?", ["Varda's", "Tessaro's"]),
    # no comparative at all: the question ends by naming the alternatives
    ("Headline value: Merrow–Tessaro or Quillon–Varda?", ["Merrow–Tessaro", "Quillon–Varda"]),
    ("Which CAR-T reached China first, vexa-cel or tolo-cel?", ["vexa-cel", "tolo-cel"]),
    # sides in lower case, joined by "vs", a dash before what is compared
    ("merrow/tessaro vs quillon/varda - which deal was larger?", ["merrow/tessaro", "quillon/varda"]),
])
def test_alternatives_named_are_a_comparisons_sides(question, labels):
    shape = shape_of(question)
    assert shape.kind == "comparison" and shape.labels == labels, (question, shape)


@pytest.mark.parametrize("question", [
    "Is Varda approved or not?",  # no sides before the alternative
    "Did Merrow's round come before or after Tessaro's series A?",
    "What NfL drop did tolofersen show vs placebo?",  # a lower-case side among named ones
    "Which of the deals covered are worth more than $3 billion?",  # a filter, not sides
])
def test_an_or_without_named_alternatives_is_no_comparison(question):
    assert shape_of(question).kind != "comparison", question


@pytest.mark.parametrize("question, per_document", [
    ("Which of the November 2023 NMPA approvals are class 1 innovative drugs?", False),
    ("Which foreign (non-Chinese) companies got NMPA approvals in Nov 2023?", False),
    ("Which advisors worked on the Merrow-Tessaro deal?", False),  # a role asked with "which"
    ("Licensing deals that week (Sep 1-7 2025) with undisclosed terms?", False),
    ("Merrow's other viral vector sites besides Leiden", False),
    ("Which documents involve Merrow, and in what role?", True),
    ("Which articles mention Quillon sites, and what is happening at each?", True),
])
def test_a_list_said_as_a_noun_phrase_or_of_a_set(question, per_document):
    shape = shape_of(question)
    assert shape.kind == "list" and shape.per_document == per_document, (question, shape)


@pytest.mark.parametrize("question", [
    "Merrow Leiden plant: cost and jobs?",  # one plant's values
    "What will Merrow add at Leiden?",
    "Gilgamesh programs going to the spinco?",  # (its verb is no list's)
    # the roles of one deal's parties, said as a noun phrase: the sentence that names them
    "Advisors on Merrow-Tessaro?",
    "varda series a lead investors",
])
def test_a_noun_phrase_about_one_thing_is_no_list(question):
    assert shape_of(question).kind != "list", question


@pytest.mark.parametrize("question", [
    # found by a reviewing helper: one fact asked with alternatives or a comparative
    "Under the agreement, will Merrow pay royalties or milestones?",
    "What was the upfront payment, in cash or stock?",
    "Per the article, does Merrow make vials or syringes?",
    "Which phase is the trial in - phase 2 or phase 3?",
    "Which CDMO is in Raleigh, Merrow or Quillon?",
    "What did Merrow acquire, Tessaro or Varda?",
    "Why did the FDA take longer to approve Varda than Tessaro?",
    "Did Merrow pay a richer premium than usual for Tessaro?",
    "What was the response rate vs placebo?",
    "What did the two companies agree?",
    "Which company bought both sites?",
    "What share of the deals included royalties?",
    "Number of approvals in 2023?",
    "Total value of the deals?",
])
def test_one_fact_with_alternatives_or_a_plural_object_keeps_its_shape(question):
    assert shape_of(question).kind == "single", (question, shape_of(question))


def test_three_named_alternatives_are_three_sides():
    shape = shape_of("Which deal was larger, Merrow-Tessaro, Quillon-Varda or Halden-Ostrel?")
    assert shape.labels == ["Merrow-Tessaro", "Quillon-Varda", "Halden-Ostrel"], shape
