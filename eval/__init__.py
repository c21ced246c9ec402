"""Offline evaluation: retrieval and answer quality on the corpus set and public benchmarks."""
