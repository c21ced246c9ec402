"""Uploaded documents: originals and their records, the upload checks, and the ingest jobs table that
the ingest side works off."""
