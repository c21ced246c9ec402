"""Questions answered from tables (issue 20): list, ranking and filter questions over the records
development documents, asked with table answers off (from passages: before) and on (after).

    python -m eval.tables_eval [--out eval/results/tables-eval.json]

The documents are the 22 of the records development set (`eval/data/tradepress/docs/` and
`eval/data/records_dev/docs/`, see `eval/data/records_dev/SPLIT.md`), whose every deal,
regulatory event and site was written down by hand (`records_dev_gold.jsonl`, `gold.jsonl`).
The questions are made from that gold by fixed templates (all deals, deals over $1 billion, the
largest deals, a company's deals, a year's deals, approvals, designations by agency, sites), so
nobody chose them by how the answerer does. A question's expected items are the gold records it
asks for; an item counts as found when the answer names it (a deal: the first word of each of its
first two parties; a regulatory event: its product; a site: its company's first word and its
site's or country's first word). Reported per question and overall: item recall, and whether the
answer came from the tables.

The extractor was developed on the train part of these documents, so the figures are an upper
bound for unseen documents (docs/records.md gives the held-out extraction scores).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from assistant.core import offline

offline.apply()

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "eval" / "data" / "tradepress" / "docs", ROOT / "eval" / "data" / "records_dev" / "docs"]
GOLD = [ROOT / "eval" / "data" / "records_dev_gold.jsonl", ROOT / "eval" / "data" / "records_dev" / "gold.jsonl"]
OUT = ROOT / "eval" / "results" / "tables-eval.json"


def load_gold() -> list[dict]:
    return [json.loads(line) for p in GOLD for line in p.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _v(r: dict, name: str):
    return (r["fields"].get(name) or {}).get("value")


def _first(word: str) -> str:
    return re.split(r"[\s,(]", word.strip())[0]


def _usd(r: dict) -> float | None:
    for name in ("total", "upfront"):
        cell = r["fields"].get(name)
        if cell and (cell.get("currency") or "USD") == "USD":
            return float(cell["value"])
    return None


def _date(r: dict) -> str:
    return str(_v(r, "announced") or _v(r, "date") or "")


def keys(r: dict) -> list[str]:
    """What an answer must name for this record to count as found."""
    if r["type"] == "deal":
        return [_first(p) for p in (_v(r, "parties") or [])[:2]]
    if r["type"] == "regulatory":
        return [_first(str(_v(r, "product") or ""))]
    return [_first(str(_v(r, "company") or "")), _first(str(_v(r, "site") or _v(r, "country") or ""))]


def questions(gold: list[dict]) -> list[tuple[str, list[dict]]]:
    deals = [r for r in gold if r["type"] == "deal"]
    reg = [r for r in gold if r["type"] == "regulatory"]
    sites = [r for r in gold if r["type"] == "facility"]
    out: list[tuple[str, list[dict]]] = [
        ("List all deals", deals),
        ("Show all deals over $1 billion", [r for r in deals if (_usd(r) or 0) >= 1e9]),
        ("What are the largest deals?",
         sorted([r for r in deals if _usd(r)], key=lambda r: -_usd(r))[:3]),
        ("List all acquisitions", [r for r in deals if _v(r, "kind") == "acquisition"]),
        ("List all licensing deals", [r for r in deals if _v(r, "kind") == "license"]),
        ("List all regulatory approvals", [r for r in reg if _v(r, "action") == "approval"]),
        ("List all designations", [r for r in reg if _v(r, "action") == "designation"]),
        ("List the manufacturing sites", sites),
        ("Which sites have the largest bioreactor capacity?",
         sorted([r for r in sites if _v(r, "capacity_liters")],
                key=lambda r: -float(_v(r, "capacity_liters")))[:3]),
    ]
    for agency in ("FDA", "EMA"):
        out.append((f"Which {agency} designations are mentioned?",
                    [r for r in reg if _v(r, "agency") == agency and _v(r, "action") == "designation"]))
        out.append((f"List the {agency} approvals",
                    [r for r in reg if _v(r, "agency") == agency and _v(r, "action") == "approval"]))
    for year in sorted({_date(r)[:4] for r in deals if _date(r)}, reverse=True)[:4]:
        out.append((f"List all deals in {year}", [r for r in deals if _date(r).startswith(year)]))
    parties = Counter(_first(p) for r in deals for p in (_v(r, "parties") or [])[:2])
    for company, _ in parties.most_common(4):
        out.append((f"List all deals of {company}",
                    [r for r in deals if company in [_first(p) for p in (_v(r, "parties") or [])[:2]]]))
    return [(q, items) for q, items in out if items]


def found(answer: str, r: dict) -> bool:
    return all(k and re.search(rf"\b{re.escape(k)}", answer, re.IGNORECASE) for k in keys(r))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    from tqdm import tqdm

    from assistant.core.config import Settings
    from assistant.index.store import ChunkStore
    from assistant.retrieval.embedding import get_embedder
    from assistant.service.assistant import Assistant
    from ingest.pipeline import Ingestor

    gold = load_gold()
    qs = questions(gold)
    with tempfile.TemporaryDirectory(prefix="tables-eval-") as tmp:
        corpus = Path(tmp) / "docs"
        corpus.mkdir()
        for folder in DOCS:
            for f in folder.iterdir():
                shutil.copy2(f, corpus / f.name)
        settings = Settings(corpus_dir=corpus, chroma_path=Path(tmp) / "chroma",
                            audit_path=Path(tmp) / "audit.jsonl")
        embedder = get_embedder(settings.torch_threads)
        store = ChunkStore(settings)
        Ingestor(settings, store, embedder, progress=True).run([corpus])
        runs = {}
        for name, on in (("passages (table answers off)", False), ("tables (table answers on)", True)):
            assistant = Assistant(settings.model_copy(update={"table_answers": on}), store, embedder)
            rows = []
            for q, items in tqdm(qs, desc=name, unit="q"):
                t = time.perf_counter()
                a = assistant.ask(q).answer
                hit = sum(found(a.answer, r) for r in items)
                rows.append({"question": q, "expected": len(items), "found": hit,
                             "recall": hit / len(items), "from_tables": a.generator == "records",
                             "answer_type": a.answer_type, "ms": round((time.perf_counter() - t) * 1000)})
            runs[name] = {"item_recall_mean": round(sum(r["recall"] for r in rows) / len(rows), 3),
                          "items_found": f"{sum(r['found'] for r in rows)} of {sum(r['expected'] for r in rows)}",
                          "answered_from_tables": sum(r["from_tables"] for r in rows),
                          "questions": rows}
    report = {"documents": sum(len(list(d.iterdir())) for d in DOCS), "gold_records": len(gold),
              "questions": len(qs), "runs": runs}
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"{len(qs)} questions over {report['documents']} documents ({len(gold)} gold records)")
    for name, run in runs.items():
        print(f"{name}: item recall {run['item_recall_mean']}, items {run['items_found']}, "
              f"from tables {run['answered_from_tables']}")
    width = max(len(q) for q, _ in qs)
    names = list(runs)
    for i, (q, items) in enumerate(qs):
        cells = "  ".join(f"{runs[n]['questions'][i]['found']}/{len(items)}" for n in names)
        print(f"  {q:<{width}}  {cells}")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
