"""The community capabilities depend on each other one way: no import circle between them,
``shared`` imports none of them, and each says in its docstring what it is."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import rescity.community

ROOT = Path(rescity.community.__file__).parent
PREFIX = "rescity.community."
NOT_CAPABILITIES = {"adapters"}  # holds the migrations only
# The layers drawn in docs/architecture.md: a package imports only from lower layers. A package
# not listed here is still checked for circles.
LAYERS = {"shared": 0, "alerts": 1, "health": 2, "control": 2, "access": 3, "cases": 2, "help": 3,
          "sensors": 3, "residents": 4, "dashboard": 4, "demo": 5,
          "tracing": 1, "outbreak": 1, "supplies": 3, "maps": 4}


def capabilities() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir()
                  if (p / "__init__.py").is_file() and p.name not in NOT_CAPABILITIES)


def imported(path: Path) -> set[str]:
    """Every ``rescity.community.*`` module the file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith(PREFIX)}


def capability_graph() -> dict[str, set[str]]:
    """capability → the other capabilities its modules import."""
    names = set(capabilities())
    graph: dict[str, set[str]] = defaultdict(set)
    for name in names:
        for path in (ROOT / name).rglob("*.py"):
            for module in imported(path):
                other = module[len(PREFIX):].split(".")[0]
                if other in names and other != name:
                    graph[name].add(other)
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle as a path (``[a, b, a]``), or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_expected_capabilities_exist() -> None:
    assert {"shared", "residents", "access", "health", "alerts", "help", "cases",
            "sensors"} <= set(capabilities())


def test_no_import_circle_between_capabilities() -> None:
    assert cycle(capability_graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_capabilities_import_only_from_lower_layers() -> None:
    upward = sorted((name, other) for name, others in capability_graph().items()
                    for other in others
                    if name in LAYERS and other in LAYERS and LAYERS[other] >= LAYERS[name])
    assert upward == []


def test_shared_imports_no_capability() -> None:
    assert capability_graph().get("shared", set()) == set()


def test_every_capability_says_what_it_is_and_may_import() -> None:
    for name in capabilities():
        doc = importlib.import_module(PREFIX + name).__doc__ or ""
        assert doc.strip(), name
        if name != "shared":
            assert "May import" in doc, name
