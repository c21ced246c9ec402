"""A CHMP meeting's round-up (issue 20): each medicine's positive opinion is one EMA record even
where its sentence names no agency, two medicines of one sentence are two records with their own
companies, and what the Commission may do next is no event. The companies and products are
invented; the wordings are the trade press's."""

from __future__ import annotations

from ingest.loading import Element
from ingest.records.extract import extract_records
from tests.record_checks import extracted, values


def _events(*texts):
    return extracted("CHMP backs six medicines in May", texts, "regulatory")


_LEAD = ("The European Medicines Agency (EMA) Committee for Medicinal Products for Human Use (CHMP) "
         "recommended six new medicines for approval at its May meeting.")


def test_a_positive_chmp_opinion_is_the_emas():
    got = _events(_LEAD, "Quenby Pharmaceuticals' Velmora (velnatide) also received a positive CHMP "
                         "opinion, for the treatment of obesity.")
    assert got == [{"agency": "EMA", "action": "positive_opinion", "product": "Velmora (velnatide)",
                    "sponsor": "Quenby Pharmaceuticals", "indication": "obesity"}]


def test_recommended_for_a_treatment_in_a_chmp_round_up_is_a_positive_opinion():
    got = _events(_LEAD, "Meanwhile Ostrel Biologics' Marrosa (marrozumab) was recommended for the treatment "
                         "of actinic keratosis.")
    assert [(r["agency"], r["action"], r["sponsor"]) for r in got] == [
        ("EMA", "positive_opinion", "Ostrel Biologics")]


def test_two_medicines_of_one_sentence_each_with_its_company_and_no_guessed_indication():
    got = _events(_LEAD, "Quenby Pharma's Velmora (velnatide) and Ostrel Biologics' Marrosa (marrozumab) were "
                         "recommended for approval, respectively for uterine fibroids and heart failure.")
    assert sorted((r["product"], r["sponsor"], "indication" in r) for r in got) == [
        ("Marrosa", "Ostrel Biologics", False), ("Velmora (velnatide)", "Quenby Pharma", False)]


def test_what_the_commission_may_do_next_is_no_approval():
    got = _events(_LEAD, "If the European Commission approves it, Velmora will be the first one-time "
                         "gene therapy approved to treat CALD.")
    assert not any(r["action"] == "approval" for r in got)


def test_recommended_for_a_treatment_outside_an_ema_story_is_no_event():
    els = [Element("Guidelines update", "Title"),
           Element("Velnatide was recommended for the treatment of gout by the society's panel.",
                   "NarrativeText")]
    assert values(extract_records(els, "Guidelines update"), "regulatory") == []


def test_an_opinion_without_its_own_date_takes_the_meetings():
    got = _events("Tag: CHMP, Marrosa", "The EMA's CHMP recommended six new medicines for approval at "
                  "its 23-26 July 2018 meeting.", "Ostrel Biologics' Marrosa (marrozumab) was "
                  "recommended for the treatment of actinic keratosis.")
    assert [(r["product"], r.get("date")) for r in got if r["product"].startswith("Marrosa")] == [
        ("Marrosa (marrozumab)", "2018-07-26")]
