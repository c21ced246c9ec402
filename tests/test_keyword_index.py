"""The keyword segment's BM25 (`Segment.score`, a dense per-chunk accumulator) against the
plain-Python reference `bm25_scores`, on a real segment written by `write_segment`."""

from __future__ import annotations

import numpy as np

from assistant.core.text import terms
from assistant.index.keyword import (
    K1,
    B,
    KeywordIndex,
    Segment,
    bm25_scores,
    write_segment,
)

TEXTS = [
    "Novartis expanded its CAR-T manufacturing capacity by 60% with AWS.",
    "Lonza signed a manufacturing agreement for a 5,000 L bioreactor in Visp.",
    "The FDA granted Fucaso orphan drug designation; Fucaso is a CAR-T therapy.",
    "AstraZeneca paid $1.2 billion for Gracell and its CAR-T platform.",
    "Nothing here shares a word with the question.",
]


def test_segment_scores_match_the_reference(tmp_path):
    docs = [("doc.txt", "v1")]
    chunk_terms = [terms(t) for t in TEXTS]
    write_segment(tmp_path / "seg", docs, ((0, i, ts) for i, ts in enumerate(chunk_terms)))
    seg = Segment(tmp_path / "seg")
    index = KeywordIndex([seg])
    for question in ("CAR-T manufacturing capacity", "Fucaso designation FDA", "bioreactor Lonza 5000 L",
                     "unrelated words only"):
        q = terms(question)
        got_docs, got = seg.score(index.weights(q), index.avgdl)
        want = bm25_scores(index.idf, q, chunk_terms, k1=K1, b=B)
        assert list(got_docs) == [i for i, s in enumerate(want) if s > 0]
        np.testing.assert_allclose(got, want[want > 0], rtol=1e-5)
    # a question of one unknown term scores nothing
    docs_, scores = seg.score(index.weights(["zzzunknown"]), index.avgdl)
    assert len(docs_) == 0 and len(scores) == 0
