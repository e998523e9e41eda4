"""The case API case authors write against: registration, ids, kept source, and seeded
inputs that are identical on every backend."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest
import torch

from conformance import Inputs, case
from conformance.case import register
from conformance.errors import CaseDefinitionError
from conformance.inputs import case_seed, dtype_name

from .conftest import cli_env


def test_a_case_is_registered_under_area_slash_function_name(registry):
    @case(area="accumulation", tags=("backward",), expect={"x.grad": [3.0, 3.0]})
    def repeated_backward_accumulates(torch, make: Inputs):
        """Docstring = the behaviour pinned down."""
        x = make.tensor([1.0, 2.0], requires_grad=True)
        return {"x.grad": x}

    registered = registry["accumulation/repeated_backward_accumulates"]
    assert registered.area == "accumulation" and registered.tags == ("backward",)
    assert registered.doc == "Docstring = the behaviour pinned down."
    assert registered.expect == {"x.grad": [3.0, 3.0]} and registered.expect_atol == 5e-5
    assert registered.func is repeated_backward_accumulates
    assert registered.source.startswith('@case(area="accumulation"')
    assert "make.tensor([1.0, 2.0], requires_grad=True)" in registered.source
    lines, first = inspect.getsourcelines(repeated_backward_accumulates)
    assert (registered.filename, registered.lineno) == (__file__, first)


def test_per_observation_tolerances_are_kept(registry):
    @case(area="a", rtol={"y": 1e-3}, atol=1e-4)
    def loose(torch, make):
        return {}

    assert registry["a/loose"].rtol == {"y": 1e-3} and registry["a/loose"].atol == 1e-4


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"area": ""}, "area must be"),
        ({"area": "a/b"}, "area must be"),
        ({"area": "a", "tags": "backward"}, "tags must be"),
        ({"area": "a", "rtol": -1.0}, "must not be negative"),
        ({"area": "a", "atol": "big"}, "must be a number"),
        ({"area": "a", "expect": [1, 2]}, "expect must map"),
    ],
)
def test_malformed_registrations_are_rejected_with_a_clear_error(registry, kwargs, problem):
    def some_case(torch, make):
        return {}

    with pytest.raises(CaseDefinitionError, match=problem):
        register(some_case, **kwargs)


def test_a_case_must_take_torch_and_make(registry):
    def one_argument(torch):
        return {}

    with pytest.raises(CaseDefinitionError, match=r"exactly \(torch, make\)"):
        register(one_argument, area="a")


def test_two_different_functions_cannot_share_an_id(registry):
    def first(torch, make):
        return {}

    register(first, area="a", name="same")

    def second(torch, make):
        return {}

    with pytest.raises(CaseDefinitionError, match="duplicate case id a/same"):
        register(second, area="a", name="same")


def test_case_seed_is_stable_across_processes():
    here = case_seed(7, "accumulation/x")
    code = "from conformance.inputs import case_seed; print(case_seed(7, 'accumulation/x'))"
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), check=True
    ).stdout.strip()
    assert str(here) == there
    assert case_seed(7, "accumulation/y") != here and case_seed(8, "accumulation/x") != here


class NumpyModule:
    """A minimal torch-like namespace whose tensors are NumPy arrays (to compare inputs)."""

    float32, float64, int64 = "float32", "float64", "int64"

    @staticmethod
    def tensor(data, dtype=None, requires_grad=False):
        return np.array(data, dtype=dtype)


def test_seeded_inputs_are_identical_whatever_the_backend():
    on_torch, on_numpy = Inputs(torch, 11), Inputs(NumpyModule(), 11)
    for make in (on_torch, on_numpy):
        make.randn(2, 3)
        make.uniform(4, low=-3.0, high=3.0, dtype="float64")
        make.randint(0, 10, (5,))
    for a, b in zip(on_torch.made, on_numpy.made, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a.values, b.values)


def test_inputs_come_out_as_backend_tensors_with_the_requested_dtype_and_flag():
    make = Inputs(torch, 3)
    w = make.randn(2, 3, requires_grad=True)
    d = make.rand(4, dtype=torch.float64)
    i = make.randint(-5, 5, shape=(2, 2))
    assert (w.dtype, tuple(w.shape), w.requires_grad, w.is_leaf) == (
        torch.float32,
        (2, 3),
        True,
        True,
    )
    assert d.dtype == torch.float64 and bool(((d >= 0) & (d < 1)).all())
    assert i.dtype == torch.int64 and bool(((i >= -5) & (i < 5)).all())
    assert np.array_equal(w.detach().numpy(), make.made[0].values)


def test_make_tensor_keeps_exact_values_and_infers_dtype_like_the_backend():
    make = Inputs(torch, 0)
    x = make.tensor([1.0, 2.0], requires_grad=True)
    n = make.tensor([1, 2])
    assert x.tolist() == [1.0, 2.0] and x.dtype == torch.float32 and x.requires_grad
    assert n.dtype == torch.int64 and make.made[1].dtype == "int64"


def test_make_array_gives_plain_numpy_from_the_seed():
    first, second = Inputs(torch, 5).array(3), Inputs(torch, 5).array(3)
    assert isinstance(first, np.ndarray) and first.dtype == np.float64
    assert np.array_equal(first, second)
    assert Inputs(torch, 5).array(data=[1, 2], dtype="int64").tolist() == [1, 2]


def test_dtype_names_accept_strings_aliases_and_backend_dtypes():
    assert dtype_name("float32") == dtype_name(torch.float32) == dtype_name("float") == "float32"
    assert dtype_name(torch.long) == "int64" and dtype_name(np.float64) == "float64"
    with pytest.raises(CaseDefinitionError, match="unknown dtype"):
        dtype_name("flaot32")


def test_misusing_make_is_a_case_definition_error():
    make = Inputs(torch, 0)
    with pytest.raises(CaseDefinitionError, match="needs a floating dtype"):
        make.randn(2, dtype="int64")
    with pytest.raises(CaseDefinitionError, match="low < high"):
        make.uniform(2, low=1.0, high=0.0)
    with pytest.raises(CaseDefinitionError, match="shape must be integers"):
        make.rand("two")


def test_a_dtype_the_backend_lacks_is_unsupported_not_a_case_error():
    class NoHalf(NumpyModule):
        pass

    with pytest.raises(NotImplementedError, match="has no dtype float16"):
        Inputs(NoHalf(), 0).randn(2, dtype="float16")


def test_every_made_value_records_where_in_the_source_it_was_made():
    make = Inputs(torch, 0)
    make.randn(2)
    made = make.made[0]
    assert made.filename == __file__
    assert made.position is not None and made.position[2] < made.position[3]


def test_an_opt_in_case_runs_only_when_a_selection_names_it() -> None:
    from conformance.case import register
    from conformance.catalogue import select

    def crashes_a_backend(torch, make):  # type: ignore[no-untyped-def]
        return {}

    crash = register(crashes_a_backend, area="opt_in_probe", tags=("crash",), opt_in=True)
    plain = register(lambda torch, make: {}, area="opt_in_probe", name="plain")
    try:
        assert select([crash, plain]) == [plain]
        assert select([crash, plain], areas=["opt_in_probe"]) == [crash, plain]
        assert select([crash, plain], tags=["crash"]) == [crash]
        assert select([crash, plain], patterns=["crashes_a"]) == [crash]
    finally:
        from conformance.case import REGISTRY

        REGISTRY.pop(crash.id, None)
        REGISTRY.pop(plain.id, None)
