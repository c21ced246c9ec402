"""Finding passages: embedding, hybrid (dense + BM25) search, reranking, spelling correction and
follow-up rewriting."""
