"""An approval whose sentence names no agency (issue 20): the regulator of the country it was
approved in, or the one agency the story names; never for an approval only sought, a link line,
or a second mention of an approval stated outright. The companies and products are invented; the
wordings are the trade press's."""

from __future__ import annotations

from tests.record_checks import extracted


def _events(*texts, title="Range of approvals in Japan"):
    return extracted(title, texts, "regulatory")


_MINISTRY = ("The Japanese Ministry of Health, Labour and Welfare has approved three Quenby Pharma products, one "
             "of them the vaccine Velmora, for the prevention of shingles.")


def test_approval_in_a_country_is_its_regulators_the_one_the_story_names():
    got = _events(_MINISTRY, "Ostrel Pharma, for its part, received approval in Japan for Marrosa "
                             "Inhalation Capsules (marrocaterol) to treat COPD.")
    assert ("MHLW", "approval", "Ostrel Pharma") in [(r["agency"], r["action"], r.get("sponsor"))
                                                      for r in got]


def test_approval_in_a_country_the_story_names_no_regulator_of():
    got = _events("Ostrel Pharma received approval in Canada for Marrosa (marrocaterol) to treat COPD.",
                  title="Ostrel wins Canadian nod")
    assert [(r["agency"], r["product"]) for r in got] == [("Health Canada", "Marrosa (marrocaterol)")]


def test_a_colon_list_of_a_countrys_approvals_each_with_its_indication():
    got = _events(_MINISTRY, "Tokyo-based Tavrin Pharma also had news of Japanese approvals: Betrava "
                             "(mirabetide) for the treatment of overactive bladder, and Recoldo "
                             "(minodrotide hydrate) for osteoporosis.")
    listed = sorted((r["product"], r["sponsor"], r["indication"]) for r in got if r["product"] != "Velmora")
    assert listed == [("Betrava", "Tavrin Pharma", "overactive bladder"),
                      ("Recoldo", "Tavrin Pharma", "osteoporosis")]


def test_an_approval_the_sentence_names_no_agency_of_is_the_one_agency_of_the_story():
    got = _events(_MINISTRY, "Quenby Pharma's oral anticancer drug Zelora (zelorinostat) was approved as well.")
    assert ("MHLW", "Zelora (zelorinostat)") in [(r["agency"], r["product"]) for r in got]


def test_an_approval_elsewhere_sought_or_already_held_is_not_the_stories_agency():
    got = _events(_MINISTRY,
                  "Marrosa is already approved in the EU and is under review in the US.",
                  "The BLA sought approval of Zelora (zelorinostat) combined with chemotherapy.",
                  "Recoldo is currently approved for patients with epilepsy.")
    assert [r["product"] for r in got] == ["Velmora"]


def test_a_line_of_links_and_a_second_mention_add_no_approval():
    got = _events("The FDA gave an accelerated approval for Zelora for use in advanced lung cancer.",
                  "Chalk up another approval for Quenby's Zelora.",
                  "In This List: Ostrel drug gets approval · Post-webinar Q&A · Jobs outlook",
                  title="Quenby news")
    assert [(r["product"], r.get("designation")) for r in got] == [("Zelora", "accelerated_approval")]


def test_a_brands_dosage_form_is_part_of_its_name():
    got = _events("Health Canada approved Ostrel Pharma's Marrosa Inhalation Capsules (marrocaterol) "
                  "to treat COPD.", title="Ostrel wins Canadian nod")
    assert [r["product"] for r in got] == ["Marrosa Inhalation Capsules (marrocaterol)"]


def test_a_country_that_approves_is_its_regulator():
    got = _events("South Korea approves Velmora trastuzumab, a biosimilar of Herceptin, to treat breast cancer.",
                  "Australia has approved Ostrel Pharma's Marrosa (marrocaterol) for COPD.", title="Approvals")
    assert sorted((r["agency"], r["product"].split()[0]) for r in got) == [("MFDS", "Velmora"), ("TGA", "Marrosa")]
