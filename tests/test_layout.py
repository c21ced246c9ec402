"""The package layout: no import cycles between the project's modules (module-level imports;
imports inside functions are how optional, heavy parts are loaded lazily)."""

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _graph() -> dict[str, set[str]]:
    mods = {}
    for pattern in ("assistant/**/*.py", "ingest/*.py", "eval/*.py"):
        for p in ROOT.glob(pattern):
            name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
            if name.endswith(".__init__"):
                name = name[: -len(".__init__")]
            mods[name] = p
    graph = {}
    for name, p in mods.items():
        deps = set()
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                cands = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                cands = [a.name for a in node.names]
            else:  # `if TYPE_CHECKING:` blocks and function bodies are not import-time edges
                continue
            deps.update(c for c in cands if c in mods and c != name)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    sys.setrecursionlimit(10000)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_no_import_cycles():
    graph = _graph()
    assert "assistant.answers.extractive" in graph and "assistant.service.responses" in graph
    assert _cycles(graph) == []


def test_answer_contract_has_one_home():
    """build_response and the user-facing errors live in assistant.service.responses; the API, Slack,
    the CLI and the evals import them from there."""
    for f in ("assistant/api/routes/chat.py", "assistant/slack/app.py", "assistant/__main__.py",
              "eval/corpus.py", "eval/covidqa.py"):
        text = (ROOT / f).read_text()
        assert "from assistant.service.responses import" in text, f
        assert "def build_response" not in text, f
