"""Who is asking: API keys with roles and collections, the page's signed session, rate limits
and the audit log.

- `keys`: `KeyStore` (keys kept only as SHA-256 hashes in the shared store), roles;
- `session`: the web page's signed, HttpOnly session cookie and its CSRF token;
- `ratelimit`: per-key and per-address limits (the `limits` library);
- `audit`: the JSON-lines audit log;
- `deps`: the FastAPI dependencies that routes declare (`ReaderDep`, `WriterDep`, `AdminDep`).
"""
