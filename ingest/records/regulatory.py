"""Regulatory records: an agency's approval, designation, complete response, accepted filing,
delay... of a product, with its sponsor, indication and date.

A sentence (or each clause of it, when "and" joins two agencies' decisions) that names an agency
and an action yields one record per designation it names ("orphan drug, breakthrough therapy,
and fast track designations" are three records). The product is the drug name nearest the
action: a code ("ABO-102", "BAT1806"), an international non-proprietary name ("teplizumab") or a
capitalised brand ("ProTmune", "Fucaso"); without one there is no record. A later sentence that
names the same product and says what it is approved for adds the indication.
"""

from __future__ import annotations

import re

from ingest.records import patterns as P
from ingest.records.document import Document, Draft, Sentence
from ingest.records.events import event_date

_CODE = r"\b[A-Z]{1,6}[-‐]?\d{2,6}[A-Za-z]?\b"
_INN = (r"\b[a-z]{3,}(?:mab|cept|leucel|temcel|cel|gene|tinib|ciclib|parib|stat|vec|tide|lisib|"
        r"rsen|siran|domide|plase|kinra|ercept|lutamide|prazole|gliflozin|gliptin|glutide|"
        r"vir|virine|mycin|cillin|zomib|rafenib|degib|sertib|tecan|vedotin|ozogamicin|"
        r"deruxtecan|govitecan|autoleucel|maraleucel|ciloleucel)\b")
_BRAND = r"\b[A-Z][a-z]+[A-Z][A-Za-z]+\b|\b[A-Z]{5,}\b|\b[A-Z][a-z]{3,}\b"
_NOT_PRODUCT = set("""FDA EMA NMPA MHRA PMDA CHMP PRIME RMAT ORPHAN BREAKTHROUGH ACTEMRA NASDAQ
    NYSE DRUG THERAPY FAST TRACK PRIORITY REVIEW STATUS APPROVAL DESIGNATION GRANTS AGENCY
    The This That These Those Its Their Orphan Drug Designation Breakthrough Therapy Fast Track
    Priority Review Medicines Medicine European Agency Food Drug Administration Office Products
    Development National Medical China Chinese Japan Japanese United States America American
    Europe Health Canada Regulatory Phase Clinical Trial Trials Biologics License Application
    Investigational New January February March April May June July August September October
    November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday Last Next Both
    Beyond Despite Moreover However Meanwhile Also Under With From Scheme Status Gene Cell
    Sanfilippo Transpher Pulmonary Arterial Hypertension Type Diabetes Syndrome Disease Today
    Rare Most Related Read More News Source Date Publisher Grants Gains Receives Wins Accepted
    Accepts Approves Approved Regenerative Advanced Accelerated Conditional Marketing
    Authorization Commission Ministry Administration Center Centre Biosimilar Biosimilars
    Market Watch Molecule Big""".split())
_DISEASE = re.compile(
    r"disease|syndrome|cancer|tumou?r|carcinoma|lymphoma|leuka?emia|myeloma|arthritis|diabetes|"
    r"hypertension|\bAMD\b|\bMM\b|infection|deficiency|disorder|hepatitis|fibrosis|dystrophy|"
    r"atrophy|osteoporosis|lupus|sclerosis|gout|GvHD|graft-versus-host|an(?:a)?emia|thalass|"
    r"hemophilia|haemophilia|failure|psoriasis|colitis|crohn|asthma|obesity|migraine|"
    r"depression|schizophrenia|alzheimer|parkinson|epilepsy|\bSMA\b|\bDMD\b|\bPAH\b|"
    r"mucopolysaccharidosis|myasthenia|neuropathy|retin|macular|glaucoma|covid|sars|virus|"
    r"\bHIV\b|\bHBV\b|\bHDV\b|pain|eczema|dermatitis|injury|refractory|dyskinesia|nephropathy|"
    r"nephritis|hepatic|renal|cardiomyopathy|angioedema|urticaria|alopecia|vitiligo|"
    r"neuromyelitis|amyloidosis|porphyria|sickle|tumors?\b|solid\s+tumou?rs|metasta|"
    r"hypercholesterol|hyperlipid|insomnia|narcolepsy|ALS\b|dementia|autism|RSV|influenza|"
    r"pneumonia|sepsis|fever|gastroparesis|cirrhosis|NASH|MASH|steatohepatitis", re.I)
_INDICATION = re.compile(
    r"\b(?:for|to\s+treat|in\s+treating|against|indicated\s+for)\s+(?:the\s+)?(?:treatment\s+of\s+|"
    r"treating\s+|patients\s+with\s+|people\s+with\s+|adults\s+with\s+|children\s+with\s+|use\s+in\s+|"
    r"(?:the\s+)?prevention\s+(?:or\s+delay\s+)?of\s+)?(?P<ind>[^.;:()]{3,160}(?:\s*\([^)]{1,30}\)"
    r"(?:,?\s+(?:and\s+)?[^.;:()]{3,80}\s*\([^)]{1,30}\))*)?)")
_SPLIT = re.compile(r",?\s+(?:and|while|whereas)\s+(?=(?:the\s+)?(?:U\.?S\.?\s+|US\s+|European\s+)?"
                    r"(?:FDA|EMA|NMPA|MHRA|PMDA|Food|European|National|Health|Japan|China))|;\s+")


def _clauses(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for m in _SPLIT.finditer(text):
        out.append((pos, text[pos:m.start()]))
        pos = m.end()
    out.append((pos, text[pos:]))
    return [(a, c) for a, c in out if c.strip()]


def _agency(clause: str) -> str | None:
    best = None
    for name, rx in P.AGENCY_RE.items():
        m = rx.search(clause)
        if m and (best is None or m.start() < best[1]):
            best = (name, m.start())
    return best[0] if best else None


def _action(clause: str, designations: list[str]) -> str | None:
    for name in ("complete_response", "filing_acceptance", "rejection", "delay", "positive_opinion",
                 "ind_clearance"):
        if P.ACTION_RE[name].search(clause):
            return name
    if designations:
        if designations == ["accelerated_approval"]:
            return "approval"
        if P.ACTION_RE["designation"].search(clause) or P.ACTION_RE["approval"].search(clause):
            return "designation"
    if re.search(r"\b(?:approved|approves|approval\s+(?:of|for)|granted\s+(?:marketing\s+)?"
                 r"(?:approval|authori[sz]ation)|authori[sz]ed|cleared|(?:wins|won|win|receives?|"
                 r"received|gained|gains|obtained|obtains|secured|secures|got|gets)\s+"
                 r"(?:\w+\s+){0,2}?(?:approval|marketing\s+authori[sz]ation|(?:the\s+)?nod|"
                 r"(?:the\s+)?green\s+light))\b", clause, re.I):
        return "approval"
    return None


def _products(clause: str, companies: set[str]) -> list[tuple[int, int, str]]:
    found = []
    for rx in (_CODE, _INN, _BRAND):
        for m in re.finditer(rx, clause):
            word = m.group(0)
            if word in _NOT_PRODUCT or word.upper() in _NOT_PRODUCT or any(
                    word in c for c in companies):
                continue
            if re.fullmatch(r"[A-Z]{2,4}", word) or re.fullmatch(r"(?:19|20)\d\d", word):
                continue
            if re.match(r"\s+biosimilar", clause[m.end():]):
                continue  # "the first denosumab biosimilar": the reference product
            if rx == _BRAND and (m.start() == 0 or clause[max(0, m.start() - 2):m.start()] in
                                 (". ", "? ")) and not word.isupper() and \
                    not re.search(r"[a-z][A-Z]", word) and not re.match(
                    r"\S+\s+(?:has|is|was|had|received|receives|gains|obtained|became)\b",
                    clause[m.start():]):
                continue
            if rx == _BRAND and re.search(r"\(\s*$", clause[:m.start()]):
                continue
            if rx == _BRAND and (re.match(r"\s+(?:of\s+|and\s+|for\s+|on\s+)?[A-Z]",
                                          clause[m.end():]) or
                                 re.search(r"[A-Z][\w-]*\s+$", clause[:m.start()])):
                continue  # a word of a longer name ("Institutional Care and Use Committee")
            if any(a <= m.start() < b for a, b, _ in found):
                continue
            found.append((m.start(), m.end(), word))
    return sorted(found)


def _product(clause: str, companies: set[str]) -> str | None:
    cands = _products(clause, companies)
    if not cands:
        return None
    anchor = None
    for rx in (r"\b(?:to|approved|approves|given|granted|put|of|for)\s+(?:[A-Z][\w-]*(?:'s|’s)\s+)?$",):
        for a, b, w in cands:
            if re.search(rx, clause[max(0, a - 40):a]):
                anchor = (a, b, w)
                break
    a, b, word = anchor or cands[0]
    paren = re.match(r"\s*\(([a-z][a-z -]{3,40})\)", clause[b:])
    return f"{word} ({paren.group(1)})" if paren else word


_IN_DISEASE = re.compile(rf"(?:{_CODE}|{_INN}|\b[A-Z][a-z]+[A-Z]?\w*)\s+(?:in|for)\s+"
                         r"(?:(?:adults|patients|people|children)\s+with\s+)?(?P<ind>[^.;:()]{3,120}"
                         r"(?:\s*\([^)]{1,30}\))?)")
_PREVENTS = re.compile(r"\b(?:to|designed\s+to|intended\s+to)\s+(?:prevent|reduce\s+(?:the\s+)?"
                       r"(?:incidence|risk|rate)(?:\s+and\s+severity)?\s+of|slow|delay)\s+"
                       r"(?P<ind>[^.;:()]{3,120}(?:\s*\([^)]{1,30}\))?)", re.I)


def _cut(ind: str) -> str:
    ind = re.split(r"\s+(?:in\s+individuals|in\s+patients|who\s|with\s+up\s+to|that\s|"
                   r"which\s|and\s+(?:has|is|was|granted|gave|received|will|had)\b|as\s+a\b|"
                   r"after\s+at\s+least|following\s|based\s+on|on\s+\d|in\s+combination|"
                   r"on\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday))|,\s+(?:a|an|the|which|"
                   r"who|including|such|on|in|at|after|with|setting|citing|its|it)\s", ind)[0]
    return ind.strip(" ,")


def _indication(clause: str) -> str | None:
    for rx in (_INDICATION, _IN_DISEASE, _PREVENTS):
        # every start ("for SHR-1709, a bispecific antibody, for the treatment of ..." has two)
        starts = sorted({m.start() for m in re.finditer(r"\b\w", clause)}) if rx is _INDICATION \
            else None
        found = [rx.match(clause, i) for i in starts] if starts is not None else \
            list(rx.finditer(clause))
        for m in (m for m in found if m):
            ind = m.group("ind").strip()
            lead = re.match(rf"(?:{_CODE}|{_INN})\s+(?:in|for)\s+", ind)
            if lead:  # "for PLX-09 in tardive dyskinesia": the disease
                ind = ind[lead.end():]
            ind = _cut(ind)
            if _DISEASE.search(ind) and len(ind) >= 3 and not re.match(
                    r"(?:its|the|an?)\s+(?:new\s+drug|biologics?|marketing)\s+application", ind):
                return ind
    return None


_ADJECTIVE = re.compile(r"\b[\w.]+-approved\b|\b(?:FDA|EMA)\s+approved\s+(?=[a-z])")


def extract_regulatory(doc: Document) -> list[Draft]:
    drafts: list[Draft] = []
    recent: tuple[str, int, Sentence] | None = None  # the last product named, and where
    for sent in doc.sentences:
        companies = [m for m in doc.companies(sent)]
        names = {m.text for m in companies}
        last_product = None
        for offset, clause in _clauses(sent.text):
            product_sent = None
            agency = _agency(clause)
            designations = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(clause)]
            product = _product(clause, names) or (
                last_product if re.search(r"\b(?:it|its)\b", clause) else None)
            if product is None and recent and sent.index - recent[1] <= 2 and re.search(
                    r"\b(?:the|this)\s+(?:programme|program|drug|therapy|candidate|product|"
                    r"medicine|treatment|gene\s+therapy|cell\s+therapy|antibody|vaccine)\b|"
                    r"^(?:It|The\s+drug|The\s+therapy)\b", clause):
                product = recent[0]  # named in the sentence before: "the programme", "It"
                if recent[2].element == sent.element:  # quoted with the sentence naming it
                    product_sent = Sentence(doc.texts[sent.element][recent[2].start:sent.start +
                                                                    len(sent.text)],
                                            sent.element, recent[2].start, sent.page, sent.index,
                                            sent.title, sent.lead)
            if product:
                last_product = product
                if product in sent.text:
                    recent = (product, sent.index, sent)
            if agency is None:
                _add_indication(drafts, sent, clause, product)
                continue
            action = _action(_ADJECTIVE.sub(" ", clause), designations)
            if action is None or product is None:
                continue
            for designation in designations or [None]:
                if action == "approval" and designation not in (None, "accelerated_approval",
                                                                "priority_review"):
                    continue
                draft = _add(doc, drafts, sent, clause, agency, action, designation, product,
                             companies)
                if product_sent is not None:
                    draft.put("product", product, product_sent)
    return drafts


def _names(product: str) -> set[str]:
    """"PRV-031 (teplizumab)" -> {"prv-031", "teplizumab"}"""
    return {n.strip(" ()").lower() for n in re.split(r"\s*\(", product) if n.strip(" ()")}


def _add(doc, drafts, sent, clause, agency, action, designation, product, companies) -> None:
    key = (agency, action, designation, product.split(" (")[0].lower())
    draft = next((d for d in drafts if d.key[:3] == key[:3] and
                  _names(product) & d.names), None)
    if draft is None:
        draft = Draft("regulatory", first=sent.index, key=key)
        draft.names = set()
        drafts.append(draft)
    draft.names |= _names(product)
    draft.put("agency", agency, sent)
    draft.put("action", action, sent)
    if designation:
        draft.put("designation", designation, sent)
    if product in sent.text:
        draft.put("product", product, sent)
    sponsors = [m for m in companies if m.text in clause] or companies
    if len({m.canonical for m in sponsors}) == 1:
        draft.put("sponsor", sponsors[0].name, sent)
    draft.put("indication", _indication(clause), sent)
    date = _clause_date(doc, sent, clause)
    if date:
        draft.put("date", date[0], date[1])
    return draft


def _clause_date(doc: Document, sent: Sentence, clause: str):
    from ingest.records.events import dates_in

    for d in dates_in(doc, sent):
        if sent.text.find(clause) <= d.start < sent.text.find(clause) + len(clause):
            return d.value, sent
    if len(_clauses(sent.text)) == 1:
        return event_date(doc, sent, "regulatory")
    return None


def _add_indication(drafts: list[Draft], sent: Sentence, clause: str, product: str | None) -> None:
    """"BAT1806 is approved for rheumatoid arthritis ...": the indication of an earlier record of
    the same product."""
    if not product or not re.search(r"\b(?:approved|indicated|designated)\s+for\b|"
                                    r"\b(?:designed|intended)\s+to\b", clause):
        return
    ind = _indication(clause)
    if not ind:
        return
    for d in drafts:
        if _names(product) & d.names and "indication" not in d.cells:
            d.put("indication", ind, sent)
