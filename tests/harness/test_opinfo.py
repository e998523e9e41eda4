"""PyTorch's OpInfo entries as an opt-in case source: listed only when the area is named, each
entry's samples run on both backends, a name the candidate lacks is unsupported."""

from __future__ import annotations

import pytest

from conformance.registry import load_backend
from conformance.runner import execute_case
from conformance.sources import Selection, case_sources, resolve_case, selected_ids

pytest.importorskip("expecttest")


def test_opinfo_entries_are_listed_only_when_the_area_is_named():
    sources = case_sources()
    assert not any(i.startswith("opinfo/") for i in selected_ids(sources, Selection.of()))
    named = list(selected_ids(sources, Selection.of(areas=["opinfo"], patterns=["opinfo/acos"])))
    assert "opinfo/acos" in named
    assert not any("bernoulli" in i or "dropout" in i for i in named)


@pytest.fixture(scope="module")
def pair():
    return load_backend("torch"), load_backend("reference")


def test_an_entry_both_backends_implement_agrees_on_values_and_gradients(pair):
    result = execute_case(resolve_case("opinfo/acos", 0), pair, 0)
    assert result.outcome == "pass", result.reason
    names = {c.name.split(".")[1] for c in result.comparisons}
    assert {"out", "grads", "jvp"} <= names  # forward, VJP and (acos has forward AD) JVP


def test_an_entry_is_also_judged_on_its_float32_samples(pair):
    case = resolve_case("opinfo/acos.float32", 0)
    assert "float32" in case.tags
    result = execute_case(case, pair, 0)
    assert result.outcome == "pass", result.reason
    assert {c.baseline["dtype"] for c in result.comparisons if c.kind == "tensor"} == {"float32"}


def test_a_zero_tensor_tangent_is_read_as_the_zeros_it_stands_for(pair):
    # torch gives slogdet's sign an "efficient zero" tangent, which refuses .numpy()
    result = execute_case(resolve_case("opinfo/linalg.slogdet", 0), pair, 0)
    assert result.outcome == "pass", result.reason
    sign_tangent = next(c for c in result.comparisons if c.name == "s0.jvp.0")
    assert sign_tangent.baseline["kind"] == "tensor" and sign_tangent.baseline["values"] == 0.0


def test_an_entry_the_reference_lacks_is_unsupported_by_name(pair):
    result = execute_case(resolve_case("opinfo/fft.fft", 0), pair, 0)
    assert result.outcome == "unsupported"
    assert "fft" in result.reason
