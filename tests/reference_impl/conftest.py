"""Run every test under tests/reference_impl with torch unimportable.

Why: reference_impl is the independent side of the torch-vs-reference comparison, so neither
it nor its tests may lean on torch. An accidental ``import torch`` (in a test module, a helper,
or reference_impl itself) must fail loudly here, not pass quietly because torch happens to be
installed. The blocker (``_torch_blocker.py``, also used by the subprocess tests) is active
while this directory's modules are collected (imported) and while each of its tests runs.

It is scoped to this directory rather than installed for the whole session: the harness tests
elsewhere under tests/ use real torch in the same pytest process. ``blocked()`` hides any
already-imported ``torch*`` modules for the duration and restores them afterwards.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType

import pytest


def _load_blocker() -> ModuleType:
    """``import _torch_blocker`` from this directory, whatever pytest's import mode."""
    module = sys.modules.get("_torch_blocker")
    if module is None:
        path = Path(__file__).with_name("_torch_blocker.py")
        spec = importlib.util.spec_from_file_location("_torch_blocker", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["_torch_blocker"] = module
        spec.loader.exec_module(module)
    return module


_torch_blocker = _load_blocker()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    # Called through this directory's hook proxy only, i.e. for collectors under it.
    with _torch_blocker.blocked():
        return (yield)


@pytest.fixture(autouse=True)
def _torch_unimportable() -> Iterator[None]:
    with _torch_blocker.blocked():
        yield
