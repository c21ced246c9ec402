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
            name = name.removesuffix(".__init__")
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


# --- Dependency direction -------------------------------------------------------------------
# Layers, lowest first. A package may import packages of LOWER layers only (not its peers, not
# higher ones). Imports anywhere in a file count (function bodies too: a lazy import is still a
# dependency); `if TYPE_CHECKING:` blocks do not. Intended order:
#   core <- index <- retrieval <- answers <- service <- api ; slack, mcp above service;
#   auth and documents beside retrieval (they use only core and index);
#   ingest beside answers (core, index, retrieval, documents: never answers, service or channels);
#   eval on top. Nothing in assistant/ imports ingest/ or eval/.
LAYERS: dict[str, int] = {
    "assistant.core": 0,
    "assistant.index": 1,
    "assistant.retrieval": 2, "assistant.auth": 2, "assistant.documents": 2,
    "assistant.answers": 3, "ingest": 3,
    "assistant.service": 4,
    "assistant.api": 5, "assistant.slack": 5, "assistant.mcp": 5,
    "assistant": 6,  # assistant/__init__.py and assistant/__main__.py: the CLI over everything
    "eval": 7,
}
ORDER = "core <- index <- retrieval/auth/documents <- answers/ingest <- service <- api/slack/mcp <- eval"

# Imports that break the order today, each with its reason: (importing file, imported module).
# Keyed by module, not line, so that edits elsewhere in a file do not disturb the list.
ALLOWED_DEPENDENCIES: dict[tuple[str, str], str] = {
    ("assistant/api/app.py", "assistant.mcp.http"):
        "the API app mounts the MCP streamable-HTTP endpoint at /v1/mcp",
    ("assistant/api/app.py", "assistant.slack.http"):
        "the API app mounts Slack's Events API route /slack/events when Slack is configured",
    ("assistant/slack/app.py", "assistant.api.schemas"):
        "Slack checks questions with the API's ChatRequest and MAX_QUESTION_CHARS",
    ("assistant/mcp/caller.py", "assistant.api.deps"):
        "MCP callers are the API's Principal (same keys, roles, collections)",
    ("assistant/mcp/http.py", "assistant.api.deps"):
        "MCP over HTTP authenticates with the API's own dependency",
    ("assistant/mcp/server.py", "assistant.api.audit"):
        "MCP answers are audited with the API's answer_audit",
    ("assistant/mcp/server.py", "assistant.api.schemas"):
        "MCP checks questions with the API's ChatRequest",
    ("assistant/mcp/stdio.py", "assistant.api.deps"):
        "MCP over stdio answers as the API's LOCAL principal or a key's Principal",
}


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] in ("ingest", "eval"):
        return parts[0]
    if parts[0] != "assistant":
        return None
    if len(parts) > 1 and f"assistant.{parts[1]}" in LAYERS:
        return f"assistant.{parts[1]}"
    return "assistant"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            t = node.test
            if (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
                    isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"):
                for child in node.body:
                    skip.update(id(n) for n in ast.walk(child))
    return skip


def _imports(path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, function bodies included, TYPE_CHECKING not."""
    rel = path.relative_to(ROOT)
    here = list(rel.with_suffix("").parts)
    if here[-1] == "__init__":
        here = here[:-1]
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                pkg = here if path.name == "__init__.py" else here[:-1]
                base = pkg[: len(pkg) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((node.lineno, module))
    return out


def _project_files() -> list[pathlib.Path]:
    files = []
    for top in ("assistant", "ingest", "eval"):
        files.extend(sorted((ROOT / top).rglob("*.py")))
    return files


def dependency_violations() -> list[tuple[str, int, str, str]]:
    """(file, line, imported module, rule) for every import that breaks the layer order."""
    out = []
    for path in _project_files():
        rel = path.relative_to(ROOT).as_posix()
        src = _package(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for line, module in _imports(path):
            dst = _package(module)
            if dst is None or dst == src:
                continue
            if src.startswith("assistant") and dst in ("ingest", "eval"):
                rule = "nothing in assistant/ imports ingest/ or eval/"
            elif LAYERS[dst] >= LAYERS[src]:
                rule = (f"{src} (layer {LAYERS[src]}) must not import {dst} (layer {LAYERS[dst]}): "
                        f"{ORDER}")
            else:
                continue
            out.append((rel, line, module, rule))
    return out


def test_every_package_has_a_layer():
    packages = {p.name for p in (ROOT / "assistant").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    missing = sorted(f"assistant.{p}" for p in packages if f"assistant.{p}" not in LAYERS)
    assert not missing, f"new package(s) {missing}: give each a layer in LAYERS (tests/test_layout.py)"


def test_dependency_direction():
    new = [f"{f}:{line}: imports {m}; rule: {rule}" for f, line, m, rule in dependency_violations()
           if (f, m) not in ALLOWED_DEPENDENCIES]
    assert not new, ("imports against the layer order (move the code, or add (file, module) to "
                     "ALLOWED_DEPENDENCIES in tests/test_layout.py with a reason):\n" + "\n".join(new))


def test_dependency_allow_list_is_current():
    found = {(f, m) for f, _, m, _ in dependency_violations()}
    stale = sorted(k for k in ALLOWED_DEPENDENCIES if k not in found)
    assert not stale, f"no longer needed, remove from ALLOWED_DEPENDENCIES: {stale}"


def test_dependency_check_sees_function_bodies_and_skips_type_checking(tmp_path, monkeypatch):
    pkg = tmp_path / "assistant" / "core"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "m.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from assistant.api.app import create_app\n"
        "def f():\n    from assistant.service.assistant import Assistant\n    import ingest.pipeline\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    got = [(f, line, m) for f, line, m, _ in dependency_violations()]
    assert got == [("assistant/core/m.py", 5, "assistant.service.assistant"),
                   ("assistant/core/m.py", 6, "ingest.pipeline")]


# --- Size budget ----------------------------------------------------------------------------
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# Over budget today, each with its reason. Modules: file -> reason; functions: (file, qualified
# name) -> reason. An entry stays allowed whatever its size; a new one over budget fails.
LARGE_MODULES: dict[str, str] = {
    "assistant/answers/extractive.py": "the extractive generator's selection steps; being reworked "
                                       "in assistant/answers now (split after that lands)",
    "assistant/retrieval/hybrid.py": "dense + BM25 + fusion + the scoped index views in one reader; "
                                     "being reworked in assistant/retrieval now",
    "eval/scale.py": "the scale benchmark script: build, measure, report for each size",
    "eval/train_reranker.py": "the cross-encoder training script: data, LoRA training, evaluation",
    "ingest/loading.py": "one loader per file format plus the pre-partition size limits",
    "ingest/pipeline.py": "the Ingestor: sync, prune, remove, reembed over one manifest switch",
}
LONG_FUNCTIONS: dict[tuple[str, str], str] = {
    ("assistant/answers/extractive.py", "ExtractiveGenerator._answer"):
        "the answer/hedge/decline decision in order; being reworked in assistant/answers now",
    ("assistant/api/multipart.py", "read_uploads"):
        "one streaming parser loop with its per-file and per-request limits",
    ("assistant/index/keyword.py", "write_segment"):
        "writes one keyword segment atomically (temp folder, arrays, fsync, rename)",
    ("assistant/index/writer.py", "IndexWriter.commit"):
        "one segment write and the one manifest upsert that switches to it",
    ("assistant/index/writer.py", "IndexWriter._merge"):
        "the tiered merge: choose segments, copy live rows, switch, retire",
    ("eval/__main__.py", "bench"): "CLI command: options and the benchmark sequence",
    ("eval/__main__.py", "train_reranker"): "CLI command: options of the training run",
    ("eval/load.py", "main"): "the load benchmark's driver: server, clients, ingests, summary",
    ("eval/scale.py", "build"): "builds one size's index through IndexWriter, with timings",
    ("eval/scale.py", "main"): "the scale benchmark's driver over sizes",
    ("eval/train_answerer.py", "_train_at"): "out-of-fold training and threshold choice at one size",
    ("eval/train_reranker.py", "train_model"): "the LoRA training loop",
    ("ingest/__main__.py", "main"): "CLI: options, lock, run, summary and exit codes",
    ("ingest/chunking.py", "chunk_document"): "chunking per page (PDF) or per document, with metadata",
    ("ingest/pipeline.py", "Ingestor.run"): "one ingest run from files to the manifest switch",
}


def _functions(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + node.name
            yield name, node.lineno, node.end_lineno - node.lineno + 1
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")
        else:
            yield from _functions(node, prefix)


def size_overruns() -> tuple[dict[str, int], dict[tuple[str, str], tuple[int, int]]]:
    modules, functions = {}, {}
    for path in _project_files():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            modules[rel] = lines
        for name, line, length in _functions(ast.parse(text)):
            if length > MAX_FUNCTION_LINES:
                functions[(rel, name)] = (line, length)
    return modules, functions


def test_size_budget():
    modules, functions = size_overruns()
    new = [f"{f}: {n} lines (modules: at most {MAX_MODULE_LINES})"
           for f, n in sorted(modules.items()) if f not in LARGE_MODULES]
    new += [f"{f}:{line}: {name} is {n} lines (functions: at most {MAX_FUNCTION_LINES})"
            for (f, name), (line, n) in sorted(functions.items()) if (f, name) not in LONG_FUNCTIONS]
    assert not new, ("over the size budget (split it, or add it to LARGE_MODULES / LONG_FUNCTIONS "
                     "in tests/test_layout.py with a reason):\n" + "\n".join(new))


def test_size_allow_lists_are_current():
    modules, functions = size_overruns()
    stale = sorted(f for f in LARGE_MODULES if f not in modules)
    stale += sorted(f"{f} {name}" for f, name in LONG_FUNCTIONS if (f, name) not in functions)
    assert not stale, f"within budget now, remove from the allow-lists: {stale}"
