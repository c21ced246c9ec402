"""Where on a page the records are (issue 20): a report's list under a "Related Articles:" line
whose links the copy left out, a table of approvals whose caption names only the country, and a
one-line list of other articles' links. The companies and products are invented; the layouts are
the trade press's."""

from __future__ import annotations

from ingest.loading import Element
from ingest.records.extract import extract_records
from tests.record_checks import grounded, values


def _records(els, type_="regulatory"):
    records = extract_records(els, els[0].text)
    grounded(records, els)
    return values(records, type_)


def test_a_paragraph_right_under_related_articles_is_the_article_going_on():
    els = [Element("Monthly Report: New Drug Approvals in China | May 2023", "Title"),
           Element("Related Articles:", "UncategorizedText"),
           Element("In May 2023, China NMPA approved 3 new drugs, among which 2 are chemical drugs.",
                   "NarrativeText"),
           Element("Quenby Pharmaceutical's Velnatide Tablets", "ListItem"),
           Element("Ostrel's Marrozumab Injection", "ListItem")]
    got = _records(els)
    assert [(r["product"], r["sponsor"], r["agency"], r["date"]) for r in got] == [
        ("Velnatide Tablets", "Quenby Pharmaceutical", "NMPA", "2023-05"),  # the lead-in's date
        ("Marrozumab Injection", "Ostrel", "NMPA", "2023-05")]


def test_a_related_articles_list_of_headlines_is_still_not_read():
    els = [Element("Ostrel opens a plant", "Title"),
           Element("Ostrel Biologics opened its plant in Cork, Ireland, on Monday.", "NarrativeText"),
           Element("Related Articles:", "UncategorizedText"),
           Element("FDA approves Quenby's Velnatide for adults with gout flares", "Title"),
           Element("The FDA approved Velnatide, Quenby Pharma's gout drug, on Friday after a "
                   "priority review.", "NarrativeText")]
    assert _records(els) == []


def _row(**cells):
    return Element("; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in cells.items()) + ".",
                   "TableRow")


def test_a_table_whose_caption_says_approved_in_china_is_a_table_of_nmpa_approvals():
    els = [Element("Table 2 Notable innovative drugs approved in China in the past five years", "Title"),
           Element("Product name: Chemical Drugs.", "TableRow"),
           _row(Product_name="Velnatide Cream", Time_of_approval="05/31/2019",
                Manufacturer="Quenby Pharma", Indication="Plaque psoriasis in adults",
                Remark="Approved through the priority review process"),
           _row(Product_name="Marrozumab Injection", Time_of_approval="09/06/2023",
                Manufacturer="Ostrel Biologics (Suzhou)", Indication="Giant cell tumor of bone",
                Remark="Conditionally approved for marketing")]
    got = _records(els)
    assert got == [
        {"agency": "NMPA", "action": "approval", "product": "Velnatide Cream",
         "sponsor": "Quenby Pharma", "indication": "Plaque psoriasis in adults", "date": "2019-05-31"},
        {"agency": "NMPA", "action": "conditional_approval", "product": "Marrozumab Injection",
         "sponsor": "Ostrel Biologics", "indication": "Giant cell tumor of bone",
         "date": "2023-09-06"}]


def test_a_one_line_list_of_links_is_no_event():
    els = [Element("Quenby wins EMA backing for Velnatide", "Title"),
           Element("Quenby Pharma said the EMA's committee backed Velnatide for gout.", "NarrativeText"),
           Element("Most read: Ostrel wins approval in Japan | Biogen files Marrozumab | Pfizer results",
                   "NarrativeText")]
    assert all(r["product"] != "Marrozumab" and r["agency"] != "MHLW" for r in _records(els))


def test_two_companies_with_separate_plans_each_have_their_facility():
    els = [Element("Two more drug firms to set up shop in Velmor Valley", "Title"),
           Element("Drug makers Quenby India Ltd and Ostrel Labs have announced separate plans to set up "
                   "new manufacturing facilities in Velmor Valley, Hyderabad.", "NarrativeText"),
           Element("Quenby India will invest ₹400 crore in a facility with a capacity of 10 billion units "
                   "of finished dosages.", "NarrativeText")]
    got = sorted(_records(els, "facility"), key=lambda r: r["company"])
    assert [(r["company"], r["site"], r.get("investment")) for r in got] == [
        ("Ostrel Labs", "Velmor Valley, Hyderabad", None),
        ("Quenby India Ltd", "Velmor Valley, Hyderabad", 4e9)]  # its name without "Ltd" is known


def test_the_subsidiary_builds_and_a_title_ends_the_place():
    els = [Element("Quenby Biologics to build a plant", "Title"),
           Element("Ostrel Pharma's subsidiary Quenby Biologics Pvt Ltd announced on Friday that it is "
                   "setting up a biological manufacturing plant in Telangana.", "NarrativeText"),
           Element("Commenting on the decision to set up a manufacturing plant in Ireland, IDA Ireland "
                   "CEO Martin Shanahan said it was welcome.", "NarrativeText")]
    got = _records(els, "facility")
    assert got[0]["company"] == "Quenby Biologics" and got[0]["site"] == "Telangana"
    assert all("CEO" not in r["site"] for r in got)
