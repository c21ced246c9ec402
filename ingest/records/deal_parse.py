"""The deal of a sentence the patterns did not read, from spaCy's dependency parse (extract3):
the subject and the object of a deal verb ("It paid Kyn Therapeutics $80 million ... for options
to license"), or the owner and the "of"/"with" object of a deal noun ("announcing its $74 billion
acquisition of Celgene", "a potential $980 million deal with Triphase Accelerator").

Company names are the document's (gazetteer, patterns) and spaCy's ORG entities; "it", "its" and
"the company" are the company named before them in the sentence, else in the sentence before.
Nothing without a model, or when the parse gives no two distinct companies.
"""

from __future__ import annotations

import re

from ingest.records.document import Document, Mention, Sentence, not_a_company

_NLP_CUE = re.compile(r"\b(?:acqui(?:re[sd]?|ring|sition)|buy(?:s|ing)?|bought|purchas(?:e[sd]?|ing)|"
                      r"takeover|buyout|licen[cs](?:e[sd]?|ing)|collaborat(?:ion|e[sd]?|ing)|"
                      r"partner(?:ship|ed|s|ing)?|team(?:s|ed|ing)\s+up|alliance|deal|agreement|option|paid|pays?|"
                      r"paying|grant(?:s|ed|ing)?)\b", re.IGNORECASE)
_VERB_KIND = [(re.compile(r"^(?:acquir|buy|bought|purchas|take)", re.IGNORECASE), "acquisition"),
              (re.compile(r"^(?:in-)?licen[cs]", re.IGNORECASE), "license"),
              (re.compile(r"^(?:partner|collaborat|team)", re.IGNORECASE), "collaboration"),
              (re.compile(r"^(?:paid|pay)", re.IGNORECASE), None),
              # "B agreed to grant A the exclusive rights to ...": a licence, A the licensee
              (re.compile(r"^grant(?:s|ed|ing)?$", re.IGNORECASE), "grant")]
# "paying $180 per share in cash for B": a price per share is paid for a company
_PER_SHARE = re.compile(r"\b(?:per|a)\s+share\s+in\s+cash\b", re.IGNORECASE)
_RIGHTS = re.compile(r"\b(?:exclusive\s+)?(?:rights?|licen[cs]e)\b", re.IGNORECASE)
_NOUN_KINDS = [(re.compile(r"^(?:acquisition|purchase|takeover|buyout)s?$", re.IGNORECASE), "acquisition"),
               (re.compile(r"^licen[cs](?:e|es|ing)$", re.IGNORECASE), "license"),
               (re.compile(r"^(?:collaboration|partnership|alliance|venture)s?$", re.IGNORECASE),
                "collaboration"),
               (re.compile(r"^(?:deal|agreement|pact|transaction)s?$", re.IGNORECASE), None)]
_SENT_KIND = [("option", r"\boptions?\s+to\s+(?:acquire|license|licence|in-license)|\boption\s+"
                         r"(?:agreement|deal)"),
              ("license", r"licen[cs]"), ("collaboration", r"collaborat|partner|alliance"),
              ("acquisition", r"\bacqui|\bpurchase|\btakeover")]
_PRONOUN = re.compile(r"^(?:it|its|they|their)$", re.IGNORECASE)
_NOT_ORG = re.compile(r"^(?:FDA|EMA|NMPA|MHRA|PMDA|CHMP|EC|EU|SEC|NIH|WHO|ADC|IO|CAR-T|IPO|R&D|"
                      r"Nasdaq|NYSE|Reuters|Bloomberg|Date|Value|Type|Terms|Details|Company|Partner|M&A|U\.S\.?|US|UK|EU)$",
                      re.IGNORECASE)


def _nlp_kind(words: str) -> str | None:
    for kind, rx in _SENT_KIND:
        if re.search(rx, words, re.IGNORECASE):
            return kind
    return None


def parse_deal(sent: Sentence, doc: Document, context: list[Mention]
               ) -> tuple[str, list[Mention], str | None] | None:
    """(kind, parties, None) of the sentence's deal by its parse, or None."""
    if sent.title or not _NLP_CUE.search(sent.text) or len(sent.text) > 600:
        return None
    from ingest.records import nlp

    parsed = nlp.parse(sent.text)
    if parsed is None:
        return None
    mentions = _mentions(sent, doc, parsed)
    if not mentions and not context:
        return None
    return _Reader(sent, doc, parsed, mentions, context).read()


def _mentions(sent: Sentence, doc: Document, parsed) -> list[Mention]:
    """The document's company names in the sentence, and spaCy's ORG entities they missed."""
    mentions = list(doc.companies(sent))
    for ent in parsed.ents:
        if ent.label_ != "ORG":
            continue
        text = re.sub(r"(?:'s|’s|'|’)$", "", ent.text).strip()
        a = ent.start_char
        if sent.text[ent.end_char:ent.end_char + 1] in ("-", "‐") or not text or \
                not text[0].isupper() or len(text.split()) > 5 or _NOT_ORG.match(text) or \
                not_a_company(sent.text, a, text) or \
                any(m.start < a + len(text) and a < m.end for m in mentions):
            continue
        mentions.append(Mention(a, a + len(text), text, doc.canonical(text)))
    mentions.sort(key=lambda m: m.start)
    return mentions


class _Reader:
    """One parsed sentence: which company each token names, and the deal its words state."""

    def __init__(self, sent: Sentence, doc: Document, parsed, mentions: list[Mention],
                 context: list[Mention]) -> None:
        self.sent, self.doc, self.parsed = sent, doc, parsed
        self.mentions, self.context = mentions, context

    def read(self) -> tuple[str, list[Mention], str | None] | None:
        for tok in self.parsed:
            if tok.pos_ == "VERB":
                found = self._verb_deal(tok)
            elif tok.pos_ in ("NOUN", "PROPN"):
                found = self._noun_deal(tok)
            else:
                continue
            if found is None:
                continue
            kind, parties = found
            if parties[0].canonical != parties[1].canonical:
                return kind, parties, None
        return None

    def _verb_deal(self, tok) -> tuple[str, list[Mention]] | None:
        kind = next((k for rx, k in _VERB_KIND if rx.match(tok.text)), "-")
        if kind == "-":
            return None
        if kind == "grant" and not _RIGHTS.search(self.sent.text):
            return None
        pays = kind is None
        a = self.subject(tok)
        objs = self.objects(tok, ("with", "to", "from", "of", "for") if pays else
                            ("with", "to", "from", "of"))
        if kind is None:  # "paid B $X for options to license": the kind from the sentence
            kind = _nlp_kind(self.sent.text) or (
                "acquisition" if _PER_SHARE.search(self.sent.text) else None)
            if kind is None:
                return None
        if tok.dep_ == "relcl":  # "... inhibitors that it had licensed to Merck KGaA"
            a = self.company(next((c for c in tok.children if c.dep_ == "nsubj"), tok))
        b = next((m for how, m in objs if how in ("dobj", "dative", "with", "from", "to",
                                                  "attr", "for")), None)
        if a is None or b is None:
            return None
        if kind == "grant":  # the grantee holds the licence: first, as a licensee is
            return "license", [b, a]
        to = next((how for how, m in objs if m is b), "")
        return kind, ([b, a] if kind == "license" and to == "to" else [a, b])

    def _noun_deal(self, tok) -> tuple[str, list[Mention]] | None:
        kind = next((k for rx, k in _NOUN_KINDS if rx.match(tok.text)), "-")
        if kind == "-":
            return None
        if kind is None:
            kind = _nlp_kind(self.sent.text[tok.idx:]) or _nlp_kind(self.sent.text)
            if kind is None:
                return None
        a = next((self.company(c) for c in tok.children if c.dep_ == "poss"), None)
        objs = self.objects(tok, ("of", "with", "between"))
        b = next((m for how, m in objs if how in ("of", "with")), None)
        more = [m for how, m in objs if how == "with+" and m.canonical != getattr(b, "canonical", None)]
        if a is None:  # "Celgene signed a collaboration with B": the verb's subject
            v = tok.head
            for _ in range(12):
                if v.head.i == v.i or v.pos_ in ("VERB", "AUX"):
                    break
                v = v.head
            a = self.subject(v) if v.pos_ in ("VERB", "AUX") else None
        if a is None or b is None:
            return None
        # "a joint venture with Evotec and Boehringer Ingelheim": every partner named
        return kind, [a, b] + [m for m in more if m.canonical != a.canonical]

    def company(self, tok) -> Mention | None:
        """The company a token names (a token inside its span), or that a pronoun stands for."""
        for m in self.mentions:
            if m.start <= tok.idx < m.end:
                return m
        low = tok.text.lower()
        if not (_PRONOUN.match(low) or (low == "company" and tok.i > 0 and
                                        self.parsed[tok.i - 1].text.lower() == "the")):
            return None
        found = self._clause_subject(tok)
        if found:
            return found
        before = [m for m in self.mentions if m.end <= tok.idx]
        if before:
            return before[-1]
        return self.context[0] if self.context else None

    def _clause_subject(self, tok) -> Mention | None:
        """The subject of a clause a pronoun is part of ("Celgene picked up in its purchase of
        B"): a known company, or a proper noun with its compounds the tables do not know
        ("Vertex regained the rights it had licensed to ...")."""
        anc = tok.head
        for _ in range(8):
            for child in anc.children:
                if child.dep_ != "nsubj" or child.i >= tok.i or _PRONOUN.match(child.text):
                    continue
                for m in self.mentions:
                    if m.start <= child.idx < m.end:
                        return m
                if child.pos_ == "PROPN" and child.text[:1].isupper():
                    toks = [c for c in child.subtree if c.dep_ == "compound"
                            and c.pos_ == "PROPN"] + [child]
                    a, b = min(t.idx for t in toks), child.idx + len(child.text)
                    name = self.sent.text[a:b]
                    if not _NOT_ORG.match(name):
                        return Mention(a, b, name, self.doc.canonical(name))
            if anc.head.i == anc.i:
                break
            anc = anc.head
        return None

    def head_company(self, tok) -> Mention | None:
        """The company of a noun phrase: its head, or a compound / appositive inside it."""
        found = self.company(tok)
        if found:
            return found
        for child in tok.children:
            if child.dep_ in ("compound", "appos", "conj", "poss"):
                found = self.company(child)
                if found:
                    return found
        return None

    def subject(self, verb) -> Mention | None:
        v = verb
        for _ in range(4):  # "agreed to acquire": the subject of "agreed"
            for child in v.children:
                if child.dep_ == "nsubj":
                    return self.head_company(child)
            if v.dep_ in ("xcomp", "conj", "advcl", "relcl", "acl", "pcomp") and v.head.i != v.i:
                if v.dep_ == "relcl":
                    return None
                v = v.head
            else:
                break
        return None

    def objects(self, tok, preps=("with", "to", "from", "of")) -> list[tuple[str, Mention]]:
        out = []
        for child in tok.children:
            if child.dep_ in ("dobj", "dative", "attr"):
                m = self.head_company(child)
                if m:
                    out.append((child.dep_, m))
            if child.dep_ == "prep" and child.text.lower() in preps:
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        m = self.head_company(pobj)
                        if m:
                            out.append((child.text.lower(), m))
                        if m and child.text.lower() == "with":
                            out.extend(("with+", c) for c in (self.company(t) for t in pobj.children
                                                             if t.dep_ == "conj") if c)
        return out
