"""reference_impl never imports torch, directly or indirectly.

- Dynamic: a fresh interpreter with torch unimportable (``_torch_blocker``: a meta-path finder
  first on ``sys.meta_path`` that raises ImportError for ``torch`` and ``torch.*`` and records
  every attempt) imports ``reference_impl`` and every submodule (``pkgutil.walk_packages``) and
  runs a small autograd program. Any attempt, even one caught by the code that made it, fails.
- Static: no file under ``reference_impl/`` has an ``import torch`` / ``from torch ...``
  statement or an ``importlib.import_module("torch...")`` / ``__import__("torch...")`` call.
- This test process itself runs with torch blocked (conftest.py); one test checks that.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import _torch_blocker
import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "reference_impl"

IMPORT_EVERYTHING = """
import importlib
import pkgutil
import sys

import reference_impl


def onerror(name):
    raise  # walk_packages calls this inside its `except`: re-raise the import's error


names = ["reference_impl"]
for info in pkgutil.walk_packages(reference_impl.__path__, "reference_impl.", onerror=onerror):
    importlib.import_module(info.name)
    names.append(info.name)

import reference_impl as torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([[0.5], [-1.0], [2.0]], requires_grad=True)
y = torch.tanh(x @ w) * 0 + (x * x).sum() + (x @ w).sum()
y.backward()
print("x.grad", x.grad)
print("w.grad", w.grad)
loaded = sorted(name for name in sys.modules if name == "torch" or name.startswith("torch."))
print("torch modules loaded", loaded)
print("imported", " ".join(sorted(names)))
"""


def python_modules() -> set[str]:
    """Dotted names of every module and package under reference_impl/, from the file tree."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if all(part.isidentifier() for part in parts):
            names.add(".".join(parts))
    return names


def test_import_everything_and_run_with_torch_blocked() -> None:
    result = _torch_blocker.run_python(["-c", IMPORT_EVERYTHING], block_torch=True, cwd=REPO)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-4000:]}"
    lines = result.stdout.splitlines()
    assert "x.grad tensor([2.5000, 3.0000, 8.0000])" in lines
    assert "w.grad tensor([[1.],\n        [2.],\n        [3.]])" in result.stdout
    assert "torch modules loaded []" in lines
    imported = next(line for line in lines if line.startswith("imported ")).split()[1:]
    assert set(imported) == python_modules()


def torch_imports(path: Path, root: Path = REPO) -> list[str]:
    """``file:line: statement`` for each import of torch (or call importing it) in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            func_name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if func_name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                names = [str(first.value)]
        if any(_torch_blocker.is_blocked(name) for name in names):
            found.append((node.lineno, ast.unparse(node)))
    return [f"{path.relative_to(root)}:{line}: {text}" for line, text in sorted(found)]


def test_no_torch_import_statements() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    found = [hit for path in files for hit in torch_imports(path)]
    assert found == []


def test_static_check_finds_torch_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, torch.nn as nn\nfrom torch import autograd\nfrom .torch import x\n"
        "import torchvision\nimportlib.import_module('torch.fft')\n__import__('torch')\n"
        "def f():\n    import torch\n",
        encoding="utf-8",
    )
    hits = torch_imports(sample, root=tmp_path)
    assert [hit.split(":")[1] for hit in hits] == ["1", "2", "5", "6", "8"]
    assert hits[0] == "sample.py:1: import os, torch.nn as nn"


def test_torch_is_blocked_in_this_process() -> None:
    """conftest.py blocks torch for every test in this directory."""
    for name in ("torch", "torch.nn", "torch.autograd"):
        with pytest.raises(ImportError, match="blocked"):
            importlib.import_module(name)


def test_blocker_catches_swallowed_imports() -> None:
    code = "try:\n    import torch.nn\nexcept ImportError:\n    print('swallowed')\n"
    result = _torch_blocker.run_python(["-c", code], block_torch=True, cwd=REPO)
    assert result.stdout == "swallowed\n"
    assert result.returncode == _torch_blocker.ATTEMPT_EXIT_CODE
    assert "torch import attempted with torch blocked: ['torch']" in result.stderr
