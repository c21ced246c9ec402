"""Records (issue 20): the corpus's tables, ingest time with and without extraction, and an
extraction scorer against a gold table.

    python -m eval.records tables                    # ingest corpus/, print the three tables
    python -m eval.records timing [--passages 1000]  # ingest time before/after, corpus + COVID-QA
    python -m eval.records score --gold eval/data/records_dev_gold.jsonl \\
                                 --docs eval/data/tradepress/docs
    python -m eval.records score --split train       # the development split (SPLIT.md)
    python -m eval.records score --split test
    python -m eval.records score --split train3      # extract3's split (split3.json, SPLIT.md)
    python -m eval.records score --split check3
    python -m eval.records score --gold eval/data/heldout/records_gold.jsonl \\
                                 --docs eval/data/heldout/docs

Each writes `eval/results/records-<what>.json` (`--out` to change). `score` ingests the documents
with the real pipeline into a fresh store and reads the records back with `RecordStore`, then
matches them to the gold: records by type and source, paired greedily by the most matching
cells; values compared after normalisation (money: same currency, within 1%; dates: equal at the
gold's precision; company names and parties: by `canonical`; texts: one's words contain the
other's; numbers: within 1%; the rest: equal). Reported: record recall (gold records paired with
a prediction), cell recall (gold cells matched), cell precision (predicted cells that match, over
all predicted cells, those of unpaired predictions included) and grounding (predicted cells whose
quote is a verbatim span of the document and states the value).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from assistant.core import offline

offline.apply()

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "eval" / "results"
EVAL_DATA = ROOT.parent / "shared" / "eval-data"
COLUMNS = {
    "deal": ["parties", "kind", "asset", "upfront", "milestones", "total", "announced"],
    "regulatory": ["agency", "action", "designation", "product", "sponsor", "indication", "date"],
    "facility": ["company", "site", "country", "capacity_liters", "investment", "jobs", "status",
                 "date"],
}


# --- ingest into a fresh store ---
def ingest(docs: Path, work: Path, embedder, records: bool = True):
    from assistant.index.records import RecordStore
    from assistant.index.store import ChunkStore
    from ingest.pipeline import Ingestor
    from tests.conftest import make_settings

    settings = make_settings(work, docs)
    store = ChunkStore(settings)
    ing = Ingestor(settings, store, embedder, progress=False)
    if not records:
        ing.records = _NoRecords()
    t = time.perf_counter()
    summary = ing.run([docs])
    seconds = time.perf_counter() - t
    return summary, seconds, RecordStore(store), ing


class _NoRecords:
    """The pipeline as it was before records: the hook does nothing."""
    extracted = written = 0

    def extract(self, *a) -> None: ...
    def staged(self, *a) -> None: ...
    def carry(self, *a) -> None: ...
    def committed(self, *a) -> None: ...


def _embedder():
    from assistant.retrieval.embedding import get_embedder

    return get_embedder(threads=2)


# --- tables ---
def show(value, cell) -> str:
    if isinstance(value, list):
        return "; ".join(value)
    if cell.get("currency"):
        q = (cell.get("qualifier") + " ") if cell.get("qualifier") else ""
        return f"{q}{cell['currency']} {value / 1e6:,.1f}M"
    return str(value)


def tables_markdown(rows: list[dict]) -> str:
    out = []
    for kind, cols in COLUMNS.items():
        mine = [r for r in rows if r["type"] == kind]
        out.append(f"\n{kind} ({len(mine)})\n")
        out.append("| source | " + " | ".join(cols) + " |")
        out.append("|---" * (len(cols) + 1) + "|")
        for r in mine:
            cells = [show(r["fields"][c]["value"], r["fields"][c]) if c in r["fields"] else ""
                     for c in cols]
            out.append(f"| {r['source']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def cmd_tables(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="records-tables-"))
    try:
        docs = work / "docs"
        shutil.copytree(args.docs, docs)
        summary, seconds, store, _ = ingest(docs, work, _embedder())
        rows = store.query()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(tables_markdown(rows))
    return {"docs": str(args.docs), "records": rows, "seconds": seconds}


# --- timing ---
def covidqa_passages(n: int) -> list[tuple[str, str]]:
    path = EVAL_DATA / "covidqa" / "200423_covidQA.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for a, article in enumerate(data["data"]):
        for p, para in enumerate(re.split(r"\n+", article["paragraphs"][0]["context"])):
            if len(para.split()) >= 20:
                out.append((f"covidqa-{a:03d}-{p:03d}.txt", para))
            if len(out) >= n:
                return out
    return out


def _time(docs: Path, embedder, records: bool, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        work = Path(tempfile.mkdtemp(prefix="records-timing-"))
        try:
            summary, seconds, store, ing = ingest(docs, work, embedder, records)
            # (a passage that is all page chrome is reported and skipped, with or without records)
            times.append(round(seconds, 2))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return times


def cmd_timing(args) -> dict:
    embedder = _embedder()
    work = Path(tempfile.mkdtemp(prefix="records-sets-"))
    sets = {"corpus": Path(args.docs)}
    passages = covidqa_passages(args.passages)
    if passages:
        folder = work / "covidqa"
        folder.mkdir()
        for name, text in passages:
            (folder / name).write_text(text, encoding="utf-8")
        sets[f"covidqa-{len(passages)}"] = folder
    out = {}
    try:
        _time(Path(args.docs), embedder, True, 1)  # warm-up: imports, model, first partition
        for name, docs in sets.items():
            before, after = [], []
            for _ in range(args.repeat):  # interleaved, so machine load hits both alike
                before += _time(docs, embedder, False, 1)
                after += _time(docs, embedder, True, 1)
            b, a = min(before), min(after)
            out[name] = {"before_s": before, "after_s": after, "best_before_s": b,
                         "best_after_s": a, "slowdown": round(a / b - 1, 3)}
            print(f"{name}: before {before} s, after {after} s, best {b} -> {a} s "
                  f"({(a / b - 1) * 100:+.1f}%)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


# --- scoring ---
def _norm_text(s: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", str(s).lower()))


def same_value(name: str, pred: dict, gold: dict) -> bool:
    from assistant.core.aliases import canonical
    from assistant.core.money import same_amount
    from ingest.records.dates import same_date

    p, g = pred.get("value"), gold.get("value")
    if p is None or g is None:
        return False
    if name in ("upfront", "milestones", "total", "investment"):
        return pred.get("currency") == gold.get("currency") and same_amount(float(p), float(g))
    if name in ("announced", "date"):
        return same_date(str(p), str(g))
    if name == "parties":
        return {canonical(x) for x in p} == {canonical(x) for x in g}
    if name in ("sponsor", "company"):
        return canonical(str(p)) == canonical(str(g))
    if name in ("asset", "product", "indication", "site"):
        a, b = _norm_text(p), _norm_text(g)
        return bool(a and b) and (a <= b or b <= a)
    if name in ("capacity_liters", "jobs"):
        return same_amount(float(p), float(g))
    return str(p).lower() == str(g).lower()


def _overlap(pred: dict, gold: dict) -> int:
    return sum(1 for k, g in gold["fields"].items()
               if k in pred["fields"] and same_value(k, pred["fields"][k], g))


def pair(predicted: list[dict], gold: list[dict]) -> list[tuple[int, int, int]]:
    """Each gold record with the predicted record of its type and document that shares the most
    cell values with it, greedily, most shared first: (gold index, predicted index, cells)."""
    pairs = []
    used_p, used_g = set(), set()
    cands = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            if p["type"] == g["type"] and p["source"] == g["source"]:
                n = _overlap(p, g)
                if n:
                    cands.append((n, -pi, gi, pi))
    for n, _, gi, pi in sorted(cands, reverse=True):
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        pairs.append((gi, pi, n))
    return pairs


def score(predicted: list[dict], gold: list[dict], texts: dict[str, list[str]],
          anchors: dict[str, str | None]) -> dict:
    from ingest.records.grounding import grounded

    pairs = pair(predicted, gold)
    used_p = {pi for _, pi, _ in pairs}
    gold_cells = sum(len(g["fields"]) for g in gold)
    pred_cells = sum(len(p["fields"]) for p in predicted)
    matched = sum(n for _, _, n in pairs)
    grounded_n = sum(1 for p in predicted for k, c in p["fields"].items()
                     if grounded(k, c, texts.get(p["source"], []), anchors.get(p["source"])))
    misses = []
    for gi, g in enumerate(gold):
        pi = next((pi for a, pi, _ in pairs if a == gi), None)
        p = predicted[pi] if pi is not None else {"fields": {}}
        wrong = {k: {"gold": v["value"], "got": p["fields"].get(k, {}).get("value")}
                 for k, v in g["fields"].items()
                 if not (k in p["fields"] and same_value(k, p["fields"][k], v))}
        if wrong:
            misses.append({"id": g.get("id"), "source": g["source"], "paired": pi is not None,
                           "cells": wrong})
    extra = [{"source": p["source"], "type": p["type"],
              "fields": {k: c["value"] for k, c in p["fields"].items()}}
             for pi, p in enumerate(predicted) if pi not in used_p]
    return {
        "gold_records": len(gold), "predicted_records": len(predicted),
        "record_recall": round(len(pairs) / len(gold), 3) if gold else None,
        "cell_recall": round(matched / gold_cells, 3) if gold_cells else None,
        "cell_precision": round(matched / pred_cells, 3) if pred_cells else None,
        "grounding": round(grounded_n / pred_cells, 3) if pred_cells else None,
        "gold_cells": gold_cells, "predicted_cells": pred_cells, "matched_cells": matched,
        "misses": misses, "unpaired_predictions": extra,
    }


SPLIT = ROOT / "eval" / "data" / "records_dev" / "split.json"
DEV_GOLDS = [ROOT / "eval" / "data" / "records_dev_gold.jsonl",
             ROOT / "eval" / "data" / "records_dev" / "gold.jsonl"]
DEV_DOCS = [ROOT / "eval" / "data" / "tradepress" / "docs",
            ROOT / "eval" / "data" / "records_dev" / "docs"]
# extract3's split (SPLIT.md): the 22 development documents and the spent held-out set (14)
SPLIT3 = ROOT / "eval" / "data" / "records_dev" / "split3.json"
DEV3_GOLDS = DEV_GOLDS + [ROOT / "eval" / "data" / "heldout" / "records_gold.jsonl"]
DEV3_DOCS = DEV_DOCS + [ROOT / "eval" / "data" / "heldout" / "docs"]


def cmd_score(args) -> dict:
    from ingest.pipeline import load_document
    from ingest.records.document import Document

    split3 = args.split in ("train3", "check3")
    golds = args.gold or ([ROOT / "eval" / "data" / "records_dev_gold.jsonl"] if not args.split
                          else DEV3_GOLDS if split3 else DEV_GOLDS)
    dirs = args.docs or ([ROOT / "eval" / "data" / "tradepress" / "docs"] if not args.split
                         else DEV3_DOCS if split3 else DEV_DOCS)
    gold = [json.loads(line) for g in golds for line in Path(g).read_text("utf-8").splitlines()
            if line.strip()]
    def where(source: str) -> Path:
        return next(Path(d) / source for d in dirs if (Path(d) / source).is_file())

    sources = sorted({g["source"] for g in gold})
    if args.all_docs:
        sources = sorted({p.name for d in dirs for p in Path(d).iterdir() if p.is_file()})
    if args.split:  # one part of the development split, every document of it (records or not)
        sources = sorted(json.loads((SPLIT3 if split3 else SPLIT).read_text("utf-8"))[args.split])
        gold = [g for g in gold if g["source"] in sources]
    work = Path(tempfile.mkdtemp(prefix="records-score-"))
    try:
        docs = work / "docs"
        docs.mkdir()
        for s in sources:
            (docs / s).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(where(s), docs / s)
        summary, seconds, store, _ = ingest(docs, work, _embedder())
        predicted = store.query()
        texts, anchors = {}, {}
        for s in sources:
            loaded, _ = load_document(docs / s, docs)
            texts[s] = [e.text for e in loaded.elements]
            anchors[s] = Document(loaded.elements, loaded.title).anchor
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = score(predicted, gold, texts, anchors)
    result.update({"gold": [str(g) for g in golds], "docs": [str(d) for d in dirs],
                   "split": args.split, "documents": len(sources)})
    print(f"{result['documents']} documents, {result['gold_records']} gold records, "
          f"{result['predicted_records']} predicted")
    for k in ("record_recall", "cell_recall", "cell_precision", "grounding"):
        print(f"  {k:15s} {result[k]}")
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.records", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tables")
    t.add_argument("--docs", type=Path, default=ROOT / "corpus")
    m = sub.add_parser("timing")
    m.add_argument("--docs", type=Path, default=ROOT / "corpus")
    m.add_argument("--passages", type=int, default=1000)
    m.add_argument("--repeat", type=int, default=2)
    s = sub.add_parser("score")
    s.add_argument("--gold", type=Path, nargs="+", default=None,
                   help="gold file(s); default: the dev gold (with --split: both dev golds)")
    s.add_argument("--docs", type=Path, nargs="+", default=None,
                   help="document folder(s); default: the trade-press documents (with --split: "
                        "those and eval/data/records_dev/docs)")
    s.add_argument("--split", choices=["train", "test", "train3", "check3"], default=None,
                   help="score one part of eval/data/records_dev/split.json (train, test) or "
                        "split3.json (train3, check3), all its documents")
    s.add_argument("--all-docs", action="store_true",
                   help="ingest every document of --docs, not only those the gold names")
    for p in (t, m, s):
        p.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    result = {"tables": cmd_tables, "timing": cmd_timing, "score": cmd_score}[args.cmd](args)
    name = args.cmd
    if args.cmd == "score":
        name = "score-" + (f"dev-{args.split}" if args.split else Path((args.gold or
                                                                        DEV_GOLDS)[0]).stem)
    out = args.out or RESULTS / f"records-{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
