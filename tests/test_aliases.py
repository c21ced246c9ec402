"""Company names resolve to one company (issue 20, point 2): the shipped table, the legal-suffix
rules, subsidiaries and former names, and names a document defines itself."""

from __future__ import annotations

import pytest

from assistant.core import aliases
from assistant.core.aliases import canonical, document_aliases, known, strip_legal


@pytest.mark.parametrize("names, expected", [
    (["GSK", "GlaxoSmithKline", "GSK plc", "GlaxoSmithKline plc", "Glaxo Wellcome"], "GSK"),
    (["AZ", "AstraZeneca", "AstraZeneca PLC", "Astra Zeneca"], "AstraZeneca"),
    (["J&J", "Johnson & Johnson", "Johnson and Johnson", "Janssen", "Janssen Biotech"],
     "Johnson & Johnson"),
    (["Roche", "F. Hoffmann-La Roche Ltd", "Roche Holding AG", "Genentech"], "Roche"),
    (["Bristol-Myers Squibb", "Bristol Myers Squibb", "BMS", "Bristol-Myers Squibb Company"],
     "Bristol Myers Squibb"),
    (["Merck", "Merck & Co., Inc.", "MSD", "Merck Sharp & Dohme"], "Merck & Co."),
    (["Merck KGaA", "EMD Serono"], "Merck KGaA"),
    (["Eli Lilly and Company", "Lilly", "Eli Lilly & Co."], "Eli Lilly"),
    (["Mylan", "Viatris"], "Viatris"),
    (["Gilead", "Gilead Sciences, Inc.", "Kite, a Gilead Company", "Gilead Sciences Ireland"],
     "Gilead Sciences"),
    (["Legend Biotech Ireland", "Legend Biotech"], "Legend Biotech"),
    (["Lonza Group AG", "Lonza"], "Lonza"),
    (["Fujifilm Diosynth Biotechnologies", "FUJIFILM Diosynth Biotechnologies", "Fujifilm"],
     "Fujifilm"),
    (["Pluristem Therapeutics", "Pluri Inc."], "Pluri"),
])
def test_every_spelling_resolves_to_one_company(names, expected):
    for name in names:
        assert canonical(name) == expected, name
        assert known(name)


def test_aliases_lists_the_other_spellings():
    assert {"GlaxoSmithKline", "GSK plc"} <= aliases.aliases("GSK")
    assert "Janssen" in aliases.aliases("Johnson & Johnson")
    assert "Janssen" in aliases.aliases("J&J")  # any name of the company works
    assert aliases.aliases("Nobody Biotech") == {"Nobody Biotech"}


@pytest.mark.parametrize("raw, stripped", [
    ("Abeona Therapeutics Inc.", "Abeona Therapeutics"),
    ("MYR GmbH", "MYR"),
    ("Coloplast A/S", "Coloplast"),
    ("Foo Bar S.A.", "Foo Bar"),
    ("Acme Pharma Co., Ltd.", "Acme Pharma"),
    ("Widget Bio N.V.", "Widget Bio"),
    ("Zeta Biologics S.p.A.", "Zeta Biologics"),
    ("Novartis’", "Novartis"),
    ("Inc.", "Inc."),  # nothing but a legal form: kept
])
def test_legal_suffixes_are_dropped(raw, stripped):
    assert strip_legal(raw) == stripped


def test_unknown_companies_keep_their_own_name_without_the_suffix():
    assert canonical("Quintar Pharma Ltd.") == "Quintar Pharma"
    assert not known("Quintar Pharma")
    assert canonical("") == ""


def test_the_table_is_a_few_hundred_companies_with_its_source_stated():
    t = aliases.table()
    assert len(t.companies) >= 300
    from importlib import resources

    head = resources.files("assistant.core").joinpath("data/companies.tsv").read_text("utf-8")
    assert "Sources:" in head.split("canonical\t")[0]
    # tickers resolve only as an exact upper-case name
    assert canonical("ABEO") == "Abeona Therapeutics"
    assert canonical("abeo") == "abeo"


def test_names_a_document_defines():
    text = ("In 2018, a partnership between GlaxoSmithKline (GSK) and 23andMe began. Bayer has "
            "agreed to buy Asklepios BioPharmaceutical, better known as AskBio, a US company. "
            "Provention Bio (Nasdaq: PRVB) said today. Patients with multiple myeloma (r/r MM). "
            "Pluri (formerly Pluristem) makes cells.")
    found = document_aliases(text)
    assert found["GSK"] == "GlaxoSmithKline"
    assert found["AskBio"] == "Asklepios BioPharmaceutical"
    assert found["Pluristem"] == "Pluri"
    assert "PRVB" not in found and "Nasdaq: PRVB" not in found
    assert "r/r MM" not in found
