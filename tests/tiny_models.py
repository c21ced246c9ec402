"""Tiny BERT models the tests build and save themselves (no model hub, no weights shipped):
a sentence-transformers embedder (mean pooling) and a sentence-transformers CrossEncoder."""

from __future__ import annotations

import re
from pathlib import Path

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _vocab(words) -> list[str]:
    seen = dict.fromkeys(SPECIAL)
    for w in words:
        for t in re.findall(r"[a-z0-9]+|[^\sa-z0-9]", w.lower()):
            seen.setdefault(t)
    return list(seen)


def _bert(folder: Path, words, seed: int, classifier: bool):
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertModel,
        BertTokenizerFast,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = _vocab(words)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True,
                                  model_max_length=128)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=37, max_position_embeddings=128,
                        num_labels=1, initializer_range=0.5)
    torch.manual_seed(seed)
    model = (BertForSequenceClassification if classifier else BertModel)(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_embedder(folder: Path, words, seed: int = 0) -> Path:
    """A sentence-transformers model folder: tiny BERT + mean pooling (32 dimensions)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    bert = _bert(folder / "bert", words, seed, classifier=False)
    word = Transformer(str(bert), max_seq_length=128)
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(folder))
    return folder


def tiny_cross_encoder(folder: Path, words, seed: int = 0) -> Path:
    """A sentence-transformers CrossEncoder folder: tiny BERT with one output (weights drawn wide,
    so different passages get clearly different scores)."""
    from sentence_transformers import CrossEncoder

    bert = _bert(folder / "bert", words, seed, classifier=True)
    CrossEncoder(str(bert), device="cpu", num_labels=1).save(str(folder))
    return folder
