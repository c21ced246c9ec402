"""The answer gate's threshold for trade press, chosen on the spent held-out sets (issue 24).

    python -m eval.gate                 # writes assistant/answers/data/gate.json and a plot

The answerer answers when P(answerable) reaches a threshold and otherwise hedges or declines. The
threshold learned with the model on public data (SQuAD 2.0, COVID-QA) hedged about 40% of the
answerable questions on trade-press articles, where that probability does not separate answerable
from unanswerable questions the way it does on the public data. This tool chooses the threshold on
trade-press questions instead: the held-out sets that have been run and are spent (never a frozen
set still in use), each asked with the gate open (threshold 0) and closed (threshold 1), so each
question's outcome at any threshold is known exactly: declined or hedged by the other checks
(premise, value), or gated by its P(answerable). The threshold maximises balanced accuracy
(answerable answered, unanswerable not answered, weighted equally), and is checked leaving one
set out: chosen on the others, measured on it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import typer

from assistant.core.config import PROJECT_ROOT, get_settings

SETS = ("heldout", "heldout2", "heldout3")  # spent: each was run before and after, and read
OUT = PROJECT_ROOT / "assistant" / "answers" / "data" / "gate.json"
PLOT = PROJECT_ROOT / "eval" / "results" / "gate-curve.png"
GRID = [round(x, 2) for x in np.arange(0.30, 0.71, 0.01)]

app = typer.Typer(add_completion=False, help=__doc__)


def ask_set(name: str, embedder) -> list[dict]:
    """Each question of a set, asked with the gate open and closed: answerable?, P(answerable),
    and whether the answer was declined or hedged either way."""
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from eval.dataset import load
    from ingest.pipeline import Ingestor

    folder = PROJECT_ROOT / "eval" / "data" / name
    questions = load(folder / f"{name}_eval.jsonl")
    base = get_settings().model_copy(update={"corpus_dir": folder / "docs", "chroma_host": None,
                                             "collection_prefix": "gate"})
    with tempfile.TemporaryDirectory(prefix="gate-") as tmp:
        settings = base.model_copy(update={"chroma_path": Path(tmp) / "db"})
        store = ChunkStore(settings)
        Ingestor(settings, store, embedder, progress=False).run([settings.corpus_dir])
        runs = {}
        for t in (0.0, 1.0):
            s = settings.model_copy(update={"answer_threshold": t})
            assistant = Assistant(s, store, embedder)
            runs[t] = [assistant.ask(q.question).answer for q in questions]
    rows = []
    for q, open_, closed in zip(questions, runs[0.0], runs[1.0]):
        rows.append({"set": name, "id": q.id, "answerable": q.answerable,
                     "p": (open_.extra or {}).get("confidence"),
                     "open_abstains": open_.abstained, "closed_abstains": closed.abstained})
    return rows


def abstains(row: dict, t: float) -> bool:
    """Declined or hedged at threshold t: by the other checks (it is, gate open), or by the gate
    (it is only when closed, and its P(answerable) is under t)."""
    if row["open_abstains"]:
        return True
    return bool(row["closed_abstains"]) and row["p"] is not None and row["p"] < t


def rates(rows: list[dict], t: float) -> tuple[float, float, float]:
    """(answerable abstained, unanswerable abstained, balanced accuracy) at threshold t."""
    a = float(np.mean([abstains(r, t) for r in rows if r["answerable"]]))
    u = float(np.mean([abstains(r, t) for r in rows if not r["answerable"]]))
    return a, u, (1 - a + u) / 2


def choose(rows: list[dict]) -> float:
    """The threshold of best balanced accuracy; the lower one on a tie (fewer hedges)."""
    return max(GRID, key=lambda t: (round(rates(rows, t)[2], 6), -t))


def plot(rows: list[dict], chosen: float, learned: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a = [rates(rows, t)[0] for t in GRID]
    u = [rates(rows, t)[1] for t in GRID]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(GRID, a, label="answerable: declined or hedged (wrong)")
    ax.plot(GRID, u, label="unanswerable: declined or hedged (right)")
    ax.axvline(chosen, color="green", linestyle="--", label=f"chosen here: {chosen}")
    ax.axvline(learned, color="grey", linestyle=":", label=f"learned on public data: {learned}")
    ax.set_xlabel("answer threshold on P(answerable)")
    ax.set_ylabel("share of questions")
    ax.set_title(f"Answer gate on {len(rows)} trade-press questions ({', '.join(SETS)})")
    ax.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@app.command()
def main(out: Path = OUT, plot_path: Path = PLOT) -> None:
    from assistant.answers.model import load_model
    from eval.__main__ import _embedder

    embedder = _embedder(cached=False)
    rows = []
    for name in SETS:
        typer.echo(f"asking {name} ...")
        rows += ask_set(name, embedder)
    model = load_model()
    learned = model.cross.answer_threshold if model.cross else model.answer_threshold
    chosen = choose(rows)
    loso = {}
    for held in SETS:
        train = [r for r in rows if r["set"] != held]
        test = [r for r in rows if r["set"] == held]
        t = choose(train)
        a, u, b = rates(test, t)
        a0, u0, b0 = rates(test, learned)
        loso[held] = {"threshold": t, "answerable_abstained": round(a, 3), "unanswerable_abstained": round(u, 3),
                      "balanced": round(b, 3), "at_learned": {"answerable_abstained": round(a0, 3),
                                                              "unanswerable_abstained": round(u0, 3),
                                                              "balanced": round(b0, 3)}}
        typer.echo(f"{held}: chosen on the others {t}: answerable abstained {a:.3f} ({a0:.3f} at {learned}), "
                   f"unanswerable abstained {u:.3f} ({u0:.3f}), balanced {b:.3f} ({b0:.3f})")
    a, u, b = rates(rows, chosen)
    a0, u0, b0 = rates(rows, learned)
    typer.echo(f"all: {chosen}: answerable abstained {a:.3f} ({a0:.3f} at {learned}), "
               f"unanswerable abstained {u:.3f} ({u0:.3f}), balanced {b:.3f} ({b0:.3f})")
    report = {
        "answer_threshold": chosen,
        "note": __doc__.split("\n\n")[1].replace("\n", " "),
        "sets": list(SETS), "questions": len(rows),
        "answerable": sum(r["answerable"] for r in rows),
        "learned_threshold": learned,
        "at_chosen": {"answerable_abstained": round(a, 3), "unanswerable_abstained": round(u, 3),
                      "balanced": round(b, 3)},
        "at_learned": {"answerable_abstained": round(a0, 3), "unanswerable_abstained": round(u0, 3),
                       "balanced": round(b0, 3)},
        "leave_one_set_out": loso,
        "curve": [[t, *(round(x, 3) for x in rates(rows, t)[:2])] for t in GRID],
    }
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    plot(rows, chosen, learned, plot_path)
    typer.echo(f"wrote {out} and {plot_path}")


if __name__ == "__main__":
    app()
