"""The development run: every spent held-out set answered at once, pooled.

    python -m eval.spent --out eval/results/spent-<commit>.json     # about 20 minutes on 2 cores
    python -m eval.spent --out NEW.json --compare OLD.json          # and what changed since OLD

A change to the answerer is developed on the spent sets (`eval.train_ranker.SETS`: each already
run before and after a session, no longer used to judge one) and judged once on the frozen set.
This runs each spent set as `python -m eval corpus --no-naive` does (its documents ingested into
a throwaway embedded store, every question asked through the service), keeps every question's
record with its set's name, and prints the pooled figures: key-fact recall, answers holding every
key fact, wrong abstentions (answerable questions declined or hedged), unanswerable questions
declined or hedged, list recall, median answer length. With `--compare`, the same for an earlier
run and each question whose outcome changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from eval.train_ranker import SETS, set_paths

app = typer.Typer(add_completion=False, help=__doc__)
# what each question's record keeps (not its citations' texts: the file stays small)
KEPT = ("id", "category", "answerable", "question", "answer", "abstained", "fact_recall", "all_facts",
        "citation_hit", "numbers_ok")


def run_sets(names: list[str], progress: bool = True) -> list[dict]:
    """Every question of the named sets, answered, as `eval.answers` records (dicts) with `set`."""
    from tqdm import tqdm

    from assistant.core.config import get_settings
    from eval.__main__ import _embedder
    from eval.corpus import run_corpus_eval

    embedder = _embedder(cached=False)
    out: list[dict] = []
    for name in tqdm(names, desc="spent sets", unit="set", disable=not progress):
        dataset, docs = set_paths(name)
        report = run_corpus_eval(get_settings(), embedder, dataset, naive=False, progress=False,
                                 answers_only=True, docs=docs)
        out += [{"set": name, **{k: r[k] for k in KEPT}} for r in report["per_question"]]
    return out


def pooled(records: list[dict]) -> dict:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    lists = [r for r in answerable if r["category"] == "list"]

    def mean(xs) -> float:
        return round(float(np.mean(xs)), 3) if len(xs) else 0.0
    return {
        "questions": len(records), "answerable": len(answerable),
        "key_fact_recall": mean([r["fact_recall"] or 0.0 for r in answerable]),
        "every_fact": mean([bool(r["all_facts"]) for r in answerable]),
        "wrong_abstentions": mean([r["abstained"] for r in answerable]),
        "unanswerable_declined_or_hedged": mean([r["abstained"] for r in unanswerable]),
        "lists": mean([r["fact_recall"] or 0.0 for r in lists]),
        "median_characters": float(np.median([len(r["answer"]) for r in answerable])) if answerable else 0.0,
    }


def changed(old: list[dict], new: list[dict]) -> list[str]:
    """A line per question whose key-fact recall or abstention changed between two runs."""
    before = {(r["set"], r["id"]): r for r in old}
    lines = []
    for r in new:
        o = before.get((r["set"], r["id"]))
        if o is None:
            continue
        fo, fn = o["fact_recall"] or 0.0, r["fact_recall"] or 0.0
        if fo != fn or o["abstained"] != r["abstained"]:
            lines.append(f"{r['set']} {r['id']} ({'answerable' if r['answerable'] else 'unanswerable'}, "
                         f"{r['category']}): recall {fo:.2f} -> {fn:.2f}, abstained "
                         f"{o['abstained']} -> {r['abstained']}: {r['question']}")
    return lines


def _earlier(path: Path, names: list[str]) -> list[dict]:
    """The records of an earlier run (`--compare`) of the named sets; a file that is not one is
    refused before anything runs."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))["per_question"]
        return [r for r in records if r["set"] in names]
    except (ValueError, KeyError, TypeError) as exc:
        raise typer.BadParameter(f"{path}: not a file written by python -m eval.spent "
                                 f"({type(exc).__name__}: {exc})", param_hint="--compare") from exc


@app.command()
def main(out: Annotated[Path, typer.Option(help="JSON file for every question's record.")],
         sets: Annotated[Optional[list[str]], typer.Option(
             "--set", help="A spent set to run (repeat; default: all of eval.train_ranker.SETS).")] = None,
         compare: Annotated[Optional[Path], typer.Option(
             exists=True, dir_okay=False,
             help="An earlier run's JSON: its pooled figures and the questions that changed.")] = None) -> None:
    names = list(sets or SETS)
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise typer.BadParameter(f"not a spent set: {', '.join(unknown)} (spent: {', '.join(SETS)})")
    old = _earlier(compare, names) if compare is not None else None  # (read before the long run)
    records = run_sets(names)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"sets": names, "pooled": pooled(records), "per_question": records})
                   + "\n", encoding="utf-8")
    if old is not None:
        typer.echo(f"before: {json.dumps(pooled(old))}")
        for line in changed(old, records):
            typer.echo(line)
    typer.echo(f"pooled: {json.dumps(pooled(records))}")
    typer.echo(f"wrote {out}")


if __name__ == "__main__":
    app()
