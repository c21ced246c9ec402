"""Ingestion: load, partition, filter chrome, chunk, embed and index documents."""
