"""The MCP server (issue 23) with the official `mcp` SDK's own client, over both transports:
stdio (a real `python -m assistant mcp` process pointed at a test index by its environment) and
streamable HTTP (`/v1/mcp` on a real uvicorn server, with and without an API key). Tools ask,
search, list_documents and records (more of it in test_records_api.py), a resource per document,
collections, audit lines."""

from __future__ import annotations

import os
import sys

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from assistant.service.responses import build_response
from tests.clients_env import audit_lines, client_env
from tests.conftest import ROOT
from tests.test_collections import A_DOC, A_QUESTION, B_DOC, B_QUESTION

Q = "Which FDA designations has Fucaso been granted?"
FUCASO = "innovent-iaso-fucaso-car-t-stake-2024.txt"


@pytest.fixture(scope="module")
def env(tmp_path_factory, embedder):
    with client_env(tmp_path_factory.mktemp("mcp"), embedder) as e:
        yield e


def http(env, key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return Client(streamable_http_client(f"{env['base']}/v1/mcp",
                                         http_client=create_mcp_http_client(headers=headers)))


def stdio(env, key: str | None = None) -> Client:
    s = env["settings"]
    environment = {"ASSISTANT_CHROMA_PATH": str(s.chroma_path),
                   "ASSISTANT_CORPUS_DIR": str(s.corpus_dir),
                   "ASSISTANT_AUDIT_PATH": str(s.audit_path),
                   "ASSISTANT_COLLECTION_PREFIX": s.collection_prefix,
                   "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                   "ANONYMIZED_TELEMETRY": "False", "PYTHONPATH": str(ROOT)}
    if key:
        environment["ASSISTANT_MCP_KEY"] = key
    return Client(StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp"],
                                        env=environment, cwd=str(ROOT)))


def run(fn):
    return anyio.run(fn)


def sources_of(result) -> set[str]:
    return {c["source"] for c in result.structured_content["citations"]}


# --- stdio ----------------------------------------------------------------------------------------


def test_stdio_serves_the_tools_and_documents_as_the_local_user(env):
    expected = build_response(env["assistant"].ask(Q))

    async def go():
        async with stdio(env) as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            assert set(tools) == {"ask", "search", "list_documents", "records"}
            assert tools["ask"].input_schema["required"] == ["question"]
            answer = await c.call_tool("ask", {"question": Q})
            search = await c.call_tool("search", {"query": "Fucaso FDA designations", "top_k": 3})
            docs = await c.call_tool("list_documents", {})
            resources = (await c.list_resources()).resources
            fucaso = next(r for r in resources if r.name == FUCASO)
            read = await c.read_resource(fucaso.uri)
            blank = await c.call_tool("ask", {"question": "  "})
            return answer, search, docs, resources, read, blank

    answer, search, docs, resources, read, blank = run(go)
    # ask: the answer with its [n] markers and Sources as text; /v1/chat's JSON as structure
    assert not answer.is_error
    text = answer.content[0].text
    assert text.startswith(expected["answer"]) and "\n\nSources:\n- [1] " in text and FUCASO in text
    assert answer.structured_content["citations"] == expected["citations"]
    # search: passages with source, page and score, best first
    passages = search.structured_content["passages"]
    assert 0 < len(passages) <= 3 and passages[0]["source"] == FUCASO
    assert {"source", "title", "page", "score", "text"} <= set(passages[0])
    assert passages[0]["score"] >= passages[-1]["score"]
    # the local user sees every collection
    listed = {d["source"] for d in docs.structured_content["documents"]}
    assert {A_DOC, B_DOC, FUCASO} <= listed
    assert {r.name for r in resources} == listed
    assert "Fucaso" in read.contents[0].text and read.contents[0].text.startswith("# ")
    # bad input is a tool error naming the problem, not a crash
    assert blank.is_error and "empty" in blank.content[0].text
    line = [e for e in audit_lines(env["settings"]) if e.get("via") == "stdio"
            and e.get("tool") == "ask" and e.get("question") == Q][-1]
    assert line["channel"] == "mcp" and line["key"] == "local" and line["cited"] == [FUCASO]


def test_stdio_with_a_key_sees_only_its_collections(env):
    async def go():
        async with stdio(env, env["a"]) as c:
            docs = await c.call_tool("list_documents", {})
            asked = await c.call_tool("ask", {"question": B_QUESTION})
            found = await c.call_tool("records", {})
            return docs, asked, found

    docs, asked, found = run(go)
    assert {d["source"] for d in docs.structured_content["documents"]} == {A_DOC}
    assert [r["source"] for r in found.structured_content["records"]] == [A_DOC]
    assert B_DOC not in sources_of(asked) and B_DOC not in asked.content[0].text


def test_stdio_refuses_a_wrong_key(env):
    import subprocess

    s = env["settings"]
    p = subprocess.run([sys.executable, "-m", "assistant", "mcp"], cwd=ROOT, input="",
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "ASSISTANT_CHROMA_PATH": str(s.chroma_path),
                            "ASSISTANT_COLLECTION_PREFIX": s.collection_prefix,
                            "ASSISTANT_MCP_KEY": "bpa_" + "x" * 43})
    assert p.returncode == 2 and "wrong or revoked" in p.stderr and p.stdout == ""


# --- streamable HTTP ------------------------------------------------------------------------------


def test_http_with_a_key_answers_within_its_collections(env):
    async def go():
        async with http(env, env["a"]) as c:
            mine = await c.call_tool("ask", {"question": A_QUESTION})
            theirs = await c.call_tool("ask", {"question": B_QUESTION})
            found = await c.call_tool("search", {"query": "Kryptonel plant"})
            docs = await c.call_tool("list_documents", {})
            resources = (await c.list_resources()).resources
            read = await c.read_resource(resources[0].uri)
            other = await c.call_tool("ask", {"question": B_QUESTION, "sources": [B_DOC]})
            return mine, theirs, found, docs, resources, read, other

    mine, theirs, found, docs, resources, read, other = run(go)
    assert sources_of(mine) == {A_DOC} and "[1]" in mine.content[0].text
    assert B_DOC not in sources_of(theirs)
    assert all(p["source"] != B_DOC for p in found.structured_content["passages"])
    assert [d["source"] for d in docs.structured_content["documents"]] == [A_DOC]
    assert [r.name for r in resources] == [A_DOC] and "Borvexa" in read.contents[0].text
    assert other.is_error and "unknown source" in other.content[0].text
    lines = [e for e in audit_lines(env["settings"]) if e["route"] == "/v1/mcp"]
    ask = [e for e in lines if e.get("tool") == "ask" and e.get("question") == A_QUESTION][-1]
    assert ask["channel"] == "mcp" and ask["key"] == "reader-a" and ask["via"] == "bearer"
    assert ask["collections"] == ["alpha"] and ask["cited"] == [A_DOC]


def test_http_cannot_read_another_collections_document(env):
    async def go():
        async with http(env, env["admin"]) as c:
            uri = next(r.uri for r in (await c.list_resources()).resources if r.name == B_DOC)
        async with http(env, env["a"]) as c:
            with pytest.raises(Exception) as info:
                await c.read_resource(uri)
            return info.value

    error = run(go)
    assert "no document" in str(error)


@pytest.mark.parametrize("key", [None, "bpa_" + "x" * 43])
def test_http_without_a_valid_key_is_refused(env, key):
    import httpx

    r = httpx.post(f"{env['base']}/v1/mcp", headers={
        **({"Authorization": f"Bearer {key}"} if key else {}),
        "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "API key" in r.json()["error"]["message"]

    async def go():
        async with http(env, key) as c:
            await c.list_tools()

    with pytest.raises(BaseException) as info:  # the SDK's MCPError, in anyio's task groups
        run(go)
    assert "A valid API key is required" in repr(info.value)
