"""What shape of answer a question asks for: one fact, a list, a comparison of two things, or a
summary of a document.

- list: "Which companies ...", "List the deals ...", "What designations ...": one cited item per
  entity or document, shown as a list.
- comparison: "Which deal was bigger, A or B?", "Compare A and B", "A vs B", "X's role in each
  document": each side answered from its own sentence, or the side the documents lack named.
- summary: "Summarize this document", "What is this article about?": the document's lead
  sentences.
The shape only decides how sentences are gathered and shown; which sentences hold the answer is
still the sentence model's call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answers.question import answer_type
from assistant.core.text import terms
from assistant.retrieval.anchors import _PHRASING as _PHRASING_WORDS
from assistant.retrieval.anchors import Anchor, question_anchors

_SUMMARY = re.compile(
    r"^\s*(please\s+)?(summari[sz]e|sum up|give (me )?(a |an )?(summary|overview|gist)|"
    r"(what is|what's) (this|the) (document|article|report|piece|story|text) about|tl;?dr|"
    r"(key|main) (points|takeaways) of)\b", re.IGNORECASE)
_COMPARATIVE = re.compile(
    r"\b(bigger|larger|greater|higher|more|smaller|lower|less|fewer|earlier|later|sooner|"
    r"older|newer|first|biggest|largest|highest|most|cheaper|costlier|more expensive|richer|"
    r"poorer|harder|steeper|deeper|faster|slower|stronger|weaker|wider|longer|shorter|heavier|"
    r"pricier|dearer)\b", re.I)
# "Headline value: Novartis–Ratio or Otsuka–Cantargia?", "Which CAR-T reached China first,
# axi-cel or relma-cel?": the question ends by naming the alternatives, after a colon, comma or
# dash (not "Is it approved or not?", one question with no sides before it)
# (the alternatives are not a clause of the question's own: "Under the agreement, will Gilead pay
# royalties or milestones?", "The upfront payment, in cash or stock?"; up to three named ones
# before them: "Which deal was larger, Pfizer-Seagen, Merck-Prometheus or AbbVie-ImmunoGen?")
_ALTERNATIVE = re.compile(
    r"(?:[:,;]|\s[-–]\s)\s*(?P<alt>(?=\S)(?!(?i:is|are|was|were|will|would|does|do|did|has|have|can|could|"
    r"who|what|which|when|where|how|in|for|to|by|at|on|with)\b)"
    r"(?:(?=[^:,;?]*[A-Z0-9])[^:,;?]{2,60}?,\s*){0,3}[^:,;?]{2,60}?,?\s+or\s+[^:,;?]{2,60}?)\s*[?.!]*\s*$")
# a question that itself asks who, when, whether ... of its alternatives is one fact: "Who is the
# CEO of Lonza, A or B?", "Which CDMO is in Raleigh, Fujifilm or Novo?" (without a comparative:
# "Which deal was larger, A or B?" is a comparison)
_ASKS_ONE = re.compile(r"^\s*(who|whom|whose|what|which|when|where|why|how|per|is|are|was|were|does|do|did|has|"
                       r"have|can|could|will|would|under|for|regarding)\b", re.IGNORECASE)
# "longer than expected", "a richer premium than usual": no second side
_NO_SIDE = re.compile(r"\bthan\s+(?:expected|usual|planned|anticipated|forecast|guided|hoped|feared|"
                      r"before|previously|initially)\b", re.IGNORECASE)
_SUPERLATIVE = re.compile(r"\b(biggest|largest|highest|most|smallest|lowest|earliest|latest|"
                          r"cheapest|costliest)\b", re.IGNORECASE)
_COMPARE = re.compile(r"^\s*(compare|contrast)\b|\b(versus|vs\.?|difference between|"
                      r"how (do|does|did) .+ compare|compared (to|with))\b|"
                      # "do BioWorld and Fierce agree on the money?": each source's figure (not
                      # "What break fee did Roche and Ventana agree?": the one fee they agreed)
                      r"(^\W*|[:;–-]\s*|\b(how|where|why)\s+)(do|does|did) .{2,60}\band\b.{2,60}\b"
                      r"(agree|disagree|differ|match)\b",
                      re.IGNORECASE)
# the things a list question asks for
_THINGS = (r"companies|firms|drugs|therapies|products|deals|agreements|cdmos|manufacturers|"
           r"countries|designations|candidates|approvals|sites|plants|facilities|assets|programmes|"
           r"programs|acquisitions|licen[cs]es|collaborations|regulators|agencies|"
           r"indications|events|projects|expansions|investments|rounds|multinationals|CRLs|BTDs|ODDs")
# ... and the roles of one deal's parties, asked with "which" ("Which investors joined the round?"),
# whose names one sentence lists: said as a noun phrase ("viela series a lead investors",
# "Advisors on Novo-Akero?") they are that sentence, not one item per document
_ROLES = r"investors|advisors|advisers|co-leads|lead\s+investors|partners"
_NOUNS = f"({_THINGS})"
_LIST_NOUNS = f"({_THINGS}|{_ROLES})"
_LIST = re.compile(
    # (not the verb's object: "What did the two companies agree?", "Which company bought both
    # sites?", "What share of the deals included royalties?")
    r"^\s*(list|name|enumerate)\b|^\s*(which|what)\s+(?!(?:company|agency|firm|regulator|role|share|"
    r"proportion|percentage|number|portion)\b)((?!(?:did|does|do|is|are|was|were|has|have|had|will|"
    rf"can|of|both)\b)[\w()'’&/-]+\s+){{0,3}}?{_LIST_NOUNS}\b|"
    # "Which of the November 2023 NMPA approvals are class 1 innovative drugs?"
    rf"^\s*which of (the|these|those|its|their)\s+([\w()'’&/.-]+\s+){{0,5}}?{_LIST_NOUNS}\b|"
    # said as a noun phrase: "Advisors on Novo-Akero?", "Thermo's other viral vector sites
    # besides Plainville", "Licensing deals that week with undisclosed terms?"
    r"^\s*(?!(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|has|have|"
    r"had|can|could|will|would|should|compare|rank|number|count|total|combined|aggregate|sum|share|"
    rf"proportion|cost|value|size)\b)((?!of\b)[\w.&'’/-]+\s+){{0,4}}?{_NOUNS}"
    r"(\s+(in|on|of|for|at|from|that|besides|here|covered|listed|across|with|tied|being|to)\b|\s*[?]?\s*$)|"
    r"\b(all the|each of|every)\b|"
    # "What did the FDA approve in the week ended Dec. 14?": everything it approved then (not
    # "What did the FDA approve Keytruda for?", which names the one product)
    r"^\s*what\s+(did|has|have|does|do)\s+(the\s+)?(U\.?S\.?\s+)?(FDA|EMA|NMPA|MHRA|PMDA|CHMP|EC|"
    r"European\s+Commission|Health\s+Canada|agency|agencies|regulators?)\s+(approve|clear|designate|"
    r"reject|grant|recommend|accept)\w*\s*(\?|$|(in|on|during|over|between|last|this|that|since|"
    r"from)\b)", re.IGNORECASE)
# Where one side ends and the other begins: "A or B", "A and B", "A vs B", "larger than B".
_SPLIT = re.compile(r"\s+(?:or|and|vs\.?|versus|with|to|than|among|between)\s+|[,;:]\s*(?:or|and)?\s*|"
                    r"\s+(?:was|were|is|are)\s+(?:\w+\s+)?(?=\w+er\b|more\b|less\b)", re.IGNORECASE)
# One item per document: "in each article", "across these stories", "Where does BMS show up?"
_DOCS = r"(documents?|docs?|articles?|stories|story|pieces?|reports?|texts?|set|sources?|items?|pages?|files?)"
# Many documents, as a question names them ("these articles", "the docs").
_MANY_DOCS = r"(documents|docs|articles|stories|pieces|reports|pages|sources)"
_EACH = re.compile(r"\bin each (document|article|story|piece|deal|case)\b|"
                   # "Which documents involve Eli Lilly, and in what role?"
                   rf"^\s*(which|what) {_MANY_DOCS} (involve|mention|report|cover|feature|name|discuss|"
                   r"include|describe)\b|"
                   rf"\b(across|throughout|in all( of)?|over) (these|the|this|those|all( the)?) {_DOCS}\b|"
                   r"\bwhere (does|do|did) .{2,60}? (show up|appear|feature|come up|figure)\b|"
                   # "What do these documents report about AstraZeneca?": what each one says
                   rf"\bwhat (do|does|did) (these|those|the|all( the)?) {_MANY_DOCS} "
                   r"(say|report|mention|tell|cover|show)\b|"
                   # "Aldevron comes up twice in these docs", "Gilead turns up in two of the stories"
                   r"\b(turns?|comes?|shows?) up (in )?(twice|two|both|several)\b|"
                   r"\bappears? (twice|in (two|both|several))\b",
                   re.IGNORECASE)
# "Which roles is Pfizer hiring for?", "Which execs are quoted?", "What buildings make up the
# project?": a plural noun the question asks for, then its verb or preposition (not "Which study
# supports ...", one thing). A question asking for a value ("What royalty rates will X earn?",
# `question.answer_type`) is one fact, however it is worded.
_PLURAL_HEAD = re.compile(
    r"^\s*(?i:which|what)\s+(?!(?i:is|are|was|were|does|do|did|has|have|will|can)\b)(?:[\w&/-]+\s+){0,3}?(?P<noun>[a-z][a-z-]*[^\Wsiu])s\s+(?i:did|does|do|are|were|"
    r"is|was|have|has|had|will|would|can|could|make|made|mention\w*|appear\w*|got|get|in|on|of|for|at|"
    r"from|that|besides)\b")
# (verbs and singular nouns a plural's shape fits: "What accounts for ...", "What sales did ...")
_NOT_PLURAL = frozenset("new seri thi it wa ha doe payment account happen remain stand matter specie "
                        "sale term right".split())
# "in these articles", "across the plant stories", "in the set": where the question looks
_IN_SET = (r"(in|across|from|among|throughout) (these|those|the|this|all( of)?( the)?)"
           rf"( \w+)? ({_MANY_DOCS}|set)")
_SCOPE = re.compile(rf"^\s*{_IN_SET}\s*,\s*", re.IGNORECASE)  # ... said first, then the question
_PLURAL_ASK = re.compile(r"^\s*(which|what)\s+(?:[\w&/-]+\s+){0,4}?[a-z][\w-]*[^\W_siu]s\b", re.IGNORECASE)
_ONE_FACT = re.compile(r"^\s*(who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|has|have|"
                       r"can|could|will|would)\b", re.IGNORECASE)
# A question about everything a set of documents holds: "Which gene and cell therapies in these
# articles won an approval?", "What North Carolina investments are in the set?", "Mass. site
# projects covered across the plant stories?" (the plural, or "the set", is many documents).
_SET = re.compile(rf"\b{_IN_SET}\b", re.IGNORECASE)


@dataclass
class Shape:
    kind: str  # "single" | "list" | "comparison" | "summary"
    sides: list[list[Anchor]] = field(default_factory=list)  # comparison: each side's names
    labels: list[str] = field(default_factory=list)  # comparison: each side as the question says it
    per_document: bool = False  # "in each document": one item per document


def shape_of(question: str) -> Shape:
    if _SUMMARY.search(question):
        return Shape("summary")
    if _EACH.search(question):
        return Shape("list", per_document=True)
    joined = _NO_SIDE.sub(" ", question)
    comparative = bool(_COMPARATIVE.search(question)) and (re.search(
        r"\b(or|vs\.?|versus|than|among|between)\b", joined, re.IGNORECASE) or
        # "largest capex: BeiGene Hopewell, Abzena Sanford, Biogen RTP?"
        _SUPERLATIVE.search(question) and question.count(",") >= 1 and
        re.search(r",.*\band\b|,.*,", question))
    alternatives = bool(_ALTERNATIVE.search(question)) and not _ASKS_ONE.match(question)
    # (a reason is one fact: "Why did the FDA take longer to approve Leqembi than Kisunla?")
    why = re.match(r"\s*why\b", question, re.IGNORECASE)
    if not why and (comparative or _COMPARE.search(question) or alternatives):
        sides, labels = _sides(question)
        if len(sides) >= 2:
            return Shape("comparison", sides=sides, labels=labels)
    if _LIST.search(question):
        return Shape("list")
    # (a question that only says where to look, "In these articles, when did the FDA approve X?",
    # "From these stories, who is Lonza's CEO?", is one fact)
    # (... unless it asks for several things and a value of each: "Which sites are being built
    # in these articles, and with how much money?")
    scoped = _SCOPE.sub("", question)
    valued = answer_type(question) is not None
    if _SET.search(question) and not _ONE_FACT.match(scoped) and (not valued or _PLURAL_ASK.match(scoped)):
        return Shape("list")
    plural = _PLURAL_HEAD.match(question)
    if plural and plural.group("noun") not in _NOT_PLURAL and not valued:
        return Shape("list")
    return Shape("single")


_JOINED = re.compile(r"\s(?:or|and|vs\.?|versus|than|among|between)\s|,", re.IGNORECASE)


def _sides(question: str) -> tuple[list[list[Anchor]], list[str]]:
    """The things compared: the question's names, split where the question joins them. Of a
    question in parts ("Capex: A vs B?", "A vs B: bigger upfront?"), the part that joins them;
    the other says what is compared."""
    alternative = _ALTERNATIVE.search(question)
    text = alternative.group("alt") if alternative else question.strip().rstrip("?.! ")
    segments = re.split(r":|\s[-–]\s", text)
    joined = [seg for seg in segments if _JOINED.search(f" {seg} ")]
    if len(segments) > 1 and len(joined) == 1:
        text = joined[0]
    sides, labels = [], []
    parts = _SPLIT.split(text)
    named = [question_anchors(f"x {part}") for part in parts]
    # (a side in lower case among named ones is no side, "What NfL drop vs placebo?"; sides all
    # in lower case are, when joined by "vs" or when the question ends by naming them)
    spelled = alternative is not None or not any(named) and bool(
        re.search(r"\s(vs\.?|versus)\s", f" {text} ", re.IGNORECASE))
    for part, names in zip(parts, named):
        names = names or (_words(part, len(parts)) if spelled else [])
        if names:
            sides.append(names)
            labels.append(part.strip(" ,;:"))
    return sides, labels


def _words(part: str, n_parts: int) -> list[Anchor]:
    """A side written in lower case ("bayer/algeta vs merck/arqule", "axi-cel or relma-cel")
    names nothing `question_anchors` sees: its words are its names, when it is a short phrase
    among a few (not a question's whole clause)."""
    if _ONE_FACT.match(part) or re.match(r"\s*(what|which)\b", part, re.IGNORECASE):
        return []  # the question's own clause ("What was the response rate vs placebo?")
    words = [w for w in re.findall(r"[\w][\w&.-]*", part) if w.lower() not in _PHRASING_WORDS]
    if not 2 <= n_parts <= 4 or not 1 <= len(words) <= 4:
        return []
    return [Anchor(term=t, surface=w, numeric=any(ch.isdigit() for ch in w))
            for w in words for t in terms(w)[:1]]
