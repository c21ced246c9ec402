"""The shipped cross-encoder (assistant/retrieval/cross_encoder.py) and the data builder of
`python -m eval train-reranker` (eval/train_reranker.py)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from assistant.retrieval.cross_encoder import (
    META_PATH,
    WEIGHTS_PATH,
    CrossEncoder,
    CrossEncoderError,
    get_cross_encoder,
)

# Hand-written pairs (not from any eval set): (question, relevant text, irrelevant text).
PAIRS = [
    ("At what temperature should the vaccine vials be stored?",
     "Unopened vials must be kept frozen between -25 and -15 degrees Celsius until they are thawed.",
     "The annual shareholder meeting took place in Boston last June."),
    ("Which company acquired Novagen Therapeutics?",
     "Novagen Therapeutics was acquired by Halvorsen Pharma for $1.2 billion in cash.",
     "Patients in the placebo arm reported headaches more often than expected."),
    ("What was the primary endpoint of the phase 3 trial?",
     "The primary endpoint of the phase 3 study was progression-free survival at 24 months.",
     "The manufacturing site in Cork employs about 400 people."),
    ("How many batches can the new bioreactor line produce per year?",
     "Once validated, the new 2,000-litre bioreactor line will produce up to 60 batches a year.",
     "The board appointed a new chief financial officer in March."),
]


@pytest.fixture(scope="module")
def encoder():
    return get_cross_encoder()


def test_shipped_file_is_small_and_described():
    assert WEIGHTS_PATH.stat().st_size < 2_000_000
    meta = json.loads(META_PATH.read_text(encoding="utf-8"))
    for key in ("recipe", "data", "base_sha256", "sha256", "training"):
        assert key in meta


def test_loads_offline_and_scores_are_probabilities(encoder):
    texts = [t for _, rel, irr in PAIRS for t in (rel, irr)]
    s = encoder.score(PAIRS[0][0], texts)
    assert s.shape == (len(texts),) and s.dtype == np.float32
    assert np.all((s >= 0) & (s <= 1))
    assert encoder.score("anything", []).shape == (0,)


@pytest.mark.parametrize("quantize", [False, True])
@pytest.mark.parametrize("question,relevant,irrelevant", PAIRS)
def test_relevant_outscores_irrelevant(question, relevant, irrelevant, quantize):
    enc = get_cross_encoder(quantize=quantize)
    rel, irr = enc.score(question, [relevant, irrelevant])
    assert rel > irr


def test_batching_does_not_change_scores(encoder):
    q, rel, irr = PAIRS[1]
    texts = [rel, irr, "A much longer sentence about cold-chain logistics. " * 6]
    together = encoder.score(q, texts)
    alone = np.array([encoder.score(q, [t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_damaged_file_fails_clearly(tmp_path):
    w, m = tmp_path / "ce.safetensors", tmp_path / "ce.json"
    data = bytearray(WEIGHTS_PATH.read_bytes())
    data[len(data) // 2] ^= 0xFF
    w.write_bytes(bytes(data))
    shutil.copy(META_PATH, m)
    with pytest.raises(CrossEncoderError, match="damaged"):
        CrossEncoder(w)


def test_truncated_file_fails_clearly(tmp_path):
    from assistant.retrieval.cross_encoder import sha256_file

    w, m = tmp_path / "ce.safetensors", tmp_path / "ce.json"
    w.write_bytes(WEIGHTS_PATH.read_bytes()[:5000])
    meta = json.loads(META_PATH.read_text(encoding="utf-8"))
    meta["sha256"] = sha256_file(w)  # a description that matches the broken file
    m.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(CrossEncoderError, match="cannot read"):
        CrossEncoder(w)


def test_mismatched_base_fails_clearly(tmp_path):
    w, m = tmp_path / "ce.safetensors", tmp_path / "ce.json"
    shutil.copy(WEIGHTS_PATH, w)
    meta = json.loads(META_PATH.read_text(encoding="utf-8"))
    meta["base_sha256"]["model.safetensors"] = "0" * 64
    m.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(CrossEncoderError, match="another base model"):
        CrossEncoder(w)


def test_missing_file_fails_clearly(tmp_path):
    with pytest.raises(CrossEncoderError, match="train-reranker"):
        CrossEncoder(tmp_path / "nothing.safetensors")


def test_folding_matches_the_unfolded_adapter(encoder):
    """The folded weights give the same scores as the adapter applied on the fly (peft, a
    training-only dependency)."""
    peft = pytest.importorskip("peft")
    import torch
    from safetensors import safe_open

    from assistant.retrieval.cross_encoder import (
        encode_pairs,
        load_base,
        mean_pool,
        target_modules,
    )

    bert, tok = load_base()
    with safe_open(str(WEIGHTS_PATH), framework="pt") as fh:
        meta = fh.metadata()
        t = {k: fh.get_tensor(k).float() for k in fh.keys()}
    cfg = peft.LoraConfig(r=int(meta["rank"]), lora_alpha=int(meta["alpha"]),
                          target_modules=target_modules(), bias="none")
    bert = peft.inject_adapter_in_model(cfg, bert).eval()
    mods = dict(bert.named_modules())
    with torch.no_grad():
        for name in target_modules():
            mods[name].lora_A["default"].weight.copy_(t[f"{name}.lora_A"])
            mods[name].lora_B["default"].weight.copy_(t[f"{name}.lora_B"])
        q, rel, irr = PAIRS[2]
        enc = encode_pairs(tok, q, [rel, irr], 256)
        h = mean_pool(bert(**enc).last_hidden_state, enc["attention_mask"])
        p = torch.sigmoid(h @ t["head.weight"].reshape(-1) + t["head.bias"]).numpy()
    fp32 = get_cross_encoder(quantize=False)
    assert np.allclose(fp32.score(q, [rel, irr]), p, atol=1e-4)


# ---- the training data builder

class _HashEmbedder:
    """Deterministic bag-of-words vectors: enough for the builder's cosine ranking."""
    name = "hash"
    dimension = 64

    def embed_texts(self, texts, batch_size=32, show_progress=False):
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, sum(map(ord, w)) % 64] += 1
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(n > 0, n, 1)


def _question():
    from eval.train_reranker import SentQuestion

    sents = [
        "Halvorsen Pharma makes vaccines in Cork.",
        "Halvorsen Pharma was founded in 1987 in Oslo.",  # the gold sentence
        "In 1987 Halvorsen Pharma also opened its first plant.",  # holds the answer text too
        "The founders of Halvorsen Pharma met in Oslo, where Halvorsen Pharma was founded.",
        "Halvorsen Pharma sells in forty countries.",
        "Its headquarters moved in 2004.",
        "Revenue grew by a third last year.",
    ]
    return SentQuestion("q1", "When was Halvorsen Pharma founded?", "art", ["1987"], sents, [1],
                        "art:0", "squad2")


def test_builder_never_uses_an_answer_sentence_as_a_negative():
    import random

    from eval.train_reranker import (
        Recipe,
        SentenceIndex,
        covidqa_pairs,
        may_be_negative,
        squad_pairs,
    )

    q = _question()
    index = SentenceIndex([q], _HashEmbedder())
    recipe = Recipe(squad_hard=10, squad_random=0, covidqa_hard=10, covidqa_random=5)
    for build in (squad_pairs, covidqa_pairs):
        pairs = build([q], index, recipe, random.Random(0))
        negatives = [t for _, t, y in pairs if y == 0]
        positives = [t for _, t, y in pairs if y == 1]
        assert positives == [q.sents[1]]
        assert negatives, build.__name__
        assert all("1987" not in t for t in negatives), build.__name__
        assert q.sents[2] not in negatives
    assert not may_be_negative("It opened in 1987.", ["1987"])
    assert not may_be_negative("Founded in Oslo.", ["Founded in Oslo. It grew fast."])  # inside the answer
    assert not may_be_negative("Cases rose [12] in 2020 sharply.", ["rose in 2020"])  # reference numerals
    assert may_be_negative("Revenue grew.", ["1987"])


def test_unanswerable_questions_only_give_negatives():
    import random

    from eval.train_reranker import Recipe, SentenceIndex, squad_pairs

    q = _question()
    q.answers, q.gold = [], []
    pairs = squad_pairs([q], SentenceIndex([q], None), Recipe(squad_unanswerable=2), random.Random(0))
    assert len(pairs) == 2 and all(y == 0 for *_, y in pairs)
