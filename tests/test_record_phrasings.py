"""Deal phrasings the sentence patterns read (issue 20): a financing round that names no investor,
a royalty bought from a company, and a second deal of the same company in one sentence. The
companies are invented; the wordings are the trade press's."""

from __future__ import annotations

import pytest

from ingest.loading import Element
from ingest.records.extract import extract_records
from tests.record_checks import extracted, grounded, values


def _deals(*texts):
    return extracted("Deals this week", texts, "deal")


@pytest.mark.parametrize("text, company, total", [
    ("Shanghai-based Quenby Biopharmaceuticals Co. Ltd. raised $105 million in a series C financing "
     "round to move candidates into clinical studies.", "Quenby Biopharmaceuticals Co. Ltd.", 105e6),
    ("LONDON – Venture builder Tavrin SA has arrived on the scene after raising a $60 million series A, "
     "which it plans to use to seed startups.", "Tavrin SA", 60e6),
])
def test_a_round_that_names_no_investor_is_the_companys_investment(text, company, total):
    assert _deals(text) == [{"parties": [company], "kind": "investment", "total": total}]


def test_a_round_with_another_company_in_the_sentence_is_not_read_alone():
    """Which of two companies raised is not said by this rule: nothing is guessed."""
    assert _deals("Quenby Therapeutics, a spinout of Ostrel Pharma, closed a $40 million seed "
                  "financing.") == []


def test_a_royalty_bought_from_a_company_is_a_royalty_deal():
    assert _deals("Royalties buyer Marrowby Pharma plc said on Thursday that it has acquired a synthetic "
                  "royalty on US sales of VELMORA (velnatide), the product of Quenby Therapeutics, for "
                  "USD125m.") == [{"parties": ["Marrowby Pharma plc", "Quenby Therapeutics"],
                                   "kind": "royalty", "total": 125e6}]


def test_a_second_deal_of_the_same_company_in_one_sentence():
    deals = _deals("Ostrel Pharma's $2.4 billion acquisition of Quenby Therapeutics and its $8.5 "
                   "billion-plus strategic collaboration with Tavrin Biologics point to a push beyond "
                   "obesity.")
    pairs = sorted((tuple(d["parties"]), d["kind"]) for d in deals)
    assert pairs == [(("Ostrel Pharma", "Quenby Therapeutics"), "acquisition"),
                     (("Ostrel Pharma", "Tavrin Biologics"), "collaboration")]


def test_what_is_bought_is_no_company():
    deals = _deals("Marrowby Royalty Announces $100 million Acquisition of Royalty Rights in heart drug "
                   "Velmora from Quenby Therapeutics")
    assert all("Royalty Rights" not in d["parties"] for d in deals)


def test_a_site_named_before_its_facility_word_with_a_size_word():
    els = [Element("Ostrel Pharma expands production plant", "Title"),
           Element("Ostrel Pharma will invest nearly $60 million in its large Harby facility.", "NarrativeText")]
    records = extract_records(els, els[0].text)
    sites = [{k: c["value"] for k, c in r["fields"].items()} for r in records if r["type"] == "facility"]
    assert sites == [{"company": "Ostrel Pharma", "site": "Harby", "investment": 60e6, "status": "announced"}]


def test_a_headlines_nationality_role_word_and_country_are_no_party():
    deals = _deals("Japan's Ostrel to buy US cancer drug maker Quenby in $5.2 billion deal",
                   "Amgen Makes $167M Cash Offer To Acquire Danish Collaborator Tavrin",
                   "Harvell says it has reached agreement to acquire fellow USA-based Pellow, a company "
                   "specializing in antibodies, for a total of around $919.0 million.")
    parties = [set(d["parties"]) for d in deals]
    assert {"Ostrel", "Quenby"} in parties and {"Amgen", "Tavrin"} in parties
    assert not any(p & {"Japan's Ostrel", "Collaborator Tavrin", "Danish Collaborator Tavrin", "USA", "U.S"}
                   for p in parties), parties


def test_a_disease_named_for_a_person_and_a_company_are_no_product():
    els = [Element("Quenby Bio's stock soars after Menkes treatment granted fast track designation", "Title"),
           Element("Menkes disease affects copper levels in the body.", "NarrativeText"),
           Element("China approves Hengrui bispecific", "NarrativeText")]
    products = [r["fields"]["product"]["value"] for r in extract_records(els, els[0].text)
                if r["type"] == "regulatory"]
    assert "Menkes" not in products and "Hengrui" not in products


def test_today_before_the_verb_and_an_offer_named_in_a_headline():
    assert _deals("UK pharma major Ostrel Pharma (LSE: OST) today announced that it has entered into a "
                  "definitive agreement to acquire Quenby Therapeutics for an aggregate cash consideration of "
                  "around $5.1 billion.") == [{"parties": ["Ostrel Pharma", "Quenby Therapeutics"],
                                               "kind": "acquisition", "total": 5.1e9}]
    deals = _deals("Harvell makes unsolicited, 60% premium offer to buy Quenby Bioscience for $4.00 per share in cash",
                   "The offer values Quenby at around $154 million, a premium of about 60%.")
    assert deals == [{"parties": ["Harvell", "Quenby Bioscience"], "kind": "acquisition", "total": 154e6}]


@pytest.mark.parametrize("text, site", [
    ("Drug Maker, Ostrel, Invests $85 Million To Expand Its Harby, North Carolina facility", "Harby, North Carolina"),
    ("Hyderabad-based Ostrel Pharma is set to expand its API manufacturing facility in the Rangareddy district "
     "of Telangana, at a total estimated project cost of Rs 480.31 crore.", "Rangareddy"),
])
def test_a_headlines_its_and_a_district_name_the_site(text, site):
    els = [Element("Plant news", "Title"), Element(text, "NarrativeText")]
    sites = [r["fields"]["site"]["value"] for r in extract_records(els, "Plant news") if r["type"] == "facility"]
    assert sites == [site]


@pytest.mark.parametrize("sentence, status", [
    ("Ostrel Pharma will build a $60 million plant in Harby, which will be completed by May 2027.", "announced"),
    ("Ostrel Pharma expects its $60 million plant in Harby to be completed in 2027.", "announced"),
    ("Ostrel Pharma has completed its $60 million plant in Harby.", "completed"),
    ("Ostrel Pharma has opened its $60 million plant in Harby, and the first batch is expected to be "
     "completed by year end.", "operational"),
])
def test_a_plant_still_to_be_completed_is_not_complete(sentence, status):
    """"will be completed", "expected to be completed": what is to come is no status of done."""
    els = [Element("Ostrel Pharma news", "Title"), Element(sentence, "NarrativeText")]
    records = extract_records(els, els[0].text)
    grounded(records, els)
    assert [s.get("status") for s in values(records, "facility")] == [status]


def test_a_named_site_before_the_country_it_is_in():
    """"its Harby facility ... in Japan": the site is Harby, in Japan; not the country."""
    els = [Element("Ostrel Pharma news", "Title"),
           Element("Ostrel Pharma will strengthen its presence in Japan by investing $60 million to "
                   "expand its Harby facility.", "NarrativeText")]
    records = extract_records(els, els[0].text)
    grounded(records, els)
    sites = values(records, "facility")
    assert [(s.get("site"), s.get("country")) for s in sites] == [("Harby", "Japan")]


@pytest.mark.parametrize("sentence", [
    "The FDA issued another complete response letter, meaning the agency won't approve the Harby, "
    "N.J., company's application in its current form.",
    "Tavrin SA, a French medical device company, received NMPA approval to begin marketing.",
    "[Photo: FDA headquarters. Source: Associated Press] The FDA granted priority review.",
])
def test_a_place_a_nationality_or_a_caption_is_no_product(sentence):
    els = [Element("Regulatory news", "Title"), Element(sentence, "NarrativeText")]
    records = extract_records(els, els[0].text)
    grounded(records, els)
    products = [r.get("product") for r in values(records, "regulatory")]
    assert not {"Harby", "French", "Photo"} & set(products), products


def test_a_datelines_city_and_an_exchange_ticker_are_no_party():
    deals = _deals("FRANKFURT, Sept 18 (Reuters) – Ostrel Pharma (OSTR.S) has agreed to buy U.S. "
                   "biotech firm Quenby Bio (QNBY.O) for up to $3.5 billion, entering a race to offer "
                   "new liver disease treatments.")
    parties = {p for d in deals for p in d.get("parties", [])}
    assert not {"FRANKFURT", "OSTR.S", "QNBY.O"} & parties, deals


@pytest.mark.parametrize("text, parties, total", [
    ("Tavrin Ltd. launched with a $45.6M series A round from Marrowby LLP.",
     ["Marrowby LLP", "Tavrin Ltd."], 45.6e6),
    ("Quenby Pharmaceuticals completed a $37.1M series C preferred stock offering led by Ostrel "
     "Capital Life Science, with participation from Velmor Ventures and Arden Partners and from "
     "existing investors Pellam Associates.",
     ["Ostrel Capital Life Science", "Velmor Ventures", "Arden Partners", "Pellam Associates",
      "Quenby Pharmaceuticals"], 37.1e6),
    ("Quenby Biotech raised $51.4M in a series D preferred stock financing; the investors were "
     "Ostrel Capital Management LLC and Velmor Ventures.",
     ["Ostrel Capital Management LLC", "Velmor Ventures", "Quenby Biotech"], 51.4e6),
    ("Tavrin Therapeutics Inc. secured $21M of new funding in an expansion of its series B round.",
     ["Tavrin Therapeutics Inc."], 21e6),
])
def test_a_round_launched_with_offered_or_funded_and_its_investors(text, parties, total):
    assert _deals(text) == [{"parties": parties, "kind": "investment", "total": total}]


def test_glp_1_is_no_limited_partnership():
    deals = _deals("Quenby Therapeutics licensed its GLP-1 agonist to Ostrel Pharma for $50 million.")
    assert all("GLP" not in " ".join(d["parties"]) for d in deals)


@pytest.mark.parametrize("text", [
    "Quenby Biologics, the UK's biggest biotech firm, has agreed to be taken over by the Belgian "
    "drugmaker Ostrel Pharma.",
    "Quenby Biologics, which Ostrel Pharma acquired in 2015, opened a laboratory in Belgium in 2018.",
])
def test_a_takeover_told_from_the_target(text):
    assert [(d["parties"], d["kind"]) for d in _deals(text)] == [
        (["Ostrel Pharma", "Quenby Biologics"], "acquisition")]


def test_where_a_company_is_between_commas_is_read_past():
    deals = _deals("Quenby Therapeutics Inc., of Cambridge, Mass., licensed VLN-1806, a biosimilar, in all "
                   "countries from Ostrel Biologics Co. Ltd.")
    assert [(d["parties"], d["kind"], d.get("asset")) for d in deals] == [
        (["Quenby Therapeutics Inc.", "Ostrel Biologics Co. Ltd."], "license", "VLN-1806")]


def test_a_royalty_funding_agreement_and_its_terms_a_few_sentences_on():
    got = _deals("Quenby Therapeutics and Marrowby Pharma have entered into a $275 million royalty funding "
                 "agreement based on future sales of velnatide.",
                 "Velnatide is Quenby's lead therapy, aimed at Hunter syndrome.",
                 "The companies said Thursday that the agreement is subject to closing conditions.",
                 "The FDA is currently reviewing an application for the treatment's approval.",
                 "Under the deal, Marrowby Pharma would pay an initial $200 million at the closing, plus an "
                 "additional $75 million if the European Medicines Agency approves the treatment by 2029.")
    assert [(r["kind"], r["upfront"], r["milestones"], r["total"]) for r in got] == [
        ("royalty", 200e6, 75e6, 275e6)]


@pytest.mark.parametrize("text, site", [
    ("Quenby Biologics Inc. plans a major expansion of its biomanufacturing site in Holly Springs.",
     "Holly Springs"),
    ("Plans are moving forward for Ostrel Pharma's $30 million manufacturing facility on the West Plains "
     "near Spokane, Washington.", "Spokane, Washington"),
])
def test_a_planned_expansion_or_facility_is_announced(text, site):
    assert [(r["site"], r["status"]) for r in extracted("Plant news", [text], "facility")] == [
        (site, "announced")]


def test_the_total_raised_to_date_is_not_the_rounds_amount():
    from assistant.core.money import find_money
    from ingest.records.deal_money import _money_role

    text = ("The round, which brings Quenby Biopharmaceuticals' total capital raised since 2016 to over "
            "US$ 100m, was led by Delos Capital.")
    assert _money_role(text, find_money(text)[0], True) is None
    text = "Quenby Biopharmaceuticals raised $43 million in a Series B financing round."
    assert _money_role(text, find_money(text)[0], True) == "total"


def test_a_company_whose_name_starts_with_digits_is_a_party():
    """("Roche to acquire liver drug developer 89bio for up to $3.5 billion")"""
    assert _deals("Ostrel to acquire liver drug developer 42bio for up to $3.5 billion") == [
        {"parties": ["Ostrel", "42bio"], "kind": "acquisition", "total": 3.5e9}]


def test_taken_over_by_a_company_described_before_its_name():
    assert _deals("Quenby, the UK's biggest biotech firm, has agreed to be taken over by the Belgian "
                  "drugmaker Ostrel for $1.5 billion.") == [
        {"parties": ["Ostrel", "Quenby"], "kind": "acquisition", "total": 1.5e9}]


@pytest.mark.parametrize("text, parties", [
    # where each company is, between commas, and a listing in brackets, before the shared verb
    ("Ostrel Pharmaceuticals Inc., of Aliso Viejo, Calif., and Quenby AS, of Oslo, Norway, said they "
     "signed an exclusive North American license agreement to develop Quenby's nasal device.",
     ["Ostrel Pharmaceuticals Inc.", "Quenby AS"]),
    ("Ostrel Pharma (OST) and Quenby Biotech of China have signed an exclusive license and collaboration "
     "agreement to develop seven antibody-drug conjugates.", ["Ostrel Pharma", "Quenby Biotech"]),
])
def test_two_companies_with_asides_before_they_sign(text, parties):
    assert [(d["parties"], d["kind"]) for d in _deals(text)] == [(parties, "license")]


def test_a_price_paid_for_rights_and_a_decimal_amount_inside_the_deal_words():
    assert _deals("In January, Ostrel Pharma paid USD2.2 billion for the exclusive rights to Quenby "
                  "Therapeutics' antibody velmorumab.") == [
        {"parties": ["Ostrel Pharma", "Quenby Therapeutics"], "kind": "license", "total": 2.2e9}]
    deals = _deals("Ostrel Inc. announced that it had signed an $87.75 million joint drug R&D agreement "
                   "with Quenby Inc.")
    assert [(d["parties"], d["kind"]) for d in deals] == [(["Ostrel Inc.", "Quenby Inc."], "collaboration")]


def test_a_round_whose_amount_is_given_in_two_currencies():
    assert _deals("DUBLIN – Quenby Aps raised €47.4 million (US$57.6 million) in a series B funding "
                  "round to take its vaccine through a phase II program.") == [
        {"parties": ["Quenby Aps"], "kind": "investment", "total": 47.4e6}]
    assert _deals("Ostrel Biopharmaceuticals, a Chengdu, China-based company, has closed a US$ 43m "
                  "(RMB 304m) Series B financing.") == [
        {"parties": ["Ostrel Biopharmaceuticals"], "kind": "investment", "total": 43e6}]


def test_it_is_the_sentences_subject_or_the_company_just_named():
    assert _deals("Ostrel Biosciences became a powerhouse in drug services in 2017, when it bought Quenby "
                  "for $7.2 billion.") == [
        {"parties": ["Ostrel Biosciences", "Quenby"], "kind": "acquisition", "total": 7.2e9}]
    deals = _deals("Ostrel Biosciences makes tools for labs. It moved into gene therapy last year by "
                   "acquiring Quenby Bio for $1.7 billion.")
    assert [(d["parties"], d["kind"], d.get("total")) for d in deals] == [
        (["Ostrel Biosciences", "Quenby Bio"], "acquisition", 1.7e9)]


def test_it_is_not_a_company_named_as_an_object_before_it():
    """("Last year it struck an $8 billion deal for Loxo Oncology, and early this year it paid $1.1
    billion for Dermira": the buyer is not Loxo)"""
    deals = _deals("Ostrel Pharma has been busy. Early this year, after a deal for Quenby Oncology, it paid "
                   "$1.1 billion for Tavrin Bio.")
    assert [(d["parties"], d["kind"]) for d in deals] == [(["Ostrel Pharma", "Tavrin Bio"], "acquisition")]


@pytest.mark.parametrize("texts", [
    # "it" bought, not "it" was bought
    ("Quenby Bio discovered velmorumab in 2010. It was acquired by Ostrel Pharma in 2019 for $300 million.",),
    # the sentence before named two companies: "the buyout firm" is neither for sure
    ("Ostrel Pharma sold its diagnostics unit to Tavrin Capital. The buyout firm bought Quenby Bio last year "
     "for $2 billion.",),
    # an opening phrase's company is no subject
    ("Unlike rival Tavrin Bio, it signed a licensing deal with Quenby Bio.",),
])
def test_it_is_read_as_a_company_only_where_it_is_the_buyer_named_for_sure(texts):
    deals = _deals(*texts)
    assert not any(d["parties"][0] == "Ostrel Pharma" and "Quenby Bio" in d["parties"] and
                   d["kind"] == "acquisition" and "was acquired" not in texts[0] for d in deals)
    assert not any(d["parties"] == ["Tavrin Bio", "Quenby Bio"] for d in deals)
    assert not any(d["parties"] == ["Quenby Bio", "Ostrel Pharma"] for d in deals)


def test_an_offer_for_a_company_is_its_price():
    assert _deals("Sweden's Ostrel Pharma makes $1.7 billion offer to buy Quenby BioPharma") == [
        {"parties": ["Ostrel Pharma", "Quenby BioPharma"], "kind": "acquisition", "total": 1.7e9}]


@pytest.mark.parametrize("text, product", [
    ("The EMA also approved Quenby Therapeutics' velmoren, a small molecule that reads through nonsense "
     "mutations, for muscular dystrophy.", "velmoren"),
    ("The FDA approved Ostrel Pharma's avelglucosidase alfa in Pompe disease.", "avelglucosidase alfa"),
    ("The FDA has been busy this week. Waltham-based Ostrel Therapeutics won a BTD for velopanitase for "
     "increasing fistula patency.", "velopanitase"),
    ("The FDA designated Ostrel Pharma Inc.'s lead candidate, velotor, a Breakthrough Therapy for the "
     "treatment of sickle cell disease last month.", "velotor"),
])
def test_a_drug_named_in_lower_case_after_its_companys_possessive(text, product):
    events = extracted("Approvals", [text], "regulatory")
    assert [e["product"] for e in events] == [product]


@pytest.mark.parametrize("text", [
    "The FDA approved Ostrel Pharma's experimental therapy for Pompe disease.",
    "The FDA approved Ostrel Pharma's application in May.",
])
def test_an_ordinary_word_after_a_possessive_is_no_product(text):
    assert extracted("Approvals", [text], "regulatory") == []


def test_rights_paid_for_from_a_company_and_an_agreement_for_rights_to_a_companys_programs():
    deals = _deals("Ostrel Pharma, a US-Shanghai developer of novel drugs, agreed to pay up to $502 million "
                   "for global rights to a second-generation RAF inhibitor from Quenby Therapeutics.",
                   "Harlow plc has entered a research, development, collaboration and license agreement for "
                   "the worldwide rights to Selby Biosciences Inc.'s microbiome programs.")
    assert [(d["parties"], d["kind"]) for d in deals] == [
        (["Ostrel Pharma", "Quenby Therapeutics"], "license"),
        (["Harlow plc", "Selby Biosciences Inc."], "license")]
    assert deals[0]["total"] == 502e6


@pytest.mark.parametrize("text, parties", [
    ("Ostrel Pharma's recent deals include a license in Asia for Quenby Therapeutics' PARP inhibitor Zelvora.",
     ["Ostrel Pharma", "Quenby Therapeutics"]),
    ("Ostrel Pharma gains an exclusive license to Quenby Therapeutics' experimental therapy QT-901.",
     ["Ostrel Pharma", "Quenby Therapeutics"]),
])
def test_a_license_to_a_companys_drug(text, parties):
    assert [(d["parties"], d["kind"]) for d in _deals(text)] == [(parties, "license")]


def test_royalty_rights_bought_for_a_decimal_amount_and_an_announced_transaction():
    deals = _deals("Marrowby Pharma announces a $2.85 billion acquisition of royalty rights in multiple sclerosis "
                   "drug Velmora from Quenby Therapeutics plc.",
                   "Tavrin Pharma announces a $3.3 billion royalty transaction with Selby Biosciences.")
    assert [(d["parties"], d["kind"], d.get("total")) for d in deals] == [
        (["Marrowby Pharma", "Quenby Therapeutics plc"], "royalty", 2.85e9),
        (["Tavrin Pharma", "Selby Biosciences"], "royalty", 3.3e9)]


def test_a_cooperation_agreement_and_a_deal_it_landed():
    deals = _deals("Before the drug was launched, Ostrel Pharma had already reached a cooperation agreement with "
                   "the Chinese company Quenby Biotech on its import and distribution.",
                   "Analysts cheered Canada's Tavrin Therapeutics after it landed a rich licensing deal with "
                   "Marrowby Pharma.")
    assert [(d["parties"], d["kind"]) for d in deals] == [
        (["Ostrel Pharma", "Quenby Biotech"], "collaboration"),
        (["Tavrin Therapeutics", "Marrowby Pharma"], "license")]


def test_a_designation_one_agency_grants_is_that_agencys_on_a_page_naming_others():
    events = extracted("Designations", ["The FDA and the EMA both met this week.",
                                        "Ostrel Therapeutics won a BTD for velopanitase for increasing "
                                        "fistula patency."], "regulatory")
    assert [(e["agency"], e["designation"], e["product"]) for e in events] == [
        ("FDA", "breakthrough", "velopanitase")]


@pytest.mark.parametrize("text", [
    "Ostrel Pharma bought 5m shares in the company last year.",
    "Ostrel Pharma acquired 51pc of Quenby Therapeutics for $40 million.",
])
def test_an_amount_is_no_company_whose_name_starts_with_digits(text):
    assert all(not p[0].isdigit() for d in _deals(text) for p in d["parties"])


@pytest.mark.parametrize("text", [
    "The FDA approved Ostrel Pharma's vaccine for use in adults over 65.",
    "The FDA granted Ostrel Pharma's request for priority review.",
    "Ostrel Pharma won FDA approval to market its pill in the US.",
])
def test_a_role_word_after_a_possessive_or_a_decision_is_no_product(text):
    assert all(e["product"] not in ("vaccine", "request", "market") for e in extracted("Approvals", [text],
                                                                                          "regulatory"))


@pytest.mark.parametrize("text", [
    "Ostrel Therapeutics hailed OST-101 as a breakthrough after it won praise from doctors.",
    "OST-101 had been granted fast track status by Japan's health ministry.",
])
def test_no_agency_is_inferred_from_a_bare_word_or_for_another_country(text):
    events = extracted("Designations", ["The FDA and the EMA both met this week.", text], "regulatory")
    assert all(e.get("agency") != "FDA" or "OST-101" not in (e.get("product") or "") for e in events)


def test_a_clause_between_commas_is_no_aside_and_a_granted_license_is_no_in_license():
    assert _deals("Under Ostrel Pharma, sales of the drug slumped, and Quenby Therapeutics has since signed "
                  "a licensing deal to sell it in Asia.") == []
    deals = _deals("Ostrel Pharma's decision to grant a license to Quenby Therapeutics' subsidiary surprised "
                   "analysts.")
    assert not any(d["parties"] == ["Ostrel Pharma", "Quenby Therapeutics"] for d in deals)


@pytest.mark.parametrize("text, parties, kind", [
    # a company the table does not know, introduced by what it is
    ("Japanese brewer Quenby has made a USD 1.5bn bid for pharmaceutical company Ostrel Hakko Kogyo, "
     "which has accepted the offer.", ["Quenby", "Ostrel Hakko Kogyo"], "acquisition"),
    ("Tavrin Biologics Inc. signed a licence agreement with Varnek, a Brazilian pharmaceutical company, "
     "for its reflux drug.", ["Tavrin Biologics Inc.", "Varnek"], "license"),  # (the signer first)
    # a drug candidate going abroad, as Korean trade press writes an out-licence
    ("Quenby Biologics Inc. also exported QB-106, its immunotherapy candidate, with R-Varnek, a Russian "
     "pharmaceutical company, on Jan. 17.", ["R-Varnek", "Quenby Biologics Inc."], "license"),
])
def test_a_company_introduced_by_a_description_and_an_out_licence_said_as_an_export(text, parties, kind):
    got = _deals(text)
    assert [(d["parties"], d["kind"]) for d in got] == [(parties, kind)], got


@pytest.mark.parametrize("text", [
    "Quenby Biologics Inc. transferred 200 employees to Ostrel Pharma Inc.",  # no technology
    "Shares of the drugmaker rose 5% after the news.",  # a description with no name after it
    "The Quenby plant exports vials to Ostrel Pharma Inc. in Germany.",  # no company exports
    # found by a reviewing helper: goods, a shipment, a distribution deal, a CDMO's tech transfer
    "Quenby Biologics Inc. exported $40 million of biosimilars to Ostrel Pharma Inc. last year.",
    "Quenby Biologics Inc. exported its first shipment of Velmora with Ostrel Pharma Inc. handling "
    "distribution in Europe.",
    "Quenby Biologics Inc. exported its flu vaccine to Ostrel Pharma Inc.'s distribution network.",
    "Quenby Biologics Inc. transferred the technology for its vaccine to Ostrel Pharma Inc., which "
    "will make the drug substance.",
])
def test_a_transfer_of_people_or_an_export_of_goods_is_no_licence(text):
    assert _deals(text) == []


def test_an_authorisation_received_is_an_approval_and_the_product_is_no_indication():
    got = extracted("Blog", ["Ostrel Pharma receives marketing authorisation from Health Canada for "
                             "Velmora in adults with gout."], "regulatory")
    assert got == [{"agency": "Health Canada", "action": "approval", "product": "Velmora",
                    "sponsor": "Ostrel Pharma", "indication": "adults with gout"}], got
    # a disease or a virus variant is no product: nothing rather than "Omicron"
    assert extracted("Blog", ["Ostrel Pharma receives Health Canada authorisation for second Omicron "
                              "targeting bivalent booster"], "regulatory") == []


def test_a_person_described_by_a_company_is_no_company():
    got = _deals("Kestrel Bio Inc. hired Jane Doe, a veteran of the Swiss drugmaker, as chief executive "
                 "before it acquired Halden Pharma Inc.")
    assert all("Jane Doe" not in d["parties"] for d in got), got


@pytest.mark.parametrize("text", [
    "Kestrel Bio receives authorisation from the MHRA to start a Phase 1 trial of Zanoxa in psoriasis.",
    "Kestrel Bio receives clinical trial authorisation from the EMA for Zanoxa in lupus.",
    "Kestrel Bio receives emergency use authorisation from the FDA for Zanoxa in COVID-19.",
    "Kestrel Bio receives authorisation from Health Canada to import Zanoxa for a shortage.",
    "Kestrel Bio received authorisation from the EMA for a paediatric investigation plan for Zanoxa.",
])
def test_an_authorisation_to_run_a_trial_or_import_is_no_approval(text):
    got = extracted("Blog", [text], "regulatory")
    assert all(r.get("action") != "approval" for r in got), got


def test_a_plants_former_owner_is_not_the_company_investing():
    got = extracted("Quenby to redevelop former Indiana plant", [
        "Technology-based pharmaceutical company Quenby, LLC, has announced plans to put a new "
        "manufacturing plant in Terre Haute, Ind., a move expected to create up to 234 new jobs.",
        "The company intends to invest $85.5 million to redevelop the former Ostrel Pharma facility, "
        "which sits on approximately 210 acres in Terre Haute."], "facility")
    assert [r["company"] for r in got] == ["Quenby"], got
    assert got[0].get("investment") == 85.5e6, got
