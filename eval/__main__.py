"""Offline evals. `python -m eval corpus` (make eval), `python -m eval bench` (make bench),
`python -m eval compare OLD.json NEW.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.core.config import PROJECT_ROOT, get_settings
from eval.report import (
    CATEGORY_COLUMNS,
    category_rows,
    markdown_table,
    plot_recall,
    print_table,
    write_json,
)
from eval.report import compare as compare_reports

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
REPORTS = PROJECT_ROOT / "eval" / "reports"
DEFAULT_EVAL_DATA = PROJECT_ROOT.parent / "shared" / "eval-data"
CACHE = PROJECT_ROOT / ".data" / "embedding-cache.sqlite"

ANSWER_ROWS = [
    ("key-fact recall", "key_fact_recall"),
    ("answers with every key fact", "all_facts"),
    ("citation precision", "citation_precision"),
    ("citation hit (gold document cited)", "citation_hit"),
    ("number faithfulness", "number_faithfulness"),
    ("abstention precision", "abstention_precision"),
    ("abstention recall (unanswerable declined or hedged)", "abstention_recall"),
    ("false abstentions", "false_abstentions"),
    ("false abstention rate", "false_abstention_rate"),
    ("answerable: declined outright", "answerable_declined"),
    ("answerable: hedged (closest sentences shown)", "answerable_hedged"),
    ("unanswerable: declined outright", "unanswerable_declined_strict"),
    ("errors (generator failed)", "errors"),
    ("sentences removed by verification", "sentences_removed_by_verification"),
    ("answers replaced by the fallback", "answers_replaced_by_fallback"),
    ("answer length, median words", "answer_words_p50"),
    ("answer length, median characters", "answer_chars_p50"),
    ("latency p50 (ms)", "latency_p50_ms"),
    ("latency p95 (ms)", "latency_p95_ms"),
]


def _embedder(cached: bool):
    from assistant.retrieval.embedding import get_embedder
    from eval.cache import CachedEmbedder

    inner = get_embedder(get_settings().torch_threads, get_settings().embed_model)
    return CachedEmbedder(inner, CACHE) if cached else inner


@app.command()
def corpus(
    dataset: Annotated[Optional[Path], typer.Option(help="Eval set (JSON Lines).")] = None,
    docs: Annotated[Optional[Path], typer.Option(
        help="Folder of documents ingested for the run (default: the corpus folder); the set's "
             "gold sources are relative to it.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the JSON, Markdown and PNG reports.")] = REPORTS,
    naive: Annotated[bool, typer.Option(help="Include the LangChain-tutorial baseline.")] = True,
    check: Annotated[bool, typer.Option(help="Exit 1 when below eval/thresholds.json.")] = False,
) -> None:
    """Retrieval (BM25, dense, hybrid, naive baseline) and answer quality on the corpus set."""
    from eval.corpus import check_thresholds, run_corpus_eval
    from eval.dataset import DEFAULT_SET

    settings = get_settings()
    dataset = dataset or DEFAULT_SET
    if not dataset.is_file():
        typer.echo(f"error: --dataset {dataset}: no such file", err=True)
        raise typer.Exit(2)
    if docs is not None and not docs.is_dir():
        typer.echo(f"error: --docs {docs}: not a folder", err=True)
        raise typer.Exit(2)
    try:
        report = run_corpus_eval(settings, _embedder(cached=False), dataset, naive=naive, docs=docs)
    except ValueError as exc:  # malformed set, or gold sources missing from --docs
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    set_name = dataset.stem
    ret = report["retrieval"]
    metrics = list(next(iter(ret.values())).keys())
    rows = [[name, *[m[k] for k in metrics]] for name, m in ret.items()]
    print_table(f"Retrieval on {set_name} (gold spans, ranx)", ["retriever", *metrics], rows)
    a = report["answers"]
    print_table(f"Answers ({a['answerable']} answerable, {a['unanswerable']} unanswerable)",
                ["measure", "value"], [(label, a[key]) for label, key in ANSWER_ROWS])
    print_table("By category (abstained: false abstentions, or correct ones for unanswerable)",
                CATEGORY_COLUMNS, category_rows(report["per_question"]))
    path = write_json(out, "corpus", report)
    report["commit"] = json.loads(path.read_text(encoding="utf-8"))["commit"]  # for the Markdown title
    png = plot_recall(ret, path.with_suffix(".png"), f"Recall@k on {set_name}")
    md = path.with_suffix(".md")
    md.write_text(_markdown(report, metrics, png.name), encoding="utf-8")
    typer.echo(f"wrote {path}, {md.name}, {png.name}", err=True)
    if check:
        failures = check_thresholds(report)
        for f in failures:
            typer.echo(f"BELOW THRESHOLD: {f}", err=True)
        if failures:
            raise typer.Exit(1)


def _markdown(report: dict, metrics: list[str], png: str) -> str:
    ret, a = report["retrieval"], report["answers"]
    lines = [f"# Corpus eval ({Path(report['dataset']).name} on {report.get('docs', 'corpus')}), "
             f"commit {report.get('commit', '?')}", "",
             "## Configuration", "", "```json", json.dumps(report["config"], indent=2), "```", "",
             "## Retrieval", "", markdown_table(["retriever", *metrics],
                                                [[n, *[m[k] for k in metrics]] for n, m in ret.items()]),
             "", f"![Recall@k]({png})", "", "## Answers", "",
             markdown_table(["measure", "value"], [(label, a[key]) for label, key in ANSWER_ROWS]),
             "", "## By category", "",
             "`abstained`: false abstentions in answerable categories, correct ones for unanswerable.", "",
             markdown_table(CATEGORY_COLUMNS, category_rows(report["per_question"])),
             "", "## Questions that missed a key fact or were wrongly (not) abstained", ""]
    for r in report["per_question"]:
        wrong = (r["answerable"] and (r["abstained"] or not r["all_facts"])) or (
            not r["answerable"] and not r["abstained"])
        if wrong:
            lines.append(f"- **{r['id']}** ({r['category']}) {r['question']}  \n  → {r['answer'][:300]}")
    return "\n".join(lines) + "\n"


@app.command()
def bench(
    eval_data: Annotated[Path, typer.Option(help="Folder with scifact/ and covidqa/.")] = DEFAULT_EVAL_DATA,
    scifact: Annotated[bool, typer.Option(help="Run SciFact.")] = True,
    covidqa: Annotated[bool, typer.Option(help="Run COVID-QA.")] = True,
    squad: Annotated[bool, typer.Option(help="Run SQuAD 2.0 (held-out articles).")] = True,
    sample: Annotated[int, typer.Option(help="COVID-QA questions (seeded sample).")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the COVID-QA sample.")] = 13,
    out: Annotated[Path, typer.Option(help="Folder for the reports.")] = REPORTS,
) -> None:
    """Public benchmarks: SciFact retrieval and COVID-QA answers, next to published figures."""
    from eval.beir import run_scifact
    from eval.covidqa import run_covidqa

    settings = get_settings()
    report: dict = {"eval_data": str(eval_data)}
    embedder = None
    sf_dir, cq_file = eval_data / "scifact", eval_data / "covidqa" / "200423_covidQA.json"
    if scifact:
        if not (sf_dir / "corpus.jsonl").exists():
            typer.echo(f"SciFact skipped: {sf_dir}/corpus.jsonl not found (pass --eval-data)", err=True)
        else:
            embedder = embedder or _embedder(cached=True)
            fusions = {"hybrid (product default)": {},
                       "hybrid, RRF k=60": {"fusion": "rrf", "rrf_k": 60}}
            sf = run_scifact(sf_dir, embedder, settings, fusions)
            report["scifact"] = sf
            rows = [[name, m["ndcg@10"], m["recall@10"], m["recall@100"], m["mrr@10"]]
                    for name, m in sf["retrievers"].items()]
            rows += [[f"published: {n}", v["ndcg@10"], None, v["recall@100"], None]
                     for n, v in sf["published"].items()]
            print_table(f"SciFact test ({sf['queries']} queries, {sf['documents']} abstracts)",
                        ["retriever", "nDCG@10", "Recall@10", "Recall@100", "MRR@10"], rows)
    if covidqa:
        if not cq_file.exists():
            typer.echo(f"COVID-QA skipped: {cq_file} not found (pass --eval-data)", err=True)
        else:
            embedder = embedder or _embedder(cached=True)
            cq = run_covidqa(cq_file, embedder, settings, sample=sample, seed=seed)
            report["covidqa"] = cq
            _side_by_side(f"COVID-QA ({cq['questions']} questions from {cq['questions_from']}, "
                          f"seed {cq['seed']}, {cq['articles']} articles, {cq['chunks']} chunks)", cq, (
                    ("answer contains the gold span", "answer_contains_gold"),
                    ("... strict (markers and reference numerals compared as shown)", "answer_contains_gold_strict"),
                    ("cited passages contain the gold span", "cited_passages_contain_gold"),
                    ("retrieved passages contain the gold span", "retrieved_passages_contain_gold"),
                    ("cites the gold article", "cites_gold_article"),
                    ("abstained", "abstained"),
                    ("latency p50 (ms)", "latency_p50_ms"), ("latency p95 (ms)", "latency_p95_ms")))
    squad_file = eval_data / "squad2" / "dev-v2.0-half.json"
    if squad:
        if not squad_file.exists():
            typer.echo(f"SQuAD 2.0 skipped: {squad_file} not found (pass --eval-data)", err=True)
        else:
            from eval.squad import run_squad

            embedder = embedder or _embedder(cached=True)
            sq = run_squad(squad_file, embedder, settings)
            report["squad2"] = sq
            _side_by_side(f"SQuAD 2.0 held-out articles ({sq['questions']} questions, "
                          f"{sq['answerable']} answerable; gold paragraph + 4 distractors)", sq, (
                    ("answerable: answer contains the gold span", "answerable_answer_contains_gold"),
                    ("answerable: answer or hedge contains it", "answerable_answer_or_hedge_contains_gold"),
                    ("answerable: abstained (declined or hedged)", "answerable_abstained"),
                    ("answerable: declined outright", "answerable_declined_outright"),
                    ("unanswerable: abstained (declined or hedged)", "unanswerable_abstained"),
                    ("unanswerable: declined outright", "unanswerable_declined_outright"),
                    ("answer length, median words", "answer_words_p50")))
    if embedder is not None and hasattr(embedder, "hits"):
        report["embedding_cache"] = {"hits": embedder.hits, "misses": embedder.misses}
        typer.echo(f"embedding cache: {embedder.hits} hits, {embedder.misses} embedded", err=True)
    if len(report) > 1:
        path = write_json(out, "bench", report)
        typer.echo(f"wrote {path}", err=True)


def _side_by_side(title: str, report: dict, rows) -> None:
    """The product's answerer next to the rules baseline, one row per measure."""
    p, r = report["product"], report["rules baseline"]
    print_table(title, ["measure", "product", "rules baseline"],
                [(label, p[key], r[key]) for label, key in rows])


@app.command("train-answerer")
def train_answerer(
    eval_data: Annotated[Path, typer.Option(help="Folder with squad2/ and covidqa/.")] = DEFAULT_EVAL_DATA,
    out: Annotated[Optional[Path], typer.Option(help="Model file to write (default: the one the "
                                                     "answerer loads).")] = None,
    cached: Annotated[bool, typer.Option(help="Reuse embeddings from .data/ (same vectors, faster "
                                              "reruns).")] = True,
) -> None:
    """Learn sentence selection and answerability from SQuAD 2.0 and COVID-QA (split by article)."""
    from assistant.answers.model import MODEL_PATH
    from eval.train_answerer import run

    target = out or MODEL_PATH
    try:
        report = run(eval_data, _embedder(cached=cached), out=target)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    cv = report["training"]["cross_validated"]
    print_table(f"Training ({report['training']['questions']} questions, "
                f"{report['training']['sentences']} sentences; 5-fold by article)",
                ["measure", "value"], [(k, v) for k, v in cv.items() if not isinstance(v, list)])
    print_table("Keep threshold: answers holding the answer vs their length (out of fold)",
                ["keep threshold", "answer holds the answer", "mean sentences"],
                cv["keep_threshold_curve"][:8])
    rows = []
    for name, h in report["heldout"].items():
        rows.append([name, h["questions"], h["top1_sentence_holds_answer_answerable"],
                     h["answerable_answered_right"], h["unanswerable_abstained"]])
    print_table("Held-out articles", ["data", "questions", "best sentence right (answerable)",
                                      "answered right (answerable)", "abstained (unanswerable)"], rows)
    typer.echo(f"wrote {target} in {report['seconds']} s", err=True)


@app.command("train-cross")
def train_cross(
    eval_data: Annotated[Path, typer.Option(help="Folder with squad2/ and covidqa/.")] = DEFAULT_EVAL_DATA,
    cached: Annotated[bool, typer.Option(help="Reuse embeddings from .data/.")] = True,
) -> None:
    """Fit how the answerer combines its sentence model with the cross-encoder, and the answer,
    hedge and keep thresholds (the `cross` section of answerer.json; eval/train_cross.py)."""
    from assistant.answers.model import MODEL_PATH
    from eval.train_cross import run

    try:
        report = run(eval_data, _embedder(cached=cached), out=MODEL_PATH)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    cv = report["cross_validated"]
    print_table("Fitted on the cross-encoder's dev articles (out of fold)", ["measure", "value"],
                [(k, json.dumps(v)) for k, v in cv.items() if not k.endswith("curve")])
    rows = [[d, *h.values()] for d, h in report["heldout"].items()]
    print_table("Held-out articles", ["data", *next(iter(report["heldout"].values())).keys()], rows)
    typer.echo(f"wrote {MODEL_PATH}, eval/results/answer-thresholds.png in {report['seconds']} s", err=True)


@app.command("train-ranker")
def train_ranker(
    cached: Annotated[bool, typer.Option(help="Reuse embeddings from .data/.")] = True,
) -> None:
    """Learn which scored candidate leads an answer on the spent trade-press sets
    (assistant/answers/data/ranker.json; eval/train_ranker.py)."""
    from assistant.answers.ranker import RANKER_PATH
    from eval.train_ranker import run

    report = run(_embedder(cached=cached), out=RANKER_PATH)
    rows = [[name, v["questions"], v["top1_models"], v["top1_ranker"]]
            for name, v in report["leave_one_set_out"].items()]
    rows.append(["pooled", report["questions"], *report["pooled_top1"].values()])
    print_table(f"Best candidate holds a key fact, each set left out (C={report['C']})",
                ["set", "questions", "models' order", "ranker"], rows)
    typer.echo(f"wrote {RANKER_PATH}, eval/results/train-ranker.json in {report['seconds']} s", err=True)


@app.command("train-reranker")
def train_reranker(
    eval_data: Annotated[Path, typer.Option(help="Folder with squad2/, covidqa/ and scifact/.")] = DEFAULT_EVAL_DATA,
    out: Annotated[Optional[Path], typer.Option(help="Adapter file to write or evaluate (default: "
                                                     "assistant/retrieval/data/cross-encoder.safetensors).")] = None,
    eval_only: Annotated[bool, typer.Option("--eval-only", help="Only measure the file on the held-out "
                                                                "data (and latency).")] = False,
    epochs: Annotated[float, typer.Option(help="Passes over the training pairs.")] = 1.0,
    covidqa_hard: Annotated[int, typer.Option(help="Hard negatives per COVID-QA question.")] = 4,
    scifact_hard: Annotated[int, typer.Option(help="BM25 hard negatives per SciFact claim.")] = 2,
    scifact_queries: Annotated[Optional[int], typer.Option(help="SciFact training claims used "
                                                                "(seeded sample; default all).")] = None,
    max_len_passage: Annotated[int, typer.Option(help="Word pieces of a SciFact training pair.")] = 256,
    max_minutes: Annotated[float, typer.Option(help="Training stops after this many minutes.")] = 45.0,
    threads: Annotated[int, typer.Option(help="torch CPU threads for training.")] = 2,
    eval_threads: Annotated[int, typer.Option(help="torch CPU threads for scoring (on a shared "
                                                   "machine 1 measured 7x faster than 2).")] = 1,
    dev_only: Annotated[bool, typer.Option("--dev-only", help="Only score the file on the dev "
                                                              "split (and choose the int8 default).")] = False,
    dev_squad_questions: Annotated[Optional[int], typer.Option(
        help="--dev-only: a seeded sample of the SQuAD dev questions (default all).")] = None,
    dev_scifact_queries: Annotated[Optional[int], typer.Option(
        help="--dev-only: SciFact dev claims scored (seeded sample; 0: none; default all).")] = None,
    scifact_queries_eval: Annotated[Optional[int], typer.Option(
        help="--eval-only: score the models on a seeded sample of this many SciFact test claims "
             "(baselines on all of them too).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of torch, numpy and random.")] = 13,
    cached: Annotated[bool, typer.Option(help="Reuse MiniLM embeddings from .data/.")] = True,
) -> None:
    """Train the cross-encoder (LoRA on the packaged MiniLM) on SQuAD 2.0, COVID-QA and SciFact
    training data; `--eval-only`: measure it on the held-out articles and SciFact test."""
    from assistant.retrieval.cross_encoder import WEIGHTS_PATH
    from eval.train_reranker import Recipe, run_eval, run_train

    target = out or WEIGHTS_PATH
    try:
        if dev_only:
            from eval.train_reranker import run_dev

            meta = run_dev(eval_data, _embedder(cached=cached), target, threads=eval_threads,
                           squad_questions=dev_squad_questions, scifact_queries=dev_scifact_queries)
            _reranker_tables("dev (training articles left out)", meta["dev"])
            typer.echo(f"int8 by default: {meta['runtime']['int8']} "
                       f"(fp32 - int8 on dev: {meta['runtime']['int8_dev_drop']})", err=True)
        elif not eval_only:
            recipe = Recipe(epochs=epochs, covidqa_hard=covidqa_hard, scifact_hard=scifact_hard,
                            scifact_queries=scifact_queries, max_len_passage=max_len_passage,
                            max_minutes=max_minutes, seed=seed, threads=threads)
            meta = run_train(eval_data, _embedder(cached=cached), recipe, out=target,
                             log=lambda m: typer.echo(m, err=True), eval_threads=eval_threads)
            _reranker_tables("dev (training articles left out)", meta["dev"])
            typer.echo(f"int8 by default: {meta['runtime']['int8']} "
                       f"(fp32 - int8 on dev: {meta['runtime']['int8_dev_drop']})", err=True)
            typer.echo(f"wrote {target}; training command {meta['seconds_train_command']} s, "
                       f"dev {meta['dev']['seconds']} s", err=True)
        else:
            held = run_eval(eval_data, _embedder(cached=cached), target, threads=eval_threads,
                            scifact_queries=scifact_queries_eval)
            _reranker_tables("held-out", held)
            print_table("Latency, median ms", ["setting", "ms"], list(held["latency_ms"].items()))
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)


def _reranker_tables(title: str, res: dict) -> None:
    sq, cq, sf = res["squad2"], res["covidqa"], res.get("scifact")
    print_table(f"SQuAD 2.0 {title}: answer sentence in the gold paragraph ({sq['_counts']})",
                ["scorer", "top-1", "abstention AUC"],
                [(k, v["top1"], v["abstain_auc"]) for k, v in sq.items() if not k.startswith("_")])
    print_table(f"COVID-QA {title}: best sentence of the article ({cq['_counts']})",
                ["scorer", "top-1", "top-4"],
                [(k, v["top1"], v["top4"]) for k, v in cq.items() if not k.startswith("_")])
    if sf is None:
        return
    print_table(f"SciFact {title}: re-ranking the fusion's top 30 ({sf['_counts']})",
                ["scorer", "nDCG@10", "Recall@10", "MRR@10"],
                [(k, v["ndcg@10"], v["recall@10"], v["mrr@10"]) for k, v in sf.items()
                 if not k.startswith("_")])


@app.command()
def feedback(
    export: Annotated[Optional[Path], typer.Option(help="Write every feedback record to this "
                                                       "JSON Lines file.")] = None,
) -> None:
    """Helpful / not helpful feedback from the web page and Slack, read from the store."""
    from dataclasses import asdict

    from assistant.index.store import ChunkStore
    from assistant.service.feedback import FeedbackStore

    settings = get_settings()
    items = FeedbackStore(ChunkStore(settings).client, settings.collection_prefix).all()
    by = {}
    for f in items:
        row = by.setdefault(f.channel, [0, 0])
        row[0 if f.helpful else 1] += 1
    print_table(f"Feedback ({len(items)} records)", ["channel", "helpful", "not helpful"],
                [(ch, h, n) for ch, (h, n) in sorted(by.items())])
    unhelpful = [f for f in items if not f.helpful]
    if unhelpful:
        print_table("Answers marked not helpful (candidates for the eval set)",
                    ["channel", "question", "answer"],
                    [(f.channel, f.question[:80], f.answer[:100]) for f in unhelpful[-20:]])
    if export:
        with export.open("w", encoding="utf-8") as fh:
            for f in items:
                fh.write(json.dumps(asdict(f), ensure_ascii=False) + "\n")
        typer.echo(f"wrote {len(items)} records to {export}", err=True)


@app.command()
def compare(
    old: Annotated[Path, typer.Argument(help="Earlier JSON report.")],
    new: Annotated[Path, typer.Argument(help="Later JSON report.")],
    all_rows: Annotated[bool, typer.Option("--all", help="Show unchanged metrics too.")] = False,
) -> None:
    """What changed between two JSON reports of the same kind."""
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (old, new))
    if a.get("kind") != b.get("kind"):
        typer.echo(f"error: comparing a {a.get('kind')} report with a {b.get('kind')} report", err=True)
        raise typer.Exit(2)
    a.pop("per_question", None)
    b.pop("per_question", None)
    rows = [r for r in compare_reports(a, b) if all_rows or r[3] is None or abs(r[3]) > 1e-9]
    print_table(f"{old.name} ({a.get('commit')}) → {new.name} ({b.get('commit')})",
                ["metric", "old", "new", "change"], rows)
    if a.get("config") != b.get("config"):
        typer.echo("configuration differs:", err=True)
        typer.echo(json.dumps({"old": a.get("config"), "new": b.get("config")}, indent=2), err=True)


if __name__ == "__main__":
    sys.exit(app())
