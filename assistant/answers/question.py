"""Question analysis: what a question asks for (a kind of value), and which of its terms
(names, code names, numbers) the evidence must contain."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answers.types import CorpusStats
from assistant.core.text import question_terms
from assistant.retrieval.anchors import Anchor, question_anchors

# The floor space a sentence gives: "180,000 square feet", "12 acres" (also what a comparison of
# size by floor space looks for: extractive._AREA).
AREA_HOLDS = re.compile(
    r"\d[\d,.]*\s?(?:-|\s)?(?:k\s?)?(?:square[- ]f(?:oo|ee)t|sq\.?\s?f(?:oo|ee)?t|sf|ft2|ft²|"
    r"square[- ]met(?:er|re)s?|m2|m²|acres?)\b", re.IGNORECASE)

# What kind of answer a question wants, and what a sentence must contain to give it.
_ANSWER_TYPES = [
    # A premium or a royalty rate is given as a percentage: "a 95% premium", "royalties of 10%".
    ("percentage", re.compile(r"\b(percent(age)?|share of|proportion|what fraction|% of|premium|"
                              r"royalty rates?|rates? of royalt\w*)\b", re.I),
     # ("one in four Americans", "half of its sales")
     re.compile(r"\d\s?%|\bper ?cent\b|\b(one|two|three|four|nine) in (two|three|four|five|ten|\d+)\b|"
                r"(?<!first )(?<!second )\b(half|a third|a quarter|one-third|one-quarter|two-thirds|three-quarters) of\b"
                r"(?! (?:19|20)\d\d| the year)", re.I)),
    ("temperature", re.compile(r"\b(temperature|how cold|how hot)\b", re.I),
     re.compile(r"°|\b(celsius|fahrenheit|degrees|kelvin)\b|[-−]\d+\s?°?c\b", re.I)),
    # Jobs and capacity before "count" and "amount": "How many people will the site employ?" is
    # not answered by "from 6,000 L to 24,000 L", nor "What capacity?" by an amount of money.
    ("jobs", re.compile(r"\b(how many|number of) (new |more |additional |full-time |permanent )?"
                        r"(jobs|people|employees|staff|workers|positions|roles|hires)\b|\bheadcount\b|"
                        r"\bhow many .{0,40}\b(employ|hire|work)\b", re.I),
     re.compile(r"\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|"
                r"thousands?)\+?\s[\w\s-]{0,30}\b(jobs|people|employees|staff|workers|positions|roles|"
                r"hires|headcount|workforce)\b|\b(employ|hire|workforce of)\w*\s[\w\s-]{0,20}\d", re.I)),
    # floor space: "How many square feet will X add?" is not answered by "3 work centers"
    ("area", re.compile(r"\b(how many (square (feet|foot|met(er|re)s)|sq\.? ?(ft|m)|acres)|square footage|"
                        r"floor (area|space)|footprint)\b", re.I), AREA_HOLDS),
    ("volume", re.compile(r"\b(how many (litres|liters)|what (?!revenue |sales )(\w+ )?capacity|"
                          r"how much (?!revenue |sales )(\w+ )?capacity|"
                          r"capacity of (the|its)|bioreactor (capacity|volume|scale))\b", re.I),
     re.compile(r"\d[\d,.]*\s?(k|kilo)?(l|liters?|litres?)\b|\b\d[\d,.]*-(l|liter|litre)\b|"
                r"\b\d[\d,.]*\s?(m3|cubic met(er|re)s?|doses|vials|batches)\b|\b(doubl|tripl|quadrupl)\w*", re.I)),
    # a price, a payment, a cost is a sum of money, not a percentage ("What price did Biosynex
    # offer?" is not answered by "an offer to acquire 100% of the stock")
    ("amount", re.compile(r"\b(price|prices|priced|cost|costs|costing|pay|pays|paying|paid|payment|"
                          r"worth|valued?|fee|rent)\b|\$\s*\?", re.I),
     re.compile(r"[$€£¥₹]\s?\d|\b\d[\d.,]*\s?(million|billion|trillion|bn|mn|m|crores?|lakhs?)\b|"
                r"\b(million|billion)\b|\bRs\.?\s?\d|"
                r"\b(USD|EUR|GBP|CHF|JPY|CNY|RMB|DKK|SEK|KRW|INR)\s?\d|\d\s?(cents?|dollars|euros|pounds)\b",
                re.I)),
    ("amount", re.compile(r"\b(how much|price|cost|costs|costing|pay|paid|payment|worth|valued?|revenue|"
                          r"sales of|funding|fee|investment of)\b|\$\s*\?", re.I),
     # "How much did capacity go up?" is answered by a percentage too.
     re.compile(r"[$€£¥₹]\s?\d|\b\d[\d.,]*\s?(million|billion|trillion|bn|m|crores?|lakhs?)\b|"
                r"\b(million|billion)\b|\bRs\.?\s?\d|\d\s?%|\bper ?cent\b", re.I)),
    ("duration", re.compile(r"\b(how long|how fast|how quickly|how soon)\b", re.I),
     re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|few)\b"
                r"[\w\s-]{0,12}\b(seconds?|minutes?|hours?|days?|weeks?|months?|years?|quarters?)\b",
                re.I)),
    ("count", re.compile(r"\b(how many|number of|how big|how large|how old)\b", re.I),
     re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|"
                r"million|billion)\b", re.I)),
    ("date", re.compile(r"^\W*when\b|^\W*(the )?dates?\b|\b(what (year|date|month|day)|which (year|month)|"
                        r"on what date|since when)\b",
                        re.I),
     re.compile(r"\b(19|20)\d{2}\b|\b(january|february|march|april|may|june|july|august|september|"
                r"october|november|december)\b|\b(last|this|next) (month|year|week|quarter)\b|"
                r"\b(first|second|third|fourth) (quarter|half)\b|\b(Q[1-4]|H[12])\b|"
                # "before the end of the year" (not a weekday: "said on Friday" dates the news,
                # seldom what is asked)
                r"\b(end|close) of (the )?(year|quarter)\b|\byear[- ]end\b", re.I)),
    # What a drug acts on: "What does KT-210 target?", "What is its mechanism of action?".
    ("target", re.compile(r"\b(what does .{1,40} target|targets? of|mechanism of action|"
                          r"how does .{1,40} work|what does .{1,40} (block|inhibit|bind))\b", re.I),
     re.compile(r"\b(targets?|targeting|block(s|ing)?|inhibit(s|or|ors|ing)?|bind(s|ing)?|"
                r"agonist|antagonist|antibody|directed (against|at)|acts on|degrader)\b", re.I)),
    ("author", re.compile(r"\b(who (wrote|authored|is the author)|author of|written by|byline)\b", re.I),
     re.compile(r"(^|\n)\s*(by:?|author:)\s+[A-Z]", re.I)),
]
# What says when a plant starts, not that it makes things ("operating in Ringaskiddy since 2005",
# "its third manufacturing facility" do not); asked of the past, "operating since" does too
_STARTS = re.compile(r"\b(start|begin|began|begun|commenc|operational|online|on-line|up and running|open|complet|"
                     r"ready|on stream)\w*|\bin (operation|production|service)\b|\bfirst (production|batch|output)", re.I)
_STARTED = re.compile(_STARTS.pattern + r"|\boperat\w*\s+since\b", re.I)

# The particular term of a deal, or the particular designation, a question asks about, and what
# a sentence must say to give it: "What's Roche paying upfront?" is not answered by "a potential
# $1 billion-plus agreement", nor "Did BXCL701 get orphan drug designation?" by its fast track.
# (name as the answer says it, what the question says, what the sentence must say)
_SLOTS = [
    ("the upfront payment", re.compile(r"\bup[- ]?front\b", re.I),
     re.compile(r"\bup[- ]?front\b|\binitial (payment|fee)|\bat (signing|closing)\b|\bsigning fee|"
                r"\bwhen the deal closes\b", re.I)),
    ("the milestone payments", re.compile(r"\bmilestones?\b", re.I),
     re.compile(r"\bmilestones?\b|\bcontingent\b|\bearn[- ]?outs?\b|\bCVRs?\b|\bfurther payments\b|"
                r"\bbio-?bucks\b", re.I)),
    ("the royalties", re.compile(r"\broyalt(y|ies)\b", re.I), re.compile(r"\broyalt", re.I)),
    ("the termination fee", re.compile(r"\b(break(-| )?up|break|termination) fees?\b", re.I),
     re.compile(r"\b(break(-| )?up|break|termination) fees?\b", re.I)),
    # ("lead" as a verb is not: "Who will lead the program?", "Could the deal lead to new products?")
    ("the lead asset", re.compile(r"\blead (?!(the|a|an|its|their|to|this)\b)(\w+ ){0,2}?(asset|candidate|drug|"
                                  r"program|programme|product|compound)s?\b", re.I),
     re.compile(r"\blead\b|\bmost advanced\b|\bflagship\b|\bfront-?runner\b", re.I)),
    # a drug's name is a code name, an INN or a brand, not "the antibody" ("What is the name of
    # the pain antibody Regeneron licensed?" is not answered by "its in-development pain treatment");
    # not "called off", "named partner"
    ("the name", re.compile(r"^(?=.*\b(drugs?|antibod\w*|compounds?|candidates?|molecules?|therap\w*|products?|"
                            r"assets?|treatments?|vaccines?|biosimilars?|inhibitors?|programs?)\b)"
                            r".*?\b(name of|(code|brand|trade)[- ]?name|called(?! (off|for|on)\b)|"
                            r"named(?! (as )?(a |the )?(partner|ceo|chief|head|president|director)\b)|"
                            r"what is it named|name and)\b", re.I),
     # (a code name in capitals, case-sensitive: "in 2019" is none; a stem of an INN)
     re.compile(r"(?-i:\b[A-Z]{1,6}-?\d{2,}[A-Z]?\b)|\b[a-z]{3,}(mab|nib|parib|ciclib|lisib|vir|tide|"
                r"kinra|siran|zomib|pril|sartan|olol|azole|mycin|cillin|floxacin|vec|leucel|"
                r"platin|taxel|rubicin|dronate|gliflozin|gliptin|lukast|fovir|previr|asvir|nercept|ercept)\b|"
                r"\b(called|named|dubbed|known as|brand|trade ?name|marketed (as|under)|under the name)\b|®|™", re.I)),
    # who led a round is not that it closed ("Who led Elpiscience's series C?" is not answered by
    # "raised $105 million in a series C financing round", nor by a list of its investors); asked
    # only of a round ("Who led the investigator-initiated study?" is not)
    ("the lead investor", re.compile(r"^(?=.*(\bround\b|\bseries [a-f]\b|\bfinanc\w*|\bfund(s|ing|ed)?\b|"
                                     r"\brais(e|es|ed|ing)\b|\binvest(or|ors|ment|ments|ed|s|ing)?\b|\bcapital\b|\$|"
                                     r"\bventure\b))"
                                     r".*?(\bwho (led|leads|co-led|headed|anchored)\b|\blead (investor|backer|"
                                     r"financier)s?\b|\b(who|which \w+) (was|were|is|are) (the )?leads?\b)", re.I),
     re.compile(r"\b(co-?)?led\b|\blead (investor|backer|financier)s?\b|\bco-?lead\w*|\bleading (the|this|its)\b|"
                r"\banchor(ed|s)?\b|\bheaded by\b|\bspearhead\w*", re.I)),
    ("the sponsor", re.compile(r"\bwho (sponsors|makes|markets|developed|develops|owns|is behind)\b|"
                               r"\b(sponsor|maker|developer|owner)s? of\b|^\W*sponsor\b|\bsponsor\W*$", re.I),
     re.compile(r"\b(Inc|Corp|Co|plc|PLC|Ltd|LLC|AG|SA|SE|NV|GmbH|Holdings|Laboratories)\b|"
                r"\b[A-Z][\w&-]*\s?(Pharma\w*|Therapeutics|Bio\w*|Sciences|Medical)\b|"
                r"\b[A-Z][\w&-]+(?:'s|’s)\s")),
    ("the headquarters", re.compile(r"\bheadquarter(ed|s)?\b|\bwhere is .{1,60}\bbased\b", re.I),
     re.compile(r"\bheadquarter|\bbased in\b|-based\b|\bhome base\b", re.I)),
    ("the advisers", re.compile(r"\b(advis(e|ed|es|ing|ers?|ors?)|bankers?|legal counsel)\b", re.I),
     re.compile(r"\badvis|\bcounsel\b|\bbankers?\b|\blaw firm\b", re.I)),
    ("the premium", re.compile(r"\bpremium\b", re.I), re.compile(r"\bpremium\b", re.I)),
    ("the price per share", re.compile(r"\bper[- ]share\b|\ba share\b|\bshare price\b", re.I),
     re.compile(r"\bper[- ]share\b|\ba share\b|/share\b|\beach (\w+ )?share\b|\bper (\w+ )?share\b", re.I)),
    # ("It currently holds 14.5% of GRAIL's outstanding shares")
    ("the stake", re.compile(r"\bstake\b", re.I),
     re.compile(r"\bstake\b|\bequity (interest|investment)\b|\d\s?%\s+(of|in)\s+(\S+\s+){0,3}?"
                r"(shares|stock|equity|capital)\b|\b(own|owns|owned|holds|held)\s+(about\s+|roughly\s+)?\d", re.I)),
    ("the closing", re.compile(r"\b(expected|set|due|slated|on track) to (close|complete)\b|"
                               r"\bclos(e|ing) (of )?the (deal|acquisition|transaction|merger)\b|"
                               r"\bwhen (will|does|did|is) .{0,60}\b(close|closing)\b", re.I),
     re.compile(r"\bclos(e|es|ed|ing)\b|\bcomplet(e|ed|es|ion)\b", re.I)),
    ("the brand name", re.compile(r"\b(brand(ed)?[- ]name|trade ?name|brand|marketed (as|under))\b", re.I),
     re.compile(r"\bbrand|\btrade ?name|\bmarketed (as|under)|\bunder the name|®|™", re.I)),
    ("an orphan drug designation", re.compile(r"\b[Oo]rphan\b|\bODD\b"), re.compile(r"\b[Oo]rphan\b|\bODD\b")),
    ("a breakthrough therapy designation", re.compile(r"\bbreakthrough\b|\bBTD\b", re.I),
     re.compile(r"\bbreakthrough\b|\bBTD\b", re.I)),
    ("a fast track designation", re.compile(r"\bfast[- ]track", re.I), re.compile(r"\bfast[- ]track", re.I)),
    ("an RMAT designation", re.compile(r"\bRMAT\b|regenerative medicine advanced", re.I),
     re.compile(r"\bRMAT\b|regenerative medicine advanced", re.I)),
    ("a PRIME designation", re.compile(r"\bPRIME\b|\bpriority medicines\b"),
     re.compile(r"\bPRIME\b|\bpriority medicines\b", re.I)),
    ("a priority review", re.compile(r"\bpriority review\b", re.I), re.compile(r"\bpriority review\b", re.I)),
    ("an accelerated approval", re.compile(r"\baccelerated approval\b", re.I),
     re.compile(r"\baccelerated (approval|assessment)\b", re.I)),
    # a company's valuation is not the round that set it ("What valuation did I-Mab's series C
    # imply?" is not answered by "closed a $220m series C round"); asked as "valued at", a deal's
    # price is its value, so only the word "valuation" asks this
    ("the valuation", re.compile(r"\bvaluations?\b|\b(pre|post)-money\b", re.I),
     re.compile(r"\bvaluation|\bvalu(ed|ing)\b|\b(pre|post)-money\b|\bmarket (cap|value)", re.I)),
    # what a complete response letter found wanting, not that it was sent
    ("the deficiencies", re.compile(r"\bdeficienc\w*|\b(issues|concerns|problems|shortcomings)\s+"
                                    r"(did|does|do|were|was)\b.{0,60}\b(cite|raise|flag|identif)", re.I),
     re.compile(r"\bdeficienc|\bissues?\b|\bconcerns?\b|\bobservations?\b|\bproblems?\b|"
                r"\brequest(s|ed)?\b|\badditional (data|studies|study|trial|information)\b|\bfindings?\b", re.I)),
    # a launch is not an approval ("When will PanGen launch Erisa?" is not answered by the date
    # Malaysia approved it), nor a plant's start of work its history ("operating since 2005")
    ("the launch", re.compile(r"\blaunch(es|ed|ing)?\b(?!\s+with\b)", re.I),
     re.compile(r"\blaunch|\bavailable\b|\bon the market\b|\bcommerciali[sz]|\bto market\b|\bsell", re.I)),
    ("the start of operations", re.compile(r"\b(start|begin|commence)\w*\s+(production|operations?|operating|"
                                           r"manufacturing|making)\b|\bbe (operational|online|up and running)\b|"
                                           r"\bcome online\b", re.I),
     _STARTS),
    # what a drug is for: "Levadex indication?" is not answered by "the FDA has sent a Complete
    # Response letter on its New Drug Application for Levadex"
    ("the indication", re.compile(r"\bindications?\b|\bfor what (disease|condition)s?\b|"
                                  r"\bwhat (disease|condition)s? (does|did|will|is|are)\b", re.I),
     re.compile(r"\bindicat|\btreat|\btherapy for\b|\bfor (patients|adults|children|people) with\b|"
                r"\b(patients|adults|children|people) with\b|\bdisease\b|\bcancer\b|\bsyndrome\b|"
                r"\bdisorder\b|\binfection\b|\b\w+(itis|oma|emia|aemia|osis|pathy)\b", re.I)),
    # last: an approval, asked of a product that holds only a designation ("When did the FDA
    # approve teplizumab?" where it holds a breakthrough designation)
    ("an approval", re.compile(r"\bapprov(e|es|ed|al|als)\b|\bclear(ed|ance)?\b(?! (that|why|how|what|whether)\b)", re.I),
     # ("file for approval", "seeking approval": what is hoped for is not an approval)
     re.compile(r"(?<!for )(?<!seek )(?<!seeking )(?<!awaiting )(?<!pending )\bapprov|\bclear(ed|ance|s)\b|\bauthori[sz]|\bgreen light|\bgo-ahead|\bnod\b|"
                r"\blicen[cs]ed\b|\bmarketing permission", re.I)),
]


# "How many bioreactors ...?": the things counted (people and jobs are the "jobs" answer type)
_COUNTED = re.compile(r"\bhow many (?:\w+ ){0,2}?(?P<what>[a-z]{4,}s)\b", re.I)
_PEOPLE = frozenset("jobs people employees staff workers positions roles hires years months weeks "
                    "days hours times shares patients participants subjects".split())
# "the phase 3 results": a trial of that phase, not of another
_PHASE = re.compile(r"\bphase\s*(?P<n>[1-3]|i{1,3})(?P<x>[ab])?\b", re.I)
_ROMAN = {"1": "i", "2": "ii", "3": "iii"}
_OUTCOME = re.compile(r"\b(results?|data|show(ed|n)?|read-?outs?|outcomes?|efficacy|endpoints?|"
                      r"found|demonstrated?)\b", re.I)


# an approval the question dates or explains its subject by, not the thing it asks about
_APPROVAL_AS_CONTEXT = re.compile(r"\b(on|after|following|since|upon|before|with)\s+(the\s+|its\s+|their\s+)?"
                                  r"(\S+\s+){0,3}?approvals?\b", re.I)


# a start of operations asked of the future is not a plant's past ("When will the expanded site
# start production?" is not answered by "operating in Ringaskiddy since 2005"); asked of the past it is
_FUTURE = re.compile(r"\b(will|would|expected|expects?|should|scheduled|slated|due|planned|plans?|aims?|"
                     r"targets?|going to|does|do|is to|are to)\b", re.I)


def slot_of(question: str) -> tuple[str, re.Pattern] | None:
    """The deal term or designation the question asks about, and what a sentence giving it says;
    or the things a "how many" counts, or the phase of the trial it asks about."""
    for name, asks, holds in _SLOTS:
        if name == "an approval" and _APPROVAL_AS_CONTEXT.search(question):
            continue  # "How much did New River stock rise on the NRP104 approval?": not what is asked
        if name in ("the launch", "the start of operations") and facets(question):
            continue  # "How much ..., and when will the plant be operational?": each facet's sentence
        if asks.search(question):
            if name == "the start of operations" and not _FUTURE.search(question):
                holds = _STARTED  # "When did the plant start production?": "operating since 2005"
            return name, holds
    m = _COUNTED.search(question)
    if m and m.group("what").lower() not in _PEOPLE:
        what = m.group("what").lower()
        stem = re.escape(what[:-1])
        return f"the number of {what}", re.compile(rf"\b{stem}", re.I)
    m = _PHASE.search(question)
    if m and _OUTCOME.search(question):  # (a phase named in passing, "runs the Phase 3 program", is not)
        n = m.group("n").lower()
        arabic = next((a for a, r in _ROMAN.items() if r == n), n)
        x = m.group("x") or ""
        return (f"phase {arabic}{x} results",
                re.compile(rf"\bphase\s*(?:{arabic}|{_ROMAN[arabic]}){x}\b", re.I))
    return None


# Kinds of value that describe a document as a whole (its date, its author): the sentence giving
# them (a dateline, a byline) shares no words with the question.
_DOCUMENT_FACTS = {"date", "author"}



_DEAL_WORDS = re.compile(r"\b(deals?|acqui\w+|mergers?|licen[cs]\w*|buyout|takeover|offer)\b", re.I)


def _holds(kind: str) -> re.Pattern:
    return next(holds for name, _, holds in _ANSWER_TYPES if name == kind)


# The several values one question may ask for at once: "Cambrex High Point: spend and job
# count?", "Selkirk's Spokane plant: cost, size and completion?". Each facet: its words, and what a
# sentence holds to give it (a plant's size: its floor space, its site or its capacity).
_FACETS = [
    ("amount", re.compile(r"\b(capex|capital|cost|costs|spend|spending|invest(s|ed|ing|ment|ments)?|"
                          r"price( tag)?|money|payoff|pay(s|ing|ment|ments)?|how much)\b", re.I),
     _holds("amount")),
    ("jobs", re.compile(r"\b(jobs?|hires|hiring|headcount|employ\w*|staff|workforce)\b", re.I),
     _holds("jobs")),
    ("area", re.compile(r"\b(size|footprint|sq\.? ?ft|square[- ]f(ee|oo)t(age)?|acreage|acres|how big)\b", re.I),
     re.compile(f"{AREA_HOLDS.pattern}|{_holds('volume').pattern}", re.IGNORECASE)),
    ("volume", re.compile(r"\b(capacity|litres?|liters?|bioreactors?|scale|volume)\b", re.I),
     _holds("volume")),
    ("date", re.compile(r"(^|,|\band\b|\+)\s*when\b|\b(timing|completion|completed|"
                        r"operational|timeline|start-up)\b|\bdue\b(?! to| diligence)", re.I),
     _holds("date")),
]


def facets(question: str) -> list[tuple[str, re.Pattern]]:
    """The kinds of value a question asks for in one breath, each with the pattern a sentence
    giving it matches; [] unless it asks for two or more. A deal has no floor space: its "size"
    is not asked as one."""
    deal = bool(_DEAL_WORDS.search(question))
    found = [(kind, holds) for kind, asks, holds in _FACETS
             if asks.search(question) and not (kind == "area" and deal)]
    return found if len(found) >= 2 else []


def answer_type(question: str) -> tuple[str, re.Pattern] | None:
    for name, asks, holds in _ANSWER_TYPES:
        if asks.search(question):
            return name, holds
    return None


@dataclass
class _Question:
    text: str
    weights: dict[str, float]  # content term -> IDF
    anchors: list[Anchor]
    wanted: tuple[str, re.Pattern] | None
    slot: tuple[str, re.Pattern] | None  # the deal term or designation asked about (`slot_of`)
    about_document: bool  # asks for the document's own date or author
    asked: set[str]  # content terms that name what is asked (not anchors, not type words)

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0

    @property
    def names(self) -> list[Anchor]:
        """The anchors that are names ("Fucaso", "FDA", "KT"), not numbers."""
        return [a for a in self.anchors if not a.numeric]

    def coverage(self, vocabulary: set[str]) -> float:
        return sum(w for t, w in self.weights.items() if t in vocabulary) / self.total


_ABOUT_DOCUMENT = re.compile(
    r"\b(who (wrote|authored)|author|written by|byline|published|reported|posted|dated)\b",
    re.IGNORECASE)
# Words that refer to the document itself, not to its subject.
_DOCUMENT_WORDS = frozenset(question_terms(
    "article piece report reported story post posted blog paper document publication published "
    "written wrote write author authored byline dated date job role"))


def analyse(question: str, stats: CorpusStats) -> _Question:
    q_terms = list(dict.fromkeys(question_terms(question)))
    anchors = question_anchors(question)
    wanted = answer_type(question)
    if wanted and wanted[0] == "area" and facets(question):
        wanted = None  # "capex and footprint?": each value from its own sentence (`facets`)
    anchor_terms = {a.term for a in anchors}
    type_words = set(question_terms(" ".join(_type_trigger_words(question, wanted[0])))) if wanted else set()
    about_document = bool(wanted and wanted[0] in _DOCUMENT_FACTS and _ABOUT_DOCUMENT.search(question))
    if about_document:
        # What identifies the document (its title, its subject) is what must match.
        q_terms = [t for t in q_terms if t not in _DOCUMENT_WORDS] or q_terms
    return _Question(
        text=question,
        weights={t: stats.idf(t) for t in q_terms},
        anchors=anchors,
        wanted=wanted,
        slot=slot_of(question),
        about_document=about_document,
        asked={t for t in q_terms if t not in anchor_terms and t not in type_words},
    )


def _type_trigger_words(question: str, kind: str) -> list[str]:
    """The words of the question that made it ask for `kind` ("price", "how much")."""
    # (every pattern of the kind: "amount" has two, and "How much" is the second's)
    return [m.group(0) for name, asks, _ in _ANSWER_TYPES if name == kind for m in asks.finditer(question)]

