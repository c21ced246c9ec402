"""Robust matching of the question's terms (issue 10 point 4): pure logic, small fakes."""

from __future__ import annotations

import pytest

from assistant.core.text import terms
from assistant.retrieval.anchors import anchor_in, question_anchors
from assistant.retrieval.spelling import correct, place_in, question_abbreviations


@pytest.mark.parametrize("a, b", [
    ("5,000", "5000"), ("5k", "5,000"), ("2.5k", "2,500"),
    ("$1.2 billion", "$1.2bn"), ("$1.2 billion", "$1.2B"), ("$40 million", "$40M"),
    ("5,000-liter", "5,000 L"), ("5,000 L", "5000 litres"), ("60%", "60 percent"),
    ("Pfizer's", "Pfizer"), ("Pfizer’s", "pfizer"), ("cell-therapy", "cell therapy"),
    ("Car-T", "CAR-T"), ("COVID19", "COVID-19"), ("MK3475", "MK-3475"),
    ("5th February", "5 February"), ("21st", "21"),
])
def test_formats_read_the_same(a, b):
    assert terms(a) == terms(b)


def test_mixed_codes_stay_whole():
    assert terms("H1N1") == ["h1n1"] and terms("GC01F") == ["gc01f"]
    assert terms("H1N1") != terms("H5N1")


def test_a_possessive_anchor_matches_the_name():
    vocab = set(terms("Pfizer agreed to buy Seagen."))
    assert all(anchor_in(a, vocab) for a in question_anchors("What did Pfizer’s deal with Seagen cost?"))


@pytest.mark.parametrize("question_word, document", [
    ("Swiss", "The company is based in Switzerland."),
    ("Switzerland", "The Swiss company said so."),
    ("American", "It opened a plant in the United States."),
    ("U.S.", "It opened a plant in the United States."),
    ("Chinese", "China's regulator approved it."),
    ("Dutch", "A site in the Netherlands."),
])
def test_places_and_demonyms(question_word, document):
    assert place_in(question_word, set(terms(document)))


def test_unrelated_place_does_not_match():
    assert not place_in("Japanese", set(terms("It opened a plant in the United States.")))


class View:
    name = "seq-1"

    def __init__(self, text):
        self.df = {}
        for t in terms(text):
            self.df[t] = self.df.get(t, 0) + 1

    def doc_freq(self, term):
        return self.df.get(term, 0)

    def vocabulary(self):
        return iter(self.df)


def test_a_misspelt_name_is_corrected_to_the_nearest_indexed_name():
    view = View("Fucaso was approved in China. Innovent transferred Fucaso to IASO Bio.")
    q, fixes = correct("What designations did the FDA give Fucasso?", view)
    assert q == "What designations did the FDA give Fucaso?"
    assert [(f.wrong, f.right) for f in fixes] == [("Fucasso", "Fucaso")]


def test_known_and_distant_words_are_left_alone():
    view = View("Fucaso was approved in China. Novartis signed a deal.")
    assert correct("Did Novartis sign a deal?", view) == ("Did Novartis sign a deal?", [])
    q, fixes = correct("What about Zolgensma?", view)  # nothing within two edits
    assert fixes == []


def test_lookups_per_question_are_bounded():
    from assistant.retrieval.spelling import MAX_LOOKUPS

    names = ["Alvarex", "Bentora", "Cordexa", "Dravinol", "Elbarix", "Fentoral", "Gorvexa"]
    view = View(" ".join(names))
    misspelt = [n[:-1] + "q" for n in names]  # each one edit from an indexed name
    _, fixes = correct("Compare " + " and ".join(misspelt) + "?", view)
    assert 0 < len(fixes) <= MAX_LOOKUPS


def test_a_short_form_of_an_indexed_word_is_not_a_misspelling():
    # "Staph" starts "Staphylococcus": correcting it to a one-edit neighbour ("Staeh", a broken
    # word elsewhere in the index) would search for something nobody asked.
    view = View("Staphylococcus aureus is a bacterium. Staeh was a typo in one table.")
    assert correct("What is Staph aureus?", view) == ("What is Staph aureus?", [])


@pytest.mark.parametrize("question, document", [
    ("How much did BMS pay Nektar?", "Bristol-Myers Squibb paid Nektar $1 billion up front."),
    ("What did AZ license from Jacobio?", "AstraZeneca licensed the pan-KRAS inhibitor from Jacobio."),
    ("What did Bristol-Myers Squibb pay?", "BMS paid $1 billion."),
])
def test_a_company_alias_matches_the_other_spelling(question, document):
    vocab = set(terms(document))
    anchors = question_anchors(question)
    assert anchors and all(anchor_in(a, vocab) for a in anchors), [a.surface for a in anchors]


def test_an_alias_does_not_match_another_company():
    vocab = set(terms("Pfizer paid Nektar $1 billion up front."))
    bms = [a for a in question_anchors("How much did BMS pay Nektar?") if a.surface == "BMS"]
    assert bms and not anchor_in(bms[0], vocab)


def test_the_kind_of_company_after_its_name_is_a_short_form():
    # "WuXi Bio" is WuXi Biologics: "Bio" is not a second premise
    anchors = question_anchors("How many jobs will WuXi Bio create in Dundalk?")
    assert [a.surface for a in anchors] == ["WuXi", "Dundalk"]
    vocab = set(terms("WuXi Biologics will create 400 jobs in Dundalk."))
    assert all(anchor_in(a, vocab) for a in anchors)
    assert [a.surface for a in question_anchors("What does Bio do?")] == ["Bio"]  # a name alone


def test_a_name_with_letters_of_other_scripts_stays_whole():
    anchors = question_anchors("How much is Fujifilm investing at its Hillerød site?")
    assert "Hillerød" in [a.surface for a in anchors]
    assert not any(anchor_in(a, set(terms("Fujifilm is investing in Holly Springs.")))
                   for a in anchors if a.surface == "Hillerød")


def test_a_currency_code_is_a_unit_not_a_name():
    surfaces = [a.surface for a in question_anchors("How many jobs did Novo's DKK 380m Kalundborg project create?")]
    assert "DKK" not in surfaces and "Novo" in surfaces and "Kalundborg" in surfaces


@pytest.mark.parametrize("question, document", [
    ("What did the MYL-1401H CRL question?", "The FDA issued a complete response letter for MYL-1401H."),
    ("Which BTD did VX-7 get?", "VX-7 received Breakthrough Therapy designation."),
    ("What did the FDA grant?", "The US Food and Drug Administration granted fast track status."),
    ("What did the MHLW approve?", "Japan's Ministry of Health, Labor and Welfare approved it."),
    ("What is the Arden CVR worth?", "Arden holders get a contingent value right worth $4 a share."),
    ("What will the Arden NC plant make?", "Arden's plant in Holly Springs, North Carolina will make enzymes."),
    ("How many NJ jobs?", "The New Jersey site will employ 300."),
    # ... or itself in the plural
    ("What is set up under the MoU?", "Under the MoUs, Arden would set up a plant."),
    ("What did the CRL say?", "The FDA sent two CRLs."),
    # titles and terms of the trade written out in the document
    ("Who is Arden's CEO?", "Jane Roe, Arden's founder and chief executive, said the plant is on track."),
    ("How many NMEs did China approve?", "Six new molecular entities received market approval in China."),
    ("What VWAP sets the Arden share count?", "Arden shares are priced at the volume-weighted average price."),
    ("Which CGT plants did Arden open?", "Arden opened two cell and gene therapy plants."),
])
def test_a_trade_abbreviation_matches_what_it_stands_for(question, document):
    vocab = set(terms(document))
    anchors = [a for a in question_anchors(question) if not a.numeric]
    assert anchors and all(anchor_in(a, vocab) for a in anchors), [a.surface for a in anchors]


def test_a_state_code_that_is_also_a_trade_term_is_not_a_state():
    # "SC" is subcutaneous, "IL" interleukin: not South Carolina or Illinois
    for question, place in (("Is there an SC form?", "South Carolina"), ("Which IL drug?", "Illinois")):
        code = [a for a in question_anchors(question) if a.surface in ("SC", "IL")]
        assert code and not anchor_in(code[0], set(terms(f"The plant is in {place}.")))


def test_an_abbreviation_does_not_match_another_phrase():
    crl = [a for a in question_anchors("What did the CRL say?") if a.surface == "CRL"]
    assert crl and not anchor_in(crl[0], set(terms("The FDA sent a response to the letter.")))


def test_keyword_search_looks_for_the_other_spelling_of_an_abbreviation():
    assert ("complet", "respons", "letter") in question_abbreviations("What did the CRL cite?")
    assert ("crl",) in question_abbreviations("Which drugs got a complete response letter?")
    # an abbreviation counts as the question writes it: "nice" and "prime" are words
    assert question_abbreviations("Is it a nice site in a prime spot?") == []


def test_a_negated_place_is_not_a_premise():
    surfaces = [a.surface for a in question_anchors("Which non-US regulators approved Lokelma?")]
    assert surfaces == ["Lokelma"]


def test_a_hyphenated_adjective_keeps_only_its_name():
    surfaces = [a.surface for a in question_anchors("What disease is Reata's FDA-approved Skyclarys used for?")]
    assert surfaces == ["Reata", "FDA", "Skyclarys"]
    vocab = set(terms("Reata makes Skyclarys, a Food and Drug Administration-approved treatment."))
    assert all(anchor_in(a, vocab) for a in question_anchors("Is Reata's FDA-approved Skyclarys sold?"))
    assert "MYL-1401H" in [a.surface for a in question_anchors("What is MYL-1401H?")]


@pytest.mark.parametrize("abbreviation, document", [
    ("BTD", "It received breakthrough therapy status."),
    ("MAA", "The EMA validated its marketing authorization application."),
    ("MAA", "The EMA validated its marketing authorisation application."),
    ("CDMO", "A contract development and manufacturing organization makes it."),
])
def test_each_spelling_of_an_abbreviation_matches_alone(abbreviation, document):
    """The table's spellings are alternatives: one of them in the document is enough (a line's
    spellings were once read as one phrase holding both)."""
    anchor = next(a for a in question_anchors(f"What about the {abbreviation}?") if a.surface == abbreviation)
    assert anchor_in(anchor, set(terms(document)))
