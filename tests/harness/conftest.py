"""Fixtures for the harness tests: isolated registries, torch backends, throwaway catalogues.

The harness is tested with torch against torch and against small fake backends (torch with a
deliberate fault), so its behaviour is pinned down independently of ``reference_impl``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.backends import Backend
from conformance.case import REGISTRY, Case
from conformance.registry import load_backend

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def registry() -> Iterator[dict[str, Case]]:
    """The case registry, emptied for the test and restored afterwards."""
    saved = dict(REGISTRY)
    REGISTRY.clear()
    try:
        yield REGISTRY
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)


@pytest.fixture(scope="session")
def torch_backend() -> Backend:
    return load_backend("torch")


@pytest.fixture(scope="session")
def torch_pair(torch_backend: Backend) -> tuple[Backend, Backend]:
    return torch_backend, load_backend("torch")


def spy_on_load_pair(monkeypatch: pytest.MonkeyPatch, module: object) -> list[tuple[bool, int]]:
    """Record, at each call of ``module.load_pair``, whether the garbage collector was on and
    how many objects were frozen (loading torch is meant to happen with it paused)."""
    import gc

    seen: list[tuple[bool, int]] = []
    real = module.load_pair  # type: ignore[attr-defined]

    def load_pair(names: object) -> object:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        return real(names)

    monkeypatch.setattr(module, "load_pair", load_pair)
    return seen


def write_package(root: Path, name: str, modules: dict[str, str]) -> Path:
    """Write package ``name`` under ``root`` with one module per entry (source dedented).

    Any earlier import of a package of that name is forgotten, so importing it registers its
    cases again.
    """
    for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[loaded]
    package = root / name
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        f"from . import {', '.join(sorted(modules))}\n" if modules else ""
    )
    for module, source in modules.items():
        (package / f"{module}.py").write_text(textwrap.dedent(source))
    return package


def run_cli(
    *args: str, cwd: Path, extra_path: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m conformance ARGS`` in ``cwd``, with the repo (and ``extra_path``) importable."""
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=cwd,
        env=cli_env(extra_path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_env(extra_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO)] + ([str(extra_path)] if extra_path else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


#: A torch-like module that is torch except for a wrong tanh derivative, for fault injection.
BROKEN_TANH = """
    import torch
    from torch import *  # noqa: F403

    Tensor = torch.Tensor
    tensor = torch.tensor
    __version__ = "broken-tanh"


    class _Tanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = torch.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * (1 - y)  # should be 1 - y**2


    def tanh(x):
        return _Tanh.apply(x)
"""


@pytest.fixture(scope="session")
def broken_tanh_backend() -> Backend:
    """torch with a wrong tanh derivative, as an in-process backend."""
    import types

    module = types.ModuleType("broken_tanh")
    exec(textwrap.dedent(BROKEN_TANH), module.__dict__)
    return Backend.from_module("broken-tanh", module)
