"""Backends: built-ins by name, any torch-like module through the entry-point group with no
change to the harness, and the global state a case may leave behind."""

from __future__ import annotations

import textwrap

import pytest
import torch

from conformance.backends import Backend
from conformance.catalogue import load_catalogue, select
from conformance.errors import ConformanceInputError
from conformance.registry import ENTRY_POINT_GROUP, available_backends, load_backend
from conformance.runner import execute_case


def install_fake_distribution(root, entry_points: str) -> None:
    """Make ``importlib.metadata`` see a distribution declaring ``entry_points``."""
    info = root / "faketorchlib-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: faketorchlib\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def test_a_third_party_module_becomes_a_backend_through_the_entry_point_group(
    tmp_path, monkeypatch
):
    (tmp_path / "faketorchlib.py").write_text(
        "import torch\nfrom torch import *  # noqa\nTensor, tensor = torch.Tensor, torch.tensor\n"
        "__version__ = '9.9'\n"
    )
    install_fake_distribution(
        tmp_path,
        f"""
        [{ENTRY_POINT_GROUP}]
        faketorch = faketorchlib
    """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "faketorch" in available_backends()
    backend = load_backend("faketorch")
    assert (backend.name, backend.version) == ("faketorch", "9.9")
    assert backend.tensor_check(torch.ones(1)) and not backend.tensor_check([1.0])


def test_an_entry_point_may_name_a_factory_returning_a_backend(tmp_path, monkeypatch):
    (tmp_path / "factorylib.py").write_text(
        "import torch\nfrom conformance.backends import Backend\n"
        "def make():\n    return Backend('custom', torch, is_tensor=lambda x: False)\n"
    )
    install_fake_distribution(
        tmp_path,
        f"""
        [{ENTRY_POINT_GROUP}]
        custom = factorylib:make
    """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_backend("custom").name == "custom"


def test_unknown_or_broken_backends_are_bad_input():
    with pytest.raises(ConformanceInputError, match="unknown backend 'nope'"):
        load_backend("nope")
    with pytest.raises(ConformanceInputError, match="backend 'module:no_such_mod' could not be"):
        load_backend("module:no_such_mod")
    with pytest.raises(ConformanceInputError, match="has no Tensor class"):
        load_backend("module:json")


def test_torch_tensors_read_as_numpy_whatever_their_flags(torch_backend):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert torch_backend.to_numpy(x * 2).tolist() == [2.0, 4.0]
    assert torch_backend.to_numpy(torch.tensor([1.5], dtype=torch.bfloat16)).tolist() == [1.5]
    assert torch_backend.to_numpy(torch.tensor([1j]).conj()).tolist() == [-1j]
    assert torch_backend.dtype_of(torch.ones(1, dtype=torch.float64)) == "float64"


def test_global_state_a_case_changes_is_restored_after_it(torch_backend):
    with torch_backend.isolated():
        torch.set_default_dtype(torch.float64)
        torch.set_grad_enabled(False)
    assert torch.get_default_dtype() == torch.float32 and torch.is_grad_enabled()


def test_cuda_backend_is_refused_clearly_without_cuda():
    if torch.cuda.is_available():
        assert load_backend("torch-cuda").device == "cuda"
    else:
        with pytest.raises(ConformanceInputError, match="CUDA is not available"):
            load_backend("torch-cuda")


def test_the_smoke_cases_pass_on_torch_against_the_reference_engine():
    # No skip: a reference engine that fails to load or to pass is exactly what this catches.
    pair: tuple[Backend, Backend] = (load_backend("torch"), load_backend("reference"))
    smoke = select(load_catalogue(), areas=["smoke"])
    assert smoke, "the smoke cases are part of the catalogue"
    outcomes = {c.id: execute_case(c, pair, 0) for c in smoke}
    assert {k: (r.outcome, r.reason) for k, r in outcomes.items()} == {
        k: ("pass", "") for k in outcomes
    }
