"""Record extraction (issue 20, point 1): money and date parsing, cited cells, and bad input.

The verbatim test runs the extractor on every document of corpus/ and eval/data/tradepress/docs/
as the pipeline loads it and checks every cell of every record: its quote is a span of one of
the document's element texts (the text the chunks are made from) and it states the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.money import find_money, same_amount
from ingest.loading import Element
from ingest.pipeline import load_document
from ingest.records.dates import find_dates, same_date
from ingest.records.document import Document
from ingest.records.extract import FIELDS, extract_records
from ingest.records.grounding import holds, verbatim
from tests.conftest import CORPUS, ROOT

TRADEPRESS = ROOT / "eval" / "data" / "tradepress" / "docs"
RECORDS_DEV = ROOT / "eval" / "data" / "records_dev" / "docs"
DOCS = sorted(CORPUS.iterdir()) + sorted(TRADEPRESS.iterdir()) + sorted(RECORDS_DEV.iterdir())


@pytest.mark.parametrize("text, value, currency", [
    ("Bayer will pay $2bn upfront.", 2e9, "USD"),
    ("about EUR 1.15 billion in cash", 1.15e9, "EUR"),
    ("a total investment of about CHF 850 million", 850e6, "CHF"),
    ("approximately 100 billion yen", 100e9, "JPY"),
    ("KRW 2 trillion", 2e12, "KRW"),
    ("for ~$3.3B", 3.3e9, "USD"),
    ("an upfront consideration of $425m.", 425e6, "USD"),
    ("$32.5M, plus", 32.5e6, "USD"),
    ("£1,250 million", 1.25e9, "GBP"),
    ("USD 300m", 300e6, "USD"),
    ("worth as much as USD2.9 billion", 2.9e9, "USD"),  # the code written against the number
    ("RMB5bn", 5e9, "CNY"),
    # the country names the currency
    ("investing an additional 380 million Danish kroner in its plant", 380e6, "DKK"),
    ("2 billion Canadian dollars", 2e9, "CAD"),
    ("500 million South Korean won", 500e6, "KRW"),
    ("12 million Swiss francs", 12e6, "CHF"),
])
def test_money_in_units_with_its_currency(text, value, currency):
    found = find_money(text)
    assert len(found) == 1
    assert same_amount(found[0].value, value) and found[0].currency == currency


def test_what_is_not_a_sum_of_money():
    assert find_money("$38.25 per share") == []
    assert find_money("costs $2 million per patient") == []
    assert find_money("fewer than 200,000 people, 20,000L bioreactors, 18% stake") == []
    assert find_money("up to a further $2bn")[0].qualifier == "up to"


@pytest.mark.parametrize("text, anchor, value", [
    ("June 3, 2025", None, "2025-06-03"),
    ("15 July 2024", None, "2024-07-15"),
    ("Monday, September 26, 2016", None, "2016-09-26"),
    ("2016-09-26", None, "2016-09-26"),
    ("In December 2023, AstraZeneca", None, "2023-12"),
    ("Bayer's 2019 acquisition", None, "2019"),
    ("Last month, the NMPA approved", "2024-07-15", "2024-06"),
    ("last month", "2024-01-10", "2023-12"),
    ("said today that", "2019-10-24", "2019-10-24"),
    ("This week Bio-Thera announced", "2023-01-25", "2023-01"),
    ("In August Bayer also agreed", "2020-10-26", "2020-08"),
    ("In November the company", "2020-03-02", "2019-11"),
    ("Last year the company raised", "2020-10-26", "2019"),
    ("on Monday it said", "2024-07-17", "2024-07-15"),
    ("yesterday", "2024-03-01", "2024-02-29"),
])
def test_dates_as_precise_as_the_text(text, anchor, value):
    found = find_dates(text, anchor)
    assert [d.value for d in found] == [value]


def test_relative_dates_need_the_document_date_and_broken_dates_are_none():
    assert find_dates("Last month, the NMPA approved it") == []
    assert find_dates("on Monday") == []
    assert find_dates("February 30, 2024; 2024-13-01; 31 April 2023") == []


def test_dates_compare_at_the_gold_precision():
    assert same_date("2024-06-15", "2024-06") and same_date("2024-06", "2024")
    assert not same_date("2024", "2024-06") and not same_date("2024-07", "2024-06")


def _records(path: Path):
    doc, _ = load_document(path, None)
    return doc, extract_records(doc.elements, doc.title)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_cell_quotes_the_document_verbatim_and_states_its_value(path):
    doc, records = _records(path)
    texts = [e.text for e in doc.elements]
    anchor = Document(doc.elements, doc.title).anchor
    for rec in records:
        assert rec["type"] in FIELDS
        assert set(rec["fields"]) <= set(FIELDS[rec["type"]])
        for name, c in rec["fields"].items():
            assert set(c) <= {"value", "quote", "page", "currency", "qualifier"}, c
            assert verbatim(c["quote"], texts), (path.name, name, c["quote"])
            assert holds(name, c, anchor), (path.name, name, c)
            if name in ("upfront", "milestones", "total", "investment"):
                assert isinstance(c["value"], float) and len(c["currency"]) == 3


def _find(records, type_, **values):
    for rec in records:
        if rec["type"] == type_ and all(
                rec["fields"].get(k, {}).get("value") == v for k, v in values.items()):
            return rec
    raise AssertionError(f"no {type_} record with {values}: {records}")


def test_a_deal_with_its_terms():
    _, records = _records(TRADEPRESS / "bayer-askbio-acquisition-2020.html")
    deal = _find(records, "deal", parties=["Bayer", "Asklepios BioPharmaceutical"],
                 kind="acquisition")
    f = deal["fields"]
    assert (f["upfront"]["value"], f["upfront"]["currency"]) == (2e9, "USD")
    assert f["milestones"]["value"] == 2e9 and f["total"]["value"] == 4e9
    assert f["announced"]["value"] == "2020-10-26"
    assert f["announced"]["quote"].startswith("26 October 2020")  # the dateline
    assert deal["companies"] == ["Bayer", "Asklepios BioPharmaceutical"]
    kandy = _find(records, "deal", parties=["Bayer", "KaNDy Therapeutics"])
    assert kandy["fields"]["announced"]["value"] == "2020-08"  # "In August" of an October story


def test_facilities_with_capacity_investment_and_jobs_per_site():
    _, records = _records(TRADEPRESS / "lonza-visp-portsmouth-mammalian-expansion-2021.pdf")
    visp = _find(records, "facility", site="Visp")["fields"]
    assert visp["capacity_liters"]["value"] == 120000  # six 20,000L bioreactors
    assert (visp["investment"]["value"], visp["investment"]["currency"]) == (650e6, "CHF")
    assert visp["jobs"]["value"] == 300 and visp["country"]["value"] == "Switzerland"
    assert visp["capacity_liters"]["page"] == 1
    ports = _find(records, "facility", site="Portsmouth, New Hampshire")["fields"]
    assert ports["jobs"]["value"] == 250 and ports["capacity_liters"]["value"] == 16000
    assert ports["investment"]["page"] == 2


def test_regulatory_events_with_relative_dates():
    _, records = _records(CORPUS / "innovent-iaso-fucaso-car-t-stake-2024.txt")
    nmpa = _find(records, "regulatory", agency="NMPA", product="Fucaso")
    assert nmpa["fields"]["date"]["value"] == "2024-06"  # "Last month" in a July 2024 story
    designations = {r["fields"].get("designation", {}).get("value") for r in records
                    if r["type"] == "regulatory" and r["fields"]["agency"]["value"] == "FDA"}
    assert {"orphan", "breakthrough", "fast_track"} <= designations


def _elements(*texts, title=None):
    out = [Element(title, "Title")] if title else []
    return out + [Element(t, "NarrativeText") for t in texts]


def test_a_document_with_no_records_yields_none():
    assert extract_records(_elements("Clean rooms need HEPA filters and trained staff.",
                                     "Cold chains keep cells viable below -150 Celsius.")) == []
    assert extract_records([]) == []
    assert extract_records(_elements("")) == []


def test_absurd_amounts_and_broken_dates_are_dropped_never_guessed():
    els = _elements(
        "posted by pharmafan99 on February 30, 2024",
        "lol Acme Pharma to acquire Zorblax Therapeutics for $1.2 trillion upfront, my cousin "
        "says. Acme Pharma will pay $1.2 trillion upfront on 2024-13-45 apparently.",
        title="Forum: Acme Pharma to acquire Zorblax Therapeutics")
    records = extract_records(els)
    for rec in records:
        for name, c in rec["fields"].items():
            assert name not in ("upfront", "total", "milestones"), c
            assert name not in ("announced", "date"), c
        assert rec["usd"] is None


@pytest.mark.parametrize("text", [
    "FDA FDA FDA approved approved $ $ $ 1e400 billion",
    "Acquire acquire acquisition of of of ( ( ( ) ) ) ⟦0⟧ ⟦1⟧ acquired ⟦9⟧",
    "Lonza will build a facility in , , , with 0 L bioreactors and -5 jobs.",
    "x" * 5000 + " acquired " + "Y" * 5000,
    "\ud7ff\u200b\u0000 FDA granted orphan drug designation to \u2028ABC-123\u2029.",
    "The EMA approved it. It. It. It was approved by the FDA in 9999.",
])
def test_malformed_text_never_crashes_extraction(text):
    records = extract_records(_elements(text))
    assert isinstance(records, list)


# --- general wordings (synthetic sentences, not from any gold document) ---
def _values(records, type_=None):
    """Each record's cell values ({field: value}), of one type when `type_` is given."""
    return [{k: c["value"] for k, c in r["fields"].items()} for r in records
            if type_ is None or r["type"] == type_]


def _one(records, type_):
    mine = _values(records, type_)
    assert len(mine) == 1, records
    return mine[0]


def _grounded(records, els):
    texts = [e.text for e in els]
    for rec in records:
        for name, c in rec["fields"].items():
            assert verbatim(c["quote"], texts) and holds(name, c, None), (name, c)


def test_two_companies_as_the_subject_and_terms_in_the_next_sentences():
    els = _elements("Quorvex Therapeutics and Daltrin Biosciences have signed a research "
                    "collaboration on fibrosis targets. Quorvex will pay $25 million upfront. "
                    "Daltrin is eligible for up to $800 million in development and sales "
                    "milestones.")
    records = extract_records(els)
    deal = _one(records, "deal")
    assert set(deal["parties"]) == {"Quorvex Therapeutics", "Daltrin Biosciences"}
    assert deal["kind"] == "collaboration"
    assert deal["upfront"] == 25e6 and deal["milestones"] == 800e6
    _grounded(records, els)


def test_upfront_and_milestones_in_one_sentence_keep_their_own_words():
    els = _elements("Halden Pharma licensed global rights to HLD-220, a topical JAK inhibitor for "
                    "eczema, from Morrow Bio. Halden Pharma will pay $12 million upfront and up to "
                    "$310 million in clinical, regulatory and commercial milestones, plus royalties.")
    records = extract_records(els)
    deal = _one(records, "deal")
    assert deal["kind"] == "license" and deal["asset"] == "HLD-220"
    assert deal["upfront"] == 12e6 and deal["milestones"] == 310e6 and "total" not in deal
    _grounded(records, els)


def test_a_price_per_share_is_not_the_total():
    els = _elements("Varnel Pharmaceuticals agreed to acquire Oxmoor Therapeutics for $14.75 per "
                    "share in cash, or about $960 million in total.")
    deal = _one(extract_records(els), "deal")
    assert deal["kind"] == "acquisition" and deal["total"] == 960e6 and "upfront" not in deal


def test_a_financing_led_by_investors():
    els = _elements("Peltra Therapeutics develops oral peptides. The company closed a $60 million "
                    "Series B financing led by Harbor Ventures, with participation from Elmfield "
                    "Capital.")
    deal = _one(extract_records(els), "deal")
    assert deal["kind"] == "investment" and deal["total"] == 60e6
    assert deal["parties"][-1] == "Peltra Therapeutics"
    assert {"Harbor Ventures", "Elmfield Capital"} <= set(deal["parties"])


def test_a_short_name_is_the_company_named_in_full_earlier():
    els = _elements("Brisk Biologics makes antibodies for partners.",
                    "Brisk broke ground on a new plant in Tampere, Finland, that will hold three "
                    "2,000L bioreactors and employ 120 new staff.")
    records = extract_records(els)
    fac = _one(records, "facility")
    assert fac["company"] == "Brisk Biologics" and fac["site"] == "Tampere"
    assert fac["country"] == "Finland" and fac["capacity_liters"] == 6000
    assert fac["status"] == "under_construction"
    _grounded(records, els)


@pytest.mark.parametrize("text, liters", [
    ("two 20 000 litre bioreactors", 40000), ("4 x 5,000-L bioreactors", 20000),
    ("a 2,000L single-use bioreactor", 2000), ("capacity of 15 000 liters", 15000),
])
def test_capacity_wordings(text, liters):
    from ingest.records.facilities import _capacity

    assert _capacity(text) == liters


def test_designations_indications_and_the_programme_named_before():
    els = _elements("11 March 2025", "The FDA granted Fast Track designation to TRX-41, Tamsen "
                    "Bio's antisense drug for Huntington's disease. In January, the European "
                    "Medicines Agency also granted the programme access to its PRIME scheme.")
    records = extract_records(els)
    regs = [r for r in records if r["type"] == "regulatory"]
    by = {r["fields"]["designation"]["value"]: {k: c["value"] for k, c in r["fields"].items()}
          for r in regs}
    assert by["fast_track"]["product"] == "TRX-41" and by["fast_track"]["agency"] == "FDA"
    assert "Huntington" in by["fast_track"]["indication"]
    assert by["prime"]["product"] == "TRX-41" and by["prime"]["agency"] == "EMA"
    assert by["prime"]["date"] == "2025-01"


def test_an_approval_won_and_a_day_without_its_year():
    els = _elements("20 May 2025", "Norrland Pharma won approval from Health Canada for "
                    "velrostat in adults with gout on 14 May.")
    reg = _one(extract_records(els), "regulatory")
    assert reg["agency"] == "Health Canada" and reg["action"] == "approval"
    assert reg["product"] == "velrostat" and reg["date"] == "2025-05-14"
    assert "gout" in reg["indication"]


def test_a_more_news_list_is_not_the_article():
    els = [Element("Acme Bio opens lab", "Title"),
           Element("Acme Bio opened a research lab in Oslo, Norway, this spring.", "NarrativeText"),
           Element("MORE NEWS", "Title"),
           Element("Zentro Therapeutics wins FDA orphan drug designation for ZT-9", "Title"),
           Element("Vexa Pharma's VX-12 granted FDA fast track designation in gout", "NarrativeText")]
    assert [r for r in extract_records(els) if r["type"] == "regulatory"] == []


def test_a_designation_abbreviated_takes_the_one_agency_the_document_names():
    els = _elements("The FDA handed out several breakthrough therapy designations this week.",
                    "Norvix Therapeutics won a BTD for NVX-220 in refractory gout.",
                    "Later, Caldera Bio landed an ODD for CB-17 in a rare myopathy.")
    records = extract_records(els)
    _grounded(records, els)
    by = {r["fields"]["product"]["value"]: r["fields"] for r in records if r["type"] == "regulatory"}
    assert set(by) == {"NVX-220", "CB-17"}, records
    assert by["NVX-220"]["designation"]["value"] == "breakthrough"
    assert by["CB-17"]["designation"]["value"] == "orphan"
    # the agency cell quotes the sentence that names the agency, not the one that does not
    assert all(f["agency"]["value"] == "FDA" and "The FDA" in f["agency"]["quote"] for f in by.values())


def test_no_agency_is_assumed_when_the_document_names_two_or_an_abbreviation_is_a_word():
    # (both agencies grant orphan designations; a breakthrough therapy designation is the FDA's
    # scheme, so "won a BTD" on such a page is the FDA's: tests/test_record_phrasings.py)
    two = _elements("The FDA and the EMA both reviewed new drugs this month.",
                    "Norvix Therapeutics won an orphan drug designation for NVX-220 in refractory gout.")
    assert [r for r in extract_records(two) if r["type"] == "regulatory"] == []
    odd = _elements("The FDA approved nothing this week.",
                    "Norvix Therapeutics won an odd battle over NVX-220 in court.")
    assert not any(r["fields"].get("designation") for r in extract_records(odd))


def test_an_expansion_of_its_named_operation_is_a_facility_of_the_company_named_before():
    els = _elements("A drug maker announced a $250 million expansion of its Marlow operation.",
                    title="Lonza plans $250M expansion in Marlow")
    records = extract_records(els)
    _grounded(records, els)
    assert _one(records, "facility") == {"company": "Lonza", "site": "Marlow",
                                          "investment": 250e6, "status": "announced"}


def test_a_licence_granted_and_a_price_per_share_paid_are_deals():
    els = _elements("Chinese drugmaker BeiGene has agreed to grant Novartis the exclusive rights to "
                    "develop an oncology drug outside China, in a deal worth up to USD2.9 billion.",
                    "Novartis will make an upfront payment of USD300 million.")
    records = extract_records(els)
    _grounded(records, els)
    assert _one(records, "deal") == {"parties": ["Novartis", "BeiGene"], "kind": "license",
                                     "upfront": 300e6, "total": 2.9e9}
    els = _elements("Merck said that it is paying $180 per share in cash for Acceleron Pharma Inc.")
    assert _one(extract_records(els), "deal")["parties"] == ["Merck", "Acceleron Pharma Inc."]
    # granting staff a bonus is not a licence
    assert extract_records(_elements("Acme Pharma granted its staff a bonus after the deal.")) == []


def test_a_disease_named_after_a_person_is_not_the_product():
    els = _elements("Veltrix Genomics said its gene therapy VX-101 for Fabry disease has received "
                    "orphan drug designation from the FDA.")
    records = extract_records(els)
    _grounded(records, els)
    r = _one(records, "regulatory")
    assert (r["product"], r["indication"]) == ("VX-101", "Fabry disease")


def test_partnering_with_a_company_is_a_collaboration():
    els = _elements("Biogen is also partnering with Japanese drugmaker Eisai to sell its new treatment.")
    records = extract_records(els)
    _grounded(records, els)
    assert _one(records, "deal") == {"parties": ["Biogen", "Eisai"], "kind": "collaboration"}


def test_a_word_of_the_agency_name_is_not_the_product():
    els = _elements("Japan's Ministry of Health, Labor and Welfare (MHLW) approved a slew of new drugs.",
                    "The Ministry of Health, Labour and Welfare approved Carvykti for multiple myeloma.")
    records = extract_records(els)
    _grounded(records, els)
    # the first sentence names no product: no record, not one "for Welfare"
    assert [r["fields"]["product"]["value"] for r in records if r["type"] == "regulatory"] == ["Carvykti"]


def test_a_described_company_after_a_deal_verb_is_a_party():
    """"Amgen has agreed to acquire clinical stage biotechnology company Teneobio": Teneobio is
    in no table, and the words before it say it is a company."""
    recs = extract_records(_elements(
        "Kavrin Pharma has agreed to acquire clinical stage biotechnology company Oltrabio for "
        "$900 million in cash, plus future milestone payments worth up to an additional $1.6 "
        "billion in cash.", title="Kavrin Pharma to buy Oltrabio"))
    deal = next(r for r in recs if r["type"] == "deal")
    assert deal["fields"]["parties"]["value"] == ["Kavrin Pharma", "Oltrabio"]
    assert deal["fields"]["kind"]["value"] == "acquisition"
    assert deal["fields"]["upfront"]["value"] == 900_000_000


def test_an_emergency_approval_of_a_brand_is_an_approval():
    recs = extract_records(_elements(
        "Japan's Ministry of Health, Labour and Welfare (MHLW) granted emergency regulatory "
        "approval to Norvik's Zelvora as a treatment for SARS-CoV-2 infection.",
        title="Japan clears Norvik's Zelvora"))
    reg = next(r for r in recs if r["type"] == "regulatory")
    assert reg["fields"]["action"]["value"] == "approval"
    assert reg["fields"]["product"]["value"] == "Zelvora"


def test_a_letter_code_with_a_hyphen_is_a_product_but_car_t_is_not():
    recs = extract_records(_elements(
        "The novel AAV-XLRP asset has also received Fast Track designation from the FDA.",
        title="Gene therapy news"))
    assert [r["fields"]["product"]["value"] for r in recs if r["type"] == "regulatory"] == ["AAV-XLRP"]
    recs = extract_records(_elements("A CAR-T therapy received Fast Track designation from the FDA.",
                                     title="Gene therapy news"))
    assert not any(r["fields"].get("product", {}).get("value") == "CAR-T" for r in recs)


def test_teaming_up_is_a_collaboration_and_the_next_deal_keeps_its_own_money():
    """In a round-up, "X is teaming up with Y ..." is a collaboration, and the next paragraph's
    "Z ... signing a deal worth up to $5.2bn with W" is not X and Y's total."""
    recs = extract_records(_elements(
        "Kavrin Pharma is teaming up with Oltrabio in a deal to develop cancer antibodies.",
        "Kavrin Pharma will pay $150 million upfront.",
        "Meridax has joined the long list of big pharma companies enlisting Chinese biotechs, "
        "signing a deal worth up to $5.2bn with Soltec Pharmaceuticals.",
        title="Latest deals"))
    deal = next(r for r in recs if r["type"] == "deal"
                and r["fields"]["parties"]["value"] == ["Kavrin Pharma", "Oltrabio"])
    assert deal["fields"]["kind"]["value"] == "collaboration"
    assert deal["fields"]["upfront"]["value"] == 150_000_000
    assert "total" not in deal["fields"], deal["fields"]


def test_jobs_written_as_people_or_high_skilled_jobs_are_read():
    recs = extract_records(_elements(
        "Kavrin Biologics will build a new plant in Toulouse, France, and will create upwards of "
        "150 new high-skilled jobs at the site.", title="Kavrin Biologics breaks ground in Toulouse"))
    site = next(r for r in recs if r["type"] == "facility")
    assert site["fields"]["jobs"]["value"] == 150


def test_a_dateline_day_in_capitals_is_not_the_product():
    els = _elements("WEDNESDAY, Feb. 14, 2018 -- Zelvora (talnetide) has been approved by the U.S. Food "
                    "and Drug Administration to treat a rare form of kidney disease.", title="FDA approves Zelvora")
    records = extract_records(els)
    reg = _one(records, "regulatory")
    assert reg["agency"] == "FDA" and reg["action"] == "approval"
    assert reg["product"].startswith("Zelvora"), reg  # "Zelvora (talnetide)", not "WEDNESDAY"
    _grounded(records, els)


def _rows(*rows, title="Deals table"):
    return [Element(title, "Title")] + [Element(r, "TableRow") for r in rows]


def test_a_deals_tables_rows_are_deals_with_the_headers_unit():
    """A table row names no verb: its headers say which cell is a company, the value, the kind."""
    els = _rows(
        "Buyer/Partner (location): MONTH.",
        "Buyer/Partner (location): Quorvex Therapeutics Inc. (Boston); Licensor/Partner "
        "(location): 7Bay Biologics GmbH (Munich, Germany); Value (M): $101.2; Type/product area: "
        "Exclusive, worldwide sublicensing agreement for QX-310 in fibrosis; Date: 4/15/15.",
        "Buyer/Partner (location): Daltrin Pharma Ltd. (Oxford, U.K.); Licensor/Partner "
        "(location): Morrow Bio Inc.; Value (M): N/A; Type/product area: Multiyear research "
        "collaboration on kinase targets; Date: 4/8/15.",
        "Buyer/Partner (location): Peltra Co.; Licensor/Partner (location): ND; Value (M): $5; "
        "Type/product area: License to a diagnostic.")
    records = extract_records(els)
    deals = [r for r in records if r["type"] == "deal"]
    assert len(deals) == 2, deals  # the month row and the row with one company are no deals
    first = {k: c["value"] for k, c in deals[0]["fields"].items()}
    assert first["parties"] == ["Quorvex Therapeutics Inc.", "7Bay Biologics GmbH"]
    assert first["kind"] == "license" and first["asset"] == "QX-310"
    assert first["total"] == 101_200_000 and deals[0]["fields"]["total"]["quote"].startswith("Value (M)")
    second = {k: c["value"] for k, c in deals[1]["fields"].items()}
    assert second["kind"] == "collaboration" and "total" not in second
    _grounded(records, els)


def test_a_table_written_with_pipes_in_plain_text_gives_its_deals():
    """A weekly sheet's "Date | Parties | Deal Type | Value (USD)" table (tests/data/roundup): the
    header line names the columns; a party cell names both companies; each part of a value cell
    is named by its own words ("$35M upfront; $900M potential")."""
    doc, records = _records(ROOT / "tests" / "data" / "roundup" / "weekly-deal-sheet-14.txt")
    deals = {tuple(r["fields"]["parties"]["value"]): {k: c["value"] for k, c in r["fields"].items()}
             for r in records if r["type"] == "deal"}
    assert deals[("Alderwick Pharma", "Brightwater Bio")] == {
        "parties": ["Alderwick Pharma", "Brightwater Bio"], "kind": "license",
        "upfront": 35_000_000, "total": 900_000_000}
    assert deals[("Corvel Therapeutics", "Dunmore Biologics")]["upfront"] == 80_000_000
    galloway = deals[("Galloway Biosciences", "Harrow Peak")]
    assert galloway["kind"] == "collaboration" and galloway["upfront"] == 12_000_000
    assert "upfront" not in deals[("Iverton Health", "Jessop Genomics")]  # "Undisclosed"
    # a venture round or a fund names one company: no deal
    assert not any("Fenwick Labs" in parties or "Kilbride Capital" in parties for parties in deals)
    _grounded(records, doc.elements)
    quote = next(r for r in records if r["type"] == "deal")["fields"]["upfront"]["quote"]
    assert quote == "$35M upfront"


def test_m_and_a_and_a_royalty_financing_are_kinds_of_deal():
    els = _elements("Date | Parties | Deal Type | Value (USD)",
                    "Sep 1 | Halden Pharma – Torvik Labs | M&A (Completed) | $1.1B",
                    "Sep 2 | Royalty Partners – Zemlo Bio | Royalty Financing | $300M total")
    deals = _values(extract_records(els))
    assert [(d["parties"], d["kind"], d["total"]) for d in deals] == [
        (["Halden Pharma", "Torvik Labs"], "acquisition", 1.1e9),
        (["Royalty Partners", "Zemlo Bio"], "royalty", 3e8)]


def test_a_header_unit_scales_only_an_amount_written_without_one():
    assert holds("total", {"value": 6_040_000, "currency": "USD", "quote": "Value (M): $6.04"}, None)
    assert not holds("total", {"value": 6_040_000, "currency": "USD", "quote": "Value: $6.04"}, None)
    assert holds("total", {"value": 150e6, "currency": "USD",
                           "quote": "Value ($M): $150 million"}, None)
    assert not holds("total", {"value": 150e12, "currency": "USD",
                               "quote": "Value ($M): $150 million"}, None)


def test_a_topic_pages_summaries_after_read_more_links_are_read():
    els = _elements("Halden Pharma has taken up two antibody candidates from Morrow Bio Inc., paying "
                    "Morrow $70 million up front.", "Read more",
                    "Varnel Therapeutics Co. Ltd. and Oxmoor Biotech Pte Ltd. are setting up a joint "
                    "venture to develop and commercialize Varnel's PD-1 inhibitor in Southeast Asia.",
                    "Read more",
                    "Kavrin Sciences GmbH, a subsidiary of Soltec Holdings Ltd., is out-licensing "
                    "zelvotinib to Quorvex Therapeutics in a deal worth up to $75 million.",
                    title="Topic archive")
    records = extract_records(els)
    parties = [r["fields"]["parties"]["value"] for r in records if r["type"] == "deal"]
    assert ["Halden Pharma", "Morrow Bio Inc."] in parties
    assert ["Varnel Therapeutics Co. Ltd.", "Oxmoor Biotech Pte Ltd."] in parties
    assert ["Quorvex Therapeutics", "Kavrin Sciences GmbH"] in parties  # the licensee first
    _grounded(records, els)


def test_deal_wordings_landed_struck_to_discover_and_acquired_rights():
    els = _elements("Orvane Ltd. has landed its first global licensing deal for its collagen "
                    "device, with Biohorizons Inc.",
                    "Skyler Therapeutics Inc. has struck a deal with Sanofi SA to discover and "
                    "develop small molecules.",
                    "Peltra Ltd. has acquired global rights, excluding China, from Highfield "
                    "Pharmaceutical Co. Ltd. in a deal worth up to $970 million.")
    records = extract_records(els)
    kinds = {tuple(r["fields"]["parties"]["value"]): r["fields"]["kind"]["value"]
             for r in records if r["type"] == "deal"}
    assert kinds == {("Orvane Ltd.", "Biohorizons Inc."): "license",
                     ("Skyler Therapeutics Inc.", "Sanofi SA"): "collaboration",
                     ("Peltra Ltd.", "Highfield Pharmaceutical Co. Ltd."): "license"}, kinds
    _grounded(records, els)


def test_a_listing_in_brackets_and_said_it_do_not_hide_the_deal():
    """Press-release wordings: "Halden Pharma (Nasdaq: HLDN) has signed a definitive agreement to
    acquire ...", "Morrow Bio (NYSE: MRW) said on Sunday it has entered into ...", and a price paid
    for the rights to another company's drug (a licence)."""
    els = [Element(t, "NarrativeText") for t in (
        "US biotech company Halden Pharma (Nasdaq: HLDN) has signed a definitive agreement to "
        "acquire Torvik Biotech, a privately held company, for $12.5 million.",
        "US drugmaker Morrow Bio (NYSE: MRW) said on Sunday it has entered into a definitive "
        "agreement to acquire clinical-stage biotech Zemlo Biosciences for $10.8 billion.")]
    deals = _values(extract_records(els))
    assert [(d["parties"], d["kind"], d["total"]) for d in deals] == [
        (["Halden Pharma", "Torvik Biotech"], "acquisition", 12.5e6),
        (["Morrow Bio", "Zemlo Biosciences"], "acquisition", 10.8e9)]
    els = _elements("In January, Kavrin Pharma paid USD2.2 billion for the exclusive rights to "
                    "Oxmoor Therapeutics' antibody OX-17.")
    records = extract_records(els)
    assert [(r["fields"]["parties"]["value"], r["fields"]["kind"]["value"]) for r in records] == [
        (["Kavrin Pharma", "Oxmoor Therapeutics"], "license")]
    _grounded(records, els)
    # a price paid for another company's plant is no deal with that company
    assert not [r for r in extract_records(_elements(
        "Halden Pharma paid $20 million for Torvik Biotech's plant in Vacaville.")) if r["type"] == "deal"]


def test_facility_wordings_broken_ground_near_starting_development_enlarging():
    els = [Element(t, "NarrativeText") for t in (
        "Kavrin Biologics has broken ground on a new 700,000-square-foot manufacturing facility in "
        "Holly Springs, North Carolina.",
        "The contract manufacturer Lonza plans to build a 100,000-sq-ft facility near Houston.",
        "Scorpion Biological Services, a subsidiary of Heat Biologics, is starting development of "
        "a new 500,000 square foot biomanufacturing facility in Manhattan.",
        "GlaxoSmithKline (GSK) is enlarging its Barnard Castle campus in the United Kingdom by "
        "building a $130 million liquid biopharmaceuticals production plant.")]
    got = {(r["fields"]["company"]["value"], r["fields"]["site"]["value"]): {
        k: c["value"] for k, c in r["fields"].items()} for r in extract_records(els)
        if r["type"] == "facility"}
    assert got[("Kavrin Biologics", "Holly Springs, North Carolina")]["status"] == "under_construction"
    assert got[("Lonza", "Houston")]["status"] == "announced"
    assert got[("Scorpion Biological Services", "Manhattan")]["status"] == "under_construction"
    assert got[("GlaxoSmithKline", "Barnard Castle")]["investment"] == 130e6


def test_indications_for_patients_who_have_and_by_their_medical_suffix():
    els = [Element(t, "NarrativeText") for t in (
        "The FDA approved Halden Pharma Inc.'s Xorvel, taken together with aspirin, for patients "
        "who have coronary artery disease or peripheral arterial disease.",
        "The FDA approved Torvik Biotech PLC's Nouvra injection, for newborn patients who need "
        "total parenteral nutrition.",
        "The FDA approved Morrow Bio Inc.'s bimatoprost ophthalmic solution for hypotrichosis.")]
    got = {r["fields"]["product"]["value"]: r["fields"]["indication"]["value"]
           for r in extract_records(els) if r["type"] == "regulatory"}
    assert got == {"Xorvel": "coronary artery disease or peripheral arterial disease",
                   "Nouvra": "total parenteral nutrition", "bimatoprost": "hypotrichosis"}, got


def test_a_category_word_is_no_product():
    els = _elements("Category: Cardiovascular. The FDA granted orphan drug designation to "
                    "Kavrin Pharma's KV-210 for polycythemia vera.")
    products = [r["fields"]["product"]["value"] for r in extract_records(els) if r["type"] == "regulatory"]
    assert products == ["KV-210"], products


def test_two_companies_plants_in_one_town_stay_two_records():
    els = _elements("Kavrin Biologics will build a 60,000-sf facility on its existing campus in "
                    "Madison, Wis.",
                    "Oxmoor Therapeutics is creating a stem cell manufacturing center in Madison, "
                    "Wis., in the University Research Park.", title="Bioprocessing")
    records = extract_records(els)
    sites = sorted((r["fields"]["company"]["value"], r["fields"]["site"]["value"],
                    r["fields"]["status"]["value"]) for r in records if r["type"] == "facility")
    assert sites == [("Kavrin Biologics", "Madison, Wis", "announced"),
                     ("Oxmoor Therapeutics", "Madison, Wis", "under_construction")], sites
    _grounded(records, els)


def test_a_table_column_naming_both_companies_and_a_dollar_millions_header():
    """A deal-watch table: one column names both sides ("Licensor acquired / licensee acquirer":
    the licensee or acquirer goes first), a "Headline ($m)" column gives a bare number in dollar
    millions, and the header words ("Licensor acquired") are not read as a sentence."""
    els = _rows(
        "Licensor acquired / licensee acquirer: Corvane Bio/Halsted Pharma; Deal type: Licence; "
        "Product / technology: For development of CVB-210 in lupus; Headline ($m): 1,150.",
        "Licensor acquired / licensee acquirer: Pellworth/Ardent Labs; Deal type: Acquisition; "
        "Product / technology: Antibiotics; Headline ($m): 675.")
    records = extract_records(els)
    deals = _values(records, "deal")
    assert deals == [
        {"parties": ["Halsted Pharma", "Corvane Bio"], "kind": "license", "asset": "CVB-210",
         "total": 1_150_000_000},
        {"parties": ["Ardent Labs", "Pellworth"], "kind": "acquisition", "total": 675_000_000}]
    _grounded(records, els)


def test_a_bare_number_counts_as_money_only_under_a_header_with_currency_and_unit():
    assert holds("total", {"value": 1.15e9, "currency": "USD", "quote": "Headline ($m): 1,150"}, None)
    assert not holds("total", {"value": 1.15e9, "currency": "USD", "quote": "Headline (m): 1,150"}, None)
    assert not holds("total", {"value": 1.15e9, "currency": "USD", "quote": "Headline: 1,150"}, None)
    assert not holds("total", {"value": 1.15e9, "currency": "USD",
                               "quote": "Headline ($m): 1,150 and more"}, None)


def test_list_items_under_a_heading_with_a_colon_and_items_naming_the_same_agency():
    """An FDA weekly list: "Other designations: orphan drug" names the designation after its
    colon; an item that names the list's own agency ("The FDA asked for ...") is still an item;
    a product's description before its name ("fungal infection drug Tolsura") is not the name."""
    els = [Element("FDA Watch: week ended June 2", "Title"),
           Element("Approvals and designations made by the U.S. Food and Drug Administration "
                   "for the week ended June 2.", "NarrativeText"),
           Element("Approvals", "Title"),
           Element("Harlow Pharma Ltd.'s fungal infection drug Vexora, for aspergillosis.", "ListItem"),
           Element("Complete response letters", "Title"),
           Element("Quenby Inc.'s Tralvex, a therapy for gout. The FDA asked for another trial.",
                   "ListItem"),
           Element("Other designations: orphan drug", "Title"),
           Element("Ostrel Bio Inc.'s OB-112, for Fabry disease.", "ListItem")]
    records = extract_records(els, "FDA Watch: week ended June 2")
    got = _values(records, "regulatory")
    assert [(r["action"], r.get("designation"), r["product"], r["sponsor"]) for r in got] == [
        ("approval", None, "Vexora", "Harlow Pharma Ltd."),
        ("complete_response", None, "Tralvex", "Quenby Inc."),
        ("designation", "orphan", "OB-112", "Ostrel Bio Inc.")]
    assert got[2]["indication"] == "Fabry disease"
    _grounded(records, els)


@pytest.mark.parametrize("text, parties, kind", [
    # "entered a ... agreement" without "into"
    ("Harvel Corp. and Ostrin Biosciences Inc. entered a worldwide exclusive license agreement "
     "for OB-220.", ["Harvel Corp.", "Ostrin Biosciences Inc."], "license"),
    # a deal being expanded, in the present
    ("Tamsin Biotechnology Inc. and Carrow Pharmaceuticals Inc. are expanding a collaboration "
     "begun three years ago.", ["Tamsin Biotechnology Inc.", "Carrow Pharmaceuticals Inc."],
     "collaboration"),
    # a legal suffix after a known name stays with it; "SAS" is a legal form
    ("Merck & Co. Inc. has begun a tender offer to acquire Quellan Inc., a $2.7 billion deal.",
     ["Merck & Co. Inc.", "Quellan Inc."], "acquisition"),
    ("Biovance SA signed a binding offer to acquire 100% of the stock in Avrel SAS.",
     ["Biovance SA", "Avrel SAS"], "acquisition"),
])
def test_more_ways_a_sentence_states_a_deal(text, parties, kind):
    els = _elements(text)
    records = extract_records(els)
    deal = _one(records, "deal")
    assert deal["parties"] == parties and deal["kind"] == kind
    _grounded(records, els)


@pytest.mark.parametrize("text, want", [
    # a company no table knows, opening the sentence; "St. Louis" is one place
    ("DYNOTEK completed a 15,500-sf expansion of its testing facility in St. Louis in July of 2016.",
     {"company": "DYNOTEK", "site": "St. Louis", "status": "completed", "date": "2016-07"}),
    ("In May of 2011, Coldvault Technologies opened a 60,000-sf biorepository in Indianapolis.",
     {"company": "Coldvault Technologies", "site": "Indianapolis", "status": "operational",
      "date": "2011-05"}),
    # an expansion with a price is a building's, even without "plant" or "facility"
    ("Spokane-based Harrowgate Labs LLC has broken ground on a $92 million expansion in East Spokane.",
     {"company": "Harrowgate Labs LLC", "site": "East Spokane", "investment": 92_000_000,
      "status": "under_construction"}),
])
def test_facilities_of_companies_no_table_knows_and_priced_expansions(text, want):
    els = _elements(text)
    records = extract_records(els)
    got = _one(records, "facility")
    assert {k: got.get(k) for k in want} == want, got
    _grounded(records, els)


def test_an_expansion_without_a_price_or_a_building_is_no_facility():
    els = _elements("Harrowgate Labs LLC announced a label expansion in Europe for its psoriasis drug.")
    assert not [r for r in extract_records(els) if r["type"] == "facility"]


def test_a_sentence_listing_deals_as_pairs_gives_one_deal_per_pair():
    els = _elements("Three M&A transactions closed during the week: Corvane/Halsted, "
                    "Pellworth/Ardent Labs ($2.2 billion) and Tamsin Royalty/Quellan Bio.")
    records = extract_records(els)
    deals = _values(records, "deal")
    assert [(d["parties"], d["kind"], d.get("total")) for d in deals] == [
        (["Corvane", "Halsted"], "acquisition", None),
        (["Pellworth", "Ardent Labs"], "acquisition", 2.2e9),
        (["Tamsin Royalty", "Quellan Bio"], "acquisition", None)]
    _grounded(records, els)


@pytest.mark.parametrize("text", [
    "Corvane/Halsted reported results this week.",  # no kind of deal named
    "M&A and licensing deals this week: Corvane/Halsted.",  # two kinds: which is it?
    "The FDA/EMA decisions on M&A transactions were due.",  # agencies are no pair of companies
])
def test_pairs_without_one_named_kind_of_deal_are_no_deals(text):
    assert not [r for r in extract_records(_elements(text)) if r["type"] == "deal"]


@pytest.mark.parametrize("text, parties", [
    ("Harvel Corp. paid $1.7 billion earlier this year for the contract manufacturer Ostrin Bio.",
     ["Harvel Corp.", "Ostrin Bio"]),
    ("Tamsin Biosciences also made an unsolicited bid for Quellan Therapeutics, valued at "
     "around $425 million.", ["Tamsin Biosciences", "Quellan Therapeutics"]),
])
def test_paying_for_a_company_or_bidding_for_it_is_an_acquisition(text, parties):
    els = _elements(text)
    records = extract_records(els)
    deal = _one(records, "deal")
    assert deal["parties"] == parties and deal["kind"] == "acquisition"
    _grounded(records, els)


def test_products_named_together_are_each_approved():
    els = _elements("In November 2018, the pegfilgrastim biosimilars Velmora and Zantrexo received "
                    "European Commission (EC) approval.", "The FDA approved Pfizer and Orvane's Quelmab.")
    records = extract_records(els)
    regs = sorted((r["fields"]["agency"]["value"], r["fields"]["product"]["value"],
                   r["fields"].get("date", {}).get("value")) for r in records if r["type"] == "regulatory")
    assert regs == [("European Commission", "Velmora", "2018-11"),
                    ("European Commission", "Zantrexo", "2018-11"), ("FDA", "Quelmab", None)]
    _grounded(records, els)


def test_a_short_name_in_a_table_cell_and_an_unread_row_is_no_sentence():
    """"J&J" is a company; a row the columns cannot read is not read as a sentence either (its
    header "Licensor acquired" would make "Licensor" a buyer)."""
    els = _rows(
        "Licensor acquired / licensee acquirer: Corvane Bio/J&J; Deal type: Expansion of "
        "collaboration; Product / technology: Lung cancer vaccines; Headline ($m): 847.",
        "Licensor acquired / licensee acquirer: Pellworth/Ardent Labs; Deal type: Undisclosed; "
        "Product / technology: Antibiotics; Headline ($m): 675.")
    records = extract_records(els)
    deals = _values(records, "deal")
    assert deals == [{"parties": ["J&J", "Corvane Bio"], "kind": "collaboration", "total": 847_000_000}]
    _grounded(records, els)


def test_a_table_of_approvals_gives_one_event_per_row():
    """A page's table of orphan-drug actions: the product, indication and company columns by
    their headers, the action and its date from the status cell (a PDUFA date is a deadline, not
    the event), the agency the one the page names."""
    els = [Element("2021 Orphan Drugs: PDUFA Dates and FDA Approvals", "Title"),
           Element("Almost half of all novel medications approved by the U.S. Food and Drug "
                   "Administration (FDA) are orphan drugs.", "NarrativeText"),
           Element("PDUFA Date: 2.11.2021; Orphan Drug: Velmora; Indication: Homozygous familial "
                   "hypercholesterolemia; Company: Quenby Therapeutics; Status: APPROVED 2.9.2021.",
                   "TableRow"),
           Element("PDUFA Date: 3.1.2021; Orphan Drug: Zantrexo; Indication: Marginal zone lymphoma; "
                   "Company: Harlow Bio; Status: Complete response letter 3.2.2021.", "TableRow"),
           Element("PDUFA Date: 6.1.2021; Orphan Drug: N/A; Indication: Gout; Company: Ostrel; "
                   "Status: APPROVED 6.1.2021.", "TableRow"),
           Element("PDUFA Date: 7.1.2021; Orphan Drug: Tralvex; Indication: Gout; Company: Ostrel; "
                   "Status: Pending.", "TableRow")]
    records = extract_records(els, "2021 Orphan Drugs: PDUFA Dates and FDA Approvals")
    regs = _values(records, "regulatory")
    assert regs == [
        {"agency": "FDA", "action": "approval", "product": "Velmora", "sponsor": "Quenby Therapeutics",
         "indication": "Homozygous familial hypercholesterolemia", "date": "2021-02-09"},
        {"agency": "FDA", "action": "complete_response", "product": "Zantrexo", "sponsor": "Harlow Bio",
         "indication": "Marginal zone lymphoma", "date": "2021-03-02"}]
    _grounded(records, els)


def test_a_month_first_numeric_date_is_a_date():
    assert [d.value for d in find_dates("Status: APPROVED 2.3.2021")] == ["2021-02-03"]
    assert [d.value for d in find_dates("Date: 4/8/15.")] == ["2015-04-08"]
    assert find_dates("13/45/2021") == [] and [d.value for d in find_dates("v 1.2.3 of 2021")] == ["2021"]


def test_a_pipe_table_of_designations_gives_one_event_per_row():
    """A blog's chart written with pipes, each line its own paragraph: the header's "Orphan
    Designation" column says what was granted (the header line is the quote) and holds the
    indications; the row number and the date do not make a row a header."""
    els = _elements("FDA November 2013 Products Receiving Orphan Designation",
                    "Row | Generic Name | Designation Date | Orphan Designation",
                    "1 | Velmorastat | 11-14-2013 | Dravet syndrome",
                    "2 | Zantrexo | 11-19-2013 | Hepatitis Delta Virus (HDV) infection",
                    "3 | N/A | 11-20-2013 | Gout")
    records = extract_records(els)
    regs = _values(records, "regulatory")
    assert regs == [
        {"agency": "FDA", "action": "designation", "designation": "orphan", "product": "Velmorastat",
         "indication": "Dravet syndrome", "date": "2013-11-14"},
        {"agency": "FDA", "action": "designation", "designation": "orphan", "product": "Zantrexo",
         "indication": "Hepatitis Delta Virus (HDV) infection", "date": "2013-11-19"}]
    _grounded(records, els)


@pytest.mark.parametrize("text, want", [
    # a description before the name; a site with its state; committing money is investing
    ("Generic drug maker Tarlow committed $250 million to a manufacturing plant in Coral Springs, "
     "Florida.", {"company": "Tarlow", "site": "Coral Springs, Florida", "investment": 250_000_000}),
    ("Quenby more than doubled capacity at its East Windsor, New Jersey campus as part of a $100 "
     "million expansion.", {"company": "Quenby", "site": "East Windsor, New Jersey", "investment": 100_000_000}),
    ("Indian CRDMO Harlow Biologics has inaugurated its first U.S.-based manufacturing facility, in "
     "Rockville, Maryland.", {"company": "Harlow Biologics", "site": "Rockville, Maryland", "status": "operational"}),
    ("Ostrel has expanded its Le Mans, France, facility with a new workshop.",
     {"company": "Ostrel", "site": "Le Mans", "country": "France"}),
    ("German CDMO Velmor Pharma plans to expand its Kawagoe facility.",
     {"company": "Velmor Pharma", "site": "Kawagoe"}),
])
def test_facility_wordings_of_a_category_page(text, want):
    els = _elements(text)
    records = extract_records(els)
    got = [r for r in records if r["type"] == "facility"]
    assert got, records
    fields = {k: c["value"] for k, c in got[-1]["fields"].items()}
    assert {k: fields.get(k) for k in want} == want, fields
    _grounded(records, els)
