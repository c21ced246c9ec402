"""The OpenAI-compatible endpoint (issue 23), with the official `openai` SDK as the client,
against a real uvicorn server over a real index (tests/clients_env.py): non-streaming,
streaming, multi-turn, a wrong key, roles and collections, the audit line, and the bad-input
table of /v1/chat repeated for /v1/chat/completions (all 4xx in OpenAI's envelope, none 500)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.clients_env import audit_lines, client_env
from tests.test_collections import A_DOC, A_QUESTION, B_DOC, B_QUESTION

Q = "Which FDA designations has Fucaso been granted?"
FUCASO = "innovent-iaso-fucaso-car-t-stake-2024.txt"


@pytest.fixture(scope="module")
def env(tmp_path_factory, embedder):
    with client_env(tmp_path_factory.mktemp("openai"), embedder) as e:
        yield e


def client(env, key="admin") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{env['base']}/v1", api_key=env[key], max_retries=0,
                         timeout=120)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def v1_chat(env, question: str, key="admin", **body) -> dict:
    r = httpx.post(f"{env['base']}/v1/chat", json={"question": question, **body},
                   headers={"Authorization": f"Bearer {env[key]}"}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


# --- models -------------------------------------------------------------------------------------


def test_models_lists_one_model_per_answerer(env):
    c = client(env)
    assert [m.id for m in c.models.list()] == ["extractive"]
    assert c.models.retrieve("extractive").id == "extractive"
    with pytest.raises(openai.NotFoundError) as info:
        c.models.retrieve("gpt-4o")
    assert info.value.body["code"] == "model_not_found"


# --- answers ------------------------------------------------------------------------------------


def test_completion_is_the_v1_chat_answer_with_its_sources(env):
    expected = v1_chat(env, Q)
    done = client(env).chat.completions.create(model="extractive", messages=[
        {"role": "system", "content": "You are a helpful assistant."}, *user(Q)],
        temperature=0.7, max_tokens=50)  # accepted, and ignored
    assert done.object == "chat.completion" and done.model == "extractive"
    choice = done.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    # the same answer, with its [n] markers, then a Sources list a plain chat client shows
    answer, sources = content.split("\n\nSources:\n")
    assert answer == expected["answer"] and "[1]" in answer
    assert "- [1] " in sources and FUCASO in sources
    # the structured citations beside it, exactly as /v1/chat gives them
    assert done.citations == expected["citations"]
    assert done.details["abstained"] is False and done.details["question"] == Q
    assert done.usage.completion_tokens > 0 and done.usage.total_tokens > done.usage.prompt_tokens


def test_streaming_sends_the_same_content_in_chunks_then_done(env):
    whole = client(env).chat.completions.create(model="extractive", messages=user(Q))
    chunks = list(client(env).chat.completions.create(
        model="extractive", messages=user(Q), stream=True,
        stream_options={"include_usage": True}))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    last = [c for c in chunks if c.choices][-1]
    assert last.choices[0].finish_reason == "stop" and last.citations == whole.citations
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_stream_ends_with_done(env):
    with httpx.stream("POST", f"{env['base']}/v1/chat/completions", timeout=120,
                      headers={"Authorization": f"Bearer {env['admin']}"},
                      json={"model": "extractive", "messages": user(Q), "stream": True}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)


def test_multi_turn_follow_up_is_rewritten_as_v1_chat_rewrites_it(env):
    c = client(env, "a")
    first = c.chat.completions.create(model="extractive", messages=user(A_QUESTION))
    assert A_DOC in first.choices[0].message.content
    follow = "What milestone payments does it include?"
    messages = [*user(A_QUESTION), {"role": "assistant",
                                    "content": first.choices[0].message.content}, *user(follow)]
    second = c.chat.completions.create(model="extractive", messages=messages)
    searched = second.details["question"]
    assert searched != follow and "Quintar Pharma" in searched
    # the same two turns on /v1/chat (the server keeps the conversation) search the same question
    one = v1_chat(env, A_QUESTION, key="a")
    two = v1_chat(env, follow, key="a", conversation_id=one["conversation_id"])
    assert two["question"] == searched
    assert second.citations == two["citations"]
    # without the earlier turns the follow-up is searched as asked
    alone = c.chat.completions.create(model="extractive", messages=user(follow))
    assert alone.details["question"] == follow


# --- keys, roles, collections, audit ------------------------------------------------------------


def test_a_wrong_or_missing_key_is_a_401_in_openai_envelope(env):
    bad = openai.OpenAI(base_url=f"{env['base']}/v1", api_key="bpa_" + "x" * 43, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="extractive", messages=user(Q))
    assert info.value.status_code == 401
    assert info.value.body["code"] == "invalid_api_key"
    assert info.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    r = httpx.post(f"{env['base']}/v1/chat/completions", json={"messages": user(Q)})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert set(r.json()["error"]) == {"message", "type", "param", "code"}
    # /v1/chat keeps its own error shape
    r = httpx.post(f"{env['base']}/v1/chat", json={"question": Q})
    assert r.status_code == 401 and "detail" in r.json() and "error" not in r.json()


def test_collections_apply(env):
    b = client(env, "b").chat.completions.create(model="extractive", messages=user(B_QUESTION))
    assert {c["source"] for c in b.citations} == {B_DOC}
    a = client(env, "a").chat.completions.create(model="extractive", messages=user(B_QUESTION))
    assert B_DOC not in a.choices[0].message.content
    assert all(c["source"] != B_DOC for c in a.citations)
    # a source of another collection is unknown, as on /v1/chat
    with pytest.raises(openai.BadRequestError) as info:
        client(env, "a").chat.completions.create(model="extractive", messages=user(B_QUESTION),
                                                 extra_body={"sources": [B_DOC]})
    assert "unknown source" in info.value.body["message"]


def test_audit_line_names_the_channel_the_key_and_its_collections(env):
    client(env, "a").chat.completions.create(model="extractive", messages=user(A_QUESTION))
    line = [e for e in audit_lines(env["settings"]) if e["route"] == "/v1/chat/completions"
            and e.get("question") == A_QUESTION][-1]
    assert line["channel"] == "openai" and line["key"] == "reader-a"
    assert line["collections"] == ["alpha"] and line["cited"] == [A_DOC]
    assert line["model"] == "extractive" and line["status"] == 200


# --- the bad-input table ------------------------------------------------------------------------

def raw(env, body: bytes | str, key="admin", content_type="application/json") -> httpx.Response:
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return httpx.post(f"{env['base']}/v1/chat/completions", content=body, timeout=60,
                      headers={"Authorization": f"Bearer {env[key]}",
                               "content-type": content_type})


def js(value) -> str:
    return json.dumps(value)


MSG = [{"role": "user", "content": "What did AstraZeneca pay for Gracell?"}]
BAD_INPUTS = {
    "empty messages": (js({"messages": []}), 400),
    "no messages field": (js({"model": "extractive"}), 400),
    "no user message": (js({"messages": [{"role": "system", "content": "Be brief."}]}), 400),
    "only an assistant message": (js({"messages": [{"role": "assistant", "content": "Hi"}]}), 400),
    "empty question": (js({"messages": [{"role": "user", "content": ""}]}), 400),
    "whitespace question": (js({"messages": [{"role": "user", "content": " \n\t "}]}), 400),
    "question over 2,000 characters": (js({"messages": [{"role": "user", "content": "x" * 2001}]}), 400),
    "a 2 MB message": (js({"messages": [{"role": "user", "content": "x" * 2_000_000}]}), 413),
    "messages is a string": (js({"messages": "hello"}), 400),
    "content is a number": (js({"messages": [{"role": "user", "content": 42}]}), 400),
    "unknown role": (js({"messages": [{"role": "wizard", "content": "hi"}]}), 400),
    "message without role": (js({"messages": [{"content": "hi"}]}), 400),
    "image content part": (js({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}), 400),
    "stream is a string": (js({"messages": MSG, "stream": "yes"}), 400),
    "temperature is a word": (js({"messages": MSG, "temperature": "hot"}), 400),
    "temperature out of range": (js({"messages": MSG, "temperature": 7}), 400),
    "model is a number": (js({"messages": MSG, "model": 5}), 400),
    "unknown model": (js({"messages": MSG, "model": "gpt-4o"}), 404),
    "top_k is a string": (js({"messages": MSG, "top_k": "3"}), 400),
    "top_k out of range": (js({"messages": MSG, "top_k": 0}), 400),
    "n is 2": (js({"messages": MSG, "n": 2}), 400),
    "temperature NaN": ('{"messages": %s, "temperature": NaN}' % js(MSG), 400),
    "top_p Infinity": ('{"messages": %s, "top_p": Infinity}' % js(MSG), 400),
    "max_tokens 1e400": ('{"messages": %s, "max_tokens": 1e400}' % js(MSG), 400),
    "lone surrogate in the question": ('{"messages": [{"role": "user", "content": "Fucaso \\ud800"}]}', 400),
    "not JSON": ("{messages: [", 400),
    "a JSON array": (js([MSG]), 400),
    "messages nested 40 deep": ('{"messages": ' + "[" * 40 + "]" * 40 + "}", 400),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_4xx_in_openai_envelope(env, case):
    body, status = BAD_INPUTS[case]
    r = raw(env, body)
    assert r.status_code == status, (case, r.status_code, r.text[:300])
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"] and error["type"] == "invalid_request_error" and error["code"]


def test_bad_input_loses_nothing_and_unknown_fields_are_ignored(env):
    for body, _ in BAD_INPUTS.values():
        raw(env, body)
    r = raw(env, js({"messages": MSG, "model": "extractive", "frequency_penalty": 0.5,
                     "logit_bias": {"1": 2}, "seed": 7, "tools": [], "some_future_field": {"x": 1}}))
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
    assert client(env).models.list().data
    r = httpx.get(f"{env['base']}/v1/chat/completions")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


# --- with an LLM generator: a second model, and only its verified answer is streamed ----------

from tests.test_llm import llama_server, llm_assistant  # noqa: E402,F401  (a real SmolLM2 server)


def test_an_llm_generator_is_a_second_model_streamed_only_once_verified(indexed, llama_server):
    import re

    from assistant.api.app import create_app
    from tests.server import serve

    # on a busy machine the tiny model may time out: its answer is then the extractive one, with
    # `fallback` naming the LLM, which is as much the LLM model's path as a verified answer
    assistant = llm_assistant(indexed, llm_base_url=llama_server, auth="off",
                              llm_on_error="extractive", llm_timeout_seconds=30)
    with serve(create_app(assistant.settings, assistant), worker=False) as base:
        c = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0, timeout=180)
        assert [m.id for m in c.models.list()] == ["openai:smollm2", "extractive"]
        extractive = c.chat.completions.create(model="extractive", messages=user(Q))
        assert extractive.details["generator"] == "extractive"
        assert "fallback" not in extractive.details
        # no model: the configured LLM (the openai SDK always sends one; other clients may not)
        default = httpx.post(f"{base}/v1/chat/completions", json={"messages": user(Q)},
                             timeout=180).json()
        assert default["model"] == "openai:smollm2"
        assert default["details"]["generator"] == "openai" or \
            default["details"]["fallback"]["from"] == "openai"
        chunks = list(c.chat.completions.create(model="openai:smollm2", messages=user(Q),
                                                stream=True))
    texts = [ch.choices[0].delta.content for ch in chunks if ch.choices and ch.choices[0].delta.content]
    answer = texts[0]
    # the model's draft is held back: the verified answer arrives as one piece, then its sources
    assert len(texts) <= 2 and all(t.startswith("\n\nSources:") for t in texts[1:])
    cited = {c["n"] for c in chunks[-1].citations}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer)} <= cited
