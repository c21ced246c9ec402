"""The amounts of a deal: which sum in a sentence is the upfront payment, the milestones or the
total, by the words around it ("$85 million upfront and up to $1.02 billion in development,
regulatory and commercial milestones"), and an absurd amount is not believed."""

from __future__ import annotations

import re

from assistant.core.money import Money, find_money
from ingest.records import patterns as P
from ingest.records.document import Draft, Sentence

MAX_DEAL_USD = 500e9  # no biopharma deal has come near this: a larger amount is not believed


_AFTER_END = re.compile(r"[;:(]|,\s+(?:bringing|plus|with|which|while|taking|and|as|in\s+addition|"
                        r"subject|payable\s+(?:on|in)\s+\w+\s+\w+\s+of)\b|\s+(?:plus|as\s+well\s+as)\s",
                        re.I)


_CUMULATIVE = re.compile(r"\b(?:bring|brings|bringing|brought|tak(?:e|es|ing)|took)\b[^.;$€£]{0,100}\btotal\b"
                         r"[^.;$€£]{0,80}\bto\s+(?:over\s+|more\s+than\s+|about\s+|around\s+|nearly\s+)?$|"
                         r"\b(?:total|cumulative)\s+(?:capital|funding|financing|investment)\s+(?:raised\s+)?"
                         r"(?:to\s+date\s+)?(?:of|is|stands\s+at|to)\s+(?:over\s+|more\s+than\s+|about\s+)?$", re.I)


# an amount due when something happens: "an additional $75 million if the EMA approves it"
_CONTINGENT = re.compile(r"\s+(?:if|once|when|upon|on)\s+(?:the\s+)?(?:[\w-]+\s+){0,5}?(?:approv|achiev|reach|"
                         r"meet|hit|succe)", re.I)


def _money_role(text: str, money: Money, masked_deal: bool, lo: int = 0,
                hi: int | None = None) -> str | None:
    """upfront / milestones / total for an amount, by the words around it; None when the amount
    is not the deal's (a share price, a market size). `lo`/`hi`: where the amounts before and
    after it end and start, so that "$85 million upfront and up to $1.02 billion in development,
    regulatory and commercial milestones" gives each amount its own words."""
    hi = len(text) if hi is None else hi
    before = text[max(lo, money.start - 70):money.start]
    after = text[money.end:min(hi, money.end + 90)]
    near = before[-45:] + " " + after[:45]
    if re.match(r"\s*(?:a|per|each)\s+share\b|\s*each\b|\s*(?:in\s+)?(?:revenue|sales)\b", after,
                re.I) or re.search(r"\b(?:share\s+price|shares\s+rose|market|revenues?|premium|"
                                   r"sales(?![\s-]+(?:based\s+)?milestones?))\W+(?:\w+\W+){0,3}$",
                                   before[-40:], re.I) or \
            re.search(r"\bmarket\b", after[:25], re.I):
        return None
    if _CUMULATIVE.search(text[max(lo, money.start - 160):money.start]):
        return None  # "which brings its total capital raised since 2016 to over US$ 100m": all rounds
    clause_after = _AFTER_END.split(after, maxsplit=1)[0]
    if re.match(r"\s*(?:in|of)\s+(?:total|aggregate)\b|\s*(?:in\s+)?total\b", clause_after, re.I):
        return "total"
    if re.match(r"\s*in\s+up[\s-]?front\s+(?:\w+\s+){0,2}(?:and|plus)\s+(?:\w+\s+){0,2}?"
                r"milestone", after, re.I):  # "$425M in up-front fees and development milestone
        return "total"                        # payments": both together
    if re.match(r"\s*(?:in\s+)?up[\s-]?front\b", after, re.I):  # "$7.1 billion upfront payment and
        return "upfront"                                       # a milestone payment of $150M"
    if P.MILESTONE.search(clause_after) or P.MILESTONE.search(before[-45:]) or _CONTINGENT.match(after):
        return "milestones"
    if P.UPFRONT.search(clause_after[:40]) or P.UPFRONT.search(before[-30:]):
        return "upfront"
    if P.TOTAL.search(before[-45:]) or re.search(r"\bvaluing\b[^.;$€£]{0,40}$", before, re.I) or \
            money.qualifier == "up to" and re.search(r"\bdeal|agreement|worth", near, re.I):
        return "total"
    if re.match(r"\s*(?:all-cash\s+|cash\s+|stock\s+|all-stock\s+)?(?:acquisition|takeover|buyout|"
                r"purchase|merger|transaction)\s+of\b|"
                r"\s*(?:all-cash\s+|cash\s+|takeover\s+|tender\s+|buyout\s+)?(?:offer|bid)\s+(?:to\s+(?:buy|acquire)|for)\b|\s*(?:[\w-]+\s+){0,2}?(?:deal|agreement|pact|transaction)\b",
                after, re.I):
        return "total"  # "its $74 billion acquisition of Celgene"
    if re.search(r"\bfor\s+(?:an?\s+|about\s+|approximately\s+|around\s+|~|up\s+to\s+|as\s+much\s+as\s+)?$",
                 before, re.I):
        return "price"  # "acquire X for $Y": the total, or the upfront part when milestones follow
    if re.search(r"\b(?:paid|pays|pay|paying)\s+(?:about\s+|approximately\s+|around\s+|up\s+to\s+)?$", before, re.I) \
            and re.match(r"\s+(?:in\s+cash\s+)?for\b", after, re.I):
        return "price"  # "Novartis paid USD2.2 billion for the exclusive rights to ...": what it cost
    if re.match(r"\s*(?:\w+\s+){0,2}?(?:Series\s+[A-F]\d?\s+)?(?:(?:preferred\s+)?(?:stock|share)\s+)?"
                r"(?:financing|funding\s+round|round|private\s+placement|equity\s+investment|investment|"
                r"offering)\b|\s*(?:of\s+)?(?:new\s+)?funding\b", after, re.I):
        return "total"  # "a $120 million Series C financing", "$21M of new funding"
    if re.search(r"\b(?:raised|raises|raising|invested|invests|financing\s+of|closed|closes|obtained|bagged|"
                 r"secured\s+(?:a\s+)?"
                 r"(?:further\s+)?)\s+(?:an?\s+)?(?:about\s+|"
                 r"approximately\s+|around\s+|over\s+|more\s+than\s+)?$", before, re.I):
        return "total"
    if re.search(r"\bpay\w*\s+(?:about\s+|approximately\s+|around\s+)?$", before, re.I):
        return "upfront"
    return "total" if masked_deal and re.search(r"\bworth|\bvalue", near, re.I) else None


def add_money(draft: Draft, sent: Sentence, is_deal_sentence: bool) -> None:
    amounts = [m for m in find_money(sent.text) if m.usd is None or m.usd >= 1e5]
    # "(around $1.39 billion)": a conversion of the amount before it, not another payment
    kept: list[Money] = []
    for m in amounts:
        if kept and re.fullmatch(r"\s*\(\s*(?:around|about|approximately|or|roughly|~)?\s*",
                                 sent.text[kept[-1].end:m.start]):
            continue
        kept.append(m)
    roles: dict[str, list[Money]] = {}
    for i, m in enumerate(kept):
        if m.usd is not None and m.usd > MAX_DEAL_USD:
            continue  # absurd ("$1.2 trillion upfront" in a forum post): dropped, never guessed
        lo = kept[i - 1].end if i else 0
        hi = kept[i + 1].start if i + 1 < len(kept) else None
        role = _money_role(sent.text, m, is_deal_sentence, lo, hi)
        if role:
            roles.setdefault(role, []).append(m)
    if "price" in roles:
        price = roles.pop("price")
        role = "upfront" if "milestones" in roles and "upfront" not in roles else "total"
        roles.setdefault(role, price)
    for role, ms in roles.items():
        if role in draft.cells:
            continue
        same = {m.currency for m in ms}
        if len(same) != 1:
            continue
        value = sum(m.value for m in ms) if role == "milestones" else ms[0].value
        extra = {"currency": ms[0].currency}
        if ms[0].qualifier and len(ms) == 1:
            extra["qualifier"] = ms[0].qualifier
        draft.put(role, value, sent, **extra)
