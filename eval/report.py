"""Reports: terminal tables (rich), JSON and Markdown files, a Recall@k plot, and run comparison."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

from assistant.core.config import PROJECT_ROOT


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, c in enumerate(columns):
        table.add_column(c, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*[_fmt(v) for v in row])
    import sys

    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def write_json(out_dir: Path, kind: str, data: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"{kind}-{stamp}.json"
    payload = {"kind": kind, "created": stamp, "commit": git_commit(), **data}
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines)


def plot_recall(retrieval: dict[str, dict[str, float]], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = [1, 3, 5, 10, 20]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for name, metrics in retrieval.items():
        ys = [metrics.get(f"recall@{k}") for k in ks]
        ax.plot(ks, ys, marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("Recall@k (gold spans found)")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def flatten(data: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested report, keyed by dotted path."""
    out: dict[str, float] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        out[prefix] = float(data)
    return out


SKIP_IN_COMPARE = ("created", "config.", "questions")


def compare(old: dict, new: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(metric, old, new, change) for every numeric metric of either report."""
    a, b = flatten(old), flatten(new)
    rows = []
    for key in sorted(set(a) | set(b)):
        if key.startswith(SKIP_IN_COMPARE):
            continue
        x, y = a.get(key), b.get(key)
        rows.append((key, x, y, (y - x) if x is not None and y is not None else None))
    return rows


CATEGORY_COLUMNS = ["category", "n", "key-fact recall", "all facts", "gold doc cited",
                    "abstained", "numbers faithful"]


def category_rows(per_question: Sequence[dict]) -> list[list[Any]]:
    """One row per question category from a report's per-question records: key-fact recall and
    the share with every fact (answerable categories), the share citing a gold document, the share
    abstained (false abstentions for answerable categories, correct ones for "unanswerable"), and
    the share of given answers whose figures are all in their cited passages."""
    rows: list[list[Any]] = []
    for cat in sorted({r["category"] for r in per_question}):
        rs = [r for r in per_question if r["category"] == cat]
        answerable = [r for r in rs if r["answerable"]]
        given = [r for r in rs if not r["abstained"]]

        def mean(values):
            values = [float(v) for v in values if v is not None]
            return sum(values) / len(values) if values else None

        rows.append([
            cat, len(rs),
            mean(r["fact_recall"] for r in answerable),
            mean(r["all_facts"] for r in answerable),
            mean(r["citation_hit"] for r in answerable),
            mean(r["abstained"] for r in rs),
            mean(r["numbers_ok"] for r in given),
        ])
    return rows
