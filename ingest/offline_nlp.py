"""Make `unstructured` work offline.

Every partition call of unstructured 0.27.32 loads the spaCy model `en_core_web_sm`, and downloads
it from GitHub when it is missing. The model is on neither PyPI nor Debian, so here that download
fails. We replace unstructured's private loader (`unstructured.nlp.tokenize._get_nlp`, pinned
version, guarded by tests that partition every format offline) with a blank English pipeline:

- a rule-based `sentencizer` for sentence boundaries;
- a small lexical tagger that marks likely verbs with the Penn tag "VB". unstructured only asks the
  tagger one question, "does this line contain a verb?", to tell narrative text from titles. A blank
  pipeline answers "no" for every line, which turns every short sentence into a section title.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.core import offline  # noqa: E402

offline.apply()

# Auxiliaries, modals and frequent verbs whose form does not end in -ed/-ing/-es.
_COMMON_VERBS = frozenset(
    """
    is are was were be been being am has have had do does did can could will would shall should
    may might must need needs get gets got make makes made take takes took give gives gave go goes
    went come comes came see sees saw know knows knew find finds found show shows shown say says
    said tell tells told seek seeks sought bring brings brought build builds built hold holds held
    keep keeps kept lead leads led meet meets met run runs ran set sets leave leaves left pay pays
    paid sell sells sold buy buys bought send sends sent spend spends spent grow grows grew win wins
    won begin begins began become becomes became require requires include includes remain remains
    provide provides enable enables allow allows help helps use uses offer offers aim aims cost costs
    """.split()
)
_VERB_SUFFIX = re.compile(r"^[a-z]{3,}(ed|ing)$")


def _verb_tagger(doc):
    for token in doc:
        low = token.lower_
        if low in _COMMON_VERBS or _VERB_SUFFIX.match(low):
            token.tag_ = "VB"
    return doc


SCIENTIFIC_ABBREVIATIONS = (
    "al.", "Fig.", "Figs.", "fig.", "figs.", "No.", "Nos.", "no.", "Eq.", "Eqs.", "Ref.", "Refs.",
    "approx.", "ca.", "cf.", "vol.", "Vol.", "pp.", "Suppl.", "resp.", "incl.", "est.", "Approx.",
)


@lru_cache(maxsize=1)
def offline_pipeline():
    """A blank English pipeline: sentence boundaries plus the lexical verb tagger.
    (spaCy is imported here, not at module import: it costs over a second.)"""
    import spacy
    from spacy.language import Language

    if "verb_tagger" not in Language.factories:
        Language.component("verb_tagger", func=_verb_tagger)
    nlp = spacy.blank("en")
    # Abbreviations of scientific and business writing that spaCy's English exceptions lack:
    # one token each, so the sentencizer does not end a sentence at their full stop
    # ("Smith et al. reported", "in Fig. 2", "No. 3 plant").
    for abbr in SCIENTIFIC_ABBREVIATIONS:
        nlp.tokenizer.add_special_case(abbr, [{"ORTH": abbr}])
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("verb_tagger")
    return nlp


_installed = False


def install() -> None:
    """Point unstructured's spaCy loader at the offline pipeline (idempotent)."""
    global _installed
    if _installed:
        return
    import unstructured.nlp.tokenize as tokenize

    if not hasattr(tokenize, "_get_nlp"):  # pragma: no cover - guards against a version change
        raise RuntimeError(
            "unstructured.nlp.tokenize._get_nlp is gone: the offline spaCy patch needs updating "
            "for this unstructured version (pinned: 0.27.32)"
        )
    tokenize._get_nlp = offline_pipeline
    _installed = True
