"""Deal records: who bought, licensed, invested in or teamed up with whom, and for how much.

A sentence is read with its company names replaced by placeholders (⟦0⟧, ⟦1⟧, ...), and the
deal patterns (`ingest.records.deal_rules`) are matched on that: "⟦0⟧ has agreed to buy ⟦1⟧", "⟦1⟧ was acquired by ⟦0⟧",
"⟦0⟧'s acquisition of ⟦1⟧", "⟦0⟧ entered into a licensing agreement ... with ⟦1⟧", "the
collaboration between ⟦0⟧ and ⟦1⟧", "⟦1⟧ raised $X from ⟦0⟧ and ⟦2⟧". The acquirer, licensee or
investor comes first. Money in the deal's sentence, and in the sentences right after it that
talk about its terms ("Bayer will pay $2bn upfront."), fills `upfront`, `milestones` and `total`
by the words around each amount.
"""

from __future__ import annotations

import re

from assistant.core.money import find_money
from ingest.loading import TABLE_ROW
from ingest.records import deal_rules as R
from ingest.records import patterns as P
from ingest.records.deal_money import MAX_DEAL_USD, add_money
from ingest.records.deal_parse import parse_deal
from ingest.records.deal_rows import pipe_deals, row_deals
from ingest.records.document import Document, Draft, Mention, Sentence
from ingest.records.events import event_date
from ingest.records.grounding import named


def _masked(text: str, mentions: list[Mention]) -> str:
    out, pos = [], 0
    for i, m in enumerate(mentions):
        out.append(text[pos:m.start])
        out.append(f"⟦{i}⟧")
        pos = m.end
    out.append(text[pos:])
    # "GlaxoSmithKline (GSK)": one company named twice
    masked = re.sub(r"(⟦\d+⟧)\s*\(⟦\d+⟧\)", r"\1", "".join(out))
    # "Hyperion Therapeutics (Nasdaq: HPTX)", "Merck & Co (NYSE: MRK)": a listing, not a party
    masked = _TICKER.sub("", masked)
    # "Merck said on Sunday it has entered into ...": the company's own words are its act
    return _SAID_IT.sub(r"\1 ", masked)


_TICKER = re.compile(r"\s*\((?:⟦\d+⟧|[A-Z][A-Za-z]{1,10})\s*:\s*[^()⟦⟧]{1,20}\)")
_SAID_IT = re.compile(r"(⟦\d+⟧)\s+(?:(?:on\s+)?\w+day\s+)?(?:said|says|announced)\s+(?:(?:on\s+)?\w+day\s+|today\s+|"
                      r"this\s+week\s+)?(?:that\s+)?(?:it|the\s+company)\s+", re.I)


def _kind_of_noun(words: str) -> str | None:
    for kind, rx in R.NOUN_KIND:
        if re.search(rx, words, re.I):
            return kind
    return None


def _parse(sent: Sentence, doc: Document, context: list[Mention]) -> tuple[str, list[Mention],
                                                                         str | None] | None:
    """(kind, parties in order, asset) of the deal a sentence states, if any: the patterns, then
    (when they find none) spaCy's parse."""
    parsed = _parse_patterns(sent, doc, context) or parse_deal(sent, doc, context)
    if parsed and any(P.is_country(p.name) for p in parsed[1]):
        return None  # "acquire fellow USA-based Tanox": a country is no party
    return parsed


def _parse_patterns(sent: Sentence, doc: Document, context: list[Mention]
                    ) -> tuple[str, list[Mention], str | None] | None:
    mentions = doc.companies(sent)
    masked = _PLACE_APPOSITIVE.sub(r"\g<c>", _masked(sent.text, mentions))
    m = R.RAISED.search(masked)
    if m is None and context:
        m2 = R.RAISED_ANAPHOR.search(masked)
        if m2:
            investors = [mentions[int(i)] for i in re.findall(r"⟦(\d+)⟧", m2.group("investors"))]
            return "investment", investors + [context[0]], None
    if m:
        investors = [mentions[int(i)] for i in re.findall(r"⟦(\d+)⟧", m.group("investors"))]
        return "investment", investors + [mentions[int(m.group("b"))]], None
    f = R.FINANCING.search(masked)
    subj = R.FINANCING_SUBJECT.search(masked[:f.start()]) if f else None
    if f and subj:
        investors = [mentions[int(i)] for i in re.findall(r"⟦(\d+)⟧", f.group("investors"))]
        company = mentions[int(subj.group("b"))] if subj.group("b") else (
            context[0] if context else None)
        if company is not None and all(company.canonical != i.canonical for i in investors):
            return "investment", investors + [company], None
    m = R.ROYALTY.search(masked)
    if m and mentions[int(m.group("a"))].canonical != mentions[int(m.group("b"))].canonical:
        return "royalty", [mentions[int(m.group("a"))], mentions[int(m.group("b"))]], None
    found = _by_rules(sent, masked, mentions)
    if found is None:
        # "Thermo Fisher became a powerhouse ... in 2017, when it bought Patheon", "It moved into
        # gene therapy last year by acquiring Brammer Bio" (after a sentence on Thermo Fisher):
        # "it" is the company named before it in the sentence, or else the one just named
        it = _PRONOUN.search(masked)
        # (the sentence's subject only: not "... for Loxo, and early this year it paid $1.1
        # billion for Dermira", nor "Unlike rival Tavrin Bio, it signed ...")
        before = re.findall(r"^(?:(?:Meanwhile|Separately|Also|However|Earlier|Later|Then),?\s+)?⟦(\d+)⟧",
                            masked[:it.start()]) if it else []
        # (the company just named only when the sentence before named one company)
        ref = mentions[int(before[0])] if before else context[0] if it and context and \
            len({m.canonical for m in context}) == 1 else None
        if ref is not None:
            found = _by_rules(sent, f"{masked[:it.start()]}⟦{len(mentions)}⟧{masked[it.end():]}",
                              mentions + [ref], kinds=("acquisition", "license", None))
            a, b = found[1][:2] if found else (None, None)
            if found and (a is not ref or a.canonical == b.canonical and (a.text in b.text or b.text in a.text)):
                found = None  # "it" must be the buyer or licensee, and not the other party itself
    return found or _round(masked, mentions)


# a company referred to as "it" as the subject of a deal verb: the verb right after it ("it bought",
# "it had also agreed to buy"), or a purchase by which it did something ("It moved into gene therapy
# by acquiring ...")
_VERB = rf"(?:{R.ACQ_VERB}|paid|pays|licen[cs]ed|landed|signed|struck|inked)"
_PRONOUN = re.compile(rf"(?:^|(?<=\s))(?:it|It|[Tt]he\s+(?:[\w-]+\s+){{0,2}}?(?:company|giant|drugmaker|biotech))"
                      rf"(?=\s+(?:(?:has|had|have|also|then|later|recently|already|itself|agreed\s+to|will|"
                      rf"announced\s+plans\s+to|plans\s+to|is\s+set\s+to|\w+ly)\s+){{0,3}}{_VERB}\b|[^.;⟦⟧]{{0,80}}\bby\s+(?:acquiring|buying|purchasing)\b)")


def _by_rules(sent: Sentence, masked: str, mentions: list[Mention],
              kinds: tuple[str, ...] | None = None) -> tuple[str, list[Mention], str | None] | None:
    """The first of `deal_rules.RULES` that matches the masked sentence (of `kinds` only, if given)."""
    for kind, how, rx in R.RULES:
        if kinds and kind not in kinds:
            continue
        m = rx.search(masked)
        if not m:
            continue
        a, b = mentions[int(m.group("a"))], mentions[int(m.group("b"))]
        if a.canonical == b.canonical and a.text == b.text:
            continue
        groups = m.groupdict()
        if how == "noun":
            kind = _kind_of_noun(groups.get("mid") or "") or _kind_of_noun(sent.text)
            if kind is None:
                continue
        mid = groups.get("mid") or ""
        if kind == "acquisition" and R.STAKE.search(mid + " " + (groups.get("asset") or "")):
            kind = "investment"
        elif kind == "acquisition" and re.search(r"\bmerger\b", sent.text, re.I) and \
                not re.search(R.ACQ_VERB, sent.text, re.I):
            kind = "merger"
        if kind == "acquisition" and R.RIGHTS.match(groups.get("asset") or mid):
            kind = "license"  # "B has acquired global rights ... from A": rights, not a company
        asset = _asset(groups.get("asset"), how)
        if asset is None and kind in ("license", "collaboration", "option", "acquisition"):
            after = masked[m.end():m.end() + 60]
            code = re.match(rf"\s*(?:,\s*)?(?:for|on|covering|to\s+develop)\s+(?:its\s+|the\s+)?"
                            rf"(?P<asset>{_PRODUCT})(?=[\s,.;)]|$)", after)
            if code and code.group("asset") in sent.text:
                asset = code.group("asset")
        return kind, [a, b], asset
    return None


def _round(masked: str, mentions: list[Mention]) -> tuple[str, list[Mention], None] | None:
    """A round a company raised: alone when the sentence names no other company, else with the
    investors a later clause lists ("...; the investors were A, B and C")."""
    m = R.RAISED_ALONE.search(masked)
    if m and len({x.canonical for x in mentions}) == 1:  # no other company: no investor named
        return "investment", [mentions[int(m.group("b"))]], None
    were = R.INVESTORS_WERE.search(masked, m.end()) if m else None
    if were:
        company = mentions[int(m.group("b"))]
        investors = [mentions[int(i)] for i in re.findall(r"⟦(\d+)⟧", were.group("investors"))]
        if all(company.canonical != i.canonical for i in investors):
            return "investment", investors + [company], None
    return None


# "Quenby Inc., of Cambridge, Mass., licensed ...": where a company is, between commas, is read past
_PLACE_APPOSITIVE = re.compile(r"(?P<c>⟦\d+⟧),\s+of\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
                               r"(?:,\s+(?:the\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}){0,2},")
_PRODUCT = r"[A-Z]{1,6}[-‐]?\d{2,6}[A-Za-z]?|[a-z]{4,}(?:mab|cept|cel|gene|tinib|stat|tide|siran|rsen|vec)"


def _asset(raw: str | None, how: str | None) -> str | None:
    if not raw:
        return None
    words = raw.strip()
    head = re.match(rf"(?:(?:the\s+)?(?:worldwide|global|exclusive|ex-\w+|US|U\.S\.)\s+)*"
                    rf"(?:rights\s+to\s+|rights\s+for\s+)?(?P<code>{_PRODUCT}),", words)
    if head:  # "worldwide rights to NRO-417, an oral GLP-1 receptor agonist ...": the drug
        return head.group("code")
    if "," in words and how != "from":
        words = words.split(",")[0]
    words = re.sub(r"^(?:the|its|an?|all|global|exclusive|worldwide)\s+", "", words, flags=re.I)
    words = re.sub(r"\s+(?:of|for)$", "", words).strip(" ,")
    if how == "from" and not re.search(r"\b(?:facility|plant|site|rights|portfolio|business|"
                                       r"unit|program|programme|asset|stake)\b", words, re.I):
        return None
    if len(words) < 3 or R.STAKE.search(words) or re.fullmatch(r"shares?.*", words, re.I) or \
            re.search(r"\bstake$", words, re.I):
        return None
    return words


def _table_rows(doc: Document) -> tuple[list[Draft], set[int], set[int]]:
    """The deals of the document's tables, the sentences they were read from, and the elements
    not to read as sentences: a table row that gave a deal is read by its columns, its headers
    ("Licensor acquired / licensee acquirer: X/Y") are not a sentence's words, and so is every
    row of a table that gave deals (a row the columns could not read is no sentence either)."""
    rows = row_deals(doc, lambda draft, cell: add_money(draft, cell, True)) + pipe_deals(doc)
    row_sentences = {r.first for r in rows}
    row_elements = {i for i, e in enumerate(doc.elements) if e.category == TABLE_ROW} if any(
        doc.elements[doc.sentences[i].element].category == TABLE_ROW
        for i in row_sentences if i < len(doc.sentences)) else set()
    return rows, row_sentences, row_elements


def _merge_rows(deals: list[Draft], rows: list[Draft]) -> None:
    """A table's deal joins the text's deal of the same companies (the text's cells first)."""
    for row in rows:
        same = next((d for d in deals if _same_parties(d.key, row.key)), None)
        if same is None:
            deals.append(row)
        else:
            for name, c in row.cells.items():
                same.cells.setdefault(name, c)


def extract_deals(doc: Document) -> list[Draft]:
    deals: list[Draft] = []
    current: Draft | None = None
    current_at = -10
    context: list[Mention] = []
    context_sent: Sentence | None = None
    rows, row_sentences, row_elements = _table_rows(doc)
    for sent in doc.sentences:
        if sent.index in row_sentences or sent.element in row_elements:
            continue
        mentions = doc.companies(sent)
        parsed = _parse(sent, doc, context) if (mentions or context) else None
        quote_sent = sent
        if parsed and context_sent is not None and any(p in context for p in parsed[1]) and \
                context_sent.element == sent.element:
            # "AskBio had been preparing an IPO ... Last year the company raised $225 million
            # from TPG Capital and Vida Ventures": both sentences are the quote
            quote_sent = Sentence(doc.texts[sent.element][context_sent.start:sent.start +
                                                          len(sent.text)],
                                  sent.element, context_sent.start, sent.page, sent.index,
                                  sent.title, sent.lead)
        if mentions:
            context, context_sent = mentions, sent
        if not parsed and not sent.title:
            _slash_pairs(doc, sent, deals)
        _its_deal(doc, sent, mentions, deals)
        if parsed:
            kind, parties, asset = parsed
            key = frozenset(p.canonical for p in parties)
            draft = next((d for d in deals if d.key == key), None)
            if draft is None:
                draft = Draft("deal", first=sent.index, key=key)
                deals.append(draft)
            text = quote_sent.text
            names = [p.name for p in parties]
            if all(named(n, text) for n in names):
                draft.put("parties", names, quote_sent)
                draft.put("kind", kind, quote_sent)
            draft.put("asset", asset, sent)
            add_money(draft, sent, True)
            date = event_date(doc, sent, "deal")
            if date:
                draft.put("announced", date[0], date[1])
            current, current_at = draft, sent.index
            continue
        if current is not None and mentions and not any(m.canonical in current.key for m in mentions):
            current = None  # a sentence on other companies: the next deal's, not this one's terms
        if current is not None and _gives_terms(sent, sent.index - current_at):
            add_money(current, sent, False)
            current_at = sent.index
    # a deals table's rows (HTML tables, and tables written with pipes); a deal the text also
    # states keeps its cells
    _merge_rows(deals, rows)
    for d in deals:
        # a headline's "Acquire X for ~$32.5M" is the price the body calls the upfront
        if "total" in d.weak and "total" not in d.cells and "upfront" in d.cells and \
                d.weak["total"]["value"] == d.cells["upfront"]["value"]:
            del d.weak["total"]
    return [d for d in deals if "parties" in d.final() and "kind" in d.final()]


# a sentence that lists deals by their pairs, the buyer or licensee first: "Four M&A transactions
# closed during the week: BD/Waters, Sanofi/Dynavax ($2.2 billion), Alkermes/Avadel". The pair
# itself says both are companies, whether or not the tables know them.
_NAME = r"[A-Z][\w&.’'-]*[\w&](?:\s+[A-Z][\w&.’'-]*[\w&]){0,2}"
_SLASH = re.compile(rf"(?<![\w/-])(?P<a>{_NAME})\s*/\s*(?P<b>{_NAME})(?![\w/-])"
                    r"(?:\s*\((?P<money>[^()]{1,40})\))?")
_LIST_KIND = [("acquisition", re.compile(r"\bM&A\b|acquisitions\b|takeovers\b|buyouts\b", re.I)),
              ("merger", re.compile(r"\bmergers\b", re.I)),
              ("license", re.compile(r"\blicen[cs]ing\s+(?:deals|agreements|transactions)\b|"
                                     r"\blicen[cs]es\b", re.I)),
              ("collaboration", re.compile(r"\bcollaborations\b|\bpartnerships\b", re.I))]
_NOT_PAIR = re.compile(r"^(?:FDA|EMA|NMPA|MHRA|PMDA|CHMP|EU|EC|US|UK|USA|U\.S\.|NDA|BLA|MAA|IND|"
                       r"Phase|Ph|Q[1-4]|H[12]|PD-1|PD-L1|CAR-T|ADC|ADCs|mAb|R&D|M&A|IPO|CEO|CFO)$")


def _gives_terms(sent: Sentence, distance: int) -> bool:
    """The sentence gives terms of the deal `distance` sentences before it: an amount and a word
    of terms, within three sentences, or up to six when it says it is the deal's ("Under the deal,
    Royalty Pharma would pay an initial $200 million at the closing")."""
    return (distance <= 3 or distance <= 6 and bool(R.UNDER_THE_DEAL.match(sent.text))) and \
        not sent.title and bool(find_money(sent.text)) and bool(R.TERMS.search(sent.text))


def _slash_pairs(doc: Document, sent: Sentence, deals: list[Draft]) -> None:
    """Deals a sentence lists as pairs ("A/B ($2.2 billion)"), when it names their one kind in the
    plural ("M&A transactions", "acquisitions", "licensing deals")."""
    kinds = [k for k, rx in _LIST_KIND if rx.search(sent.text)]
    if len(kinds) != 1 or "/" not in sent.text:
        return  # a kind the sentence does not name, or several: not said which is which
    for m in _SLASH.finditer(sent.text):
        a, b = m.group("a"), m.group("b")
        if _NOT_PAIR.match(a) or _NOT_PAIR.match(b) or P.country_of(a) or P.country_of(b):
            continue
        key = frozenset((doc.canonical(a), doc.canonical(b)))
        if len(key) < 2 or any(_same_parties(d.key, key) for d in deals):
            continue
        draft = Draft("deal", first=sent.index, key=key)
        draft.put("parties", [a, b], sent)
        draft.put("kind", kinds[0], sent)
        money = find_money(m.group("money") or "")
        if len(money) == 1 and (money[0].usd is None or money[0].usd <= MAX_DEAL_USD):
            extra = {"currency": money[0].currency}
            if money[0].qualifier:
                extra["qualifier"] = money[0].qualifier
            draft.put("total", money[0].value, sent, **extra)
        deals.append(draft)


def _its_deal(doc: Document, sent: Sentence, mentions: list[Mention], deals: list[Draft]) -> None:
    """A second deal of the first party in the same sentence: "Lilly's $2.4 billion acquisition
    of Orna and its $8.5 billion-plus strategic collaboration with Innovent Biologics"."""
    m = R.ITS_NOUN.search(_masked(sent.text, mentions))
    if not m:
        return
    a, b = mentions[int(m.group("a"))], mentions[int(m.group("b"))]
    kind = _kind_of_noun(m.group("mid"))
    key = frozenset((a.canonical, b.canonical))
    if kind is None or len(key) < 2 or any(_same_parties(d.key, key) for d in deals):
        return
    draft = Draft("deal", first=sent.index, key=key)
    draft.put("parties", [a.name, b.name], sent)
    draft.put("kind", kind, sent)
    deals.append(draft)


def _same_parties(a, b) -> bool:
    """Two drafts name the same companies: the same names, or names that share their first word
    ("Torii Pharma" in a table, "Torii Pharmaceutical" in the text)."""
    if a == b:
        return True
    if len(a) != len(b):
        return False

    def first(name: str) -> str:
        return name.split()[0].lower() if name.split() else ""
    return all(any(x == y or len(first(x)) >= 4 and first(x) == first(y) for y in b) for x in a)
