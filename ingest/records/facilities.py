"""Facility records: a company's manufacturing site being announced, built, opened or expanded,
with its place, capacity, investment, jobs, status and date.

A sentence that names a facility ("facility", "plant", "site", "suite", "bioreactors") and an
action (build, expand, invest, open, pick, break ground) starts or continues the record of the
site it names ("in Visp, Switzerland", "at its Ibex Biopark in Visp", "picked Holly Springs,
North Carolina"). A later sentence that names the same site adds what it states (the Visp
facility's cost, the jobs in Portsmouth); a sentence right after, about "the facility" or "the
site" without naming another, continues the last record. Capacity in liters is the count times
the volume ("six 20,000L bioreactors" -> 120,000).
"""

from __future__ import annotations

import re

from ingest.records import patterns as P
from ingest.records.document import Document, Draft, Sentence
from ingest.records.events import event_date
from assistant.core.money import find_money

_PLACE = r"(?:(?:St|Ste|Ft|Mt)\.\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}"  # "St. Louis"
_SITE = re.compile(
    rf"\b(?i:in|at|near|outside|picked|chose|selected)\s+(?:its\s+(?:[\w-]+\s+){{0,5}}?in\s+)?"
    rf"(?P<site>{_PLACE}(?:,\s+{_PLACE}){{0,2}})")
# (a size word before the place, "invest nearly $60 million in its large Kalundborg facility", and
# what the site makes after it, "its Songdo biologics plant")
_NAMED_SITE = re.compile(rf"\b(?i:at|to|of|in|expand(?:s|ed|ing)?|enlarg(?:es|e|ed|ing))\s+(?i:its)\s+"
                         rf"(?:(?i:large|larger|largest|main|flagship|biggest|major)\s+)?"
                         rf"(?P<site>{_PLACE}(?:,\s+{_PLACE})?),?\s+(?:[a-z][\w-]+\s+){{0,2}}?"
                         r"(?:site|facility|plant|campus|headquarters|"
                         r"operations?\b)")
# "expand its API facility in the Rangareddy district of Telangana"
_DISTRICT = re.compile(rf"\b(?i:in|at|near)\s+the\s+(?P<site>{_PLACE})\s+(?:district|region|province|county|"
                       r"industrial\s+(?:area|park|estate))\b")
_NOT_PLACE = re.compile(r"^(?:The|This|A|An|Phase|January|February|March|April|May|June|July|"
                        r"August|September|October|November|December|GMP|Q[1-4]|CHF|USD|EUR|"
                        r"JPY|KRW|US|U\.S\.|Plant|Site|Ground|Once|Operations|It|Its)\b")
# "in Ireland, IDA Ireland CEO Martin Shanahan said": a person's title ends the place
_TITLE = re.compile(r"\b(?:CEO|CFO|COO|CTO|Chairman|Chairwoman|President|Minister|Director|Secretary|"
                    r"Governor|Mayor|Chief|Head|Founder)\b")
# "Aurobindo Pharma's subsidiary TheraNym Biologics": the subsidiary builds
_SUBSIDIARY = re.compile(r"^['’]s?\s+(?:[\w-]+\s+)?(?:subsidiary|unit|arm|affiliate)\s+$")
_EXISTING = re.compile(r"\b(?:existing|complement|support|network|such as|headquartered|"
                       r"based in|produced at|also has)\b", re.I)
# "will build a 60,000-sf facility on its existing campus in Madison": the new building's site
_ON_EXISTING = re.compile(r"\b(?:build|building|builds|construct\w*|add|adding|adds|expand\w*)\b"
                          r"[^.;]{0,80}\b(?:on|at)\s+(?:its|the|their)\s+existing\s+(?:[\w-]+\s+){0,2}?"
                          r"(?:campus|site|property|footprint|grounds)\s+$", re.I)
MAX_FACILITY_USD = 100e9
# an expansion with a price, a floor area or ground broken is a building's ("has broken ground
# on a $92 million expansion in East Spokane", "a 15,500-sf expansion"), not a label's or a deal's
_SIZED_EXPANSION = re.compile(r"(?:[$€£]\s?[\d.,]+\s*(?:million|billion|[mb]n?)?|[\d,]+[-\s](?:sf|sq\.?\s*ft|"
                              r"square[-\s](?:foot|feet|meters?|metres?)))\s+(?:[\w-]+\s+){0,2}?"
                              r"expansion\b|\bbroken\s+ground\s+on\s+(?:an?|its)\s+(?:[\w$.,-]+\s+){0,4}?"
                              r"expansion\b", re.I)


def _sites(text: str, doc: Document, sent: Sentence) -> list[tuple[str, int]]:
    companies = {m.text for m in doc.companies(sent)}
    out = []
    for m in list(_SITE.finditer(text)) + list(_NAMED_SITE.finditer(text)) + list(_DISTRICT.finditer(text)):
        parts = []
        for part in m.group("site").split(","):
            part = part.strip()
            if not part or part in companies or _NOT_PLACE.match(part) or _TITLE.search(part) or \
                    any(part in c or c in part for c in companies):
                break
            parts.append(part)
        site = ", ".join(parts)
        if not site or any(site == s for s, _ in out):
            continue
        if re.search(r"\d", site) or len(site) < 3 or re.fullmatch(r"[A-Z]{2,5}s?", site):
            continue  # ("its API manufacturing facility": a product, not a place)
        if _EXISTING.search(text[max(0, m.start() - 40):m.start()]) and \
                not _ON_EXISTING.search(text[:m.start()]):
            continue
        out.append((site, m.start("site")))
    # a town or a named campus before the state or country it is in ("its Research Triangle Park
    # campus in North Carolina", "its Kawagoe facility ... in Japan"): the site is the first
    # (whose country, when not the United States, is the country's: "Kawagoe, Japan")
    out = sorted(out, key=lambda s: P.is_country(s[0]))
    if out and not P.country_of(out[0][0]):
        country = next((s for s, _ in out[1:] if P.is_country(s)), None)
        if country and P.country_of(country)[0] != "United States":
            out = [(f"{out[0][0]}, {country}", out[0][1])] + [s for s in out[1:] if s[0] != country]
    return out


def _split_site(site: str) -> tuple[str, str | None, str | None]:
    """("Visp, Switzerland") -> site "Visp", country "Switzerland", its wording."""
    found = P.country_of(site)
    if not found:
        return site, None, None
    country, wording = found
    parts = [p.strip() for p in site.split(",")]
    if parts and parts[-1] == wording and len(parts) > 1 and country != "United States":
        return ", ".join(parts[:-1]), country, wording
    if parts and parts[-1] == wording and len(parts) > 1 and wording in ("US", "USA", "U.S."):
        return ", ".join(parts[:-1]), country, wording
    return site, country, wording


def _capacity(text: str) -> int | None:
    for m in P.VOLUME.finditer(text):
        after = m.group("after") or ""
        if re.search(r"\btotal\b[^.]{0,30}$", text[:m.start()], re.I) and \
                re.search(r"\bcompany", text[:m.start()], re.I):
            continue  # the company's total capacity, not this site's
        vol = float(re.sub(r"[,\s]", "", m.group("vol")))
        count = m.group("count")
        n = 1
        if count:
            n = int(count) if count.isdigit() else P.NUMBER_WORDS.get(count.lower(), 1)
        if not re.search(r"bioreactor|capacity|vessel|scale|train|liters? of", after + text[
                max(0, m.start() - 30):m.start()], re.I):
            continue
        return int(vol * n)
    return None


def _jobs(text: str, site: str | None) -> int | None:
    for m in P.JOBS.finditer(text):
        if not re.search(r"\b(?:create|creates|creating|new|add|adds|hire|bring)\b",
                         text[max(0, m.start() - 40):m.end()], re.I):
            continue
        after = text[m.end():m.end() + 30]
        where = re.match(r"\s+(?:in|at)\s+([A-Z][\w-]+)", after)
        if site and where and where.group(1) not in site:
            continue
        return int(m.group("n").replace(",", ""))
    return None


_RANK = {"announced": 0, "under_construction": 1, "operational": 2, "completed": 3}


# What is still to come: "will be completed by May 2023", "is expected to be completed in 2022",
# "should be completed by December", "due to be completed and operational by 2029" do not say
# that a plant is complete or open, whatever the word.
_TO_COME = re.compile(r"\b(?:will|would|should|shall|could|may|might|to|once|when|until|expected|"
                      r"expects?|due|set|aims?|plans?)\b(?:\s+[\w-]+){0,3}\s*$", re.I)


def _status(text: str) -> str | None:
    for name in ("completed", "operational", "under_construction", "announced"):
        said = [m for m in P.STATUS_RE[name].finditer(text)
                if name not in ("completed", "operational")
                or not _TO_COME.search(text[max(0, m.start() - 40):m.start()])]
        if said:
            return name
    return None


_CONTINUES = re.compile(r"\b(?:ground was broken|broke ground|under construction|once finished|"
                        r"the (?:new )?(?:facility|plant|site|suite)|jobs|positions|bioreactors|"
                        r"liters|litres|operational|operations)\b", re.I)


# a plant's former owner is not the company acting: "The company intends to invest $85.5 million
# to redevelop the former Pfizer facility"
_FORMER = re.compile(r"\bformer(?:ly)?\s+(?:owned\s+by\s+)?$", re.I)


def extract_facilities(doc: Document) -> list[Draft]:
    drafts: list[Draft] = []
    last: Draft | None = None
    last_at = -10
    company = None  # the company the text is about, for "the company committed ..."
    for sent in doc.sentences:
        text = sent.text
        mentions = [m for m in doc.companies(sent) if not _FORMER.search(text, 0, m.start)]
        if mentions:
            company = (mentions[0], sent)
        facility = P.FACILITY.search(text) or _NAMED_SITE.search(text) or _SIZED_EXPANSION.search(text)
        sites = _sites(text, doc, sent) if facility or re.search(r"\b(?:jobs|positions)\b", text) \
            else []
        named = {m.canonical for m in mentions}
        # the same site of the same company (a tag page has two companies' plants in Madison)
        known = [d for d in drafts if any(_same_site(d.key[1], s) for s, _ in sites)
                 and (not named or not d.key[2] or d.key[2] in named)]
        acting = facility and P.FACILITY_ACTION.search(text) and not sent.title
        if len(sites) > 1 and not known and acting:
            for site, _ in sites:
                _start(doc, drafts, sent, site, company, multi=True)
            last, last_at = None, sent.index
            continue
        owners = _joint_owners(text, mentions) if sites and acting and not known else []
        if owners:  # "A and B have announced separate plans to set up new facilities in X"
            for owner in owners:
                _start(doc, drafts, sent, sites[0][0], company, multi=True, owner=owner)
            last, last_at = None, sent.index
            continue
        # a sentence on the facility of a company with one record, naming no site: that record
        # ("A will invest ₹400 crore in a facility ..." after "A and B ... facilities in X")
        owned = [d for d in drafts if d.key[2] in named]
        if not sites and facility and len(named) == 1 and len(owned) == 1:
            _fill(doc, owned[0], sent, None)
            last, last_at = owned[0], sent.index
            continue
        if sites and acting and not known:
            last = _start(doc, drafts, sent, sites[0][0], company)
            last_at = sent.index
            _fill(doc, last, sent, None)
            continue
        if known:
            for d in known:
                _fill(doc, d, sent, d.key[1] if len(sites) > 1 else None)
            last, last_at = known[-1], sent.index
            continue
        if last and sent.index - last_at <= 2 and not sites and not sent.title and \
                (facility or _CONTINUES.search(text)):
            _fill(doc, last, sent, None)
            last_at = sent.index
    # a site that is only a state or country ("starts building in North Carolina") when another
    # record names the town there ("Raleigh, North Carolina"): the same site, said vaguely
    drafts = [d for d in drafts if not (
        P.country_of(d.key[1]) and P.country_of(d.key[1])[1] == d.key[1] and
        any(o is not d and o.key[1].endswith(", " + d.key[1]) for o in drafts))]
    return [d for d in drafts if "company" in d.final() and "site" in d.final()
            and len(d.final()) >= 3]


_NOT_ORG = re.compile(r"^(?:FDA|EMA|NMPA|MHRA|PMDA|EC|EU|CDMO|CMO|GMP|CAPEX|R&D|COVID|"
                      r"Nasdaq|NYSE)\b", re.I)


# the subject that opens a sentence, right before its verb: "In May of 2011, BioStorage
# Technologies opened ..."
_SUBJECT = re.compile(r"^(?:(?:In|On|By|During|Last|This|Earlier)\b[^,]{0,30},\s+)?"
                      # (a description before the name: "German CDMO Vetter", "Generic drug maker Lupin")
                      r"(?:(?:[A-Z][a-z]+\s+)?(?:[a-z][\w-]*\s+){0,3}?(?:CDMO|CRDMO|CMO|CRO|CDO|"
                      r"drugmaker|maker|manufacturer|company|firm|biotech|group|supplier)\s+)?"
                      r"(?P<org>[A-Z][\w&.-]*[A-Za-z](?:\s+[A-Z][\w&.-]*[A-Za-z]){0,3})\s+"
                      r"(?:has\s+|have\s+|will\s+|is\s+|plans\s+to\s+|more\s+than\s+)?"
                      r"(?:completed|opened|opens|built|builds|is\s+building|broke\s+ground|"
                      r"broken\s+ground|expanded|expands|invested|invests|investing|added|adds|"
                      r"unveiled|unveils|started|starts|began|begins|commissioned|complete|open|"
                      r"build|expand|invest|add|committed|commits|inaugurated|finished|doubled|"
                      r"announced|spend|spent)\b")


def _org(sent: Sentence) -> str | None:
    """The company of a facility sentence that names none the tables know: spaCy's first ORG
    entity ("Kestrel Manufacturing Services will add two 2,000 L bioreactors ..."), or None (no model,
    no ORG)."""
    from ingest.records import nlp

    parsed = nlp.parse(sent.text)
    subject = _SUBJECT.match(sent.text)
    if subject and not _NOT_PLACE.match(subject.group("org")) and not _NOT_ORG.match(subject.group("org")):
        return subject.group("org")  # "DYNALABS completed ...", "In May of 2011, Stemnion opened ..."
    if parsed is None:
        return None
    for ent in parsed.ents:
        name = re.sub(r"(?:'s|’s|'|’)$", "", ent.text).strip()
        if ent.label_ == "ORG" and name[:1].isupper() and not _NOT_ORG.match(name) and \
                len(name.split()) <= 5 and not re.search(r"\d", name) and \
                sent.text[ent.end_char:ent.end_char + 1] not in ("-", "‐"):
            return name
    return None


def _same_site(key: str, site: str) -> bool:
    a, b = key.split(",")[0].strip(), site.split(",")[0].strip()
    return a == b


def _joint_owners(text: str, mentions: list) -> list:
    """The companies of "A and B have announced separate plans to set up new facilities": each
    its own (two names joined by "and" and facilities in the plural), else []."""
    if not re.search(r"\b(?:facilities|plants|sites|units)\b", text):
        return []
    for a, b in zip(mentions, mentions[1:]):
        if a.canonical != b.canonical and re.search(
                re.escape(a.text) + r"\s+(?:and|&)\s+" + re.escape(b.text), text):
            return [a, b]
    return []


def _start(doc: Document, drafts: list[Draft], sent: Sentence, site_text: str, company,
           multi: bool = False, owner=None) -> Draft:
    site, country, wording = _split_site(site_text)
    companies = [owner] if owner is not None else doc.companies(sent)
    if len(companies) > 1 and _SUBSIDIARY.match(sent.text[companies[0].end:companies[1].start]):
        companies = companies[1:]
    the_company = company is not None and re.search(r"\b(?:the (?:[\w-]+ ){0,2}company|it|its)\b",
                                                     sent.text, re.I)
    canonical = companies[0].canonical if companies else company[0].canonical if the_company else ""
    key = ("facility", site, canonical)
    draft = next((d for d in drafts if d.key[:2] == key[:2] and
                  (not canonical or not d.key[2] or d.key[2] == canonical)), None)
    if draft is None:
        draft = Draft("facility", first=sent.index, key=key)
        drafts.append(draft)
    if companies:
        draft.put("company", companies[0].name, sent)
    elif the_company:
        draft.put("company", company[0].name, company[1])
    else:
        draft.put("company", _org(sent), sent)
    draft.put("site", site, sent)
    if country:
        draft.put("country", country, sent)
    if not multi:
        return draft
    draft.put("status", _status(sent.text), sent)
    date = event_date(doc, sent, "facility")
    if date:
        draft.put("date", date[0], date[1])
    return draft


def _fill(doc: Document, draft: Draft, sent: Sentence, only_site: str | None) -> None:
    text = sent.text
    if only_site:  # a sentence about several sites: only the clause naming this one
        parts = [p for p in re.split(r"\band\b|;|,\s+(?=\d)", text) if only_site in p]
        text = parts[0] if parts else text
    if "company" not in draft.cells:
        companies = doc.companies(sent)
        if companies:
            draft.put("company", companies[0].name, sent)
        elif "company" not in draft.weak and (find_money(text) or _capacity(text)):
            draft.put("company", _org(sent), sent)  # spaCy's guess, never over a known name
    cap = _capacity(text)
    if cap:
        draft.put("capacity_liters", cap, sent)
    jobs = _jobs(text, draft.key[1])
    if jobs:
        draft.put("jobs", jobs, sent)
    money = [m for m in find_money(text) if m.usd is None or m.usd >= 1e5]
    if money and re.search(r"\b(?:invest\w*|cost|costs|worth|committed|accounts?\s+for|spend\w*|"
                           r"build\w*|expansion)\b", text, re.I):
        m = money[0]
        if m.usd is None or m.usd <= MAX_FACILITY_USD:
            draft.put("investment", m.value, sent, currency=m.currency,
                      **({"qualifier": m.qualifier} if m.qualifier else {}))
    status = _status(text)
    if status and "status" in draft.cells and _RANK[status] > _RANK[draft.cells["status"]["value"]]:
        del draft.cells["status"]  # ground broken after the announcement: under construction
    draft.put("status", status, sent)
    if "date" not in draft.cells:
        date = event_date(doc, sent, "facility")
        if date:
            draft.put("date", date[0], date[1])
