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
from eval.train_ranker import SETS

OUT = PROJECT_ROOT / "assistant" / "answers" / "data" / "gate.json"
PLOT = PROJECT_ROOT / "eval" / "results" / "gate-curve.png"
MARGIN = 0.01  # left-out balanced accuracy the ranker's signal must gain to replace P(answerable)
GRIDS = {"p": [round(x, 2) for x in np.arange(0.30, 0.71, 0.01)],
         "lead": [round(x, 2) for x in np.arange(0.02, 0.91, 0.01)],
         "g": [round(x, 2) for x in np.arange(0.05, 0.96, 0.01)]}
LABELS = {"p": "P(answerable), learned on public data", "lead": "the ranker's best score",
          "g": "the learned gate (answers.gate)"}
GRID_GATE_C = (0.03, 0.1, 0.3, 1.0)

app = typer.Typer(add_completion=False, help=__doc__)


def ask_set(name: str, embedder, ranker=None) -> list[dict]:
    """Each question of a set, asked with the gate open and closed: answerable?, P(answerable),
    the ranker's best score, and whether the answer was declined or hedged either way.
    `ranker`: the one to use instead of the shipped one (fitted without this set)."""
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from eval.dataset import load
    from eval.train_ranker import set_paths
    from ingest.pipeline import Ingestor

    dataset, docs = set_paths(name)
    questions = load(dataset)
    base = get_settings().model_copy(update={"corpus_dir": docs, "chroma_host": None,
                                             "collection_prefix": "gate"})
    with tempfile.TemporaryDirectory(prefix="gate-") as tmp:
        settings = base.model_copy(update={"chroma_path": Path(tmp) / "db"})
        store = ChunkStore(settings)
        Ingestor(settings, store, embedder, progress=False).run([settings.corpus_dir])
        runs = {}
        for t in (0.0, 1.0):
            s = settings.model_copy(update={"answer_threshold": t})
            assistant = Assistant(s, store, embedder)
            if ranker is not None:
                assistant.generator.ranker = ranker
            runs[t] = [assistant.ask(q.question).answer for q in questions]
    rows = []
    for q, open_, closed in zip(questions, runs[0.0], runs[1.0]):
        rows.append({"set": name, "id": q.id, "answerable": q.answerable,
                     "p": (open_.extra or {}).get("confidence"), "lead": (open_.extra or {}).get("lead"),
                     "open_abstains": open_.abstained, "closed_abstains": closed.abstained,
                     "open_kind": open_.kind, "open_reason": open_.reason, "open_shape": open_.shape,
                     "x": (open_.extra or {}).get("gate_x")})
    return rows


def abstains(row: dict, t: float, key: str = "p") -> bool:
    """Declined or hedged at threshold t on the signal `key` ("p": P(answerable); "lead": the
    ranker's best score): by the other checks (it is, gate open), or by the gate (it is only when
    closed, and its signal is under t)."""
    if row["open_abstains"]:
        return True
    return bool(row["closed_abstains"]) and row.get(key) is not None and row[key] < t


def rates(rows: list[dict], t: float, key: str = "p") -> tuple[float, float, float]:
    """(answerable abstained, unanswerable abstained, balanced accuracy) at threshold t."""
    a = float(np.mean([abstains(r, t, key) for r in rows if r["answerable"]]))
    u = float(np.mean([abstains(r, t, key) for r in rows if not r["answerable"]]))
    return a, u, (1 - a + u) / 2


def choose(rows: list[dict], key: str = "p") -> float:
    """The threshold of best balanced accuracy; the lower one on a tie (fewer hedges)."""
    return max(GRIDS[key], key=lambda t: (round(rates(rows, t, key)[2], 6), -t))


def _auc(rows: list[dict], key: str) -> float | None:
    from sklearn.metrics import roc_auc_score

    rows = [r for r in rows if r.get(key) is not None]
    y = [r["answerable"] for r in rows]
    return round(float(roc_auc_score(y, [r[key] for r in rows])), 3) if len(set(y)) == 2 else None


def plot(rows: list[dict], chosen: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in GRIDS if any(r.get(k) is not None for r in rows)]
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 4), sharey=True)
    for ax, key in zip(np.atleast_1d(axes), keys):
        grid = GRIDS[key]
        ax.plot(grid, [rates(rows, t, key)[0] for t in grid], label="answerable: declined or hedged (wrong)")
        ax.plot(grid, [rates(rows, t, key)[1] for t in grid], label="unanswerable: declined or hedged (right)")
        ax.axvline(chosen[key], color="green", linestyle="--", label=f"chosen: {chosen[key]}")
        ax.set_xlabel(f"answer threshold on {LABELS[key]}")
        ax.set_title(f"ROC AUC {_auc(rows, key)}", fontsize=10)
        ax.legend(loc="center right", fontsize=7)
    axes = np.atleast_1d(axes)
    axes[0].set_ylabel("share of questions")
    fig.suptitle(f"Answer gate on {len(rows)} trade-press questions of the spent sets (each set's "
                 "ranker, and for the learned gate its model, fitted without it)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _loso(rows: list[dict], key: str) -> dict:
    out = {}
    for held in SETS:
        train = [r for r in rows if r["set"] != held]
        test = [r for r in rows if r["set"] == held]
        t = choose(train, key)
        a, u, b = rates(test, t, key)
        out[held] = {"threshold": t, "answerable_abstained": round(a, 3),
                     "unanswerable_abstained": round(u, 3), "balanced": round(b, 3)}
    return out


def _pooled(loso: dict, rows: list[dict]) -> float:
    """Balanced accuracy over every set's left-out outcomes at its own threshold."""
    n = {s: [r for r in rows if r["set"] == s] for s in loso}
    a = sum(loso[s]["answerable_abstained"] * sum(r["answerable"] for r in n[s]) for s in loso)
    u = sum(loso[s]["unanswerable_abstained"] * sum(not r["answerable"] for r in n[s]) for s in loso)
    na = sum(r["answerable"] for r in rows)
    return round((1 - a / na + u / (len(rows) - na)) / 2, 3)


def ask_all() -> list[dict]:
    """Every spent set's questions asked with the gate open and closed, each set with a ranker
    fitted without it."""
    from assistant.answers.ranker import Ranker, load_ranker
    from eval.__main__ import _embedder
    from eval.train_ranker import _fit, collect

    embedder = _embedder(cached=False)
    shipped = load_ranker()
    C = shipped.meta.get("C", 0.1) if shipped else 0.1
    typer.echo("scoring the ranker's training questions ...")
    train_rows = [r for name in SETS for r in collect(name, embedder, progress=False)]
    rows = []
    for name in SETS:
        typer.echo(f"asking {name} (the ranker fitted without it) ...")
        ranker = Ranker(_fit([r for r in train_rows if r["set"] != name], C), {})
        rows += ask_set(name, embedder, ranker)
    return rows


def _gate_rows(rows: list[dict]) -> list[dict]:
    """The questions the gate decides: answered with it open, declined or hedged with it closed."""
    return [r for r in rows if r.get("x") is not None and not r["open_abstains"] and r["closed_abstains"]]


def fit_gate(rows: list[dict], C: float):
    """The learned gate (answers.gate) fitted on the questions it decides: answerable or not."""
    from assistant.answers.gate import GATE_FEATURES
    from eval.train_ranker import _fit

    data = [{"X": np.asarray([r["x"]], float), "y": np.asarray([bool(r["answerable"])])}
            for r in _gate_rows(rows)]
    return _fit(data, C, features=GATE_FEATURES)


def with_gate(rows: list[dict], model) -> list[dict]:
    """The rows with "g": the gate's P(answerable) of each (None where it has no features)."""
    return [{**r, "g": None if r.get("x") is None else
             round(float(model.predict(np.asarray(r["x"], float))[0]), 4)} for r in rows]


def loso_gate(rows: list[dict], C: float) -> tuple[dict, list[dict]]:
    """The learned gate left one set out: fitted and its threshold chosen on the other sets,
    measured on the set left out; and every row scored by the gate fitted without its set."""
    out, scored = {}, []
    for held in dict.fromkeys(r["set"] for r in rows):
        train = [r for r in rows if r["set"] != held]
        model = fit_gate(train, C)
        t = choose(with_gate(train, model), "g")
        test = with_gate([r for r in rows if r["set"] == held], model)
        a, u, b = rates(test, t, "g")
        out[held] = {"threshold": t, "answerable_abstained": round(a, 3),
                     "unanswerable_abstained": round(u, 3), "balanced": round(b, 3)}
        scored += test
    return out, scored


def learned_gate(rows: list[dict]) -> tuple[dict, dict, list[dict]]:
    """The learned gate: its strength C chosen by balanced accuracy left one set out, its
    left-out figures, every row scored left out, and the gate fitted on every set with its
    threshold ("learned" in gate.json)."""
    C = max(GRID_GATE_C, key=lambda c: (_pooled(loso_gate(rows, c)[0], rows), -c))
    loso, scored = loso_gate(rows, C)
    model = fit_gate(rows, C)
    threshold = choose(with_gate(rows, model), "g")
    return {"C": C, "threshold": threshold, "model": model.to_dict()}, loso, scored


def _echo(rows: list[dict], chosen: dict, loso: dict, pooled: dict) -> None:
    for key in loso:
        for held, v in loso[key].items():
            typer.echo(f"{key} {held}: chosen on the others {v['threshold']}: answerable abstained "
                       f"{v['answerable_abstained']:.3f}, unanswerable abstained "
                       f"{v['unanswerable_abstained']:.3f}, balanced {v['balanced']:.3f}")
        a, u, b = rates(rows, chosen[key], key)
        typer.echo(f"{key} all: {chosen[key]}: answerable abstained {a:.3f}, unanswerable abstained "
                   f"{u:.3f}, balanced {b:.3f}; left out, pooled balanced {pooled[key]}; "
                   f"ROC AUC {_auc(rows, key)}")


@app.command()
def main(out: Path = OUT, plot_path: Path = PLOT,
         from_rows: bool = typer.Option(False, help="Choose again from eval/results/gate-rows.json "
                                                    "(the questions' outcomes of the last run) "
                                                    "instead of asking every question again.")) -> None:
    from assistant.answers.model import load_model

    rows_path = PROJECT_ROOT / "eval" / "results" / "gate-rows.json"
    rows = json.loads(rows_path.read_text(encoding="utf-8")) if from_rows else ask_all()
    model = load_model()
    learned = model.cross.answer_threshold if model.cross else model.answer_threshold
    gate, loso_g, scored = learned_gate(rows) if any(r.get("x") for r in rows) else (None, None, rows)
    single = [k for k in GRIDS if k != "g"]
    chosen = {key: choose(rows, key) for key in single}
    loso = {key: _loso(rows, key) for key in single}
    if gate is not None:  # (its figures on the rows each scored by the gate fitted without its set)
        rows, chosen["g"], loso["g"] = scored, gate["threshold"], loso_g
    pooled = {key: _pooled(loso[key], rows) for key in loso}
    # the ranker's signal when its threshold, chosen without a set, does clearly better on it
    # than P(answerable)'s (by MARGIN: a few questions either way is noise); else P(answerable);
    # the learned gate when it does clearly better than both
    signal = "lead" if pooled["lead"] >= pooled["p"] + MARGIN else "p"
    if gate is not None and pooled["g"] >= pooled[signal] + MARGIN:
        signal = "g"
    _echo(rows, chosen, loso, pooled)
    typer.echo(f"signal: {signal}")

    def at(key: str, t: float) -> dict:
        a, u, b = rates(rows, t, key)
        return {"answerable_abstained": round(a, 3), "unanswerable_abstained": round(u, 3),
                "balanced": round(b, 3)}

    report = {
        "answer_threshold": chosen["p"],
        "lead_threshold": chosen["lead"] if signal == "lead" else None,
        "learned": gate if signal == "g" else None,
        "learned_fit": gate,
        "signal": signal,
        "note": __doc__.split("\n\n")[1].replace("\n", " "),
        "sets": list(SETS), "questions": len(rows),
        "answerable": sum(r["answerable"] for r in rows),
        "learned_threshold": learned,
        "roc_auc": {key: _auc(rows, key) for key in chosen},
        "at_chosen": {key: at(key, chosen[key]) for key in chosen},
        "at_learned": at("p", learned),
        "leave_one_set_out": loso,
        "leave_one_set_out_pooled_balanced": pooled,
        "curve": {key: [[t, *(round(x, 3) for x in rates(rows, t, key)[:2])] for t in GRIDS[key]]
                  for key in chosen},
    }
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    plot(rows, chosen, plot_path)
    (PROJECT_ROOT / "eval" / "results" / "gate-rows.json").write_text(
        json.dumps(rows, indent=0) + "\n", encoding="utf-8")
    typer.echo(f"wrote {out}, {plot_path} and eval/results/gate-rows.json")


if __name__ == "__main__":
    app()
