"""The package's shape, checked: every program step and call type is handled by every concern
that dispatches on it, and no module of ``conformance/`` imports itself back through others
(function-level imports count: a cycle hidden in a function is still a cycle)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import conformance.programs
from conformance.programs.program import CALL_CONCERNS, CALL_TYPES, STEP_CONCERNS, STEP_TYPES

PACKAGE = Path(__file__).resolve().parents[2] / "conformance"


# -- step types -----------------------------------------------------------------------------------


def _import_programs() -> None:
    """Import every module of ``conformance.programs``, so each concern has registered."""
    for module in pkgutil.iter_modules(conformance.programs.__path__):
        importlib.import_module(f"conformance.programs.{module.name}")


def _unhandled(concerns: list, types: dict[str, type]) -> list[str]:
    return [
        f"{concern.__module__}.{concern.__name__}: {kind}"
        for concern in concerns
        for kind, step_type in types.items()
        if step_type not in concern.registry
    ]


def test_every_step_type_is_handled_by_every_step_concern() -> None:
    _import_programs()
    names = {f"{c.__module__}.{c.__name__}" for c in STEP_CONCERNS}
    # the interpreter, the renderer, the shrinker, the oracle, the quirk and crash checks, census
    assert {
        "conformance.programs.interpreter.execute",
        "conformance.programs.render.write_step",
        "conformance.programs.shrink.step_shape",
        "conformance.programs.shrink.operands",
        "conformance.programs.shrink.remap_step",
        "conformance.programs.oracle.keeps_derivative",
        "conformance.programs.program._meets_quirk",
        "conformance.programs.known_crashes.hooks_stale_view",
        "conformance.programs.census.step_areas",
    } <= names
    assert _unhandled(STEP_CONCERNS, STEP_TYPES) == []


def test_every_call_type_is_handled_by_every_call_concern() -> None:
    _import_programs()
    assert len(CALL_CONCERNS) >= 6
    assert _unhandled(CALL_CONCERNS, CALL_TYPES) == []


def test_a_step_type_a_concern_forgot_is_named_and_refused_when_met() -> None:
    from dataclasses import dataclass

    from conformance.programs.program import step_concern

    @dataclass(frozen=True)
    class Forgotten:
        arg: int

    @step_concern
    def concern(step: object) -> int:
        raise NotImplementedError

    try:
        assert _unhandled([concern], {"forgotten": Forgotten}) == [f"{__name__}.concern: forgotten"]
        with pytest.raises(TypeError, match=r"concern does not handle step .*Forgotten\(arg=0\)"):
            concern(Forgotten(0))
    finally:
        STEP_CONCERNS.remove(concern)


# -- import cycles --------------------------------------------------------------------------------


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _typing_only(tree: ast.Module) -> set[ast.AST]:
    """The nodes under ``if TYPE_CHECKING:``: imports for annotations, never run."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                found.update(ast.walk(statement))
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``root``'s package it imports, anywhere in its source (inside
    functions too; not under ``if TYPE_CHECKING:``, which never runs).

    ``from a import b`` counts as importing ``a.b`` when that is a module, else ``a``; importing
    a package's submodule does not count as importing the package's ``__init__`` (which Python
    runs, but which cannot close a cycle unless it imports back, and then it has its own edge).
    """
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _typing_only(tree)
        for node in ast.walk(tree):
            if node in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node, name, is_package)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            graph[name] |= {target for target in targets if target in modules} - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from .. import c\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from pkg import a\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def test_no_module_of_conformance_imports_itself_back() -> None:
    """Not even through an import inside a function: each module can be understood, tested and
    replaced from the modules below it."""
    assert cycles(import_graph(PACKAGE)) == []
