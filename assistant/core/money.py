"""Money amounts as written in trade-press text: "$1.2 billion", "$2bn", "EUR 1.15 billion",
"CHF 850 million", "100 billion yen", "KRW 2 trillion", "~$3.3B", "$425m".

Each amount is a plain number in units with an ISO currency code. What is not an amount of
money is not returned: per-share prices ("$38.25 per share"), per-patient prices, percentages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SYMBOLS = {
    "us$": "USD", "u.s.$": "USD", "$": "USD", "usd": "USD", "c$": "CAD", "cad": "CAD",
    "a$": "AUD", "aud": "AUD", "hk$": "HKD", "hkd": "HKD", "s$": "SGD", "sgd": "SGD",
    "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "chf": "CHF", "sfr": "CHF",
    "¥": "JPY", "jpy": "JPY", "rmb": "CNY", "cny": "CNY", "₩": "KRW", "krw": "KRW",
    "inr": "INR", "rs": "INR", "₹": "INR", "dkk": "DKK", "sek": "SEK", "nok": "NOK",
}
_WORDS = {
    "dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR", "pounds": "GBP",
    "swiss francs": "CHF", "francs": "CHF", "yen": "JPY", "yuan": "CNY", "renminbi": "CNY",
    "won": "KRW", "rupees": "INR", "crowns": "DKK", "kroner": "DKK", "kronor": "SEK",
}
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
    "mm": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9, "bln": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12, "crore": 1e7, "lakh": 1e5,
}
# Approximate rates to US dollars, used only to filter and sort by size (`usd`), never shown as a
# cell's value; a document that states the dollar amount beside the figure is used instead.
USD_RATES = {
    "USD": 1.0, "EUR": 1.1, "GBP": 1.27, "CHF": 1.12, "JPY": 0.0068, "CNY": 0.14, "KRW": 0.00074,
    "INR": 0.012, "DKK": 0.147, "SEK": 0.095, "NOK": 0.093, "CAD": 0.73, "AUD": 0.66,
    "HKD": 0.128, "SGD": 0.74,
}

# "380 million Danish kroner", "2 billion Canadian dollars": the country says which currency
_NATIONAL = {"danish kroner": "DKK", "danish krone": "DKK", "swedish kronor": "SEK", "norwegian kroner": "NOK",
             "norwegian krone": "NOK", "canadian dollars": "CAD", "australian dollars": "AUD",
             "hong kong dollars": "HKD", "singapore dollars": "SGD", "japanese yen": "JPY",
             "chinese yuan": "CNY", "indian rupees": "INR", "south korean won": "KRW", "korean won": "KRW",
             "british pounds": "GBP"}
_NATIONAL_WORDS = sorted({k.rsplit(" ", 1)[0] for k in _NATIONAL}, key=len, reverse=True)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"trillion|billions?|millions?|thousand|crore|lakh|bn|bln|mn|mln|tn|mm|m|b|k"
_PREFIX = re.compile(
    rf"(?P<cur>US\$|U\.S\.\$|C\$|A\$|HK\$|S\$|\$|€|£|¥|₩|₹|\b(?:USD|EUR|GBP|CHF|SFr|JPY|RMB|CNY|KRW"
    rf"|INR|Rs\.?|DKK|SEK|NOK|CAD|AUD|HKD|SGD)(?![A-Za-z])\.?)\s?(?P<num>{_NUM})"  # "USD2.9 billion" too
    rf"(?:\s?(?P<scale>{_SCALE})\b)?", re.I)
_SUFFIX = re.compile(
    rf"(?P<num>{_NUM})\s?(?P<scale>{_SCALE})?\s(?P<cur>(?:(?:US|Swiss|{'|'.join(_NATIONAL_WORDS)}) )?"
    rf"(?:dollars?|euros?|pounds|francs|yen|yuan|renminbi|won|rupees|kroner|kronor|krone))\b", re.I)
_AFTER_CODE = re.compile(rf"(?P<num>{_NUM})\s?(?P<scale>{_SCALE})?\s(?P<cur>USD|EUR|GBP|CHF|JPY|CNY|"
                         rf"RMB|KRW|INR|DKK|SEK|NOK|CAD|AUD|HKD)\b")
_PER = re.compile(r"^\s*(?:a|per)\s+(?:[A-Z][\w&.-]*\s+)?(?:share|patient|dose|unit|vial|year|month|treatment|course)\b"
                  r"|^\s*/\s*(?:share|patient|dose)", re.I)
_QUALIFIER = re.compile(r"(up to(?: a(?: further)?)?|more than|over|about|approximately|around|"
                        r"nearly|roughly|almost|at least|some|~|≈)\s*$", re.I)


@dataclass(frozen=True)
class Money:
    value: float  # in units of `currency`
    currency: str
    start: int
    end: int
    text: str
    qualifier: str = ""  # "up to", "about", "over", ... as written before the amount

    @property
    def usd(self) -> float | None:
        rate = USD_RATES.get(self.currency)
        return None if rate is None else self.value * rate


def _number(num: str, scale: str | None) -> float:
    value = float(num.replace(",", ""))
    if scale:
        s = scale.lower()
        if s == "m" and value >= 1000 and "," in num:  # "$1,000m" is still millions
            pass
        value *= _SCALES[s]
    return value


def _currency(raw: str) -> str | None:
    raw = raw.strip().rstrip(".").lower()
    if raw in _NATIONAL:
        return _NATIONAL[raw]
    raw = re.sub(r"^(us|swiss) ", "", raw) if raw not in ("swiss francs",) else raw
    return _SYMBOLS.get(raw) or _WORDS.get(raw) or _WORDS.get(raw.rstrip("s"))


def find_money(text: str) -> list[Money]:
    """Amounts of money in `text`, in order, without overlaps."""
    found: list[Money] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_PREFIX, _SUFFIX, _AFTER_CODE):
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            if any(a < end and start < b for a, b in taken):
                continue
            scale = m.group("scale")
            # "$5 m" is fine, "$5 men" is not; a bare "m"/"b"/"k" must end the word.
            if scale and scale.lower() in ("m", "b", "k") and end < len(text) and \
                    text[end:end + 1].isalpha():
                continue
            if _PER.match(text[end:]):
                continue
            if end < len(text) and text[end] == "%":
                continue
            cur = _currency(m.group("cur"))
            if cur is None:
                continue
            try:
                value = _number(m.group("num"), scale)
            except (ValueError, KeyError):
                continue
            if value <= 0:
                continue
            q = _QUALIFIER.search(text[max(0, start - 30):start])
            qualifier = (q.group(1).lower() if q else "")
            if qualifier.startswith("up to"):
                qualifier = "up to"
            found.append(Money(value, cur, start, end, text[start:end], qualifier))
            taken.append((start, end))
    return sorted(found, key=lambda x: x.start)


def same_amount(a: float, b: float, tolerance: float = 0.01) -> bool:
    """Equal within `tolerance` (relative)."""
    if a == b:
        return True
    return abs(a - b) <= tolerance * max(abs(a), abs(b))
