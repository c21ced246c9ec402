"""A loaded document as the record extractor reads it: sentences with their element and page,
the document's own date (its dateline), the company names in each sentence, and cells.

Every quote is a span of one element's text exactly as the pipeline loaded it (the text the
chunks are made from), so a cell's quote can always be found in the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from assistant.core import aliases as company_names
from ingest.records import patterns
from ingest.records.dates import DateMention, find_dates


@dataclass
class Sentence:
    text: str
    element: int  # index of the element whose text holds it
    start: int  # offset in that element's text
    page: int | None
    index: int  # position among the document's sentences
    title: bool  # a heading (the headline, a section title)
    lead: bool  # in the document's opening (headline, dateline, first two paragraphs)


@dataclass
class Mention:
    start: int
    end: int
    text: str
    canonical: str
    name: str = ""  # the name a cell shows: the full name when the text uses the short one

    def __post_init__(self) -> None:
        self.name = self.name or self.text


def cell(value: Any, sent: Sentence, **extra: Any) -> dict:
    """A cell: the value, the sentence that states it as its quote, the page."""
    out = {"value": value, "quote": sent.text, "page": sent.page}
    out.update({k: v for k, v in extra.items() if v not in (None, "")})
    return out


# Capitalised runs ending with a word companies are named with: "Gracell Biotechnologies",
# "KaNDy Therapeutics", "Asklepios BioPharmaceutical", "MYR GmbH", "Luye Pharma Group".
_COMPANY_WORD = (r"(?:Therapeutics|Biotherapeutics|Biotechnologies|Biotechnology|Biologics|Biotech|"
                 r"BioPharmaceuticals?|Biopharmaceuticals?|BioPharma|Biopharma|Pharmaceuticals?|"
                 r"Pharma|Biosciences|BioSciences|Bio|Sciences|Medical|Medicines|Laboratories|Labs|"
                 r"Oncology|Genetics|Genomics|Holdings|Capital|Ventures|Partners|Solutions|Management|"
                 r"Investments|Advisors|Advisers|Associates|Fund|(?<=\s)LLP|(?<=\s)LP|Life\s+Sciences?|(?:Biological|Biologic)\s+Services|"
                 r"Biomedical|Vaccines|Diagnostics|Healthcare|Lifesciences|GmbH|AG|Inc\.?|Ltd\.?|"
                 r"plc|LLC|Corp\.?|S\.A\.|N\.V\.|SE|SAS|SA|S\.p\.A\.|"
                 # Nordic and Dutch forms ("Optinose AS", "Genmab A/S", "Minervax ApS", "Synaffix BV")
                 r"(?<=\s)AS|A/S|(?<=\s)ApS|(?<=\s)Aps|(?<=\s)BV|B\.V\.|(?<=\s)Oyj?)")
_CAP = r"[A-Z0-9][\w&.'’@-]*"
_PATTERN_NAME = re.compile(
    rf"\b(?:{_CAP}\s+){{0,3}}?{_CAP}?\s*{_COMPANY_WORD}(?:\s+{_COMPANY_WORD})*(?:\s+(?:Inc\.?|Ltd\.?|GmbH|AG|plc|SAS|SA|"
    rf"S\.A\.|N\.V\.|Co\.|Corp\.?|LLC|Pte\.?|Qingdao|Ireland|Group|Holdings))*\b\.?")
_LEGAL_AFTER = re.compile(r"(?:,?\s+(?:Inc\.|Ltd\.|Corp\.|Co\.|plc|AG|SAS|SA|SE|LLC|LLP|LP|GmbH|"
                          r"N\.V\.|S\.A\.)(?![\w&]))+")
_LEADING_NOISE = re.compile(
    r"^(?:(?:The|This|That|These|Its|Their|A|An|And|But|In|On|At|For|With|By|Under|As|"
    r"Meanwhile|Separately|Also|Additionally|Finally|Similarly|Elsewhere|Likewise|Earlier|Later|German|"
    r"Swiss|Chinese|Japanese|Korean|French|British|American|European|US|U\.S\.|UK|Danish|"
    r"Indian|Italian|Spanish|Belgian|Dutch|Irish|Israeli|Canadian|Australian|Swedish|Norwegian|"
    r"Finnish|Austrian|Polish|Singaporean|Taiwanese|Brazilian|Mexican|"
    r"Clinical-stage|Privately-held|Last|Next|Both|All|Other|Another|Fellow|Big|Rival|Local|"
    r"New|[\w.-]+-based|Nasdaq-listed|NYSE-listed|CDMO|CRDMO|CMO|CRO|CDO|"
    r"(?:Japan|China|Korea|South\s+Korea|India|Germany|France|Switzerland|Denmark|Israel|Britain|"
    r"Ireland|Italy|Spain|Belgium|Sweden|Taiwan|Singapore|Australia|Canada)(?:'s|’s))\s+)+")
# Single words the company table holds that are ordinary English too: matched in running text
# only as part of a longer name (or when the document itself defines them).
_AMBIGUOUS = frozenset("""Fate Beam Legend Emergent Resilience Century Jazz Vertex Edge Horizon
    Lowell Kite Juno Sana Orion Amazon Alcon Curia Almac Vetter Lupin Cipla Krka Richter Aspen
    Ferring Menarini Servier Lilly Novo Merck Bayer Organon Recordati Provention Illumina Bold
    Samsung Zoetis Cytiva Porton Lonza Alcami Abzena Boan Luye Kelun Junshi Hengrui Hansoh
    Gilead Amgen Sandoz UCB Ipsen Grifols Almirall Chiesi Genmab Coloplast Ivantis Akeso Biocon
    Evonik Cambrex Recipharm Siegfried Catalent Polpharma Delpharm Aenova Bachem""".split())
_ALWAYS_OK = frozenset("""Merck Bayer Novartis Roche Pfizer Sanofi Lonza Gilead Amgen Lilly Novo
    Organon Sandoz Ipsen Grifols Almirall Chiesi Genmab Coloplast Ivantis Biocon Catalent
    Cambrex Recipharm Siegfried Evonik Bachem Samsung Illumina Alcon Akeso Luye Boan""".split())
_NOT_COMPANIES = re.compile(
    r"^(?:FDA|EMA|NMPA|MHRA|PMDA|CHMP|NIH|WHO|CDMO|CDMOs|CMO|CRO|GMP|API|IND|BLA|NDA|CAR|"
    r"Big Pharma|Pharma|Biotech|Bio|Health|Healthcare|Sciences|Medical|Labs|Capital|Partners|"
    r"Holdings|Solutions|Diagnostics|Vaccines|Oncology|Genetics|Medicines)$", re.I)


# "Nerio Therapeutics", "Belrose Bio", "Kelvion Biologics": a word and company words only.
_SHORT_SOURCE = re.compile(
    r"(?<![\w&.'’-])(?P<word>[A-Z][a-z]{2,}[\w-]*)\s+(?:Therapeutics|Biotherapeutics|"
    r"Biotechnologies|Biotechnology|Biologics|Biotech|BioPharmaceuticals?|Biopharmaceuticals?|"
    r"BioPharma|Biopharma|Pharmaceuticals?|Pharma|Biosciences|BioSciences|Bio|Sciences|"
    r"Medicines|Oncology|Genetics|Genomics|Vaccines)(?:\s+(?:Inc\.?|Ltd\.?|GmbH|AG|plc|SA|"
    r"LLC|Corp\.?|Co\.))?(?![\w-]|\s+[A-Z])")
# a name of two or three capitalised words and its legal form ("Granules India Ltd"; not
# "Mallinckrodt Public": "Public Ltd" is the form)
_WITH_LEGAL_FORM = re.compile(r"(?<![\w&.'’-])(?P<bare>[A-Z][a-z][\w&-]*(?:\s+(?!Public\b)[A-Z][\w&-]*){1,2}?)\s+"
                              r"(?:Ltd|Limited|Inc|plc|AG|GmbH|LLC|Corp|Pvt\.?\s+Ltd|S\.A|N\.V|SE)\b\.?")
_NOT_SHORT = frozenset("""Contract Global American National Advanced General United First New
    Applied Clinical Precision Life Medical Health Gene Cell Chinese Japanese Korean European
    Swiss German French British Indian Canadian Danish Swedish Local Leading Specialty Generic
    Private Public Biotech Pharma Human Animal Rare Small Large Emerging Innovative Integrated
    Regional International World Asian Pacific Atlantic Northern Southern Eastern Western Central
    Molecular Synthetic Digital Green Blue Red Black White Orphan Vertex Nova Novo Bristol""".split())
_NOISE_WORD = re.compile(r"^(?:\d+|[A-Z][a-z]+(?:'s|’s)|" + "|".join(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December", "To", "Acquire", "Acquires", "Buy", "Buys", "Buying",
     "Sells", "Sell", "Licenses", "License", "Partners", "With", "From", "Grants", "Gains"]) + r")$")


def _pattern_span(text: str, m: re.Match) -> tuple[int, int] | None:
    """The company name inside a `_PATTERN_NAME` match, without the words before it that are not
    part of it ("German", "San Diego-based", "March 2021", "China's"); None when the capitalised
    run goes on after the match (the name was cut: "National Medical Products Administration")."""
    raw = m.group(0)
    if not raw.endswith(("Inc.", "Ltd.", "Co.", "Corp.", "S.A.", "N.V.")):
        raw = raw.rstrip(".")
    end = m.start() + len(raw)
    if re.match(r"\s+(?:[A-Z][\w&-]*|of\s+[A-Z])", text[end:end + 40]):
        return None
    start = m.start()
    based = list(re.finditer(r"\S+-based\s+", raw))
    if based:
        start += based[-1].end()
    lead = _LEADING_NOISE.match(text[start:end])
    if lead:
        start += lead.end()
    words = text[start:end].split(" ")
    while len(words) > 1 and _NOISE_WORD.match(words[0]):
        start += len(words[0]) + 1
        words = words[1:]
    name = text[start:end].strip()
    if not name or _NOT_COMPANIES.match(name) or not name[0].isupper():
        return None
    return start, start + len(name)


# (a name may start with digits when a capital or "bio" follows them: "89bio", "4SC", "7D
# Surgical", "23andMe"; not "5m shares", "300m doses", "51pc", "2nd-generation")
_SLOT_NAME = (r"(?P<name>(?:[A-Z]|\d+(?:[A-Z]|bio|and[A-Z])(?![a-z]*-))[\w&.'’-]*"
              r"(?:\s+(?:[A-Z][\w&.'’-]*|&)){0,3})")
_OBJECT_SLOT = re.compile(
    r"\b(?i:acquire|acquires|acquired|acquiring|buy|buys|bought|purchase|purchased|"
    r"(?:acquired|bought|purchased|taken\s+over)\s+by|"
    r"acquisition\s+of|merger\s+with|merge\s+with|stake\s+in|partnership\s+with|"
    r"collaboration\s+with|agreement\s+with|deal\s+with|pact\s+with|teaming\s+up\s+with|"
    r"licensed?\s+(?:to|from))\s+(?:[\w-]+-based\s+)?"
    # "acquire clinical stage biotechnology company Teneobio", "buy US biotech Ambrx"
    r"(?:(?:[\w-]+\s+){0,4}?(?i:company|biotech|biotechnology\s+firm|firm|drugmaker|developer|"
    r"startup|start-up|specialist|maker|CDMO|subsidiary)\s+)?"
    + _SLOT_NAME)
_SUBJECT_SLOT = re.compile(
    # ("Celltech, the UK's biggest biotech firm, has agreed to be taken over by ...")
    r"^" + _SLOT_NAME + r"(?:,[^,⟦⟧]{3,60},)?\s+(?i:to\s+acquire|to\s+buy|will\s+acquire|will\s+buy|acquires|buys|"
    r"acquired|bought|signed|has\s+agreed|agreed|entered|"
    # "Ramius makes unsolicited, 60% premium offer to buy Cypress Bioscience"
    r"(?:makes|made|launches|launched)\s+(?:[\w,%-]+\s+){0,5}?(?:offer|bid|proposal)\s+"
    r"(?:to\s+(?:buy|acquire)|for))\b")
_NOT_SLOT = re.compile(r"^(?:The|It|Its|This|That|These|Their|All|An?|Phase|Series|Rights|"
                       r"Shares|January|February|March|April|May|June|July|August|September|"
                       r"October|November|December|Q[1-4]|FDA|EMA|NMPA|US|U\.S\.|UK|EU)\b")

_ROLE_WORD = re.compile(r"^(?:Collaborators?|Partners?|Rivals?|Peers?|Biotech|Drugmaker|Startup|"
                        r"Firm|Developer|Maker|Licensee|Licensor|Subsidiary|Unit)\s+(?=[A-Z])")
# "Acquisition of Royalty Rights in ...": what is bought, not who
_NOT_SLOT_END = re.compile(r"\b(?:Rights|Royalt(?:y|ies)|Assets?|Shares|Stake|Portfolio|Business|"
                           r"Unit|Division|Programs?|Programmes?)$")


def _slot_names(text: str) -> list[tuple[int, int]]:
    """Capitalised names in the slots of deal verbs ("AcelRx to Acquire Lowell"): companies the
    table does not know are still parties."""
    out = []
    for rx in (_OBJECT_SLOT, _SUBJECT_SLOT):
        for m in rx.finditer(text):
            name = m.group("name").rstrip(".,")
            name = re.sub(r"(?<=s)['’]$", "", name)  # "Quenby Therapeutics'": the possessive
            name = re.sub(r"(?:'s|’s)$", "", name)
            if _not_a_slot_name(name):
                continue
            start = m.start("name")
            lead = _LEADING_NOISE.match(name + " ")  # "Japan's Takeda to buy ...": Takeda
            if lead:
                start, name = start + min(lead.end(), len(name)), name[lead.end():]
            role = _ROLE_WORD.match(name)  # "Acquire Danish Collaborator Nuevolution": Nuevolution
            if role:
                start, name = start + role.end(), name[role.end():]
            words = name.split()
            # "Metsera Inc. It", "Collaborator Nuevolution For": a headline's next word
            while words and words[-1] in ("for", "and", "&", "For", "And", "It", "Its", "In", "On",
                                          "At", "To", "With", "The", "As", "By", "Of"):
                words.pop()
            name = " ".join(words)
            if not name or patterns.country_of(name) or patterns.is_country(name):
                continue
            out.append((start, start + len(name)))
    return out


# How trade press introduces a company the table does not know: "to Eurofarma, a Brazilian
# pharmaceutical company", "with R-Pharm, a Russian drugmaker"; "Japanese brewer Kirin",
# "pharmaceutical company Kyowa Hakko Kogyo". One vocabulary, two patterns:
_KIND_WORDS = (r"pharmaceutical|pharma|biotech|biotechnology|biopharma|biopharmaceutical|drug|"
               r"life\s+sciences?|vaccine|medtech|healthcare")
_COMPANY_WORDS = r"company|firm|group|maker|developer|manufacturer|specialist"
_ONE_WORD = r"drugmaker|drug\s+maker|biotech|brewer|conglomerate"
_DESCRIBED_AFTER = re.compile(
    # (the description's words: "a veteran of the Swiss drugmaker" describes a person)
    _SLOT_NAME + r"(?:\s*\([^()]{1,30}\))?,\s+(?:a|an)\s+(?:(?!(?:of|from|by|at|for|to|with|in|the)\b)"
    r"[\w-]+\s+){0,4}?"
    + rf"(?:(?i:{_KIND_WORDS})\s+(?i:{_COMPANY_WORDS})|(?i:{_ONE_WORD}|CDMO|CMO|CRO))" + r"[,.;]")
# (in lower case, as running text describes: not "Torvik Biotech PLC's Nouvra", where "Biotech"
# is part of a name, nor a bare "CDMO" before a heading's words, "CDMO Investment Announcements")
_DESCRIBED_BEFORE = re.compile(rf"\b(?:(?:{_KIND_WORDS})\s+(?:{_COMPANY_WORDS})|{_ONE_WORD})\s+" + _SLOT_NAME)


def _not_a_slot_name(name: str) -> bool:
    """A word run that fills a name's slot but names no company ("The", "Phase", "Rights")."""
    return not name or bool(_NOT_SLOT.match(name) or _NOT_COMPANIES.match(name) or _NOT_SLOT_END.search(name))


def _described_names(text: str) -> list[tuple[int, int]]:
    """Capitalised names that a description of a company comes right after or before."""
    out = []
    for rx in (_DESCRIBED_AFTER, _DESCRIBED_BEFORE):
        for m in rx.finditer(text):
            name = re.sub(r"(?:'s|’s|['’])$", "", m.group("name").rstrip(".,"))
            if rx is _DESCRIBED_BEFORE:  # "drugmaker Kirin Holdings said": the name, not "said"
                name = " ".join(w for w in name.split() if w[:1].isupper() or w == "&").strip()
            if _not_a_slot_name(name) or patterns.country_of(name) or patterns.is_country(name):
                continue
            out.append((m.start("name"), m.start("name") + len(name)))
    return out


@lru_cache(maxsize=1)
def _gazetteer() -> re.Pattern:
    table = company_names.table()
    names = set()
    for c in table.companies.values():
        for n in c.names():
            if len(n) >= 3 and not re.fullmatch(r"[A-Z]{2,3}", n):
                names.add(n)
    alts = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w&@-])(?:" + "|".join(re.escape(n) for n in alts) + r")(?![\w@-]|&\w)")


class Document:
    def __init__(self, elements: list, title: str = "") -> None:
        from ingest.chunking import sentence_spans

        self.elements = elements
        self.texts = [e.text for e in elements]
        self.title = title
        full_text = "\n".join(self.texts)
        self.aliases = company_names.document_aliases(full_text)
        self.short_names = self._short_names(full_text)
        self.bare_names = _bare_names(full_text)
        self.sentences: list[Sentence] = []
        skipping = sticky = False
        headed = -2  # the element of the last section heading
        narrative = 0
        for i, el in enumerate(elements):
            text = el.text
            if skipping and sticky and headed == i - 1 and el.category == "NarrativeText" and \
                    len(text) >= 60 and re.search(r"[.!?][\"”’)]?$", text.strip()):
                # a paragraph right under "Related Articles:" (its links left out of the copy) is
                # the article going on: a list of other articles starts with a headline
                skipping = sticky = False
            if el.is_title or len(text) < 40:
                heading = patterns.SKIP_SECTIONS.match(text.strip())
                # in a "More news" list, the other articles' headlines (long lines, some read
                # as titles) are still the list; a short heading ends it ("Read more", a link
                # under one item, ends at the next title or paragraph)
                if heading or not sticky or len(text.split()) <= 6:
                    skipping = bool(heading)
                    sticky = bool(heading) and not re.match(r"read more", text.strip(), re.I)
                    headed = i if heading else headed
            elif skipping and not sticky and el.category == "NarrativeText":
                skipping = False  # a topic page's next summary after an item's "Read more" link
            if skipping or " | " in text and _LINK_LINE.match(text):
                continue  # (and a one-line list of links: "Most read: A | B | C")
            is_title = el.is_title or el.category == "Title"
            for a, b in sentence_spans(text):
                self.sentences.append(Sentence(text[a:b], i, a, el.page, len(self.sentences),
                                               is_title, False))
        self.date, self.date_sentence = self._dateline()
        self._mark_lead()
        self._mentions: dict[int, list[Mention]] = {}

    def _short_names(self, text: str) -> dict[str, str]:
        """A company named in full once and then by its first word ("Nerio Therapeutics" ...
        "Nerio", "Kelvion Biologics" ... "Kelvion's"): the first word of a name that is that word
        followed only by company words, when the word is not an ordinary capitalised word."""
        out: dict[str, str] = {}
        for m in _SHORT_SOURCE.finditer(text):
            word, full = m.group("word"), m.group(0)
            if word in _NOT_SHORT or word.upper() == word or len(word) < 4 or \
                    _NOT_COMPANIES.match(word) or word in out:
                continue
            if re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", text):
                continue  # also written in lower case: an ordinary word
            before = _capitalised_before(text, m.start())
            if before and not _LEADING_NOISE.match(before + " "):
                continue  # the end of a longer name ("Fujifilm Diosynth Biotechnologies")
            out[word] = full
        return out

    def _mark_lead(self) -> None:
        """The opening: the headings up to the dateline and the first two paragraphs after it
        (lines such as "Source: ..." or "Publisher: ..." are not paragraphs)."""
        start = self.date_sentence.element if self.date_sentence is not None else -1
        paragraphs: list[int] = []
        for i, el in enumerate(self.elements):
            if i <= start or el.is_title or len(el.text) < 80 or \
                    re.match(r"^(?:source|publisher|date|by|author)\s*:", el.text, re.I):
                continue
            paragraphs.append(i)
            if len(paragraphs) == 2:
                break
        first = paragraphs[0] if paragraphs else len(self.elements)
        for s in self.sentences:
            s.lead = s.element in paragraphs or (s.title and s.element < first)

    # --- the document's own date ---
    def _dateline(self) -> tuple[DateMention | None, Sentence | None]:
        """The date of the document: a short line near the top that is (mostly) a date; the first
        one after the headline wins over one before it (a page's "today" above the article)."""
        found: list[tuple[int, DateMention, Sentence]] = []
        title_at = next((i for i, e in enumerate(self.elements[:8])
                         if e.is_title and e.text.strip() and (e.text.strip() in self.title
                                                               or self.title in e.text)), None)
        for i, el in enumerate(self.elements[:10]):
            text = el.text.strip()
            if len(text) > 140 or re.match(r"^date:\s*not shown", text, re.I):
                continue
            dates = [d for d in find_dates(text) if d.kind in ("mdy", "dmy", "iso", "my", "year")]
            if not dates:
                continue
            d = dates[0]
            rest = (text[:d.start] + text[d.end:]).strip(" |·-–—,:()")
            if len(text) > 60 and not re.match(r"^(?:date|published|posted)\b", text, re.I):
                continue
            if len(rest.split()) > 8 and not re.match(r"^(?:date|published)\b", text, re.I):
                continue
            sent = Sentence(el.text, i, 0, el.page, -1, False, True)
            found.append((i, d, sent))
        if not found:
            return None, None
        if title_at is not None:
            after = [f for f in found if f[0] > title_at]
            if after:
                return after[0][1], after[0][2]
        return found[0][1], found[0][2]

    @property
    def anchor(self) -> str | None:
        return self.date.value if self.date else None

    # --- companies ---
    def companies(self, sent: Sentence) -> list[Mention]:
        if sent.index in self._mentions:
            return self._mentions[sent.index]
        text = sent.text
        spans: list[tuple[int, int]] = []
        for m in _gazetteer().finditer(text):
            word = m.group(0)
            if word in _AMBIGUOUS and word not in _ALWAYS_OK and word not in self.aliases:
                continue
            end = m.end()
            legal = _LEGAL_AFTER.match(text, end)  # "Merck & Co. Inc.": the suffix is the name's
            spans.append((m.start(), legal.end() if legal else end))
        for short in self._company_aliases() + list(self.short_names) + self.bare_names:
            for m in re.finditer(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text):
                spans.append((m.start(), m.end()))
        for m in _PATTERN_NAME.finditer(text):
            span = _pattern_span(text, m)
            if span:
                spans.append(span)
        spans.extend(_slot_names(text))
        spans.extend(_described_names(text))
        out = []
        for a, b in sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]))):
            if out and a < out[-1].end:  # overlapping: the longer, earlier one stays
                continue
            name = text[a:b]
            if not_a_company(text, a, name):
                continue
            full = self.aliases.get(name) or self.short_names.get(name) or name
            out.append(Mention(a, b, name, company_names.canonical(full),
                               self.short_names.get(name, name)))
        self._mentions[sent.index] = out
        return out

    def _company_aliases(self) -> list[str]:
        """The short names the document defines for companies (not for agencies, programmes or
        terms: "GMP", "PRIME", "NMPA" are no companies)."""
        if not hasattr(self, "_short"):
            self._short = [s for s, full in self.aliases.items()
                           if company_names.known(full) or _PATTERN_NAME.fullmatch(full)]
        return self._short

    def canonical(self, name: str) -> str:
        return company_names.canonical(self.aliases.get(name) or self.short_names.get(name) or
                                       name)


# a one-line list of other articles' links: "Most read: A | B | C"
_LINK_LINE = re.compile(patterns.SKIP_SECTIONS.pattern + ":", re.I)
_CAPITAL_BEFORE = re.compile(r"(?<![\w'’-])[A-Z][\w&.]*\s+$")


def _capitalised_before(text: str, start: int) -> str | None:
    """The capitalised word right before `start` (within 30 characters, as written), if any: the
    name found there may be the end of a longer one."""
    window = text[max(0, start - 30):start]
    return window.split()[-1] if _CAPITAL_BEFORE.search(window) else None


def _bare_names(text: str) -> list[str]:
    """"Granules India Ltd" ... "Granules India will invest": a name of two or three words also
    without its legal form (shown as written: the scorer's and the filter's canonical name drops
    the form anyway)."""
    out: list[str] = []
    for m in _WITH_LEGAL_FORM.finditer(text):
        bare = m.group("bare")
        first = bare.split()[0]
        if bare in out or first in _NOT_SHORT or _LEADING_NOISE.match(first + " ") or \
                _NOT_COMPANIES.match(bare) or re.search(rf"\b{_COMPANY_WORD}\b", bare) or \
                _capitalised_before(text, m.start()):
            continue
        out.append(bare)
    return out


# A dateline's city ("FRANKFURT, Sept 18 (Reuters) –", "BEIJING –") and an exchange's ticker
# ("89bio (ETNB.O)") are no companies.
_DATELINE = re.compile(r"\s*(?:,|–|—|-{1,2}|\()")
_RIC = re.compile(r"[A-Z0-9]{1,6}\.[A-Z]{1,2}")


def not_a_company(text: str, start: int, name: str) -> bool:
    if _RIC.fullmatch(name):
        return True
    return start == 0 and name.isupper() and len(name) > 3 and re.fullmatch(r"[A-Z .]+", name) \
        is not None and not company_names.known(name) and _DATELINE.match(text, start + len(name)) is not None


@dataclass
class Draft:
    """A record being built: its type, cells, the sentence it started in."""
    type: str
    cells: dict[str, dict] = field(default_factory=dict)
    first: int = 0  # sentence index
    key: tuple = ()
    names: set = field(default_factory=set)  # what else identifies it (a product's names)

    weak: dict[str, dict] = field(default_factory=dict)  # from headlines: only fill gaps

    def put(self, name: str, value: Any, sent: Sentence, **extra: Any) -> None:
        """Set a cell once; a headline's cell (`sent.title`) gives way to the body's."""
        if value in (None, "", []) or name in self.cells:
            return
        if sent.title:
            self.weak.setdefault(name, cell(value, sent, **extra))
        else:
            self.cells[name] = cell(value, sent, **extra)

    def final(self) -> dict[str, dict]:
        return {**self.weak, **self.cells}
