"""The words of regulatory news the extractor reads: product names (codes, international
non-proprietary names, brands), indications ("for the treatment of ..."), the agency and the
action a clause names. Used by the sentence reader (`regulatory.py`) and the list reader
(`regulatory_lists.py`)."""

from __future__ import annotations

import re

from assistant.core import aliases as company_names
from ingest.records import patterns as P

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
    Photo Image Credit Caption Covid COVID COVID-19 SARS-CoV-2 Omicron Notice Notices Compliance Conditions
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
                 r"(?:(?!(?:clinical|trial|CTA|emergency|use|import|export|manufacturing|compassionate|early|"
                 r"access)\b)\w+\s+){0,2}?(?:\(\w+\)\s+)?(?:approval|(?:marketing\s+)?authori[sz]ation"
                 r"(?![^.;]{0,40}?\b(?:to\s+(?:start|begin|initiate|conduct|proceed|run|import|export|"
                 r"manufacture)|for\s+(?:an?|the|its)\s+(?:clinical|phase|trial|study|pa?ediatric)|"
                 r"for\s+compassionate))|"
                 r"(?:the\s+)?nod|"
                 r"(?:the\s+)?green\s+light))\b", clause, re.I):
        return "approval"
    return None


_EPONYM = re.compile(r"\b([A-Z][a-z]{3,})(?:['’]s)?\s+(?:disease|syndrome|disorder|muscular\s+dystrophy|"
                     r"ataxia|sarcoma|lymphoma|anemia|anaemia)\b")


def eponyms(texts: list[str]) -> set[str]:
    """Names the document gives a disease ("Menkes disease", "Duchenne muscular dystrophy"):
    elsewhere ("a Menkes treatment", "Aurigen's Duchenne gene therapy") they are no product."""
    return {m.group(1) for t in texts for m in _EPONYM.finditer(t)}


# a brand's dosage form, a part of its name: "Onbrez Inhalation Capsules", "Velmora Tablets"
_DOSAGE_FORM = re.compile(r"(?:\s+(?:Inhalation|Oral|Extended[- ]Release|Film[- ]Coated|Chewable|"
                          r"Subcutaneous|Intravenous|Ophthalmic|Nasal|Topical))?\s+(?:Capsules?|Tablets?|"
                          r"Injection|Solution|Suspension|Powder|Cream|Ointment|Patch|Spray|Granules|Gel)\b")


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
            if rx == _BRAND and company_names.known(word):
                continue  # "China approves Hengrui bispecific": the company, not its product
            if rx == _BRAND and (P.is_country(word) or re.match(r",\s+(?:[A-Z][a-z]{0,4}\.){1,2}",
                                                                clause[m.end():])):
                continue  # a place: "in Japan", "the Iselin, N.J., company"
            if rx == _BRAND and re.search(r"\b(?:a|an|the)\s+$", clause[:m.start()]) and re.match(
                    r"\s+(?:drug|medical|device|biotech\w*|pharma\w*|company|firm|distributor|maker|"
                    r"group|developer)\b", clause[m.end():]):
                continue  # what a company is: "a French drug distributor"
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
            form = _DOSAGE_FORM.match(clause, m.end()) if rx == _BRAND else None
            if form:  # "Onbrez Inhalation Capsules": the brand and its form
                word = word + form.group(0)
            elif rx == _BRAND and (re.match(r"\s+(?:of\s+|and\s+|for\s+|on\s+)?[A-Z]",
                                            clause[m.end():]) or
                                   re.search(r"[A-Z][\w-]*\s+$", clause[:m.start()])):
                continue  # a word of a longer name ("Institutional Care and Use Committee")
            if any(a <= m.start() < b for a, b, _ in found):
                continue
            found.append((m.start(), form.end() if form else m.end(), word))
    return sorted(found)


# a drug named in lower case ("ataluren", "avalglucosidase alfa"), followed by what it is or is for
_LOWER_DRUG = r"(?P<w>[a-z]{6,}(?:\s+(?:alfa|beta|pegol))?)(?=\s*[,(]|\s+(?:for|in|to|as)\b)"
# ... right after its company's possessive, when no code, known stem or brand is there: "the EMA
# also approved PTC Therapeutics' ataluren, a small molecule ..."
_OWNED = re.compile(r"(?:['’]s|s['’])\s+(?:(?:lead|experimental|investigational)\s+)?(?:(?:drug|candidate|compound|"
                    r"asset|therapy|product|medicine)\s*,\s+)?" + _LOWER_DRUG)
# ... or right after the decision ("Proteon Therapeutics won a BTD for vonapanitase for ...")
_GRANTED_FOR = re.compile(r"\b(?:BTDs?|ODDs?|designations?|approval|status|nod)\s+for\s+" + _LOWER_DRUG)
_NOT_DRUG_WORDS = frozenset("""disease release increase purchase phase database adults children people
    patients vaccine insulin product medicine compound biosimilar pipeline request review program programme
    portfolio market launch therapy treatment candidate asset antibody application filing submission
    franchise""".split())
_ORDINARY_END = re.compile(r"(?:tion|sion|ment|ness|ity|ing|ed|ly|ous|ive|al|ary|ory|ance|ence|er|ers|ist|ism|ure|"
                           r"ic|ics|able|ible|ate|ates|s|y)$")


def _product(clause: str, companies: set[str]) -> str | None:
    cands = _products(clause, companies)
    if not cands:
        owned = _OWNED.search(clause) or _GRANTED_FOR.search(clause)
        head = owned.group("w").split()[0] if owned else ""
        return owned.group("w") if owned and not _ORDINARY_END.search(head) and \
            head not in _NOT_DRUG_WORDS else None
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
            lead = re.match(rf"(?:{_CODE}|{_INN}|{_BRAND})\s+(?:in|for)\s+", ind)
            if lead:  # "for PLX-09 in tardive dyskinesia", "for Velmora in adults with gout": the disease
                ind = ind[lead.end():]
            ind = _cut(ind)
            if _DISEASE.search(ind) and len(ind) >= 3 and not re.match(
                    r"(?:its|the|an?)\s+(?:new\s+drug|biologics?|marketing)\s+application", ind):
                return ind
    return None


def _names(product: str) -> set[str]:
    """"PRV-031 (teplizumab)" -> {"prv-031", "teplizumab"}"""
    return {n.strip(" ()").lower() for n in re.split(r"\s*\(", product) if n.strip(" ()")}
