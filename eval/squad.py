"""SQuAD 2.0 held-out articles: the answerer on its own, given the gold paragraph plus the 4
paragraphs of the same article closest to the question (see `eval.answer_data`).

Measured for the product's answerer and for the rules baseline, on the same inputs:
- answerable questions whose answer contains a gold span;
- unanswerable questions abstained.
Only the 5 articles the learned answerer was not trained on are used.
"""

from __future__ import annotations

from pathlib import Path

from eval.answer_data import (
    SQUAD_HELDOUT_ARTICLES,
    span_norm,
    split,
    squad_articles,
    squad_examples,
)


def run_squad(path: Path, embedder, settings, progress: bool = True) -> dict:
    from tqdm import tqdm

    from assistant.answers.extractive import ExtractiveGenerator
    from eval.baselines.rules_answerer import RulesGenerator

    _, held = split(squad_articles(path), SQUAD_HELDOUT_ARTICLES)
    examples = squad_examples(path, embedder, set(held), progress)
    report: dict = {"articles": held, "questions": len(examples),
                    "answerable": sum(e.answerable for e in examples)}
    for name, gen in (("product", ExtractiveGenerator(settings, embedder)),
                      ("rules baseline", RulesGenerator(settings))):
        hit = shown = abst_un = abst_ans = declined_ans = declined_un = 0
        words = []
        for ex in tqdm(examples, desc=f"squad2 ({name})", disable=not progress):
            a = gen.answer(ex.question, ex.passages, ex.stats)
            declined = a.answer_type == "abstained"  # nothing cited (a hedge shows sentences)
            if ex.answerable:
                text = span_norm(a.answer)
                found = any(span_norm(g) in text for g in ex.answers)
                hit += (not a.abstained) and found
                shown += found
                abst_ans += a.abstained
                declined_ans += declined
                if not a.abstained:
                    words.append(len(a.answer.split()))
            else:
                abst_un += a.abstained
                declined_un += declined
        n_ans = report["answerable"] or 1
        n_un = (report["questions"] - report["answerable"]) or 1
        words.sort()
        report[name] = {"answerable_answer_contains_gold": round(hit / n_ans, 4),
                        # a hedge's closest sentences holding the answer count here too
                        "answerable_answer_or_hedge_contains_gold": round(shown / n_ans, 4),
                        "answerable_abstained": round(abst_ans / n_ans, 4),
                        "answerable_declined_outright": round(declined_ans / n_ans, 4),
                        "unanswerable_abstained": round(abst_un / n_un, 4),
                        "unanswerable_declined_outright": round(declined_un / n_un, 4),
                        "answer_words_p50": words[len(words) // 2] if words else None}
    return report
