"""The nine failure kinds a new user met on unseen documents (issue 24), each on documents of our
own (`tests/data/kinds/`: a licence, an acquisition, designations, a CDMO site, written like trade
press with headline lines, bylines, metadata, a URL, quotes, footnote digits and a bulleted list).

Real pipeline: the documents are ingested into embedded Chroma with the packaged embedder, and
asked through the service the API and Slack use, with the shipped answerer and cross-encoder.
"""

from __future__ import annotations

import re

import pytest

KESTREL = "kestrel-norvane-licence-2024.txt"
HALDEN = "halden-aurion-acquisition-2023.txt"
VELTRIX = "veltrix-designations-2024.txt"
SOLVANE = "solvane-cdmo-site-2024.txt"


@pytest.fixture(scope="module")
def kinds(kinds_indexed):
    *_, assistant = kinds_indexed
    asked: dict[tuple, object] = {}

    def ask(question: str, **kw):
        if "history" in kw:
            return assistant.ask(question, **kw)
        key = (question, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kw.items())))
        if key not in asked:
            asked[key] = assistant.ask(question, **kw)
        return asked[key]

    return ask


def answer_of(kinds, question: str, **kw):
    return kinds(question, **kw).answer


def sources(a) -> set[str]:
    return {c.source for c in a.citations}


# --- kind 1: headlines, bylines, metadata lines and URLs are not answer sentences --------------

PAGE_LINE = re.compile(r"\|\s*(Biotech Wire|Pharma Daily|Rare Disease Report|CDMO News)\b|"
                       r"^date \d{4}-\d\d-\d\d|author:|https?://|Share this article|Related articles",
                       re.IGNORECASE | re.MULTILINE)


@pytest.mark.parametrize("question", [
    "How much is the Kestrel Norvane deal worth?",
    "When was the KT-210 licence signed?",
    "How much will Halden pay for Aurion?",
    "Which designations has VX-101 received?",
    "What did Solvane open in Ireland?",
])
def test_kind1_page_lines_are_never_answer_sentences(kinds, question):
    a = answer_of(kinds, question)
    assert not PAGE_LINE.search(a.answer), a.answer


# --- kind 2: the premise check reads numbers and possessives whole -----------------------------

@pytest.mark.parametrize("question", [
    "Which company opened a 20,000-liter bioreactor plant?",
    "How many 5,000-liter bioreactors does the Cork plant have?",
    "What happened to Kestrel's shares?",
    "What did Halden's chief executive say about the deal?",
])
def test_kind2_premise_check_keeps_numbers_and_possessives_whole(kinds, question):
    a = answer_of(kinds, question)
    assert not re.search(r'do not report [^.]*“(20|000-liter|5|Kestrel’s|Kestrel\'s|Halden\'s)”', a.answer), a.answer
    assert "“20”" not in a.answer and "“000-liter”" not in a.answer and "“5”" not in a.answer
    assert a.kind != "abstained", a.answer  # the subject is in the documents


# --- kind 3: a fact stated plainly is answered (or at worst shown, hedged), never declined -----

@pytest.mark.parametrize("question,fact", [
    ("How much is the Kestrel Norvane deal worth?", "$640 million"),
    ("How many patients will the Phase 3 trial of KT-210 enrol?", "1,100"),
    ("How much did Kestrel's shares rise?", "23%"),
    ("How many people will the Solvane plant in Cork employ?", "350"),
    ("How much did Solvane invest in the Cork site?", "EUR 310 million"),
    ("What does KT-210 target?", "LOXL2"),  # "blocks the enzyme": what a drug targets
    ("What does AUR-19 target?", "BCMA"),
])
def test_kind3_a_plainly_stated_fact_is_in_the_answer(kinds, question, fact):
    a = answer_of(kinds, question)
    assert a.kind in ("answered", "hedged"), a.answer
    assert fact in a.answer, a.answer
    assert any(fact in c.text for c in a.citations)


# --- kind 4: the fact, not an executive's quote next to it -------------------------------------

@pytest.mark.parametrize("question,fact", [
    ("What does Halden gain from buying Aurion?", "AUR-19"),
    ("How much will Norvane pay upfront for KT-210?", "$75 million"),
])
def test_kind4_the_fact_leads_not_the_quote(kinds, question, fact):
    a = answer_of(kinds, question)
    first = a.answer.split("\n")[0].lstrip("- ")
    assert not first.startswith(("\"", "“")), a.answer
    assert fact in a.answer and "thrilled" not in a.answer and "leading position" not in a.answer


# --- kind 5: a list question gathers one cited item per thing, on the question's subject -------

def test_kind5_a_list_question_gets_a_list_of_its_subject(kinds):
    a = answer_of(kinds, "Which designations has VX-101 received?")
    assert a.shape == "list" and len(a.items) >= 2, a.answer
    lines = a.answer.split("\n")
    assert all(line.startswith("- ") and re.search(r"\[\d+\]$", line) for line in lines)
    text = a.answer.lower()
    assert "orphan" in text and "prime" in text
    assert "vx-205" not in text  # another candidate's designations are not VX-101's


def test_kind5_a_list_across_candidates_names_each(kinds):
    a = answer_of(kinds, "Which designations did Veltrix's candidates receive?")
    assert a.shape == "list", a.answer
    assert "VX-101" in a.answer and "VX-205" in a.answer and "Fast Track" in a.answer


# --- kind 6: a comparison answers both sides, or names the side the documents lack --------------

def test_kind6_a_comparison_answers_both_sides(kinds):
    a = answer_of(kinds, "Which deal was bigger, Halden's acquisition of Aurion or Kestrel's "
                         "licence to Norvane?")
    assert a.shape == "comparison" and a.kind == "answered", a.answer
    assert "$2.1 billion" in a.answer and "$640 million" in a.answer  # the values, not $38 a share
    assert sources(a) == {HALDEN, KESTREL}


def test_kind6_a_side_the_documents_lack_is_named(kinds):
    a = answer_of(kinds, "Which deal was bigger, Halden's or Zentrix's?")
    assert "Zentrix" in a.answer and "say nothing of" in a.answer, a.answer
    assert a.kind == "hedged" and HALDEN in sources(a)


# --- kind 7: follow-ups (the rewriting rules: tests/test_followup.py) ---------------------------

def test_kind7_a_follow_up_about_the_deal_stays_on_the_deal(kinds):
    from assistant.core.turn import Turn

    first = kinds("How much will Halden pay for Aurion?")
    turn = Turn(question=first.question, standalone=first.standalone, answer=first.answer.answer,
                abstained=first.answer.abstained)
    follow = kinds("When is it expected to close?", history=[turn])
    assert "Halden" in follow.standalone and "Aurion" in follow.standalone, follow.standalone
    assert "fourth quarter of 2023" in follow.answer.answer, follow.answer.answer


# --- kind 8: clean sentences, lists as lists, no bare numbers or URLs ---------------------------

def test_kind8_footnote_digits_are_not_glued_to_words(kinds):
    a = answer_of(kinds, "What did the Phase 2 study of KT-210 show?")
    assert "18% on placebo." in a.answer and "placebo.2" not in a.answer, a.answer
    b = answer_of(kinds, "In which patients is KT-210 also being studied?")
    assert "disease3" not in b.answer and "placebo.2" not in b.answer


def test_kind8_a_bulleted_list_stays_a_list(kinds):
    a = answer_of(kinds, "What does the Kestrel deal cover?")
    lines = a.answer.split("\n")
    assert lines[0].startswith("The deal covers three things:"), a.answer
    items = [line for line in lines[1:] if line.startswith("- ")]
    assert len(items) == 3 and all(re.search(r"\[\d+\]$", i) for i in items)
    assert not re.search(r"(^|\n)(- )?\d{1,2}[.)]?\s*\[\d+\]", a.answer)  # no bare "2." item


# --- kind 9: "Summarize this document" with one document ticked ---------------------------------

def test_kind9_summarize_the_ticked_document(kinds):
    a = answer_of(kinds, "Summarize this document", sources=[SOLVANE])
    assert a.shape == "summary" and a.kind == "answered", a.answer
    assert sources(a) == {SOLVANE} and "Cork" in a.answer
    assert not PAGE_LINE.search(a.answer)
    assert len(re.findall(r"\[1\]", a.answer)) >= 2  # several lead sentences, each cited


# --- and the subject absent: declined outright ------------------------------------------------

@pytest.mark.parametrize("question", [
    "How much did Pfizer pay to acquire Seagen?",
    "What is Zentrix's pipeline?",
])
def test_an_absent_subject_is_declined_not_hedged(kinds, question):
    a = answer_of(kinds, question)
    assert a.kind == "abstained" and not a.citations, a.answer
    assert "don't cover" in a.answer


def test_a_present_subject_without_the_fact_is_hedged_with_what_is_said(kinds):
    a = answer_of(kinds, "When did the FDA approve VX-101?")
    assert a.kind == "hedged" and a.abstained and VELTRIX in sources(a), a.answer
    assert any(w in a.answer for w in ("may not state this directly", "do not report",
                                       "do not state an approval plainly")), a.answer


def test_kind3_what_a_drug_targets_is_the_sentence_that_says_so(kinds):
    """"What does KT-210 target?" was answered "Kestrel keeps the rights to KT-210 in Japan."
    (a sentence naming the drug); the sentence saying what it blocks is the answer."""
    a = answer_of(kinds, "What does KT-210 target?")
    assert a.kind == "answered" and a.answer.startswith("KT-210 blocks the enzyme LOXL2"), a.answer
    assert "keeps the rights" not in a.answer


# --- a question asking for a kind of value is answered only by a sentence giving one ----------

@pytest.mark.parametrize("question, what", [
    ("How many people will Kestrel Therapeutics employ in Cambridge?", "the number of jobs"),
    ("What bioreactor capacity does Kestrel Therapeutics have?", "the capacity"),
    # (it was answered with the plant's capacity and cost, which give no floor space)
    ("How many square feet is Solvane's plant in Cork?", "the floor area"),
])
def test_a_value_no_passage_gives_is_said_to_be_missing(kinds, question, what):
    """Such questions were answered confidently with a sentence naming the company but giving
    no such value ("How many people will X employ?" -> "X is quadrupling capacity to 24,000 L")."""
    a = answer_of(kinds, question)
    assert a.kind in ("hedged", "abstained") and a.abstained, a.answer
    if a.kind == "hedged":  # it says what is missing: the value, or the company with the value
        assert f"do not state {what} plainly" in a.answer or "may not state" in a.answer or \
            "do not report “Kestrel”" in a.answer, a.answer


def test_a_month_the_question_dates_its_subject_by_is_no_premise(kinds):
    """"in June 2024": the page's dateline says 2024-06-20, the sentence no month; it was hedged
    "The documents do not report “June” in this connection"."""
    a = answer_of(kinds, "Which designation did VX-101 get from the FDA in June 2024?")
    assert "“June”" not in a.answer and "orphan drug designation" in a.answer, a.answer


def test_a_value_the_passages_give_is_answered(kinds):
    a = answer_of(kinds, "How many people will the Solvane plant in Cork employ?")
    assert a.kind == "answered" and "350" in a.answer, a.answer


def test_a_value_in_a_passage_about_the_subject_is_shown(kinds):
    """"The deal is expected to close in the fourth quarter of 2023." names neither company, but
    its passage opens with Halden's purchase of Aurion and it names nothing else: it is shown,
    cited to that article (answered, or hedged when another sentence leads; it once was the
    executive's quote and the sentence was missing)."""
    a = answer_of(kinds, "When is Halden's acquisition of Aurion expected to close?")
    assert "fourth quarter of 2023" in a.answer and HALDEN in sources(a), a.answer
    assert a.kind == "answered" or a.answer.startswith("The documents do not state the date plainly."), a.answer


# --- a question about one term of a deal, or one designation, is answered only by a sentence
# --- that states that term: the deal's headline value is not its upfront -----------------------

@pytest.mark.parametrize("question, what", [
    ("What royalty rate will Norvane pay Kestrel on KT-210?", "the royalties"),
    ("How much is Halden paying Aurion upfront?", "the upfront payment"),
    ("Did VX-101 also get breakthrough therapy designation?", "a breakthrough therapy designation"),
    ("What premium does Norvane's KT-210 licence carry?", "the premium"),
    ("What price per share is Norvane paying for KT-210?", "the price per share"),
    ("What were the Phase 1 results for KT-210?", "phase 1 results"),
    # (two parties of one deal were taken for the two sides of a comparison, each answered by
    # the deal's price; and a clearance by a regulator is an approval asked about)
    ("What break fee did Halden and Aurion agree?", "the termination fee"),
    ("Did competition regulators clear Halden's purchase of Aurion?", "an approval"),
])
def test_a_deal_term_or_designation_no_sentence_states_is_said_to_be_missing(kinds, question, what):
    """Such questions were answered with the deal's headline sentence ("$2.1 billion in cash",
    "tiered royalties") or the designation the product does hold (orphan, not breakthrough)."""
    a = answer_of(kinds, question)
    assert a.kind == "hedged" and a.answer.startswith(f"The documents do not state {what} plainly."), a.answer


@pytest.mark.parametrize("question, fact", [
    ("How much is Norvane paying upfront for KT-210?", "$75 million upfront"),
    ("What premium is Halden paying for Aurion?", "61% premium"),
    ("What price per share is Halden paying for Aurion?", "$38 per share"),
    ("What did KT-210 show in its Phase 2 study?", "41% of those on the drug"),
    ("Did VX-101 get orphan drug designation from the EMA?", "orphan designation from the European Medicines Agency"),
])
def test_a_deal_term_or_designation_the_documents_state_is_answered(kinds, question, fact):
    a = answer_of(kinds, question)
    assert a.kind == "answered" and fact in a.answer, a.answer


# --- "across these articles", "where does X show up": one cited item per document --------------

def test_where_a_company_shows_up_across_the_documents_is_one_item_per_document(kinds):
    a = answer_of(kinds, "Where does Kestrel show up across these articles?")
    assert a.shape == "list", a.answer
    lines = [ln for ln in a.answer.splitlines() if ln.startswith("- ")]
    assert lines and all("Kestrel" in ln for ln in lines), a.answer
    assert len({c.source for c in a.citations}) == len(lines), a.answer


# --- a value asked of a plant its passage opens with is that plant's; not of another one --------

@pytest.fixture(scope="module")
def sites(tmp_path_factory, embedder):
    """tests/data/sites: an article on one plant whose figures follow its heading, and which
    mentions a laboratory elsewhere in passing."""
    from pathlib import Path

    from conftest import index_copy
    *_, assistant = index_copy(tmp_path_factory.mktemp("sites"),
                               Path(__file__).parent / "data" / "sites", embedder)
    return assistant


def test_a_value_under_the_heading_that_names_the_plant_is_answered(sites):
    """"Arden announced its plans ... in March 2023" two sentences after the sentence opening the
    article on Arden's Valdora LSCC plant was hedged: "do not report Valdora, LSCC in this
    connection"."""
    a = sites.ask("When did Arden announce its plans for the Valdora LSCC plant?").answer
    assert a.kind == "answered" and "March 2023" in a.answer, a.answer


def test_a_value_of_one_site_is_not_given_for_another_the_passage_mentions(sites):
    a = sites.ask("How much is Arden investing in its Boston laboratory?").answer
    assert a.kind != "answered", a.answer


def test_a_list_item_may_name_the_subject_by_another_name(tmp_path_factory, embedder):
    """"Where does BMS show up across these articles?": a document that writes only
    "Bristol-Myers Squibb" gives an item too, though the sentence shares no word with the question."""
    from pathlib import Path

    from conftest import index_copy
    docs = tmp_path_factory.mktemp("bms-docs")
    (docs / "bms-orvia.txt").write_text(
        "Bristol-Myers Squibb to buy Orvia Bio\n\nBristol-Myers Squibb has agreed to acquire Orvia "
        "Bio, a developer of fibrosis drugs, for $410 million in cash.\n")
    (docs / "bms-tessel.txt").write_text(
        "BMS and Tessel sign cancer pact\n\nBMS is teaming up with Tessel Therapeutics in a deal "
        "worth up to $900 million to develop cancer antibodies.\n")
    (docs / "other.txt").write_text(
        "Novarin opens plant\n\nNovarin opened a 2,000-liter plant in Cork, Ireland, creating 120 jobs.\n")
    *_, assistant = index_copy(tmp_path_factory.mktemp("bms-index"), docs, embedder)
    a = assistant.ask("Where does BMS show up across these articles?").answer
    assert a.shape == "list" and {c.source for c in a.citations} == {"bms-orvia.txt", "bms-tessel.txt"}, a.answer


def test_a_country_describing_the_plant_is_the_country_the_passage_opens_with(sites):
    """"its Dutch plant" of an article that opens on the plant in Leiden, the Netherlands: the
    value two sentences on is that plant's; a Belgian plant the article never names is not."""
    a = sites.ask("When did Arden announce plans for its Dutch LSCC plant?").answer
    assert a.kind == "answered" and "March 2023" in a.answer, a.answer
    b = sites.ask("When did Arden announce plans for its Belgian LSCC plant?").answer
    assert b.kind != "answered", b.answer



def test_a_month_is_no_second_name_of_the_value_asked(tmp_path, embedder):
    """"Who put money into Amerigen Pharmaceuticals in January 2015 and how much?" was hedged
    "The documents do not report “Amerigen” in this connection" over the very row that names
    it: the month counted as a second name, and no row says "January" (BioWorld's table of
    January 2015 rounds, from the spent heldout17 set)."""
    from pathlib import Path

    from tests.conftest import index_copy

    page = "bioworld-venture-capital-table-january-2015-aduro-autolus-colucid.txt"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / page).write_bytes((Path(__file__).parent.parent / "eval" / "data" / "heldout17" / "docs" / page)
                              .read_bytes())
    *_, assistant = index_copy(tmp_path / "idx", docs, embedder)
    a = assistant.ask("Who put money into Amerigen Pharmaceuticals in January 2015 and how much?").answer
    assert "do not report" not in a.answer and "$35M" in a.answer and "Fosun" in a.answer, a.answer


def test_a_note_that_the_copy_breaks_off_is_no_answer(tmp_path, embedder):
    """"Which company holds Tazverik per the MIMS January 2020 list?" was answered with the page's
    own note "[The stored copy breaks off here, in the Tazverik entry; its company ... are not in
    it.]" as if it were a fact (spent heldout16); such a note alone is a hedge."""
    from tests.conftest import index_copy

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "approvals-list.txt").write_text(
        "New drug approvals, January 2020\n\n"
        "Harvoni (ledipasvir): Ostrel Pharma, approved January 3, 2020, for chronic hepatitis C.\n\n"
        "Velmora (velnatide): [The stored copy breaks off here, in the Velmora entry; its company, "
        "approval date and indication are not in it.]\n")
    *_, assistant = index_copy(tmp_path / "idx", docs, embedder)
    a = assistant.ask("Which company holds Velmora per the January 2020 list?").answer
    assert a.kind == "hedged" and a.answer.startswith("The documents do not state it plainly."), a.answer


def test_a_later_sentence_giving_the_value_of_both_names_answers(tmp_path, embedder):
    """"When should GSK's Vemgal site be operational?" was hedged "The documents do not report
    “Vemgal”" over the passage that says it: the headline gives the date without Vemgal, and
    the sentence giving both ("The company has decided to create a new greenfield site at
    Vemgal near Bengaluru, to be operational by 2017") says "the company" for GSK, which the
    passage opens with (spent heldout21). A sentence naming another company's plant is not
    such a sentence."""
    from tests.conftest import index_copy

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "halvorsen-leiden.txt").write_text(
        "Halvorsen Pharma's Leiden facility to be operational by 2027\n\n"
        "Halvorsen Pharma said on Tuesday it will spend EUR 90 million on manufacturing in the "
        "Netherlands over the next three years. \"The company has decided to create a new "
        "greenfield manufacturing site at Oegstgeest near Leiden, to be operational by 2027.\" "
        "Halvorsen is also upgrading its Delft site, with a focus on quality systems.\n")
    *_, assistant = index_copy(tmp_path / "idx", docs, embedder)
    a = assistant.ask("When should Halvorsen's Oegstgeest site be operational?").answer
    assert a.kind == "answered" and "Oegstgeest near Leiden, to be operational by 2027" in a.answer, a.answer
    assert a.answer.count("Oegstgeest near Leiden") == 1, a.answer  # once, not twice


def test_a_value_sentence_naming_another_company_is_not_the_subjects():
    import numpy as np

    from assistant.answers.extractive import _alone, _unnamed
    from assistant.answers.features import Candidate
    from assistant.answers.question import analyse
    from assistant.core.text import terms
    from tests.test_facets import _passage

    stats = type("S", (), {"idf": staticmethod(lambda t: 1.0)})()
    q = analyse("When should Halvorsen's Oegstgeest site be operational?", stats)
    names = q.names
    head = "Halvorsen Pharma's Leiden facility to be operational by 2027"
    own = "The company will build a new site at Oegstgeest near Leiden, to be operational by 2027."
    other = "Next door, Petrel will build a new site at Oegstgeest near Leiden, to be operational by 2027."
    for text, lacking in ((own, []), (other, ["Halvorsen"])):
        p = _passage("p", "s.txt", head, text, title=head)
        c = Candidate(p, 1, text, features=np.zeros(1))
        window = set(terms(text))
        assert [a.surface for a in _unnamed(c, names, window, _alone(c, q, opening=True))] == lacking, text
