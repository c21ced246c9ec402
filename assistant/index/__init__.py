"""Storage: the Chroma client and its guard, the segment writer and manifest, the keyword index and
small JSON records. The only package that touches Chroma or its files."""
