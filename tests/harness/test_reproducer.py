"""Reproducers: the case's own source with literal inputs, runnable on plain torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from conformance.catalogue import load_catalogue
from conformance.inputs import Made
from conformance.reproducer import build_reproducer, literal

from .conftest import write_package

CATALOGUE = """
    import math

    from conformance import capture, case

    SCALE = 3.0


    def helper(torch, x):
        return torch.sin(x) * SCALE


    @case(area="r")
    def uses_module_helpers(torch, make):
        x = make.randn(2, 2, requires_grad=True)
        y = helper(torch, x).sum() + math.pi
        y.backward()
        return {"y": y, "x.grad": x.grad, "again": capture(y.backward)}


    @case(area="r")
    def makes_inputs_in_a_loop(torch, make):
        xs = [make.rand(3, dtype="float64", requires_grad=True) for _ in range(3)]
        total = sum((x * (i + 1)).sum() for i, x in enumerate(xs))
        total.backward()
        return {"grads": [x.grad for x in xs], "ints": make.randint(0, 5, (4,))}
"""


def run_script(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )


def test_literals_round_trip_float32_values_exactly():
    values = np.array([0.1, -1e-30, 3.4e38, 1 / 3], dtype=np.float32)
    made = Made("randn", values, "float32", True, False, None, None)
    text = literal(made)
    assert text.startswith("torch.tensor([0.1, ") and text.endswith(
        "dtype=torch.float32, requires_grad=True)"
    )
    import torch

    rebuilt = eval(text, {"torch": torch})
    assert np.array_equal(rebuilt.detach().numpy(), values)


def test_helpers_imports_and_constants_come_along(tmp_path, monkeypatch, registry):
    write_package(tmp_path, "rcases", {"cases": CATALOGUE})
    monkeypatch.syspath_prepend(str(tmp_path))
    (case,) = [c for c in load_catalogue("rcases") if c.name == "uses_module_helpers"]
    script = build_reproducer(case, run_seed=1)
    assert "import math" in script and "SCALE = 3.0" in script and "def helper(" in script
    assert "make.randn" not in script.split("def uses_module_helpers")[1]
    ran = run_script(script)
    assert ran.returncode == 0, ran.stderr
    assert "again = Raised(RuntimeError: Trying to backward through the graph" in ran.stdout


def test_inputs_made_in_a_loop_are_replayed_in_order(tmp_path, monkeypatch, registry):
    write_package(tmp_path, "rcases", {"cases": CATALOGUE})
    monkeypatch.syspath_prepend(str(tmp_path))
    (case,) = [c for c in load_catalogue("rcases") if c.name == "makes_inputs_in_a_loop"]
    script = build_reproducer(case)
    assert "make = Replay([" in script
    ran = run_script(script)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].startswith("grads.0 = tensor [1.0, 1.0, 1.0] dtype=float64")
    assert lines[2].startswith("grads.2 = tensor [3.0, 3.0, 3.0] dtype=float64")
    assert lines[3].startswith("ints = tensor [") and "dtype=int64" in lines[3]


def test_a_reproducer_per_catalogue_area_runs_on_torch_and_prints_its_observations():
    """One case per area (the first that defines a class or reads ``__name__`` where there is
    one): the script runs as ``__main__`` and prints every observation."""
    by_area: dict[str, object] = {}
    for case in load_catalogue():
        tricky = "__name__" in case.source or "class " in case.source
        if case.area not in by_area or (tricky and "__name__" not in by_area[case.area].source):
            by_area[case.area] = case
    for case in by_area.values():
        done = run_script(build_reproducer(case, run_seed=0))
        assert done.returncode == 0, (case.id, done.stderr[-2000:])
        assert done.stdout.strip(), f"{case.id}: the reproducer printed nothing"


def test_inputs_are_recorded_apart_and_a_case_that_hangs_or_dies_there_is_given_up(
    monkeypatch, torch_backend, registry
):
    import os
    import signal
    import time

    from conformance import case as register
    from conformance import reproducer

    def made_then(fate):
        def func(torch, make):
            x = make.tensor([0.5, 1.5])
            fate()
            return {"x": x}

        return register(area="r", name=f"apart_{fate.__name__}")(func)

    def survives():
        pass

    def dies():
        os.kill(os.getpid(), signal.SIGKILL)

    def hangs():
        time.sleep(3600)

    monkeypatch.setattr(reproducer, "RECORD_TIMEOUT_S", 2.0)
    for fate in (survives, dies, hangs):
        made_then(fate)
    recorded = reproducer.record_inputs_apart(registry["r/apart_survives"], 0, torch_backend)
    assert recorded is not None and recorded[0].values.tolist() == [0.5, 1.5]
    assert reproducer.record_inputs_apart(registry["r/apart_dies"], 0, torch_backend) is None
    start = time.monotonic()
    assert reproducer.record_inputs_apart(registry["r/apart_hangs"], 0, torch_backend) is None
    assert time.monotonic() - start < 30
