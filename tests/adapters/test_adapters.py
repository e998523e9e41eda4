"""The worked third-party adapters (adapters/): each loads as ``module:NAME``, declares the facets
its tensors carry, reads the library's tensors, and is judged facet by facet against torch.

A test whose library is not installed is skipped (``tox -e adapters`` installs the pinned ones).
The ``module:NAME`` hook they rely on (a module's own ``conformance_backend()``) is tested first,
on a stand-in module, so it is checked on every run.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from conformance.backends import Backend
from conformance.case import REGISTRY, Case, case
from conformance.errors import ConformanceInputError
from conformance.facets import FLAGS, GRAPH, META, UNSUPPORTED, VALUES
from conformance.inputs import Inputs
from conformance.observe import observe_tensor
from conformance.registry import load_backend
from conformance.runner import execute_case
from conformance.verdict import Outcome


@dataclass(frozen=True)
class Adapter:
    module: str
    library: str
    provides: frozenset[str]


CANDLE = Adapter("adapters.candle_adapter", "candle", frozenset({FLAGS}))
MYGRAD = Adapter("adapters.mygrad_adapter", "mygrad", frozenset())
ADAPTERS = pytest.mark.parametrize("adapter", [CANDLE, MYGRAD], ids=lambda a: a.library)


def candidate(adapter: Adapter) -> Backend:
    pytest.importorskip(adapter.library)
    return load_backend(f"module:{adapter.module}")


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


@pytest.fixture(scope="module")
def torch_backend() -> Backend:
    pytest.importorskip("torch")
    return load_backend("torch")


# -- module:NAME and conformance_backend() -----------------------------------------------------


@pytest.fixture
def stand_in_library(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A module with a Tensor class and a ``conformance_backend()`` declaring no facets."""
    module = types.ModuleType("stand_in_library")

    class Tensor:
        pass

    module.Tensor = Tensor  # type: ignore[attr-defined]
    module.conformance_backend = lambda: Backend(  # type: ignore[attr-defined]
        "stand-in", module, to_numpy=lambda t: np.zeros(1), provides=frozenset()
    )
    monkeypatch.setitem(sys.modules, "stand_in_library", module)
    return module


def test_module_name_uses_the_modules_own_backend_factory_under_the_name_given(stand_in_library):
    backend = load_backend("module:stand_in_library")
    assert backend.name == "module:stand_in_library"  # versions and policies key on this name
    assert backend.provides == frozenset()
    assert backend.tensor_check(stand_in_library.Tensor())
    assert backend.to_numpy(stand_in_library.Tensor()).tolist() == [0.0]


def test_a_backend_factory_that_gives_no_backend_is_refused_in_one_line(stand_in_library):
    stand_in_library.conformance_backend = lambda: "not a backend"
    with pytest.raises(ConformanceInputError, match="conformance_backend\\(\\) gave str"):
        load_backend("module:stand_in_library")


# -- the adapters --------------------------------------------------------------------------------


@ADAPTERS
def test_adapter_loads_with_the_facets_its_library_carries(adapter):
    backend = candidate(adapter)
    library = sys.modules[adapter.library]
    assert backend.name == f"module:{adapter.module}"
    assert backend.provides == adapter.provides
    assert GRAPH not in backend.provides  # neither library names its nodes as torch does
    assert backend.version == library.__version__


@ADAPTERS
def test_adapter_reads_a_tensor_the_harness_made(adapter):
    backend = candidate(adapter)
    make = Inputs(backend.module, seed=3)
    made = make.randn(2, 3, requires_grad=True)
    assert backend.tensor_check(made) and not backend.tensor_check(np.zeros(2))
    assert backend.dtype_of(made) == "float32"
    np.testing.assert_array_equal(backend.to_numpy(made), make.made[-1].values)
    observed = observe_tensor("x", made, backend)
    assert observed.shape == (2, 3)
    assert (observed.requires_grad is None) == (FLAGS not in adapter.provides)
    assert "grad_fn" in observed.skipped


@ADAPTERS
def test_a_forward_case_passes_against_torch(adapter, registry, torch_backend):
    @case(area="t")
    def exp_times_input(torch, make):
        x = make.randn(2, 3)
        return {"y": torch.exp(x) * x, "rows": torch.sum(x * x, dim=1)}

    result = execute_case(registry["t/exp_times_input"], (torch_backend, candidate(adapter)), 0)
    assert result.outcome == Outcome.PASS, result.message


def test_candle_gradients_pass_against_torch(registry, torch_backend):
    @case(area="t")
    def tanh_gradient(torch, make):
        x = make.randn(4, requires_grad=True)
        (torch.tanh(x) * x).sum().backward()
        return {"x.grad": x.grad}

    result = execute_case(registry["t/tanh_gradient"], (torch_backend, candidate(CANDLE)), 0)
    assert result.outcome == Outcome.PASS, result.message


def test_mygrad_gradients_match_in_values_but_arrive_as_numpy_arrays(registry, torch_backend):
    @case(area="t")
    def tanh_gradient(torch, make):
        x = make.randn(4, requires_grad=True)
        (torch.tanh(x) * x).sum().backward()
        return {"x.grad": x.grad}

    result = execute_case(registry["t/tanh_gradient"], (torch_backend, candidate(MYGRAD)), 0)
    assert result.outcome == Outcome.FAIL
    assert META in result.facets and VALUES not in result.facets
    assert "tensor != ndarray" in result.message


@pytest.mark.parametrize(
    ("adapter", "missing"),
    [
        (CANDLE, "register_post_accumulate_grad_hook"),
        (MYGRAD, "autograd"),
    ],
    ids=["candle", "mygrad"],
)
def test_what_a_library_lacks_is_unsupported_not_failed(adapter, missing, registry, torch_backend):
    @case(area="t")
    def lacking(torch, make):
        x = make.randn(3, requires_grad=True)
        owner = x if missing.startswith("register") else torch
        return {"found": getattr(owner, missing) is not None}

    result = execute_case(registry["t/lacking"], (torch_backend, candidate(adapter)), 0)
    assert result.outcome == Outcome.UNSUPPORTED
    assert result.facets == [UNSUPPORTED]
    assert f"has no attribute '{missing}'" in result.reason
