"""Record extraction from tables whose headers and captions, not a sentence, say what a row is
(issue 20): a "Biotech Co. | Pharma Co. | Type | Terms" deals table, whose terms cell is free
text, and a table of approvals whose caption names the agency and the action. The companies
and products are invented; the layouts are those of trade-press deal and approval tables."""

from __future__ import annotations

from ingest.loading import Element
from ingest.records.extract import extract_records
from tests.record_checks import grounded as _grounded
from tests.record_checks import values as _values

HEAD = "Biotech Co.* (Country; Symbol): {a}; Pharma Co. (Country): {b}; Type/Product Area: {t}; " \
       "Terms/Details (Date): {d}"


def test_a_biotech_pharma_deals_table_with_free_text_terms():
    """A header holding "(Country; Symbol)" is one header; "Co." columns are the companies (the
    pharma, which pays, first); the terms cell's amounts are named by their own words; an
    agreement that names no licence or sale is a collaboration; a footnote mark is no name."""
    els = [Element("Biotech-pharma deals", "Title"),
           Element(HEAD.format(a="Quellin Therapeutics (Switzerland; SWX:QLN)", b="Marrowby Pharma Inc.",
                               t="Agreement to develop QX-4410 for schizophrenia",
                               d="The deal is potentially worth $612M; Marrowby will pay Quellin $18M up "
                                 "front and up to $410M in development and sales milestones (1/3)"),
                   "TableRow"),
           Element(HEAD.format(a="Tavrin Bio Inc.*", b="Ostrand Pharma plc (UK)",
                               t="Licensing agreement for TV-220 in asthma",
                               d="The deal could bring Tavrin $380M in up-front fees and development "
                                 "milestone payments (2/4)"), "TableRow"),
           Element(HEAD.format(a="Pellow Labs Inc.*", b="Grath Pharma AG",
                               t="Agreement for Pellow to apply its assay to a Phase I trial",
                               d="Terms were not disclosed (1/25)"), "TableRow")]
    records = extract_records(els, "Biotech-pharma deals")
    assert _values(records, "deal") == [
        {"parties": ["Marrowby Pharma Inc.", "Quellin Therapeutics"], "kind": "collaboration",
         "asset": "QX-4410", "upfront": 18e6, "milestones": 410e6, "total": 612e6},
        {"parties": ["Ostrand Pharma plc", "Tavrin Bio Inc."], "kind": "license", "asset": "TV-220",
         "total": 380e6},  # up-front fees and milestones together: the total, not the upfront
        {"parties": ["Grath Pharma AG", "Pellow Labs Inc."], "kind": "collaboration"}]
    _grounded(records, els)


def test_a_table_of_approvals_named_by_its_caption():
    """No status column: the caption ("FDA ... Approvals in 2009") says every row is an FDA
    approval; the product is the brand in brackets, the date column the approval's date."""
    els = [Element("Biologics approved last year", "Title"),
           Element("Table 1. FDA Biopharmaceutical Approvals in 2009", "Title"),
           Element("Product: Factor IX Complex (Harvix); Company: Quenby Bio, Inc.; Date: 12/4/2009; "
                   "Indication: hemophilia B**", "TableRow"),
           Element("Product: Botulinum Toxin B/Ostrel (Relvana; Tonexa); Company: Ostrel; "
                   "Date: 4/29/2009; Indication: cervical dystonia", "TableRow")]
    records = extract_records(els, "Biologics approved last year")
    assert _values(records, "regulatory") == [
        {"agency": "FDA", "action": "approval", "product": "Harvix", "sponsor": "Quenby Bio, Inc.",
         "indication": "hemophilia B", "date": "2009-12-04"},
        {"agency": "FDA", "action": "approval", "product": "Relvana", "sponsor": "Ostrel",
         "indication": "cervical dystonia", "date": "2009-04-29"}]
    _grounded(records, els)


def test_a_table_whose_caption_names_no_action_gives_no_events():
    els = [Element("Table 2. FDA pipeline in 2009", "Title"),
           Element("Product: Harvix; Company: Quenby Bio; Date: 12/4/2009; Indication: hemophilia B",
                   "TableRow"),
           Element("Product: Relvana; Company: Ostrel; Date: 4/29/2009; Indication: dystonia", "TableRow")]
    assert _values(extract_records(els, "Pipeline"), "regulatory") == []


def test_a_lead_in_and_bracketed_items_give_one_event_each():
    """"The FDA has granted Orphan Drug designation to the following:" introduces the paragraphs
    after it; an item is "Sponsor's (ticker) PRODUCT for ..." or "Product (Brand, Sponsor) for ...".
    The list ends at the first paragraph that is no item."""
    els = [Element("Orphan drug round-up", "Title"),
           Element("The FDA has granted Orphan Drug designation to the following:", "NarrativeText"),
           Element("Quenby Bio's (QNBY +4.1%) QB-5512 (autologous cells) for the treatment of "
                   "metachromatic leukodystrophy.", "NarrativeText"),
           Element("Harvestine (Ostrel) for the treatment of Gaucher disease", "NarrativeText"),
           Element("Shares of the sector rose on Monday, with investors citing the approvals of TX-9.",
                   "NarrativeText")]
    records = extract_records(els, "Orphan drug round-up")
    assert _values(records, "regulatory") == [
        {"agency": "FDA", "action": "designation", "designation": "orphan", "product": "QB-5512",
         "sponsor": "Quenby Bio", "indication": "metachromatic leukodystrophy"},
        {"agency": "FDA", "action": "designation", "designation": "orphan", "product": "Harvestine",
         "sponsor": "Ostrel", "indication": "Gaucher disease"}]
    _grounded(records, els)


def test_a_country_that_approves_is_its_regulator():
    els = [Element("Japan approves Ostrel's Velmora for spinal muscular atrophy", "Title"),
           Element("Velmora was approved in Japan after a priority review.", "NarrativeText")]
    regs = _values(extract_records(els, els[0].text), "regulatory")
    assert regs and regs[0]["agency"] == "MHLW" and regs[0]["product"] == "Velmora"
    from ingest.records.patterns import AGENCY_RE
    assert [k for k, rx in AGENCY_RE.items() if rx.search("the China Food and Drug Administration")] == ["NMPA"]
    assert not any(rx.search("sold in Canada since 2019") for rx in AGENCY_RE.values())
    assert [k for k, rx in AGENCY_RE.items() if rx.search("Britain's drug regulator said")] == ["MHRA"]
    assert not any(rx.search("made in Britain") for rx in AGENCY_RE.values())


def test_products_listed_after_a_colon_each_with_its_company():
    els = [Element("Drug approvals this week", "Title"),
           Element("Approval of new medicines: The National Medical Products Administration has approved "
                   "three new medicines: Harvo Tablets of Quenby Pharmaceutical, Velmo Capsules of Ostrel "
                   "Pharma, and Tonexa Granules of Tavrin.", "NarrativeText")]
    records = extract_records(els, "Drug approvals this week")
    assert [(r["product"], r["sponsor"], r["agency"]) for r in _values(records, "regulatory")] == [
        ("Harvo Tablets", "Quenby Pharmaceutical", "NMPA"), ("Velmo Capsules", "Ostrel Pharma", "NMPA"),
        ("Tonexa Granules", "Tavrin", "NMPA")]
    _grounded(records, els)


def test_a_decision_two_agencies_took_gives_an_event_each():
    els = [Element("Ostrel wins approvals", "Title"),
           Element("Earlier this year the company won European Commission and U.K. regulatory approval for "
                   "OST-5010, marketed as Velmora, for the treatment of wet AMD.", "NarrativeText")]
    regs = _values(extract_records(els, "Ostrel wins approvals"), "regulatory")
    assert sorted(r["agency"] for r in regs if r["product"] == "OST-5010") == ["European Commission", "MHRA"]


def test_a_count_of_approvals_above_a_list_and_labelled_items():
    """"In May, the NMPA approved 3 new drugs" right above a list introduces it; "Keytruda — Merck's
    Keytruda has been approved ..." is read past its label; "... approvals since mid-June:" too."""
    els = [Element("Monthly report", "Title"),
           Element("In May 2023, China NMPA approved 3 new drugs, among which 2 are chemical drugs.",
                   "NarrativeText"),
           Element("Quenby Pharmaceuticals' Harvotinib Mesylate Capsules", "ListItem"),
           Element("Ostrel's Velmora Tablets", "ListItem")]
    regs = _values(extract_records(els, "Monthly report"), "regulatory")
    assert [(r["agency"], r["product"], r["sponsor"]) for r in regs] == [
        ("NMPA", "Harvotinib Mesylate Capsules", "Quenby Pharmaceuticals"), ("NMPA", "Velmora Tablets", "Ostrel")]
    els = [Element("Recent approvals", "Title"),
           Element("Seven FDA drug and treatment approvals since mid-June:", "NarrativeText"),
           Element("Velmora — Ostrel's Velmora has been approved to treat chronic graft-versus-host disease.",
                   "ListItem")]
    regs = _values(extract_records(els, "Recent approvals"), "regulatory")
    assert [(r["product"], r["sponsor"], r["action"]) for r in regs] == [("Velmora", "Ostrel", "approval")]


def test_a_products_card_with_its_approval_date():
    els = [Element("Original New Drug Application Approvals by US FDA", "Title"),
           Element("New drug applications approved by the US FDA as of 16 - 31 January 2020.", "NarrativeText"),
           Element("HARVELO", "Title"),
           Element("Active Ingredient(s): Harvoglutide", "ListItem"),
           Element("Company: Quenby Nordisk, Inc.", "ListItem"),
           Element("Approval Date: 16 January 2020", "ListItem"),
           Element("Indication(s): Indicated for the treatment of iron deficiency anemia.", "ListItem"),
           Element("PIPELINE", "Title"),
           Element("Company: Ostrel", "ListItem"),
           Element("Filing Date: 2 January 2020", "ListItem")]
    records = extract_records(els, els[0].text)
    assert _values(records, "regulatory") == [
        {"agency": "FDA", "action": "approval", "product": "HARVELO", "sponsor": "Quenby Nordisk, Inc.",
         "indication": "iron deficiency anemia", "date": "2020-01-16"}]
    _grounded(records, els)


def test_a_health_canada_table_of_notices_of_compliance_with_conditions():
    """The page names one agency; the heading over the table ("Notice of Compliance with
    conditions") says every row is a conditional approval, its date column the notice's date."""
    els = [Element("Health Canada · Symbol of the Government of Canada · Home", "NarrativeText"),
           Element("Notice of Compliance with conditions (NOC/c)", "Title"),
           Element("An NOC/c is an authorization to market a drug (that is, a Notice of Compliance (NOC)) "
                   "with the condition that the sponsor undertake additional studies.", "NarrativeText"),
           Element("Notice of Compliance with conditions", "Title"),
           Element("Brand Name: Velmora; Company Name: Quenby Therapeutics, Inc.; Active Ingredient: "
                   "velnatide; Date of Issuance of NOC/c: May 17, 2012", "TableRow"),
           Element("Brand Name: MARROSA; Company Name: Ostrel Pharma Canada Inc.; Active Ingredient: "
                   "marrocaterol; Date of Issuance of NOC/c: July 22, 2010. Conditions were met on "
                   "August 18, 2011.", "TableRow")]
    records = extract_records(els, "Notice of Compliance with conditions (NOC/c)")
    _grounded(records, els)
    assert _values(records, "regulatory") == [
        {"agency": "Health Canada", "action": "conditional_approval", "product": "Velmora",
         "sponsor": "Quenby Therapeutics, Inc.", "date": "2012-05-17"},
        {"agency": "Health Canada", "action": "conditional_approval", "product": "MARROSA",
         "sponsor": "Ostrel Pharma Canada Inc.", "date": "2010-07-22"}]
