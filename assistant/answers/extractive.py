"""The default generator: answers made of passage sentences, chosen by a learned model.

No language model writes anything: every sentence of an answer is a sentence of a retrieved
passage (with citation-like markers, footnote digits and emoji removed), followed by the [n] of
its passage, so an answer can never state a number the documents do not.

How an answer is made:
1. Candidates: every sentence of the retrieved passages, minus page chrome (headings, captions,
   share buttons).
2. Each candidate gets the features of `features.SENTENCE_FEATURES`. A first logistic regression
   without the embedding features ranks all of them; the best `model.prefilter_keeps` (chosen
   by `python -m eval train-answerer`, out of fold) are embedded and re-scored by the full model (P(the sentence holds the answer)).
3. A second model decides whether to answer at all (P(the best sentence answers the question)).
4. The answer is the best sentence, plus further sentences whose probability reaches the learned
   `keep` threshold, up to `max_answer_sentences`; a list question gets one sentence per document;
   a sentence introducing a list brings the list's items.
5. Names and numbers of the question that no cited passage mentions are a premise the documents
   do not report: the answer says so plainly, and shows what they do say.
Models and thresholds come from `assistant/answers/data/answerer.json`, trained on SQuAD 2.0 and
COVID-QA by `python -m eval train-answerer` (README: training data and held-out scores).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterator, Sequence

import numpy as np

from assistant.answers.features import (
    Candidate,
    candidates,
    clean,
    is_chrome,
    question_features,
    sentence_features,
    vocabulary,
)
from assistant.answers.gather import (
    compare_sides,
    entities,
    facet_sentences,
    following,
    heading_items,
    heading_above,
    is_quote,
    lead,
    lead_item,
    list_items,
    shares_a_term,
    starts_line,
)
from assistant.answers.gate import gate_features, load_gate
from assistant.answers.model import AnswererModel, gate_threshold, load_model, logit
from assistant.answers.question import AREA_HOLDS, _Question, analyse, answer_type, facets
from assistant.answers.ranker import items_in_order, load_items, load_ranker
from assistant.answers.shapes import Shape, shape_of
from assistant.answers.types import (
    ABSTAINED,
    ANSWERED,
    HEDGE,
    HEDGED,
    NOT_COVERED,
    Answer,
    Citation,
    CorpusStats,
    Delta,
    stream_sentences,
)
from assistant.core.config import Settings
from assistant.core.text import BULLET, question_terms, terms
from assistant.retrieval.anchors import (
    CURRENCY_CODES,
    Anchor,
    anchor_in,
    company_names,
    question_anchors,
    ticker_name,
)
from assistant.retrieval.hybrid import Passage
from assistant.retrieval.spelling import abbreviation_forms, question_abbreviations

# Items a quoted list may bring beyond the sentence limit ("every item of the list it quotes"),
# and how many following chunks of its document it may run into.
MAX_LIST_ITEMS = 12
MAX_LIST_CHUNKS = 3
_ITEM_NUMBER = re.compile(r"^(\d{1,2})[.)](\s|$)")
_HEADING = re.compile(r"^[A-Z][^.!?:]{0,60}$")  # a short line without end punctuation

# ("The chart below lists the 23 FDA November 2013 products receiving orphan designation")
_LIST_INTRO = re.compile(r"(:\s*$|\b(the following|here are|(chart|table|list) below|below (is|are) (a |the )?"
                         r"(list|table|chart)|lists the \d+)\b)", re.IGNORECASE)
# A comparison of size or time asks for an amount (or count) or a date on each side.
_SIZE = re.compile(r"\b(bigger|larger|greater|higher|more|smaller|lower|less|fewer|cheaper|"
                   r"biggest|largest|highest|most|economics|financial|terms|value|worth|price|"
                   r"capex|capital expenditures?|investments?|cost|money)\b",
                   re.IGNORECASE)
_MONTH_TERMS = frozenset(terms("January February March April May June July August September October "
                               "November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"))
# a note on the copy of a page, not a statement of it: where a stored copy breaks off, a paywall
_COPY_NOTE = re.compile(r"(?:^\W*|\[)(?:The|This)\s+(?:stored\s+)?(?:copy|page|article|text)\s+(?:breaks\s+off|"
                        r"ends|is\s+cut|stops)\b|\b(?:subscribe|log\s+in|sign\s+in|register)\s+to\s+"
                        r"(?:read|continue|view)\b", re.I)
_DAY = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})\b(?!,?\s*\d{3})")
_TIME = re.compile(r"\b(earlier|later|sooner|first|older|newer)\b", re.IGNORECASE)
# What a comparison of size measures, by the question's words: jobs, floor space, capacity; else
# money ("Which deal was bigger?").
_AREA = ("the floor space", AREA_HOLDS)
_MEASURES = [
    (re.compile(r"\b(jobs|employees|hires|workers|positions|headcount|staff)\b", re.I), "how many jobs"),
    (re.compile(r"\b(footprint|square[- ]?f(oo|ee)t|sq\.? ?ft|floor ?space|building|space|area)\b", re.I), None),
    (re.compile(r"\b(capacity|liters?|litres?|bioreactors?|volume)\b", re.I), "what capacity"),
]
# Hedges show this many of the closest sentences.
HEDGE_SENTENCES = 2
# The kinds of value a question may ask for, as the answer names them when no passage gives one.
_VALUE_NAMES = {"amount": "the amount", "date": "the date", "count": "the number",
                "percentage": "the percentage", "duration": "how long", "temperature": "the temperature",
                "jobs": "the number of jobs", "volume": "the capacity", "area": "the floor area"}
# slots (`question.slot_of`) that are terms of a deal, which each side of a comparison must state
_DEAL_TERMS = {"the upfront payment", "the milestone payments", "the royalties", "the premium"}
_CODE = re.compile(r"[A-Za-z]")  # a number that is part of a code name ("VX-101"), not a year
_PRONOUN_START = re.compile(r"^(they|this|these|it|its|such|those|their|he|she|both)\b", re.I)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _workers() -> ThreadPoolExecutor:
    """Threads for the cross-encoder (one per request being answered at once, up to 8); torch
    releases the GIL while it computes, so it runs beside the embedder."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cross-encoder")
        return _POOL


class ExtractiveGenerator:
    """Answers with verbatim passage sentences, each run followed by its [n] marker."""

    name = "extractive"

    def __init__(self, settings: Settings, embedder=None, model: AnswererModel | None = None,
                 cross_encoder=None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.model = model or load_model()
        # The cross-encoder joins when the model file says how (`python -m eval train-cross`).
        self.cross = self.model.cross if settings.cross_encoder else None
        self._cross_encoder = cross_encoder
        m, c = self.model, self.cross
        self.keeps = c.keeps if c else m.prefilter_keeps
        # With the cross-encoder, the threshold chosen on trade-press questions (gate.json): the
        # one learned on public data hedged about 40% of answerable trade-press questions.
        gate = gate_threshold() if c else None
        self.answer_threshold = gate if gate is not None else (c.answer_threshold if c else m.answer_threshold)
        self.hedge_threshold = c.hedge_threshold if c else m.hedge_threshold
        self.keep_threshold = c.keep_threshold if c else m.keep_threshold
        # Which of the scored candidates leads, learned on trade press (answers.ranker), and the
        # threshold on its best score that gates answers with it (gate.json).
        self.ranker = load_ranker() if c and settings.sentence_ranker else None
        self.lead_threshold = gate_threshold(key="lead_threshold") if self.ranker else None
        # The gate learned on trade press over both and the asked detail (answers.gate), when
        # shipped: its features include the ranker's score, so only with the ranker.
        self.gate = load_gate() if self.ranker else None
        # A list's items, and when a document gives more than one, learned on trade press too.
        self.items = load_items() if c and settings.sentence_ranker else None

    @property
    def cross_encoder(self):
        if self._cross_encoder is None:
            from assistant.retrieval.cross_encoder import get_cross_encoder

            self._cross_encoder = get_cross_encoder(quantize=self.settings.cross_encoder_int8,
                                                    threads=self.settings.torch_threads)
        return self._cross_encoder

    @property
    def embedder(self):
        if self._embedder is None:
            from assistant.retrieval.embedding import get_embedder

            # Always the packaged MiniLM: the sentence model's similarity features were learned
            # with it. With the default ASSISTANT_EMBED_MODEL this is retrieval's own instance
            # (one model in memory); with another embedder, MiniLM is loaded beside it.
            self._embedder = get_embedder(self.settings.torch_threads)
        return self._embedder

    # --- scoring ---
    def score(self, q: _Question, cands: list[Candidate], stats: CorpusStats,
              keep_rest: bool = False, rank: bool = True) -> list[Candidate]:
        """The prefilter's best candidates, each with P(it holds the answer) set, best first;
        with `keep_rest` (lists, comparisons) the other candidates follow, in the prefilter's
        order, with its probability scaled below the last re-scored one. `rank`: the trade-press
        ranker orders the scored ones (not for a list: it learned from one-answer questions)."""
        X = sentence_features(q, cands, stats, None)
        for c, row in zip(cands, X):
            c.plain = row  # (a list's item model reads these: ranker.item_features)
        rest: list[Candidate] = []
        if self.model.uses_similarity:
            pre = self.model.prefilter.predict(X)
            order = np.argsort(-pre)
            top = order[:self.keeps]
            if keep_rest:
                for i in order[self.keeps:]:
                    cands[i].prob = float(pre[i])
                    rest.append(cands[i])
            cands = [cands[i] for i in top]
            # The cross-encoder reads the same candidates as the embedder: the two models run at
            # once, one torch thread each (a 2-core machine answers in the time of the slower).
            pending = self._cross_scores(q, cands)
            query = self.embedder.embed_query(q.text)  # usually retrieval's, already computed
            vecs = self.embedder.embed_texts([c.text for c in cands])
            X = sentence_features(q, cands, stats, vecs @ query)
        else:
            pending = self._cross_scores(q, cands)
        for c, p in zip(cands, self.model.sentence.predict(X)):
            c.prob = c.p_model = float(p)
        if pending is not None:
            ce = pending.result()
            Z = np.column_stack([logit([c.p_model for c in cands]), logit(ce)])
            for c, pc, p in zip(cands, ce, self.cross.sentence.predict(Z)):
                c.ce, c.prob = float(pc), float(p)
        ranked = sorted(cands, key=lambda c: -c.prob)
        if pending is not None and self.ranker is not None:
            if rank:
                ranked = self.ranker.order(ranked)
            else:  # (its scores still tell the gate how likely an answer is)
                self.ranker.score(ranked)
        if rest:
            floor = ranked[-1].prob if ranked else 1.0
            top_pre = max(c.prob for c in rest) or 1.0
            for c in rest:
                c.prob = floor * 0.99 * c.prob / top_pre
        return ranked + rest

    def _list(self, ranked: list[Candidate], limit: int, subject: list,
              per_document: bool) -> list[Candidate]:
        """A list question's items: in the list-item model's order, a document's further items
        from its `keep` (answers.ranker.Items); without it, the models' order and threshold."""
        if self.items is None:
            items = list_items(ranked, limit, self.keep_threshold, per_document, subject)
        else:
            items = items_in_order(ranked, self.items.score(ranked), limit, self.items.keep,
                                   per_document, subject, self.items.admit)
        return lead_item(items, ranked, limit, per_document)

    def _cross_scores(self, q: _Question, cands: list[Candidate]) -> Future | None:
        """The cross-encoder's scores of the candidates, computed on a worker thread."""
        if self.cross is None or not cands:
            return None
        return _workers().submit(self.cross_encoder.score, q.text, [c.text for c in cands])

    def answer(self, question: str, passages: Sequence[Passage], stats: CorpusStats) -> Answer:
        seen: dict = {}
        answer = self._answer(question, passages, stats, seen)
        if seen.get("lead") is not None:  # the gate's signal, beside P(answerable) (eval.gate reads it)
            answer.extra = {**(answer.extra or {}), "lead": round(seen["lead"], 4)}
        if seen.get("gate_x") is not None:  # the learned gate's features (eval.gate fits on them)
            answer.extra = {**(answer.extra or {}), "gate_x": [round(float(v), 5) for v in seen["gate_x"]]}
        return answer

    def _answer(self, question: str, passages: Sequence[Passage], stats: CorpusStats,
                seen: dict) -> Answer:
        q = analyse(question, stats)
        if not passages or not q.weights:
            return self.abstain("no passage matched the question")
        passages = list(passages)
        shape = shape_of(question)
        if q.about_document:
            # A document's own date and author are in its dateline and byline, in its first chunk.
            passages = _headers(passages, stats) or passages
        vocab = {p.id: vocabulary(p) for p in passages}
        everywhere = set().union(*vocab.values())
        missing = [a for a in q.anchors if not anchor_in(a, everywhere)]
        # A stock ticker ("OTLK") of a company the passages name is read as that company's name.
        named = _tickers(question, missing, passages)
        if named != question:
            question, q = named, analyse(named, stats)
            missing = [a for a in q.anchors if not anchor_in(a, everywhere)]
        if q.anchors and len(missing) == len(q.anchors):
            return self.abstain(f"no passage mentions {_quote(missing)}")
        if shape.kind == "summary":
            return self._summary(passages, stats)
        if q.about_document:
            return self._about_document(q, passages, stats)
        # "Priority reviews that week?" on a page with a "Priority review" section: its lines.
        section = self._section(q, shape, passages, stats)
        if section is not None:
            return section
        cands = candidates(passages)
        if not cands:
            return self.abstain("no sentence of the retrieved passages matches the question")
        # A list, and a question about one term of a deal (below), look past the best sentences.
        def vocab_of(p: Passage) -> set[str]:
            return vocab.get(p.id) or vocabulary(p)
        several = facets(question) if shape.kind == "single" else []
        ranked = _facts_first(q, self.score(q, cands, stats, rank=shape.kind != "list",
                                            keep_rest=shape.kind != "single" or q.slot is not None
                                            or bool(several)),
                              vocab_of)
        p_answer = self.p_answer(q, ranked, passages)
        # The gate: with the ranker, its best P(a sentence holds a key fact), learned on trade
        # press (`python -m eval.gate` chose its threshold: on trade press it separates answerable
        # from unanswerable questions where P(answerable), learned on public data, hardly does);
        # otherwise, or with ASSISTANT_ANSWER_THRESHOLD set, P(answerable).
        lead = seen["lead"] = max((c.lead for c in ranked if c.lead is not None), default=None)
        x = seen["gate_x"] = gate_features(q, ranked, p_answer, lead, vocab_of)
        if self.settings.answer_threshold is not None:
            signal, threshold = p_answer, self.settings.answer_threshold
        elif self.gate is not None:  # the learned gate (answers.gate)
            signal, threshold = float(self.gate[0].predict(x)[0]), self.gate[1]
        elif lead is not None and self.lead_threshold is not None:
            signal, threshold = lead, self.lead_threshold
        else:
            signal, threshold = p_answer, self.answer_threshold
        if shape.kind == "comparison":
            return self._compare(q, shape, ranked, p_answer)
        list_question = shape.kind == "list"
        # The answerability model learned from one-answer questions (a single sentence holds the
        # answer); a list question is answered from several documents at once, which that
        # model was never shown, so its gate does not apply. Such a question is still declined
        # when no passage names what it asks about (above), or no sentence shares a term.
        gated = not (list_question and any(shares_a_term(c) for c in ranked))
        if gated and signal < threshold:
            return self._hedge(q, ranked, p_answer, missing)
        if list_question:
            limit = max(self.settings.max_answer_sentences, MAX_LIST_ITEMS // 2)
            # what the list is about: names and product codes, not a date ("the June 9 roundup")
            subject = [a for a in q.anchors if (not a.numeric or _CODE.search(a.surface))
                       and not set(terms(a.surface)) <= _MONTH_TERMS]
            seen["list"] = (ranked, limit, subject, shape.per_document)  # (eval.train_ranker reads it)
            items = self._list(ranked, limit, subject, shape.per_document)
            if items:
                return self._compose(items, p_answer, [], shape="list")
        chosen = self._select(ranked, stats, list_question=False, subject=q.names, vocab_of=vocab_of)
        # Names and numbers of the question that nothing the answer cites mentions: first the
        # best further sentence whose passage does mention one joins the answer; what is still
        # missing is a premise the documents do not report ("When did the FDA approve X?" when
        # only China approved it). The answer says so, and shows what they do say.
        def cited() -> set[str]:
            return set().union(*(vocab.get(c.passage.id) or vocabulary(c.passage) for c in chosen))
        for a in q.anchors:
            if anchor_in(a, cited()):
                continue
            extra = next((c for c in ranked if c not in chosen and c.prob >= self.keep_threshold
                          and anchor_in(a, vocab.get(c.passage.id) or vocabulary(c.passage))), None)
            if extra is not None:
                chosen.append(extra)
        # ... where "what they cite" is the cited chunks with their document's title, its first
        # chunk (headline, byline, publisher) and the chunks either side: "The company will put
        # $48 million into the Syracuse facilities" is about Lotte Biologics when the article's
        # headline and the sentence before name it.
        def around() -> list[Passage]:
            out: list[Passage] = []
            for c in chosen:
                head = stats.header(c.passage.source)  # its headline, byline and publisher
                out += [c.passage, head, stats.neighbor(c.passage, -1), stats.neighbor(c.passage, 1)]
            return [p for p in out if p is not None]
        unreported = [a for a in q.anchors if not anchor_in(a, cited())]
        if unreported:
            near = around()
            context = set().union(*(vocab.get(p.id) or vocabulary(p) for p in near))
            unreported = [a for a in unreported if not anchor_in(a, context)]
        # A name no passage mentions at all ("Seagen"), and no name of the question in what the
        # answer cites: the sentences found are about something else, so the answer is no.
        names_missing = [a for a in missing if not a.numeric]
        if names_missing and all(a in unreported for a in q.names):
            return self.abstain(f"no passage mentions {_quote(names_missing)}", confidence=p_answer)
        # A value asked of two named things ("When did the FDA approve Fucaso?") must be given
        # of both: when no sentence giving that kind of value names them together, the names
        # its best such sentence lacks are the unreported premise (China approved it).
        # A sentence may name them in the sentence before it ("X licensed KRT-7 to Beta. The
        # upfront payment was $40 million.").
        # (a month the question dates its subject by is no name: "Amerigen ... in January 2015"
        # names one company, whose row gives "1/12/15")
        names = [a for a in q.names if a.term not in _MONTH_TERMS]
        typed = [c for c in chosen if c.typed]
        split = bool(q.wanted and len(names) >= 2 and typed and not unreported and not any(
            all(anchor_in(a, _story_window(c, q)) for a in names) for c in typed))
        if split:
            # A sentence further down giving such a value of every name joins the answer: the
            # headline "GSK Pharma's Bengaluru facility to be operational by 2017" does not name
            # Vemgal, "The company has decided to create a new greenfield manufacturing site at
            # Vemgal near Bengaluru, to be operational by 2017" does (GSK opens its passage).
            # (the sentence itself names one of them: "It closed the month with a $980 million
            # deal with Triphase" after the sentence on Celgene and Obsidian is another deal)
            both = next((c for c in ranked if c.typed and c.prob >= self.keep_threshold
                         and any(anchor_in(a, set(terms(c.text))) for a in names)
                         and not _unnamed(c, names, _story_window(c, q), _alone(c, q, opening=True))),
                        None)
            if both is not None:
                if (both.passage.id, both.index) not in {(c.passage.id, c.index) for c in chosen}:
                    chosen.append(both)
                split = False
        if split:
            best = max(typed, key=lambda c: c.prob)
            alone = _alone(best, q)
            story = _unnamed(best, names, _story_window(best, q), alone)
            if not any(all(anchor_in(a, _window(c)) for a in names) for c in typed):
                unreported = _unnamed(best, names, _window(best), alone)
            if q.wanted[0] in _VALUE_NAMES and len(story) == len(names) and \
                    (all(anchor_in(a, cited()) for a in story) or not alone):
                # the value found is of something else, and the names are in what the answer
                # cites, only not with the value: say that, not that the documents do not report
                # them (one name missing, "When did the FDA approve Fucaso?", is a premise); so
                # too when the value's sentence names other companies ("Pieris is banking $20
                # million up front" on a page whose other story is Antengene's)
                return self._not_plain(chosen, p_answer, f"{_VALUE_NAMES[q.wanted[0]]} for {_quote(names)}")
        # A question that asks for a kind of value (an amount, a date, a number of jobs, a
        # capacity) is answered only by a sentence that gives one: the best such sentence naming
        # the question's names (itself or the sentence before it) joins the answer. Otherwise the
        # answer is hedged: it says the value is not stated plainly and shows the closest
        # sentences, with the best sentence giving such a value in a passage about the subject
        # (see `_about`): "The deal is expected to close in Q4" may well be the answer, but
        # "It paid Kyn $80 million upfront" for a question about Obsidian is not.
        if q.wanted and q.wanted[0] in _VALUE_NAMES and not unreported and not any(c.typed for c in chosen):
            typed = [c for c in ranked if c.typed and c not in chosen
                     and (shares_a_term(c) or _refers_to_subject(c, q))]
            named = next((c for c in typed if all(anchor_in(a, _window(c)) for a in names)
                          or _refers_to_subject(c, q)), None)
            if named is not None:
                chosen.append(named)
            else:
                near = next((c for c in typed
                             if _about(q, c, vocab.get(c.passage.id) or vocabulary(c.passage))), None)
                shown = chosen[:HEDGE_SENTENCES - 1 if near else HEDGE_SENTENCES] + ([near] if near else [])
                return self._not_plain(shown, p_answer, _VALUE_NAMES[q.wanted[0]])
        # The deal term or designation asked about ("upfront", "orphan") must be what a cited
        # sentence says: the best sentence saying it about the question's subject joins the
        # answer, or the answer is hedged ("a potential $1 billion-plus agreement" does not give
        # the upfront payment; a fast track designation is not an orphan designation).
        # (the value asked for, when one is, in the same sentence: "its shares rose 23%" next to
        # "plus tiered royalties" does not give a royalty rate)
        # (and about the question's subject: "Halden will pay $38 per share" from another
        # article does not give Norvane's price per share)
        def says_slot(c: Candidate) -> bool:
            # (or the heading it is listed under: "Orphan drug" over "Merck KGaA's M7824 for ...")
            return bool(q.slot[1].search(c.text) or q.slot[1].search(heading_above(c))) and \
                (not q.wanted or c.typed)

        def about(c: Candidate) -> bool:
            return _about(q, c, vocab.get(c.passage.id) or vocabulary(c.passage))
        if q.slot and not unreported and not any(says_slot(c) and about(c) for c in chosen):
            # about the subject, or, next to a chosen sentence in its passage, naming one of the
            # question's names ("Sanofi is paying $600 million up front" after the sentence on
            # Sanofi's purchase of DR-0201)
            near = {c.passage.id for c in chosen}
            said = next((c for c in ranked if c not in chosen and says_slot(c) and (
                about(c) or c.passage.id in near and any(anchor_in(a, _window(c)) for a in names))),
                        None)
            if said is None:
                return self._not_plain(chosen[:HEDGE_SENTENCES], p_answer, q.slot[0])
            chosen.append(said)
        # "Cambrex High Point: spend and job count?": each value asked for, from the answer's
        # document
        chosen += facet_sentences(chosen, ranked, several, names, _window)
        # a month the question dates its subject by ("in August 2022") is no premise: the
        # sentence giving the fact seldom repeats it, and the page's date says it
        unreported = [a for a in unreported if a.term not in _MONTH_TERMS]
        # A note on the copy itself ("[The stored copy breaks off here, in the Tazverik entry;
        # its company ... are not in it.]", "Subscribe to read the full article") states no
        # fact: an answer of such notes alone says the documents do not give it
        if chosen and all(_COPY_NOTE.search(c.text) for c in chosen):
            return self._not_plain(chosen, p_answer, "it")
        return self._compose(chosen, p_answer, unreported)

    def p_answer(self, q: _Question, ranked: list[Candidate], passages: list[Passage]) -> float:
        """P(the passages answer the question): the answerability model over the sentence
        model's scores, joined by the best combined and cross-encoder scores when it is on."""
        scored = [c for c in ranked if c.ce is not None] if self.cross else ranked
        scored = scored or ranked
        base = float(self.model.question.predict(question_features(
            q, scored, np.array([c.p_model or c.prob for c in scored]), passages))[0])
        if self.cross is None or not any(c.ce is not None for c in scored):
            return base
        row = [float(logit([base])[0]), float(logit([max(c.prob for c in scored)])[0]),
               float(logit([max(c.ce for c in scored)])[0])]
        return float(self.cross.question.predict(np.array(row))[0])

    def _hedge(self, q: _Question, ranked: list[Candidate], p_answer: float,
               missing: list[Anchor]) -> Answer:
        """Below the answer threshold: when the question's subject is in the passages (its names,
        or the best sentence shares its terms), the closest cited sentences and what they may not
        state; otherwise the documents don't cover it."""
        hedge_at = (self.settings.hedge_threshold if self.settings.hedge_threshold is not None
                    else self.hedge_threshold)
        names = q.names
        close = [c for c in ranked[:HEDGE_SENTENCES * 2] if shares_a_term(c)
                 and (not names or any(anchor_in(a, _window(c) | set(terms(c.passage.title)))
                                       for a in names))]
        # The question's subject is in the passages when every name it asks about is, and a
        # close sentence speaks of one: then the closest sentences are shown, whatever the
        # score (an analyst would rather read them than be told nothing); a question without
        # names is hedged only above the hedge threshold. A name the question is about that no
        # passage mentions ("Seagen") leaves nothing close to show: it is declined.
        subject_present = bool(names) and not missing
        if (p_answer < hedge_at and not subject_present) or not close \
                or any(not a.numeric for a in missing):
            reason = (f"no passage mentions {_quote(missing)}" if missing
                      else "no passage answers it clearly enough")
            return self.abstain(reason, confidence=p_answer)
        shown = close[:HEDGE_SENTENCES]
        answer = self._compose(shown, p_answer, missing)
        if not missing:  # (with missing names, the composed answer already says what is missing)
            answer.answer = f"{HEDGE} {answer.answer}"
            answer.abstained, answer.reason = True, "no passage answers it clearly enough"
        answer.kind = HEDGED
        return answer

    def _compare(self, q: _Question, shape: Shape, ranked: list[Candidate], p_answer: float) -> Answer:
        """Each side from its own sentence; a side the documents say nothing of is named."""
        sized = bool(_SIZE.search(q.text))
        measure = next(((rx, asked) for rx, asked in _MEASURES if rx.search(q.text)), None) \
            if sized else None
        if measure is not None:  # "more jobs", "larger footprint", "bigger capacity"
            wanted = answer_type(measure[1]) if measure[1] else _AREA
        else:
            wanted = q.wanted or (answer_type("how much") if sized else
                                  answer_type("when") if _TIME.search(q.text) else None)
        if wanted is not None and (q.wanted is None or measure is not None):
            for c in ranked:
                c.typed = bool(wanted[1].search(c.text))
        if q.slot is not None and q.slot[0] in _DEAL_TERMS:  # "Bigger cheque upfront": each side's upfront
            for c in ranked:
                c.typed = c.typed and bool(q.slot[1].search(c.text))
        size = sized and measure is None  # a size in money
        sided = {a.term for names in shape.sides for a in names}
        # (the companies and products asked about besides the sides, not a kind of event ("CRLs")
        # or a month)
        topic = [a for a in q.names if a.term not in sided and not abbreviation_forms(a.surface)
                 and a.term not in _MONTH_TERMS]
        picks = compare_sides(ranked, shape.sides, typed_wanted=wanted is not None, money=size, topic=topic)
        if wanted is not None:  # a side with no sentence giving the value: its best mention
            loose = compare_sides(ranked, shape.sides, typed_wanted=False, money=size, topic=topic)
            picks = [p or l for p, l in zip(picks, loose)]
        chosen = list(dict.fromkeys(c for c in picks if c is not None))
        lacking = [names for names, c in zip(shape.sides, picks) if c is None]
        if not chosen:
            return self._hedge(q, ranked, p_answer, [])
        answer = self._compose(chosen, p_answer, [], shape="comparison")
        if lacking:
            said = "; ".join(_quote(list({a.surface: a for a in names}.values())) for names in lacking)
            answer.answer += f"\nThe documents say nothing of {said} in this connection."
            answer.kind, answer.abstained = HEDGED, True
            answer.reason = f"no passage speaks of {said}"
        return answer

    def _section(self, q: _Question, shape: Shape, passages: list[Passage],
                 stats: CorpusStats) -> Answer | None:
        """A list asked by a heading's name: the lines under that heading in a best-ranked
        passage, one item each (`gather.heading_items`): for a list question, or one that writes
        a heading's word in the plural ("Priority reviews that week?")."""
        if shape.kind == "comparison" or shape.per_document or \
                shape.kind != "list" and re.match(r"\s*(why|how)\b", q.text, re.I):
            return None  # ("Why did Lipocine get a CRL?" asks for a reason, not the CRL lines)
        # a heading is matched by the question's words, not by its names ("Pharmaceutical", a
        # page's category, is not what "Reata Pharmaceuticals" asks for), and a plural is a
        # lower-case word
        names = [a for a in q.anchors if not a.numeric]
        named = {t for a in names for t in terms(a.surface)}
        asked = set(question_terms(q.text))
        for form in question_abbreviations(q.text):
            asked |= set(form)
        plural = {t for w in re.findall(r"\b[a-z]{4,}s\b", q.text) for t in terms(w)}
        # ... or an abbreviation in the plural ("BTDs that week?": the "Breakthrough therapy" lines)
        plural |= {t for w in re.findall(r"\b[A-Z][A-Za-z&]*[A-Z]s\b", q.text)
                   for form in abbreviation_forms(w) for t in form}
        # ... or in the singular, when it stands for a name of two words or more ("Which CRL
        # went out that week?": the "Complete response letters" lines)
        plural |= {t for w in re.findall(r"\b[A-Z][A-Za-z&]*[A-Z]\b", q.text)
                   for form in abbreviation_forms(w) if len(form) >= 2 for t in form}
        # the page is about what the question names (its title, first chunk or the section's
        # own chunk): another week's "Approvals" are not these
        # (and the day of a date it names: "week ended March 8" is not the March 15 list)
        days = [terms(m.group(1)) for m in _DAY.finditer(q.text)]

        def about(page: Passage) -> bool:
            head = stats.header(page.source)
            context = vocabulary(page) | (vocabulary(head) if head is not None else set())
            return all(anchor_in(a, context) for a in names) and \
                all(t in context for day in days for t in day)
        found = heading_items(passages, asked - named, plural - named, MAX_LIST_ITEMS,
                              any_term=shape.kind == "list", neighbor=stats.neighbor,
                              accept=about if names or days else None)
        # a product code the question names is in every line ("Which approvals did VX-101
        # get?" is not every line under "Approvals")
        codes = [a for a in q.anchors if a.numeric and _CODE.search(a.surface)]
        found = [f for f in found if all(anchor_in(a, set(terms(f[2]))) for a in codes)]
        if not found:
            return None
        # one or two lines: each line whole ("Roxicodone. The FDA provided guidance on areas of
        # further evaluation ..."), the rest of its line says what happened and why
        whole = len(found) <= 2
        items = [Candidate(p, k, clean(_whole_line(p, k, raw) if whole else raw), prob=p.score, item=True)
                 for p, k, raw in found]
        return self._compose(items, 1.0, [], shape="list")

    def _summary(self, passages: list[Passage], stats: CorpusStats) -> Answer:
        """The lead sentences of the best-matching document."""
        sentences = lead(passages[0], stats)
        if not sentences:
            return self.abstain("the document has no sentences to summarise")
        return self._compose(sentences, 1.0, [], shape="summary")

    def _about_document(self, q: _Question, headers: list[Passage], stats: CorpusStats) -> Answer:
        """"When was the article on X published?", "Who wrote it?": the answer is the dateline or
        byline at the head of the best-matching document (its first two chunks), a line the
        sentence model never saw in training (its data has no datelines), so it is found by its
        form. Another document's byline is never the answer."""
        head = headers[0]
        for p in (head, stats.neighbor(head, 1)):
            for i, sent in enumerate(p.sentence_texts() if p is not None else []):
                if q.wanted and q.wanted[1].search(sent):
                    c = Candidate(p, i, clean(sent), prob=1.0)
                    return self._compose([c], confidence=1.0, unreported=[])
        return self.abstain(f"the matching documents give no {q.wanted[0] if q.wanted else 'such detail'}")

    # --- selection ---
    def _select(self, ranked: list[Candidate], stats: CorpusStats, list_question: bool,
                subject: Sequence[Anchor] = (),
                vocab_of: Callable[[Passage], set[str]] = vocabulary) -> list[Candidate]:
        """The best sentence, and those above the keep threshold; when the best sentence's
        passage names the question's `subject`, a further sentence's passage does too
        (`vocab_of`: a passage's terms)."""
        limit = self.settings.max_answer_sentences
        keep = self.keep_threshold
        best = ranked[0]
        named = bool(subject) and all(anchor_in(a, vocab_of(best.passage)) for a in subject)
        chosen: list[Candidate] = [best]
        seen = {_key(best.text)}
        sources = {best.passage.source}
        for c in ranked[1:]:
            if len(chosen) >= limit:
                break
            if _key(c.text) in seen:
                continue
            if list_question:
                # A list question gathers the best sentence of each document that shares terms
                # with the question (probabilities were learned on one-answer questions, so no
                # threshold on them), one item per document.
                if c.passage.source in sources or not shares_a_term(c):
                    continue
            elif c.prob < keep:
                break
            elif is_quote(c.text) or (  # a further sentence is a fact, not someone's words on it
                    named and not all(anchor_in(a, vocab_of(c.passage)) for a in subject)):
                continue
            chosen.append(c)
            seen.add(_key(c.text))
            sources.add(c.passage.source)
        extra: list[Candidate] = []
        taken = {(c.passage.id, c.index) for c in chosen}
        for c in list(chosen):
            sents = c.passage.sentence_texts()
            # A sentence opening with "They"/"This" needs the one before it to be understood.
            if _PRONOUN_START.match(c.text) and c.index > 0 and (c.passage.id, c.index - 1) not in taken \
                    and _key(clean(sents[c.index - 1])) not in seen and len(chosen) + len(extra) < limit:
                extra.append(_candidate(c, c.passage, c.index - 1, sents[c.index - 1]))
                taken.add((c.passage.id, c.index - 1))
            # A headline says what happened, the line under it (the dek) says to whom and for
            # how much: "AstraZeneca continues to shed rights to gout drug" / "Grünenthal will
            # pay up to $230 million for ... rights to Zurampic".
            nxt = c.index + 1
            if not c.item and nxt < len(sents) and _headline(c.passage, c.index) and \
                    (c.passage.id, nxt) not in taken and _key(clean(sents[nxt])) not in seen and \
                    len(chosen) + len(extra) <= limit:
                extra.append(_candidate(c, c.passage, nxt, sents[nxt]))
                taken.add((c.passage.id, nxt))
            if _LIST_INTRO.search(c.text):
                extra.extend(self._list_items(c, stats, taken))
        return chosen + extra

    @staticmethod
    def _list_items(intro: Candidate, stats: CorpusStats, taken: set) -> list[Candidate]:
        """The items after a sentence that introduces a list, across the document's next chunks,
        up to MAX_LIST_ITEMS items. The list ends at a heading, or where numbering starts again
        (a reference list after a checklist)."""
        out: list[Candidate] = []
        items, last_number = 0, 0
        for passage, j, raw in following(intro.passage, intro.index, stats.neighbor, MAX_LIST_CHUNKS):
            if passage is not intro.passage:  # a next chunk ranks as the list's own
                passage.rank, passage.dense, passage.score = intro.passage.rank, intro.passage.dense, intro.passage.score
            raw = raw.strip()
            number = _ITEM_NUMBER.match(raw)
            if number:
                n = int(number.group(1))
                if n <= last_number or items >= MAX_LIST_ITEMS:
                    break
                last_number, items = n, items + 1
            elif BULLET.match(raw):
                if items >= MAX_LIST_ITEMS:
                    break
                items += 1
            elif is_chrome(raw) or raw.startswith("#") or _HEADING.match(raw):
                break  # the next section begins
            elif items and starts_line(passage, j):
                break  # a new paragraph that is not an item: the list is over
            if (passage.id, j) not in taken and clean(raw):
                out.append(_candidate(intro, passage, j, raw, item=True))
                taken.add((passage.id, j))
        return out

    # --- composition ---
    def _not_plain(self, shown: list[Candidate], confidence: float, what: str) -> Answer:
        """A hedge: the value asked for (`what`) is not stated plainly; the closest sentences."""
        answer = self._compose(shown, confidence, [])
        answer.answer = f"The documents do not state {what} plainly. What they do say: {answer.answer}"
        answer.kind, answer.abstained = HEDGED, True
        answer.reason = f"no passage states {what} plainly"
        return answer

    def _compose(self, chosen: list[Candidate], confidence: float, unreported: list[Anchor],
                 shape: str = "single") -> Answer:
        """Sentences with their [n]; a list or comparison as one "- " line per item, in the
        order chosen; otherwise passages in the order of their best sentence, sentences in
        document order within each."""
        order: list[str] = []
        for c in (chosen if shape != "single" else sorted(chosen, key=lambda c: -c.prob)):
            if c.passage.id not in order:
                order.append(c.passage.id)
        numbers = {pid: n for n, pid in enumerate(order, start=1)}
        if shape == "single":
            chosen = sorted(chosen, key=lambda c: (numbers[c.passage.id], c.index))
        # Every sentence carries its own marker, so each claim can be checked on its own; a list
        # item's number ("1.") stays with the item it numbers.
        parts: list[str] = []
        number = ""
        for c in chosen:
            if _ITEM_NUMBER.match(c.text) and len(c.text) <= 4:
                number = c.text  # "1." goes with the item it numbers
            elif c.item and shape == "single":  # the items of a quoted list, one per line
                mark = f"{number} " if number else ("" if _ITEM_NUMBER.match(c.text) else "- ")
                parts.append(f"\n{mark}{BULLET.sub('', c.text)} [{numbers[c.passage.id]}]")
                number = ""
            else:
                parts.append(f"{number + ' ' if number else ''}{c.text} [{numbers[c.passage.id]}]")
                number = ""
        citations = []
        for pid in order:
            group = [c for c in chosen if c.passage.id == pid]
            p = group[0].passage
            citations.append(Citation(n=numbers[pid], source=p.source, title=p.title, text=p.text,
                                      page=p.page, score=round(max(c.prob for c in group), 4),
                                      section=p.section, passage_id=p.id))
        itemised = shape in ("list", "comparison")
        if itemised:
            text = "\n".join(f"- {x}" for x in parts)
        else:  # a quoted list's items on their own lines, the next sentence after them
            text = ""
            for x in parts:
                in_list = text.count("\n") and (text.split("\n")[-1][:1] == "-" or _ITEM_NUMBER.match(text.split("\n")[-1]))
                sep = "" if not text or x.startswith("\n") else ("\n" if in_list else " ")
                text += sep + x
            text = text.strip()
        items = [{"text": c.text, "citations": [numbers[c.passage.id]]} for c in chosen] if itemised else []
        extra = {"confidence": round(confidence, 4)}
        if unreported:
            note = (f"The documents do not report {_quote(unreported)} in this connection. "
                    "What they do say:")
            return Answer(answer=f"{note}{chr(10) if itemised else ' '}{text}", citations=citations,
                          abstained=True, generator=self.name, kind=HEDGED, shape=shape, items=items,
                          reason=f"no cited passage mentions {_quote(unreported)}",
                          extra={**extra, "unreported": [a.surface for a in unreported]})
        return Answer(answer=text, citations=citations, abstained=False, generator=self.name,
                      kind=ANSWERED, shape=shape, items=items, extra=extra)

    def stream(self, question: str, passages: Sequence[Passage],
               stats: CorpusStats) -> Iterator[Delta | Answer]:
        yield from stream_sentences(self.answer(question, passages, stats))

    def abstain(self, reason: str, confidence: float = 0.0) -> Answer:
        return Answer(answer=f"{NOT_COVERED} ({reason[:1].upper()}{reason[1:]}.)", citations=[],
                      abstained=True, generator=self.name, reason=reason, kind=ABSTAINED,
                      extra={"confidence": round(confidence, 4)})


def _whole_line(passage: Passage, j: int, raw: str, most: int = 3) -> str:
    """Sentence j and the sentences after it on the same line (up to `most` in all), as the
    passage writes them."""
    sents = passage.sentence_texts()
    k = j + 1
    while k < len(sents) and k - j < most and not starts_line(passage, k):
        k += 1
    if k == j + 1:
        return raw
    text = passage.text[passage.sentences[j][0]:passage.sentences[k - 1][1]]
    return text if "\n" not in text else raw


_END = re.compile(r"[.!?:;]['\"’”)]?\s*$")


def _headline(passage: Passage, j: int) -> bool:
    """Sentence j is a line of its own without end punctuation, and the next is a line of body
    text under it (a sentence, or a longer line), not chrome ("By June 3, 2016")."""
    sents = passage.sentence_texts()
    if j + 1 >= len(sents):
        return False
    text, nxt = sents[j].strip(), sents[j + 1].strip()
    return (text[:1].isupper() and not _END.search(text) and starts_line(passage, j)
            and starts_line(passage, j + 1) and not is_chrome(nxt) and not BULLET.match(nxt)
            and len(nxt) > len(text) and (bool(_END.search(nxt)) or len(nxt) > 40))


def _facts_first(q: _Question, ranked: list[Candidate],
                 vocab_of: Callable[[Passage], set[str]] = vocabulary) -> list[Candidate]:
    """An executive's quote is not the fact: when the best sentence is a quote and a sentence of
    news close behind it (at least half its probability) is not, that one leads.
    Nor is a sentence of a passage that does not name the question's subject: when the best
    sentence's passage lacks a name of the question and one close behind (at least half its
    probability, among the next five) has them all, that one leads ("Who's funding CABIM?":
    not another table's "Series C Funding | Wugen ...")."""
    names = q.names
    if len(ranked) > 1 and names and not all(anchor_in(a, vocab_of(ranked[0].passage)) for a in names):
        # (giving the kind of value asked for, or a figure, when the best sentence gives one)
        def gives(c: Candidate) -> tuple[bool, bool]:
            return c.typed, bool(re.search(r"\d", c.text))
        named = next((c for c in ranked[1:6] if c.prob >= 0.5 * ranked[0].prob
                      and all(x or not y for x, y in zip(gives(c), gives(ranked[0])))
                      and all(anchor_in(a, vocab_of(c.passage)) for a in names)), None)
        if named is not None:
            ranked = [named] + [c for c in ranked if c is not named]
    if len(ranked) > 1 and is_quote(ranked[0].text):
        fact = next((c for c in ranked[1:4] if not is_quote(c.text)
                     and c.prob >= 0.5 * ranked[0].prob), None)
        if fact is not None:
            ranked = [fact] + [c for c in ranked if c is not fact]
    return ranked


def _about(q: _Question, c: Candidate, passage_vocabulary: set[str]) -> bool:
    """Is sentence c about what the question asks? It names the question's names (itself or in
    the sentence before it), or its passage does and it says at least half of what the
    question asks ("The deal is expected to close in Q4" for "When is X's acquisition of Y
    expected to close?") without naming other companies or things instead."""
    window = _window(c)
    if all(anchor_in(a, window) for a in q.names):
        return True
    if not all(anchor_in(a, passage_vocabulary) for a in q.names) or not q.asked:
        return False
    if q.names and not any(anchor_in(a, window) for a in q.names) and _other_names(c, q):
        # a page of several stories: "Pieris is banking $20 million up front" names its own
        # companies, none of the question's, and is another story's fact
        return False
    return 2 * len(q.asked & window) >= len(q.asked)


_REGULATORS = frozenset(terms("FDA EMA NMPA CDE MHRA PMDA MHLW CHMP TGA ANVISA Swissmedic CDSCO "
                              "agency commission ministry regulator"))


def _tickers(question: str, missing: list[Anchor], passages: Sequence[Passage]) -> str:
    """The question with each stock ticker of it that no passage writes ("OTLK") replaced by the
    name of the company the passages name that it stands for (anchors.ticker_name)."""
    texts = [t for p in passages for t in (p.title, p.text)]
    for a in missing:
        if a.numeric:
            continue
        word = next((w for w in re.split(r"[-/–]", a.surface) if w.lower() == a.term), None)
        name = ticker_name(word, texts) if word else None
        if name:  # ("OTLK-Valtor deal": the two names apart)
            question = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])|(?<![\w-]){re.escape(word)}-|"
                              rf"-{re.escape(word)}(?![\w-])", lambda m, word=word, name=name: m.group(0).replace(word, f" {name} ")
                              .replace("-", ""), question)
            question = re.sub(r"\s{2,}", " ", question).strip()
    return question


def _is_regulator(a: Anchor) -> bool:
    """An agency ("FDA", "MHLW"): who acted, not what about."""
    return a.term in _REGULATORS


_NOT_NAMES = _MONTH_TERMS | frozenset(terms("Monday Tuesday Wednesday Thursday Friday Saturday "
                                            "Sunday US")) | CURRENCY_CODES
# The word of a company's name that says what it is ("LEO Pharma" when the question says "LEO"):
# no other company
_COMPANY_FORMS = frozenset(terms("Pharma Pharmaceutical Pharmaceuticals Therapeutics Biotech "
                                 "Biotechnology Bio Biosciences Biologics Biopharma Inc Ltd Corp Co "
                                 "Company Group Holdings Laboratories Labs Sciences AG SA SE NV PLC "
                                 "GmbH LLC"))


def _opening(passage: Passage) -> set[str]:
    """Terms of a passage's title and first two sentences: what the passage is about."""
    return set(terms(" ".join([passage.title, *passage.sentence_texts()[:2]])))


def _alone(c: Candidate, q: _Question, opening: bool = False) -> bool:
    """Sentence c names nothing the question does not (with `opening`, beyond what its passage
    opens with: "Bengaluru" under "GSK Pharma's Bengaluru facility ..."), and is no pronoun's
    sentence after other companies: its value is of the passage's subject."""
    others = _other_names(c, q)
    if opening:
        first = [s for i, s in enumerate(c.passage.sentence_texts()[:2]) if i != c.index]
        own = set(terms(" ".join([c.passage.title, *first])))
        others = {e for e in others if not set(terms(e)) <= own}
    return not others and not _pronoun_of_others(c, q)


def _unnamed(c: Candidate, names: Sequence[Anchor], window: set[str], alone: bool) -> list[Anchor]:
    """The question's names a value sentence c does not give the value of (in `window`: its
    terms and those before it). A name the value's passage opens with (its heading, its first
    sentences: what it is about) is the value's subject when the sentence names nothing else
    (`alone`, see `_alone`): "the new production facility ... €700m" under "Boehringer Ingelheim's ... Vienna"
    is BI's Vienna plant, and "its Irish plant" the plant in Ireland. Not so when the sentence
    names another place ("... its fourth plant in Incheon" does not give the San Francisco
    centre's cost), nor for a name the passage mentions only in passing; a regulator is the
    premise itself (the FDA, not China's NMPA)."""
    own = _opening(c.passage)
    return [a for a in names if not anchor_in(a, window)
            and (_is_regulator(a) or not alone or not anchor_in(a, own))]


def _asked(q: _Question) -> set[str]:
    """The question's terms, and those of every name its companies go by."""
    return set(terms(q.text)) | {t for a in q.anchors for n in company_names(a.surface) for t in n}


def _other_names(c: Candidate, q: _Question) -> set[str]:
    """Names the sentence gives that the question does not ("Incheon" when it asks of San
    Francisco); dates, currency codes and "China-based" descriptions are not names."""
    text = re.sub(r"\b\S+-based\b", " ", c.text)
    asked = _asked(q)
    return {e for e in entities(text) if not set(terms(e)) <= asked | _NOT_NAMES | _COMPANY_FORMS}


_FUNCTION_WORDS = frozenset("""the this that these those under in on at for with by after before as
    but and its it their they a an according meanwhile however also while when if since once
    presuming besides separately earlier later last next other another both each all some""".split())
_NOT_COMPANY = frozenset(terms("Nasdaq NYSE LSE TSX HKEX Exchange FDA EMA"))  # (days: _NOT_NAMES)
_DEFINITE = re.compile(r"^\s*(it|its|they|their|the (company|firm|group|biotech|cdmo|drugmaker|"
                       r"plant|facility|site|project|expansion|investment|deal|transaction|"
                       r"agreement|acquisition|partnership|companies|partners))\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|they|their|the company|the firm|the biotech|the two)\b", re.I)


def _pronoun_of_others(c: Candidate, q: _Question, pronoun: re.Pattern | None = None) -> bool:
    """A sentence whose subject is a pronoun ("Presuming success, it estimates the payoff could
    reach $1.08 billion") after a sentence that names companies the question
    does not: its value is theirs."""
    if c.index == 0 or not (pronoun or _PRONOUN).search(c.text):
        return False
    before = _antecedent(c)
    if any(anchor_in(a, set(terms(before))) for a in q.names):
        return False  # (the sentence before names what the question asks about: "it" is that)
    asked = _asked(q)
    # (the sentence's first word counts too when it is a name: "Atomwise stands to receive ...")
    first = re.match(r"\s*([A-Z][\w&-]+)", before)
    lead = [first.group(1)] if first and first.group(1).lower() not in _FUNCTION_WORDS else []
    names = lead + [a.surface for a in question_anchors(before) if not a.numeric]
    # (a dateline's "TUESDAY", a stock exchange, a month: no company's)
    return any(not set(terms(n)) <= asked | _NOT_NAMES | _NOT_COMPANY and not n.isupper()
               for n in names)


def _antecedent(c: Candidate) -> str:
    """The sentence a pronoun of sentence c refers back to: the one before it, or before the
    quotes in between ("... said the chief executive" names no company it could be)."""
    sents = c.passage.sentence_texts()
    j = c.index - 1
    while j > 0 and is_quote(sents[j]):
        j -= 1
    return sents[j] if j >= 0 else ""


def _refers_to_subject(c: Candidate, q: _Question) -> bool:
    """A sentence speaking of its story's subject by a pronoun or a definite description ("The
    company will invest $210 million in the project") in a passage whose title and opening name
    every name of the question, naming nothing else, and not after a sentence about others."""
    return bool(q.names) and bool(_DEFINITE.match(c.text)) and not _other_names(c, q) and \
        all(anchor_in(a, _opening(c.passage)) for a in q.names) and \
        not _pronoun_of_others(c, q, _DEFINITE)


def _window(c: Candidate) -> set[str]:
    """Terms of a sentence and the one before it in its passage."""
    sents = c.passage.sentence_texts()
    before = sents[c.index - 1] if c.index > 0 else ""
    return set(terms(f"{before} {c.text}"))


def _story_window(c: Candidate, q: _Question) -> set[str]:
    """`_window`, without the line before when the sentence opens a paragraph of its own that
    names other companies than the question's: on a page of deals, "Pieris is banking $20
    million up front" under the paragraph on Antengene and Calithera is another story."""
    if c.index > 0 and starts_line(c.passage, c.index) and _other_names(c, q):
        return set(terms(c.text))
    return _window(c)


def _candidate(like: Candidate, passage: Passage, index: int, raw: str, item: bool = False) -> Candidate:
    return Candidate(passage, index, clean(raw), prob=like.prob * 0.999, item=item)


def _headers(passages: list[Passage], stats: CorpusStats) -> list[Passage]:
    """The first chunk of each retrieved document, ranked as its document was."""
    out = []
    for rank, src in enumerate(dict.fromkeys(p.source for p in passages), start=1):
        head = stats.header(src)
        if head is not None:
            best = [p for p in passages if p.source == src]
            head.rank = rank
            head.dense = max((p.dense or 0.0) for p in best)
            head.score = max(p.score for p in best)
            out.append(head)
    return out


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _quote(anchors: Sequence[Anchor]) -> str:
    return ", ".join(f"“{surface}”" for surface in dict.fromkeys(a.surface for a in anchors))
