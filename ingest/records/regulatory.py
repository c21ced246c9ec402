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
from ingest.records.events import dates_in, event_date
from ingest.records.regulatory_rows import table_events

# "ABO-102", "BAT1806", and letter codes joined by a hyphen ("AAV-RPGR"; not "CAR-T", "SARS-CoV")
_CODE = (r"\b[A-Z]{1,6}[-‐]?\d{2,6}[A-Za-z]?\b|"
         r"\b(?!CAR-|SARS-|MERS-|COVID-|GLP-|GIP-|PD-|HER-|IL-|TNF-|mRNA-)[A-Z]{2,6}-[A-Z]{3,8}\b(?!-)")
_INN = (r"\b[a-z]{3,}(?:mab|cept|leucel|temcel|cel|gene|tinib|ciclib|parib|stat|vec|tide|lisib|"
        r"rsen|siran|domide|plase|kinra|ercept|lutamide|prazole|gliflozin|gliptin|glutide|"
        r"vir|virine|mycin|cillin|zomib|rafenib|degib|sertib|tecan|vedotin|ozogamicin|"
        r"deruxtecan|govitecan|autoleucel|maraleucel|ciloleucel|prost|sartan|olol|pril|dipine|"
        r"platin|taxel|oxacin|fungin|setron|triptan|parin|limus|stim|imod)\b")
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
    Category Categories Cardiovascular Oncology Immunology Neurology Biotech Biotechnology Pharma
    Injection Injections Tablets Capsules Oral Vaccine Vaccines Antibody Antibodies Treatment
    Patients Shares Stock Company Companies Sponsor Indication Therapeutic Area
    Market Watch Molecule Big Complete Response Letter Letters BEIJING SHANGHAI Beijing Shanghai
    Alzheimer Alzheimer's Parkinson Crohn""".split())
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
    r"pneumonia|sepsis|fever|gastroparesis|cirrhosis|NASH|MASH|steatohepatitis|sarcoma|"
    r"glioma|glioblastoma|melanoma|neoplasm|malignan|nutrition|headaches?|pain\b|"
    r"\b\w+(?:osis|itis|a?emia|kal(?:a)?emia|pathy|plasia|trichosis|cythemia)\b", re.I)
_INDICATION = re.compile(
    r"\b(?:for|to\s+treat|in\s+treating|against|indicated\s+for)\s+(?:the\s+)?(?:treatment\s+of\s+|"
    r"treating\s+|(?:(?:adult|newborn|pediatric|paediatric)\s+)?(?:patients|people|adults|children|infants)\s+"
    r"(?:with|who\s+have|who\s+need|suffering\s+from)\s+|use\s+in\s+|"
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
                 "ind_clearance", "conditional_approval", "tentative_approval"):
        if P.ACTION_RE[name].search(clause):
            return name
    if designations:
        if designations == ["accelerated_approval"]:
            return "approval"
        if P.ACTION_RE["designation"].search(clause) or P.ACTION_RE["approval"].search(clause):
            return "designation"
    if re.search(r"\b(?:approved|approves|approval\s+(?:of|for)|granted\s+(?:an?\s+)?(?:\w+\s+){0,3}?"
                 r"(?:approval|authori[sz]ation)|authori[sz]ed|cleared|(?:wins|won|win|receives?|"
                 r"received|gained|gains|obtained|obtains|secured|secures|got|gets)\s+"
                 r"(?:\w+\s+){0,2}?(?:\(\w+\)\s+)?(?:approval|marketing\s+authori[sz]ation|(?:the\s+)?nod|"
                 r"(?:the\s+)?green\s+light))\b", clause, re.I):
        return "approval"
    return None


def _products(clause: str, companies: set[str]) -> list[tuple[int, int, str]]:
    found = []
    # words of an agency's name ("Ministry of Health, Labour and Welfare") are not products
    agencies = [(a.start(), a.end()) for rx in P.AGENCY_RE.values() for a in rx.finditer(clause)]
    for rx in (_CODE, _INN, _BRAND):
        for m in re.finditer(rx, clause):
            word = m.group(0)
            if any(a <= m.start() < b for a, b in agencies):
                continue
            # (a dateline's "WEDNESDAY, Feb. 14, 2018 --" is a day in capitals)
            if word in _NOT_PRODUCT or word.upper() in _NOT_PRODUCT or word.title() in _NOT_PRODUCT \
                    or any(word in c for c in companies):
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
            if rx == _BRAND and re.match(r"['’]s\s+[A-Z]", clause[m.end():]):
                continue  # "to Norvik's Zelvora": the owner of the product, not the product
            if rx == _BRAND and re.match(r"(?:['’]s)?\s+(?:disease|syndrome|disorder|ataxia|"
                                         r"dystrophy|sarcoma|lymphoma)\b", clause[m.end():]):
                continue  # "Fabry disease", "Ewing sarcoma": a disease, not a product
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
    ind = re.split(r"\s+(?:in\s+individuals|in\s+patients|who\s|whose\s|with\s+up\s+to|that\s|"
                   r"which\s|and\s+(?:has|is|was|granted|gave|received|will|had)\b|as\s+a\b|"
                   r"(?:has|have|had)\s+(?:received|been|won|gained|obtained|secured)\b|"
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
        found = [m for m in found if m]
        # "for its lead candidate, X, for the treatment of Y": the one that says what it treats
        found.sort(key=lambda m: not re.search(r"treat|prevent|patients|people|adults|children|infants",
                                               m.group(0)[:m.start("ind") - m.start()], re.I))
        for m in found:
            ind = m.group("ind").strip()
            lead = re.match(rf"(?:{_CODE}|{_INN})\s+(?:in|for)\s+", ind)
            if lead:  # "for PLX-09 in tardive dyskinesia": the disease
                ind = ind[lead.end():]
            ind = _cut(ind)
            if _DISEASE.search(ind) and len(ind) >= 3 and not re.match(
                    r"(?:its|the|an?)\s+(?:new\s+drug|biologics?|marketing)\s+application", ind):
                return ind
    return None


_ADJECTIVE = re.compile(r"\b[\w.]+-approved\b|\b(?:FDA|EMA)\s+approved\s+(?=[a-z])|"
                        r"\b(?:first|only|already|previously|newly|recently)\s+approved\b")


def extract_regulatory(doc: Document) -> list[Draft]:
    drafts: list[Draft] = []
    listed = _read_lists(doc, drafts)  # elements read as items of an action list
    recent: tuple[str, int, Sentence] | None = None  # the last product named, and where
    only = _only_agency(doc)
    rows, read = table_events(doc, only)  # rows of tables of approvals and designations
    drafts.extend(rows)
    listed |= read
    for sent in doc.sentences:
        if sent.element in listed:
            continue
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
                else:  # another paragraph: the product's cell quotes the sentence naming it
                    product_sent = recent[2]
            if product:
                last_product = product
                if product in sent.text:
                    recent = (product, sent.index, sent)
            agency_sent = sent
            if agency is None and only is not None and designations and P.ACTION_RE[
                    "designation"].search(clause):
                # "Proteon won a BTD for vonapanitase" in an article about the FDA's week: a
                # designation granted by the one agency the document names, quoted where it does
                agency, agency_sent = only
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
                             companies, agency_sent)
                if product_sent is not None:
                    draft.put("product", product, product_sent)
                for other in _siblings(clause, product, names):
                    _add(doc, drafts, sent, clause, agency, action, designation, other,
                         companies, agency_sent)
    return drafts


def _siblings(clause: str, product: str, companies: set[str]) -> list[str]:
    """Products named with `product` ("Pelmeg and Ziextenzo received approval"): each has it."""
    word = rf"(?:{_CODE}|\b[A-Z][a-z]+[A-Za-z0-9-]*\b|{_INN})"
    out = []
    for rx in (rf"(?P<x>{word})\s*(?:,|and|&)\s*{re.escape(product)}\b",
               rf"\b{re.escape(product)}\s*(?:,|and|&)\s*(?P<x>{word})(?!\s+[A-Z])"):
        m = re.search(rx, clause)
        x = m.group("x") if m else ""
        if x and not (x in _NOT_PRODUCT or x.title() in _NOT_PRODUCT or x.upper() in _NOT_PRODUCT or
                      any(x in c for c in companies) or P.country_of(x) or _DISEASE.search(x) or
                      re.fullmatch(r"[A-Z]{2,4}", x)):
            out.append(x)
    return out


def _names(product: str) -> set[str]:
    """"PRV-031 (teplizumab)" -> {"prv-031", "teplizumab"}"""
    return {n.strip(" ()").lower() for n in re.split(r"\s*\(", product) if n.strip(" ()")}


def _only_agency(doc: Document) -> tuple[str, Sentence] | None:
    """The one agency the document names, with the first sentence naming it (None when it names
    none, or more than one)."""
    found: dict[str, Sentence] = {}
    for sent in doc.sentences:
        for name, rx in P.AGENCY_RE.items():
            if name not in found and rx.search(sent.text):
                found[name] = sent
    return next(iter(found.items())) if len(found) == 1 else None


def _add(doc, drafts, sent, clause, agency, action, designation, product, companies,
         agency_sent: Sentence | None = None) -> None:
    key = (agency, action, designation, product.split(" (")[0].lower())
    draft = next((d for d in drafts if d.key[:3] == key[:3] and
                  _names(product) & d.names), None)
    if draft is None:
        draft = Draft("regulatory", first=sent.index, key=key)
        draft.names = set()
        drafts.append(draft)
    draft.names |= _names(product)
    draft.put("agency", agency, agency_sent or sent)
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


# --- lists under action headings (extract3) ---
# "Approvals" / "Priority review" / "Fast track" / "Other designations" / "Complete response
# letters:" headings, each over a list of "Sponsor's Product, for indication." items; the
# agency is named once, before the lists ("The FDA's approvals and designations for the week").
_HEADINGS: list[tuple[str, str | None, re.Pattern]] = [
    (action, designation, re.compile(rf"^(?:(?:new|recent|other|notable|key|latest|fda|ema|"
                                     rf"us|eu)\s+)*(?:{rx})\s*:?\s*$", re.I))
    for action, designation, rx in [
        ("conditional_approval", None, r"conditional\s+(?:marketing\s+)?(?:approvals?|"
                                       r"authori[sz]ations?)"),
        ("tentative_approval", None, r"tentative\s+approvals?"),
        ("approval", "accelerated_approval", r"accelerated\s+approvals?"),
        ("approval", None, r"approvals?|approved|(?:supplemental|expanded|label)\s+approvals?|"
                           r"marketing\s+authori[sz]ations?"),
        ("designation", "priority_review", r"priority\s+reviews?"),
        ("designation", "fast_track", r"fast[\s-]+track(?:\s+designations?)?"),
        ("designation", "breakthrough", r"breakthrough(?:\s+therapy)?(?:\s+designations?)?"),
        ("designation", "orphan", r"orphan(?:\s+drug)?(?:\s+designations?|\s+status)?"),
        ("designation", "rmat", r"RMAT(?:\s+designations?)?|regenerative\s+medicine\s+advanced"
                                r"\s+therapy(?:\s+designations?)?"),
        ("designation", "qidp", r"QIDP(?:\s+designations?)?|qualified\s+infectious\s+disease"
                                r"\s+products?"),
        ("designation", "prime", r"PRIME(?:\s+designations?)?"),
        ("designation", None, r"designations?"),
        ("complete_response", None, r"complete\s+response(?:\s+letters?)?|CRLs?"),
        ("rejection", None, r"rejections?|refusals?|negative\s+opinions?"),
        ("positive_opinion", None, r"positive\s+(?:CHMP\s+)?opinions?"),
        ("filing_acceptance", None, r"(?:accepted\s+)?(?:filings?|applications?|submissions?)"
                                    r"(?:\s+accepted|\s+acceptances?)?|filing\s+acceptances?"),
        ("ind_clearance", None, r"IND\s+(?:clearances?|approvals?)|cleared\s+INDs?"),
        ("delay", None, r"delays?|review\s+extensions?"),
    ]]
# "AstraZeneca PLC and Daiichi Sankyo Co. Ltd.'s Enhertu, for ...", "Seattle Genetics' tucatinib"
_ITEM = re.compile(
    r"^(?P<sponsor>[A-Z][^'’:;]{1,90}?)(?:'s|’s|(?<=s)'|(?<=s)’)\s+"
    r"(?P<product>(?:[A-Z0-9][\w-]*|[a-z]{4,}[\w-]*)(?:\s+(?!in\b|for\b|and\b|with\b|which\b|"
    r"to\b|as\b|plus\b|combined\b|that\b)[\w-]+){0,3}?)(?=\s*(?:,|;|\(|$|\.\s*$|\s+(?:in|for|"
    r"with|which|to|as|plus|combined|that)\b))")
_ITEM_DESIGNATION = re.compile(r"^(?P<what>[^,]{3,60}?),\s+(?:for|to)\s+(?=[A-Z])")
_LEGAL = re.compile(r"\s*(?:,\s*)?(?:Inc\.?|Ltd\.?|PLC|plc|AG|Co\.|Corp\.?|LLC|SA|S\.A\.|N\.V\.|"
                    r"SE|GmbH|KGaA|A/S|AB(?:\s+\(publ\))?)$")


def _heading(text: str) -> tuple[str, str | None] | None:
    t = text.strip().strip("*#").strip()
    if not t or len(t) > 60:
        return None
    parts = [p.strip() for p in t.split(":")] if t.count(":") == 1 and not t.endswith(":") else [t]
    for part in reversed(parts):  # ("Other designations: orphan drug": after the colon first)
        for action, designation, rx in _HEADINGS:
            if rx.match(part):
                return action, designation
    return None


def _list_agency(doc: Document, before: int) -> tuple[str, Sentence] | None:
    """The agency the lists are of: the last sentence before the first list that names one (the
    lists' preamble), else the headline's."""
    for sent in reversed([s for s in doc.sentences if s.element < before]):
        agency = _agency(sent.text)
        if agency and len(sent.text) < 300:
            return agency, sent
    return None


def _read_lists(doc: Document, drafts: list[Draft]) -> set[int]:
    """Items of lists under action headings: one record each, agency from the preamble, action
    (and designation) from the heading, sponsor and product from "Sponsor's Product", the
    indication from "for ...". Returns the elements read as items."""
    by_element: dict[int, list[Sentence]] = {}
    for sent in doc.sentences:
        by_element.setdefault(sent.element, []).append(sent)
    listed: set[int] = set()
    current: tuple[str, str | None, Sentence] | None = None
    agency: tuple[str, Sentence] | None = None
    for el in sorted(by_element):
        sents = by_element[el]
        text = doc.texts[el]
        head = _heading(text) if (sents[0].title or len(text) <= 60) else None
        if head is not None:
            if agency is None:
                agency = _list_agency(doc, el)
            current = (head[0], head[1], Sentence(text, el, 0, sents[0].page, sents[0].index,
                                                  False, False))
            continue
        if sents[0].title or current is None:
            current = None if sents[0].title else current
            continue
        own = _agency(text)
        if agency is None or len(text) > 400 or own and own != agency[0]:
            continue  # an item naming another agency is read as a sentence
        item = Sentence(text, el, 0, sents[0].page, sents[0].index, False, False)
        if _list_item(doc, drafts, item, agency, current):
            listed.add(el)
    return listed


def _list_item(doc: Document, drafts: list[Draft], item: Sentence, agency: tuple[str, Sentence],
               heading: tuple[str, str | None, Sentence]) -> bool:
    action, designation, head_sent = heading
    text = item.text.strip()
    rest = text
    lead = _ITEM_DESIGNATION.match(text)  # "Orphan drug, for Eagle Pharmaceuticals Inc.'s Ryanodex."
    designation_sent = head_sent
    if lead and action == "designation":
        found = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(lead.group("what"))]
        if len(found) == 1:
            designation, designation_sent = found[0], item
            rest = text[lead.end():]
    if action == "designation" and designation is None:
        found = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(text)]
        if len(found) != 1:
            return False
        designation, designation_sent = found[0], item
    m = _ITEM.match(rest)
    if m:
        sponsor, product = m.group("sponsor").strip(), m.group("product").strip()
        if _LEGAL.fullmatch(product) or product.lower() in ("own", "new", "first"):
            return False
    else:
        companies = {c.text for c in doc.companies(item)}
        product = _product(rest, companies)
        names = {c.canonical for c in doc.companies(item)}
        sponsor = next(iter(doc.companies(item))).name if len(names) == 1 else None
        if product is None:
            return False
    # "fungal infection drug Tolsura", "prescription digital therapeutic reSET-O": the name is
    # the first word that is not plain lower case
    words = product.split()
    product = " ".join(words[next((k for k, w in enumerate(words) if not re.fullmatch(r"[a-z]+", w)), 0):])
    if product in _NOT_PRODUCT or not product.strip():
        return False
    draft = Draft("regulatory", first=item.index,
                  key=(agency[0], action, designation, product.lower()))
    draft.names = _names(product)
    drafts.append(draft)
    draft.put("agency", agency[0], agency[1])
    draft.put("action", action, head_sent if P.ACTION_RE.get(action, re.compile("$^")).search(
        head_sent.text) or (action == "designation" and designation_sent is head_sent) else item)
    if designation:
        draft.put("designation", designation, designation_sent)
    draft.put("product", product, item)
    if sponsor:
        draft.put("sponsor", sponsor, item)
    after = rest[m.end():] if m else rest
    draft.put("indication", _indication(after), item)
    for d in dates_in(doc, item):
        draft.put("date", d.value, item)
        break
    return True
