"""The biopharma vocabulary the record extractor looks for: agencies, designations, regulatory
actions, deal verbs, facility words, places. Each table maps a normalised value to the regular
expression of its wordings; the same tables check that a cell's quote holds its value."""

from __future__ import annotations

import re

# a country that approves is its regulator: "Japan approves Novartis' Zolgensma", "Canada and FDA
# approve Alprolix", "China has granted market access to ..." (not "approved in Japan")
_APPROVES = r"(?=\s+(?:and\s+(?:the\s+)?[A-Z]\w+\s+)?(?:has\s+|have\s+)?(?:approv|grant|clear|authori[sz]))"
AGENCIES: dict[str, str] = {
    "FDA": r"(?:U\.?S\.?\s+)?FDA|(?:U\.?S\.?\s+|United States\s+|(?<!China\s))Food\s+and\s+Drug\s+Administration|"
           r"(?:U\.S\.|US|American)\s+(?:health\s+|drug\s+)?regulators?",
    "EMA": r"EMA|European\s+Medicines\s+Agency|CHMP|European\s+regulator",
    "European Commission": r"European\s+Commission|EC",
    "NMPA": r"NMPA|National\s+Medical\s+Products\s+Administration|CFDA|China\s+Food\s+and\s+Drug"
            r"\s+Administration|Chinese\s+(?:drug\s+|health\s+)?regulators?|China" + _APPROVES,
    "MHRA": r"MHRA|Medicines\s+and\s+Healthcare\s+products\s+Regulatory\s+Agency|"
            r"(?:British|UK)\s+(?:drug\s+|health\s+)?regulators?|Britain" + _APPROVES + "|"
            r"U\.?K(?=\.?\s+(?:regulatory\s+)?approval)|"
            r"(?:Britain|UK|U\.K\.)(?:'s|’s)\s+(?:drugs?\s+|medicines?\s+|health\s+)regulator",
    "PMDA": r"PMDA|Pharmaceuticals\s+and\s+Medical\s+Devices\s+Agency",
    "MHLW": r"MHLW|Ministry\s+of\s+Health,\s+Labou?r\s+and\s+Welfare|Japan" + _APPROVES + "|"
            r"Japanese\s+(?:health\s+)?(?:ministry|regulators?)",
    "Health Canada": r"Health\s+Canada|Canada" + _APPROVES,
    "TGA": r"TGA|Therapeutic\s+Goods\s+Administration|Australia" + _APPROVES,
    "Swissmedic": r"Swissmedic|Switzerland" + _APPROVES,
    "ANVISA": r"ANVISA|Brazil" + _APPROVES,
    "MFDS": r"MFDS|Ministry\s+of\s+Food\s+and\s+Drug\s+Safety|(?:South\s+)?Korea" + _APPROVES,
    "CDSCO": r"CDSCO|Central\s+Drugs\s+Standard\s+Control\s+Organi[sz]ation|India" + _APPROVES,
}
AGENCY_RE = {k: re.compile(rf"\b(?:{v})\b") for k, v in AGENCIES.items()}
# The countries whose approvals name their regulator: (agency, how a sentence names the country,
# its adjective, the agencies a page may name for it); `regulatory._IN_COUNTRY` reads them too.
APPROVING_COUNTRIES = (("MHLW", "Japan", "Japanese", ("PMDA", "MHLW")), ("NMPA", "China", "Chinese", ("NMPA",)),
                       ("Health Canada", "Canada", "Canadian", ("Health Canada",)),
                       ("FDA", r"the\s+(?:US|U\.S\.|United\s+States)", r"(?:US|U\.S\.)", ("FDA",)))
# a table's caption that names only the country: "drugs approved in China", "approvals in Japan"
# (in a sentence, "Beyond its approval in China, ... from the FDA" names no agency by it)
APPROVED_IN = {agency: re.compile(rf"\bapprov(?:ed|als?)\s+in\s+{country}\b")
               for agency, country, _, _ in APPROVING_COUNTRIES}

DESIGNATIONS: dict[str, str] = {
    # the trade's abbreviations, in capitals only ("an odd result" is not one)
    "orphan": r"orphan(?:[\s-]+drug)?(?:\s+(?:designation|status|medicinal\s+product))?|(?-i:ODDs?)",
    "breakthrough": r"breakthrough(?:[\s-]+therapy|[\s-]+device)?(?:\s+(?:designation|status))?|"
                    r"(?-i:BTDs?)",
    "fast_track": r"fast[\s-]+track(?:\s+(?:designation|status))?",
    "rmat": r"RMAT|regenerative\s+medicine(?:\s+advanced\s+therapy)?\s+(?:designation|status)",
    "prime": r"PRIME|PRIority\s+MEdicines|priority\s+medicines",
    "priority_review": r"priority\s+review",
    "accelerated_approval": r"accelerated\s+approval",
    "qidp": r"QIDP|qualified\s+infectious\s+disease\s+product",
}
# PRIME the scheme is written in capitals ("a prime example" is not a designation).
DESIGNATION_RE = {k: re.compile(rf"\b(?:{v})\b", 0 if k == "prime" else re.I)
                  for k, v in DESIGNATIONS.items()}

ACTIONS: dict[str, str] = {
    "complete_response": r"complete\s+response(?:\s+letter)?|\bCRL\b",
    "filing_acceptance": r"accept(?:ed|s|ance)?\b[^.;]{0,60}\b(?:BLA|NDA|MAA|sBLA|sNDA|application|"
                         r"filing|submission)|(?:BLA|NDA|MAA|application|filing|submission)"
                         r"[^.;]{0,60}\baccepted",
    "rejection": r"refus(?:ed|al)|reject(?:ed|ion)|negative\s+opinion",
    "delay": r"delay(?:ed|s)?\s+(?:the\s+|its\s+|a\s+)?(?:approval|decision|review|action|launch)|"
             r"extend(?:ed|s)?\s+(?:the\s+)?(?:review|PDUFA)",
    "positive_opinion": r"positive\s+(?:(?:CHMP|EMA|scientific)\s+)?(?:opinion|review|recommendation)|"
                        r"recommended\s+(?:\w+\s+){0,5}?(?:for\s+(?:marketing\s+)?(?:approval|"
                        r"authori[sz]ation))|(?:was|were)\s+recommended\s+for\s+(?:the\s+)?(?:\w+\s+){0,2}?"
                        r"treatment\b",
    "ind_clearance": r"IND\s+(?:approval|clearance)s?|clear(?:ed|s)\s+(?:the\s+|an\s+|its\s+)?IND",
    "conditional_approval": r"conditional(?:ly)?\s+(?:marketing\s+)?(?:approv(?:al|als|ed|e)|"
                            r"authori[sz](?:ation|ations|ed))|\bCMA\b|"
                            # Health Canada's: "Notice of Compliance with conditions (NOC/c)"
                            r"Notices?\s+of\s+Compliance\s+with\s+conditions|\bNOC/c\b",
    "tentative_approval": r"tentative(?:ly)?\s+approv(?:al|als|ed|e)",
    "approval": r"approv(?:ed|es|e|al|als)|authori[sz](?:ed|ation)|marketing\s+authori[sz]ation|"
                r"Notices?\s+of\s+Compliance\b",
    "designation": r"design(?:ation|ations|ated)|grant(?:ed|s)?|award(?:ed|s)?|put\s+[^.]{0,40}"
                   r"\binto\s+its|status|received|receives|gains?|gained|scheme|won|wins|"
                   r"land(?:ed|s)|hand(?:ed|s)|earn(?:ed|s)|secur(?:ed|es)|obtain(?:ed|s)",
}
ACTION_RE = {k: re.compile(rf"\b(?:{v})", re.I) for k, v in ACTIONS.items()}

DEAL_KINDS: dict[str, str] = {
    "merger": r"merg(?:er|e|es|ed|ing)\b(?!\s+control)",
    "option": r"options?\s+(?:to\s+(?:acquire|license|licence|in-license)|agreement|deal)",
    "royalty": r"royalt(?:y|ies)\s+(?:deal|agreement|transaction|interest|stream|monetization|purchase|financing|funding|"
               r"rights?|on)|synthetic\s+royalt(?:y|ies)",
    "license": r"(?:sub-?)?licen[cs](?:e|es|ed|ing)\b|in-licen[cs]|exclusive\s+rights|global\s+rights|"
               r"commercial\s+rights|rights?\s+to\s+(?:develop|manufacture|market|commerciali[sz]e)|"
               r"(?:took|taken|takes|taking)\s+up\b|"
               # "exported ISU 106, its immunotherapy candidate, with R-Pharm"
               r"\bexport(?:s|ed)\s+(?![$€£\d])(?:(?!distribution|supply|shipment)[^.;]){0,80}?"
               r"(?:candidate|technolog|antibod|compound|platform)",
    "investment": r"invest(?:s|ed|ment)?\s+(?:of\s+)?[^.]{0,40}\bin\b|stake\s+in|equity\s+stake|"
                  r"\d+(?:\.\d+)?%\s+stake|raised\b|financing|funding\s+round|Series\s+[A-F]\b",
    "acquisition": r"acqui(?:re|res|red|ring|sition)\b|\bbuy(?:s|ing)?\b|\bbought\b|purchas(?:e|ed|es)"
                   r"|takeover|take\s+over|taken\s+over|took\s+over|M&A\b|\bsells?\b|\bsold\b|\bsale\b|divest|"
                   r"(?:per|a)\s+share\s+in\s+cash|tender\s+offer|(?:bid|offer|proposal)\s+for\b|"
                   r"pa(?:id|ys|y)\s+(?:[^.]|\.(?=\d)){0,80}?\bfor\b",
    "collaboration": r"collaborat(?:ion|e|ed|es|ing)|partner(?:ship|ed|s|ing)?\b|alliance|"
                     r"team(?:ed|s|ing)?\s+up|join(?:ed|s|ing)?\s+forces|(?:tie[ds]?|tying)\s+up|co-develop|"
                     r"joint\s+venture|to\s+(?:jointly\s+)?(?:discover|research)\b",
}
DEAL_RE = {k: re.compile(rf"\b(?:{v})", re.I) for k, v in DEAL_KINDS.items()}
# two companies' agreement that names no sale, licence or investment: a collaboration ("Agreement
# for ApoCell to apply its technology ...")
AGREEMENT = re.compile(r"\b(?:agreement|contract|pact)\b", re.I)

UPFRONT = re.compile(r"\bup[\s-]?front\b|\bin cash\b|\bcash payment|\binitial payment|"
                     r"\bat (?:the )?closing\b|when the (?:transaction|deal|acquisition) closes|"
                     r"\bon closing\b|\bupon closing\b", re.I)
MILESTONE = re.compile(r"\bmilestones?\b|\bcontingent\b|\bearn-?outs?\b|\bCVRs?\b|"
                       r"contingent value right", re.I)
TOTAL = re.compile(r"\btotal\b|\bworth\b|\bvalued? (?:at|of)\b|\bvalu(?:es|ing)\s+(?:\S+\s+){1,3}?at\b|\bvalue of\b|\bdeal value\b|"
                   r"\bequity value\b|\benterprise value\b|\baggregate\b|\bpotential value\b",
                   re.I)

FACILITY = re.compile(r"\b(?:facility|facilities|plant|plants|site|suite|campus|factory|"
                      r"manufacturing\s+(?:center|centre|hub)|production\s+(?:center|centre|line)|"
                      r"(?:manufacturing|production)\s+capacity|"
                      r"(?:R&D|research|development|innovation|biomanufacturing)\s+(?:center|centre)|"
                      r"bioreactors?|biopark|fill-finish\s+line|biorepository|cleanrooms?)\b", re.I)
FACILITY_ACTION = re.compile(
    r"\b(?:build|builds|building|built|construct|constructs|constructed|construction|develop|"
    r"set\s+up|sets\s+up|setting\s+up|"
    r"develops|developing|development|enlarg(?:e|es|ed|ing)|"
    r"expand|expands|expanded|expansion|invest|invests|investing|invested|investment|open|opens|"
    r"opened|opening|break\s+ground|broke\s+ground|broken\s+ground|ground\s+was\s+broken|groundbreaking|"
    r"complete|completed|completes|commission|commissioned|add|adds|adding|doubles|picked|"
    r"chose|selected|committed|create|creates|creating|created|increase|increases|increasing|"
    r"operational|operations|start|buy|buys|acquire|acquires|"
    r"acquired|acquisition|purchase|purchases|purchased|inaugurat\w+|finish(?:ed|es)|spend|spends|"
    r"spending|unveil(?:s|ed)?|doubl(?:ed|ing)|plans\s+(?:are|were)\s+moving\s+forward)\b", re.I)
STATUS: dict[str, str] = {
    "completed": r"\b(?:completed|has\s+finished|was\s+finished|finished\s+construction|"
                 r"construction\s+(?:is|was)\s+complete)\b",
    "operational": r"\b(?:opened|is\s+now\s+operational|began\s+operations|started\s+operations|"
                   r"began\s+production|is\s+operational|has\s+started\s+production|"
                   r"inaugurated)\b",
    "under_construction": r"\b(?:under\s+construction|broke\s+ground|(?:has|have)\s+broken\s+ground|"
                          r"breaks\s+ground|ground\s+was\s+broken|"
                          r"groundbreaking|(?:is|are)\s+(?:building|constructing|creating|developing|enlarging)|"
                          r"began\s+construction|started\s+construction|(?:is|are)\s+starting\s+"
                          r"(?:development|construction))\b",
    # ("plans a major expansion of its site", "Plans are moving forward for X's $30 million facility")
    "announced": r"\b(?:will|plans?\s+to|to\s+build|is\s+to|announced|picked|chose|selected|"
                 r"committed|is\s+investing|expects?|expected|would|plans?\s+(?:a|an)\s+(?:[\w-]+\s+){0,3}?"
                 r"(?:expansion|facility|plant|site)|plans\s+(?:are|were)\s+moving\s+forward)\b",
}
STATUS_RE = {k: re.compile(v, re.I) for k, v in STATUS.items()}

VOLUME = re.compile(
    r"(?:(?P<count>\d{1,3}(?![ \u00a0\u202f]\d{3}(?!\d))|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|twenty-four)\s+(?:x\s+|×\s*)?(?:new\s+|additional\s+|large-scale\s+)?)?"
    r"(?<![\d,.])(?P<vol>\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:\.\d+)?)\s?[- ]?"
    r"(?P<unit>L|liters?|litres?|l)\b"
    r"(?P<after>[^.;]{0,40})", re.I)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
                "twenty": 20, "twenty-four": 24}
JOBS = re.compile(r"(?:(?:about|around|approximately|more than|over|some|up to|nearly|upwards of|"
                  r"roughly|almost|at least)\s+)?"
                  r"(?P<n>\d{1,3}(?:,\d{3})*|\d+)\s+(?:new\s+|additional\s+|full-time\s+|permanent\s+|"
                  r"direct\s+|highly[\s-]skilled\s+|high[\s-]skilled\s+|skilled\s+)*"
                  r"(?:jobs|positions|employees|roles|workers|staff|people|hires)\b", re.I)

COUNTRIES: dict[str, str] = {
    "United States": r"United States|U\.S\.A?\.?|US|USA|America",
    "United Kingdom": r"United Kingdom|U\.K\.|UK|Britain|England|Scotland|Wales|Northern Ireland",
    "Switzerland": r"Switzerland", "Germany": r"Germany", "France": r"France",
    "Ireland": r"Ireland", "Italy": r"Italy", "Spain": r"Spain", "Netherlands": r"Netherlands",
    "Belgium": r"Belgium", "Denmark": r"Denmark", "Sweden": r"Sweden", "Norway": r"Norway",
    "Finland": r"Finland", "Austria": r"Austria", "Poland": r"Poland", "Portugal": r"Portugal",
    "Czech Republic": r"Czech Republic|Czechia", "Hungary": r"Hungary", "Slovenia": r"Slovenia",
    "China": r"China|mainland China|PRC", "Japan": r"Japan",
    "South Korea": r"South Korea|Republic of Korea|Korea", "India": r"India",
    "Singapore": r"Singapore", "Taiwan": r"Taiwan", "Australia": r"Australia",
    "Canada": r"Canada", "Brazil": r"Brazil", "Mexico": r"Mexico", "Israel": r"Israel",
    "Puerto Rico": r"Puerto Rico", "Saudi Arabia": r"Saudi Arabia",
    "United Arab Emirates": r"United Arab Emirates|UAE",
}
US_STATES = [s.replace("_", " ") for s in (
    "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia "
    "Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts "
    "Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada New_Hampshire New_Jersey "
    "New_Mexico New_York North_Carolina North_Dakota Ohio Oklahoma Oregon Pennsylvania "
    "Rhode_Island South_Carolina South_Dakota Tennessee Texas Utah Vermont Virginia "
    "West_Virginia Wisconsin Wyoming").split()]
COUNTRY_RE = {k: re.compile(rf"\b(?:{v})\b") for k, v in COUNTRIES.items()}
COUNTRY_RE["United States"] = re.compile(
    rf"\b(?:United States|U\.S\.A?\.?|US|USA|{'|'.join(US_STATES)})(?![\w-])")


def is_country(name: str) -> bool:
    """The name is a country's and no more: "USA", "Japan", "U.S", "EU" (no company is)."""
    found = country_of(name)
    return bool(found and found[1] == name or re.fullmatch(r"U\.?S\.?A?|EU", name))


def country_of(text: str) -> tuple[str, str] | None:
    """(country, wording) of the last country (or US state) named in `text`."""
    best = None
    for country, rx in COUNTRY_RE.items():
        for m in rx.finditer(text):
            if best is None or m.start() > best[2]:
                best = (country, m.group(0), m.start())
    return (best[0], best[1]) if best else None


SKIP_SECTIONS = re.compile(r"^(?:references?|bibliography|notes|footnotes|sources|more news|"
                           r"related(?: stories| articles| news| links)?|most read|read more|"
                           r"recommended|you may also like|further reading)\b:?", re.I)
