"""The MCP server's tools and resources, on the official SDK's `MCPServer`.

Tools:
- `ask(question, top_k?, sources?)`: a verified answer with `[n]` markers and its sources (the
  text a chat shows) plus the `/v1/chat` JSON as structured content;
- `search(query, top_k?, sources?)`: the passages retrieval finds, with source, title, page,
  section and score, without an answer;
- `list_documents()`: the indexed documents the caller sees, with their resource URIs;
- `records(type?, company?, since?, until?, min_usd?, source?)`: deals, regulatory events and
  facilities as `GET /v1/records` gives them, every cell with its quote.
Resources: every document the caller sees, `assistant://documents/<id>` (the id of
`/v1/documents`), read as the text that was indexed, passage by passage, with page marks.

Everything is scoped to the caller's collections (`caller.current()`); a document of another
collection is unknown, word for word as one that does not exist."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, Resource, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from assistant.api.audit import answer_audit
from assistant.api.schemas import ChatRequest
from assistant.core.collections import shown
from assistant.documents.uploads import doc_id
from assistant.index.records import RecordQueryError
from assistant.mcp.caller import Caller, CallerMiddleware, current
from assistant.retrieval.hybrid import EmptyIndexError
from assistant.service.records import (
    DATE_FORMS,
    RecordFilters,
    UnknownSource,
    find_records,
    summary,
)
from assistant.service.responses import build_response, public_error
from assistant.service.transcript import render

URI = "assistant://documents/{document_id}"
INSTRUCTIONS = (
    "Answers questions about biopharma deals, approvals and CDMO practice from the indexed "
    "documents only. Use `ask` for a verified answer in which every sentence cites a passage "
    "([n], listed under Sources); quote those markers when you pass the answer on. Use `search` "
    "to see the passages themselves, `list_documents` (or the resources) to see what is indexed, "
    "`records` for the deals, regulatory events and facilities as a table.")
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
TopK = Annotated[int | None, Field(ge=1, le=20, description="Passages to retrieve (1-20).")]
Sources = Annotated[list[str] | None, Field(
    description="Only search these documents (`source` paths as list_documents gives them).")]


class AssistantMCP(MCPServer):
    """MCPServer whose resource list is the current caller's documents."""

    async def list_resources(self) -> list[Resource]:
        caller = current()
        docs = await anyio.to_thread.run_sync(_documents, caller)
        return [Resource(uri=d["uri"], name=d["source"], title=d["title"] or d["source"],
                         description=f"{d['chunks']} indexed passages", mime_type="text/plain")
                for d in docs] + await super().list_resources()


def build_server(middleware: CallerMiddleware, lifespan=None) -> AssistantMCP:
    """The server; `middleware` says who the caller of each request is, `lifespan` (an async
    context manager factory taking the server) runs for the server's lifetime."""
    server = AssistantMCP("biopharma-assistant", title="Biopharma document assistant",
                          instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING",
                          middleware=[middleware], lifespan=lifespan)
    _add_tools(server)

    _add_records_tool(server)  # the service call of `GET /v1/records`

    @server.resource(URI, name="document", mime_type="text/plain",
                     description="An indexed document's text, passage by passage.")
    async def document(document_id: str) -> str:
        caller = current()
        return await anyio.to_thread.run_sync(_document_text, caller, document_id)

    return server


def _add_tools(server: AssistantMCP) -> None:
    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def ask(question: Annotated[str, Field(description="The question, 1-2,000 characters.")],
                  top_k: TopK = None, sources: Sources = None) -> CallToolResult:
        """Answer a question from the documents: every sentence of the answer carries a marker
        like [2] pointing at the passage it comes from (listed under "Sources"). When the
        documents do not hold the answer, it says so instead of guessing."""
        caller = current()
        request = _valid(question, top_k, sources)
        caller.check_rate()
        response = await _run(_answer, caller, request)
        return CallToolResult(content=[TextContent(type="text", text=render(response))],
                              structured_content=response)

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def search(query: Annotated[str, Field(description="What to look for, 1-2,000 characters.")],
                     top_k: TopK = None, sources: Sources = None) -> CallToolResult:
        """Find the passages most relevant to a query (hybrid keyword and semantic search), with
        their source document, title, page, section and score (0-1, higher is closer). No answer
        is composed: use `ask` for that."""
        caller = current()
        request = _valid(query, top_k, sources)
        passages = await _run(_search, caller, request)
        text = "\n\n".join(f"[{i}] {p['title']} ({p['source']}"
                           f"{', page ' + str(p['page']) if p['page'] else ''}; score "
                           f"{p['score']})\n{p['text']}" for i, p in enumerate(passages, 1))
        return CallToolResult(content=[TextContent(type="text", text=text or "No passage found.")],
                              structured_content={"passages": passages})

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def list_documents() -> CallToolResult:
        """The indexed documents you can ask about: source path, title, number of passages and
        the resource URI to read each one."""
        caller = current()
        docs = await _run(lambda c, _: _documents(c), caller, None)
        text = "\n".join(f"- {d['title'] or d['source']} ({d['source']}, {d['chunks']} passages)"
                         f" {d['uri']}" for d in docs)
        return CallToolResult(content=[TextContent(type="text", text=text or "No documents.")],
                              structured_content={"documents": docs})


EventDate = Annotated[str | None, Field(description=f"An event date, {DATE_FORMS}.")]


def _add_records_tool(server: AssistantMCP) -> None:
    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def records(
            type: Annotated[Literal["deal", "regulatory", "facility"] | None,
                            Field(description="The kind of record.")] = None,
            company: Annotated[str | None, Field(
                description="Any name of a company (GSK, GlaxoSmithKline and GSK plc are one); "
                            "records where it is a party, sponsor or the facility's owner.")] = None,
            since: EventDate = None, until: EventDate = None,
            min_usd: Annotated[float | None, Field(
                ge=0, description="Deals whose total (else upfront), facilities whose "
                                  "investment, is at least this many US dollars.")] = None,
            source: Annotated[str | None, Field(
                description="Only this document (`source` as list_documents gives it).")] = None,
    ) -> CallToolResult:
        """Deals, regulatory events (approvals, designations...) and facilities extracted from
        the documents, newest event first: each with its id, type, source document, event date
        and fields; every field's value comes with `quote`, the exact words of the document that
        state it (and `page` for PDFs). The same records as `GET /v1/records`."""
        caller = current()
        try:
            filters = RecordFilters.parse(type, company, since, until, min_usd, source)
        except RecordQueryError as exc:
            raise ToolError(str(exc)) from None
        found = await _run(_records, caller, filters)
        text = "\n".join(summary(r) for r in found)
        return CallToolResult(content=[TextContent(type="text", text=text or "No records found.")],
                              structured_content={"records": found})


def _records(caller: Caller, filters: RecordFilters) -> list[dict]:
    p = caller.principal
    try:
        found = find_records(caller.assistant.store, filters, p.collections)
    except UnknownSource as exc:
        raise ToolError(f"{exc}; see list_documents") from None
    except RecordQueryError as exc:
        raise ToolError(str(exc)) from None
    caller.audit.update(filters=filters.given(), collections=shown(p.collections),
                        records=len(found))
    return found


def _valid(question: str, top_k: int | None, sources: list[str] | None) -> ChatRequest:
    """The arguments as `/v1/chat` checks them (length, blank, valid text)."""
    try:
        return ChatRequest(question=question, top_k=top_k, sources=sources)
    except ValidationError as exc:
        err = exc.errors()[0]
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ToolError(f"{'.'.join(str(p) for p in err['loc'])}: {message}") from None


async def _run(fn, caller: Caller, request):
    """A blocking service call in a worker thread; a failure as the user-safe text."""
    try:
        return await anyio.to_thread.run_sync(fn, caller, request)
    except ToolError:
        raise
    except Exception as exc:
        raise ToolError(public_error(exc)) from exc


def _check_sources(caller: Caller, sources: list[str] | None) -> None:
    if sources:
        known = caller.assistant.retriever.sources(caller.principal.collections)
        unknown = [s for s in sources if s not in known]
        if unknown:
            raise ToolError(f"unknown source(s): {', '.join(unknown)}; see list_documents")


def _answer(caller: Caller, request: ChatRequest) -> dict:
    p = caller.principal
    _check_sources(caller, request.sources)
    result = caller.assistant.ask(request.question, top_k=request.top_k, sources=request.sources,
                                  owner=p.owner, collections=p.collections)
    response = build_response(result)
    response.pop("conversation_id", None)  # no conversation: each call stands alone
    caller.audit.update(answer_audit(p, request.question, response))
    return response


def _search(caller: Caller, request: ChatRequest) -> list[dict]:
    p = caller.principal
    _check_sources(caller, request.sources)
    passages, _ = caller.assistant.retriever.search(request.question, top_k=request.top_k,
                                                    sources=request.sources,
                                                    collections=p.collections)
    caller.audit.update(question=request.question,
                        collections=shown(p.collections),
                        found=sorted({x.source for x in passages}))
    return [{"source": x.source, "title": x.title, "page": x.page, "section": x.section,
             "score": round(float(x.score), 4), "text": x.text} for x in passages]


def _documents(caller: Caller) -> list[dict]:
    try:
        found = caller.assistant.retriever.sources(caller.principal.collections)
    except EmptyIndexError:
        return []
    return [dict(d, id=doc_id(src), uri=URI.format(document_id=doc_id(src)))
            for src, d in found.items()]


def _document_text(caller: Caller, document_id: str) -> str:
    view = caller.assistant.retriever.snapshot().scoped(caller.principal.collections)
    source = next((s for s in view.docs if doc_id(s) == document_id), None)
    caller.audit.update(resource=URI.format(document_id=document_id), source=source)
    if source is None:
        raise ResourceNotFoundError(f"no document {document_id!r}; see list_documents")
    d = view.docs[source]
    ids = [f"{d['version']}:{i}" for i in range(int(d.get("chunks", 0)))]
    found = view.fetch(ids)
    parts, page = [f"# {d.get('title') or source}\n\nsource: {source}"], None
    for passage in (found[i] for i in ids if i in found):
        if passage.page is not None and passage.page != page:
            page = passage.page
            parts.append(f"[page {page}]")
        parts.append(passage.text)
    return "\n\n".join(parts)
