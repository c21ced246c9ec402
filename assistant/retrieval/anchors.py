"""The names, code names and numbers of a question that the evidence must contain ("anchors"),
and whether a passage's vocabulary holds one. Used by retrieval (is a follow-up's subject its own?)
and by the answerer (the premise check, list items, comparison sides)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from assistant.core import aliases
from assistant.core.text import question_terms, terms
from assistant.retrieval.spelling import abbreviation_forms, abbreviation_in, place_in

# Capitalised words in questions that are phrasing, not subjects.
_PHRASING = frozenset(
    """what which who whom whose when where why how did does do is are was were can could should
    would will list name describe explain summarize summarise give tell compare show find define
    according please in on of for and or the a an to by with at from about as i we our my
    besides apart other than beyond
    bigger larger greater higher smaller lower earlier later sooner biggest largest highest
    smallest cheaper costlier upfront capex opex whats hows whos wheres whens recap enumerate
    itemize itemise quantify characterize characterise pls fyi btw""".split()
)
# A word as the question writes it: "KT-210", "U.S.", "GSK's", "20,000-liter" (a thousands comma
# stays inside a number, so "20,000" is one anchor, not "20" and "000").
# Letters are any script's ("Hillerød", "Zürich" stay one word as written).
_WORD_RE = re.compile(r"[^\W_](?:[^\W_]|[\-’'.]|,(?=\d{3}))*")
_POSSESSIVE_END = re.compile(r"['’]s?$")
# Capitalised words of the trade that name a kind of thing, not a particular one: "Phase 3",
# "the Trial", "Plant 5" are not names whose absence makes a premise false.
_GENERIC = frozenset(question_terms(
    "phase trial study plant site deal agreement licence license acquisition drug therapy "
    "company companies candidate product programme program unit facility line suite campus "
    "building round series part stage cohort arm tranche wave"))
_DEMONYM = re.compile(r"(ese|ian|ish|an|i)$")
# A drug's international nonproprietary name, written in lower case ("povetacicept",
# "tezepelumab", "zelvotinib"): a name by its stem, as much a premise as a brand name.
_INN = re.compile(r"[a-z]{4,}(?:mab|cept|cel|nib|ciclib|parib|lisib|siran|rsen|vir|vec|tecan|platin|"
                  r"taxel|fungin|oxacin|cillin|sartan|gliptin|gliflozin|glutide|parin|prazole|setron|"
                  r"triptan|statin|lutamide|limus|degib|stim|imod)")
# Words that, after a name, say what kind of company it is ("WuXi Bio" for WuXi Biologics,
# "Samsung Bio", "Jacobio Pharma"): a short form of the name, not a second premise.
# Currency codes ("Novo's DKK 380m project"): a unit of the amount, not a name.
CURRENCY_CODES = frozenset("usd eur gbp chf jpy cny rmb krw inr dkk sek nok cad aud hkd sgd".split())
_KIND = frozenset(question_terms("bio biotech biologics biosciences bioscience biopharma pharma "
                                 "pharmaceuticals therapeutics"))


_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)", re.IGNORECASE)
# A month's short forms -> the term of its full name.
_MONTHS = {full[:3].lower(): terms(full)[0] for full in (
    "January", "February", "March", "April", "June", "July", "August", "September", "October",
    "November", "December")} | {"sept": terms("September")[0]}


@dataclass(frozen=True)
class Anchor:
    term: str  # stemmed
    surface: str  # as written in the question
    numeric: bool


def question_anchors(question: str) -> list[Anchor]:
    """Terms of the question the evidence must contain: numbers, names, code names."""
    anchors: list[Anchor] = []
    seen: set[str] = set()
    previous = ""
    for i, m in enumerate(_WORD_RE.finditer(question)):
        raw = _POSSESSIVE_END.sub("", m.group(0).strip(".'’,")).strip(".'’")
        before, previous = previous, raw.lower()
        if not raw or raw.lower() in _PHRASING or raw.lower() in CURRENCY_CODES:
            continue
        if re.match(r"(?i)non-", raw):  # "non-US regulators": what the answer is not, no premise
            continue
        if "-" in raw and not any(ch.isdigit() for ch in raw):
            # "FDA-approved", "China-based": the name, not the word after it
            kept = [p for p in raw.split("-") if p and (p[0].isupper() or p.isupper())]
            if kept and len(kept) < len(raw.split("-")):
                raw = "-".join(kept)
        if before and (anchors and anchors[-1].surface.lower() == before or
                       i == 1 and question[:1].isupper()) and all(t in _KIND for t in terms(raw)):
            continue  # "WuXi Bio", "Bridge Bio x Atomwise": the kind of company after its name
        if before in ("phase", "page", "pages"):
            continue  # "Phase 2b": a trial's phase; "page 11": where, not what (a page's number)
        is_num = any(ch.isdigit() for ch in raw)
        caps = sum(c.isupper() for c in raw)
        # The first word is capitalised anyway: only an acronym or code name counts there.
        # (the first word too when it heads the question like a topic: "Alprolix: which
        # regulators ...?", "Grifols/Clayton - cost?")
        topic = i == 0 and raw[0].isupper() and bool(re.match(r"\s*(?:[:/]|\s[-–]\s)", question[m.end():]))
        # ... and a first word that starts a run of names ("Cambrex High Point: spend?") or owns
        # something ("Kite's Netherlands plant"), when it is no English word: a company of the
        # alias table, or a word the embedder's vocabulary does not hold whole
        topic = topic or i == 0 and raw[0].isupper() and bool(
            re.match(r"\s+[A-Z]", question[m.end():]) or raw != m.group(0).strip(".,")) and \
            (aliases.known(raw) or not common_word(raw))
        is_name = caps >= 2 or (raw[0].isupper() and i > 0) or bool(_INN.fullmatch(raw)) or topic
        if not (is_num or is_name):
            continue
        # "NVS-Argo", "Modex-REGN": two names joined, each its own anchor as written (so that
        # the ticker NVS is read as Novartis); a code name ("KT-210") stays one surface
        parts = raw.split("-")
        joined = len(parts) > 1 and not is_num and all(p[:1].isupper() and len(p) >= 2 for p in parts) and \
            [t for p in parts for t in terms(p)] == terms(raw) and all(len(terms(p)) == 1 for p in parts)
        for k, t in enumerate(terms(raw)):
            surface = parts[k] if joined else raw
            if joined and k > 0 and t in _KIND:
                continue  # "Kelun-Biotech": the kind of company after its name
            numeric = any(ch.isdigit() for ch in t)
            # A lone letter is a unit ("20000 L") unless it is an abbreviation ("U.S.").
            if t in seen or (not numeric and len(t) < 2 and "." not in raw) or \
                    (not numeric and t in _GENERIC):
                continue
            # A small count ("5 sites", "top 3") or the number of a generic thing ("Phase 3")
            # is not a premise: only larger numbers, and numbers inside code names, are.
            # ... nor a small ordinal ("the 2nd CRL": the document may write "second")
            if numeric and t.isdigit() and int(t) < 10 and (raw.isdigit() or _ORDINAL.fullmatch(raw)):
                continue
            seen.add(t)
            anchors.append(Anchor(t, surface, numeric=numeric))
    return anchors


@lru_cache(maxsize=1)
def _vocabulary_words() -> frozenset[str]:
    """The whole words of the packaged embedder's WordPiece vocabulary (about 20,000 common
    English words and names); empty when the package is not installed."""
    try:
        from assistant.retrieval.cross_encoder import base_model_path

        lines = (base_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and not w.startswith("["))


def common_word(word: str) -> bool:
    """Is `word` a common English word (or name) by the embedder's vocabulary ("Premium",
    "Compare", "Samsung"), not a rare name ("Cambrex", "Precigen")? True when the vocabulary is
    not installed: only known companies then count."""
    vocab = _vocabulary_words()
    # (a contraction's pieces: "Didn't" is "didn" and "t")
    return not vocab or all(p in vocab for p in re.findall(r"[a-z]+", word.lower()))


def passage_vocabulary(p) -> set[str]:
    """Search terms of a passage with its title and section: what `anchor_in` is asked of."""
    return set(terms(p.text)) | set(terms(p.title or "")) | set(terms(p.section or ""))


def anchor_in(anchor: Anchor, vocabulary: set[str]) -> bool:
    if anchor.term in vocabulary:
        return True
    if anchor.numeric:
        # "1L" -> "first-line", "Q1" -> "first quarter": an abbreviation with a digit
        return bool(re.search(r"[A-Za-z]", anchor.surface)) and abbreviation_in(anchor.surface, vocabulary)
    # "Dec" -> "December", "Sept" -> "September": a month as the question shortens it.
    month = _MONTHS.get(anchor.term)
    if month is not None and month in vocabulary:
        return True
    # "Swiss" -> "Switzerland", "U.S." -> "United States": the table of places.
    if place_in(anchor.surface, vocabulary):
        return True
    # "CRL" -> "complete response letter": the trade's abbreviations.
    if abbreviation_in(anchor.surface, vocabulary):
        return True
    # "MoU" -> "MoUs", "CRL" -> "CRLs": an abbreviation in the plural
    if sum(ch.isupper() for ch in anchor.surface) >= 2 and f"{anchor.term}s" in vocabulary:
        return True
    # "BMS" -> "Bristol-Myers Squibb", "J&J" -> "Johnson & Johnson": another name of the same
    # company (the alias table) whose every word is there.
    if any(all(t in vocabulary for t in name) for name in company_names(anchor.surface)):
        return True
    # "Squibb" (a word of "Bristol-Myers Squibb", asked as two words) -> "BMS": a word that
    # belongs to the names of one company only stands for that company.
    owner = _word_owners().get(anchor.term)
    if owner and any(all(t in vocabulary for t in name) for name in company_names(owner)):
        return True
    # "Chinese" -> "China", "European" -> "Europe": a demonym matches its place by prefix.
    surface = anchor.surface.lower()
    root = _DEMONYM.sub("", surface)
    return len(root) >= 4 and root != surface and any(v.startswith(root) for v in vocabulary)


# A stock ticker as a question writes it ("OTLK", "TMO"), and the capitalised run of words of a
# company's name it may stand for ("Outlook Therapeutics", "Thermo Fisher Scientific").
_TICKER = re.compile(r"[A-Z]{3,5}")
_NAME_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][A-Za-z]+){1,3}")


def ticker_name(surface: str, texts: Iterable[str]) -> str | None:
    """The company name `surface` stands for as a stock ticker, when it is an upper-case word the
    alias table and the abbreviations do not know and the texts name such a company: its letters
    appear in order in a name of two to four capitalised words, the first letter starting the
    name (Schwartz and Hearst's test of an abbreviation against its long form): OTLK in "Outlook
    Therapeutics", TMO in "Thermo Fisher Scientific", CYPB in "Cypress Bioscience". A known
    abbreviation (EMA, CRL) is never a ticker: its own spellings decide."""
    if not _TICKER.fullmatch(surface) or abbreviation_forms(surface) or aliases.known(surface):
        return None
    short = surface.lower()
    for text in texts:
        for m in _NAME_RUN.finditer(text):
            name = m.group(0)
            low = name.lower()
            if low[0] != short[0]:
                continue
            pos = 0
            for ch in short:
                pos = low.find(ch, pos) + 1
                if pos == 0:
                    break
            else:
                return name
    return None


@lru_cache(maxsize=4096)
def company_names(surface: str) -> tuple[tuple[str, ...], ...]:
    """The terms of each other name the alias table knows for the company `surface` names
    (nothing when it names no company the table knows)."""
    found = aliases.table().find(surface)
    if found is None:
        return ()
    own = tuple(terms(surface))
    out = {tuple(terms(n)) for n in aliases.aliases(found)}
    return tuple(sorted(t for t in out if t and t != own))


@lru_cache(maxsize=1)
def _word_owners() -> dict[str, str]:
    """Word term -> the one company whose multi-word names hold it ("squibb" -> Bristol-Myers
    Squibb); a word in two companies' names ("therapeutics", "bio") stands for neither."""
    owners: dict[str, str | None] = {}
    for canonical, company in aliases.table().companies.items():
        for name in company.names():
            words = terms(aliases.strip_legal(name))
            if len(words) < 2:
                continue
            for w in words:
                if len(w) < 4 or any(ch.isdigit() for ch in w):
                    continue
                owners[w] = canonical if owners.get(w, canonical) == canonical else None
    return {w: c for w, c in owners.items() if c}


def question_alias_names(question: str) -> list[tuple[str, ...]]:
    """Other names of the companies the question names, as terms ("BMS" -> ("bristol", "myer",
    "squibb")): what keyword search also looks for. A company's own names only (not its
    subsidiaries), without legal suffixes; names sharing a word with the question ("Nektar
    Therapeutics" for "Nektar") are left out."""
    own = set(terms(question))
    table = aliases.table()
    out: list[tuple[str, ...]] = []
    for a in question_anchors(question):
        if a.numeric:
            continue
        found = table.find(a.surface) or _word_owners().get(a.term)
        company = table.companies.get(found or "")
        if company is None:
            continue
        for name in (company.canonical, *company.aliases):
            t = tuple(terms(aliases.strip_legal(name)))
            if t and t not in out and not any(w in own for w in t):
                out.append(t)
    return out
