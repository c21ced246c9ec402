"""The MCP server (Model Context Protocol, on the official `mcp` SDK): the assistant's tools and
documents for agent clients (Claude Desktop, IDE assistants).

- `server`: the tools (`ask`, `search`, `list_documents`) and a resource per document;
- `caller`: who is asking, per request (the API key's principal over HTTP, the local user or a
  configured key over stdio), and what their audit line records;
- `http`: streamable HTTP at `/v1/mcp` on the API server, behind the same API keys;
- `stdio`: `python -m assistant mcp`, for desktop clients that start the server themselves.

Every tool goes through the service layer that `/v1/chat` uses (`Assistant`, `build_response`,
the retriever's collection scoping): nothing is answered, searched or listed another way."""
