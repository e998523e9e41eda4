"""The same op-derivative checks by ``torch.autograd.gradcheck`` and by our run.

Samples: the float64 unary, pow and binary forms of ``cases/op_derivatives.py`` (same
expression, input kinds and shapes). gradcheck (fast mode) checks torch's analytical
vector-Jacobian products against finite differences of torch itself. Our check of the same
form is ``execute_case`` on its registered case: torch and reference_impl each run forward +
backward, and values, dtypes, shapes, grad_fn names and gradients are compared (an independent
implementation is the second opinion here, not finite differences).
"""

from __future__ import annotations

import functools
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import conformance, interleaved_best
from bench.table import Row

GROUPS = ("UNARY", "POW", "BINARY")
DTYPE = "float64"


def _gradcheck_call(torch: Any, od: Any, form: dict[str, Any], seed: int) -> Callable[[], bool]:
    """A call running fast-mode gradcheck on ``form``'s expression over its grad inputs."""
    from conformance.inputs import Inputs

    spec = form["spec"]
    make = Inputs(torch, seed)
    env: dict[str, Any] = {"torch": torch, "F": torch.nn.functional, "nn": torch.nn}
    names = []
    for name, kind, arg in spec["inputs"]:
        env[name] = od.make_input(make, kind, arg, DTYPE)
        if kind in od.GRAD_KINDS:
            names.append(name)

    def function(*tensors: Any) -> Any:
        return eval(spec["expr"], {**env, **dict(zip(names, tensors, strict=True))})  # noqa: S307

    inputs = tuple(env[name] for name in names)
    return lambda: torch.autograd.gradcheck(function, inputs, fast_mode=True)


def measure_gradcheck(
    limit: int | None = None, repeats: int = 3, seed: int = 0, cli: bool = True
) -> list[Row]:
    """Per-sample time of gradcheck and of our check on the same forms, and their ratio.

    ``cli`` also times ``conformance run --area op_derivatives --jobs 1`` end to end (all its
    cases, both dtypes, process start-up included) as a per-case figure.
    """
    import torch

    from conformance.case import REGISTRY
    from conformance.catalogue import load_catalogue
    from conformance.runner import execute_case, load_pair

    load_catalogue()
    import cases.op_derivatives as od

    forms = [f for group in GROUPS for f in getattr(od, group) if DTYPE in f["dtypes"]]
    forms = forms[:limit] if limit is not None else forms
    pair = load_pair(("torch", "reference"))
    totals = {"gradcheck": 0.0, "ours": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for form in forms:
            case = REGISTRY[f"{od.AREA}/{form['name']}_{DTYPE}"]
            best = interleaved_best(
                {
                    "gradcheck": _gradcheck_call(torch, od, form, seed),
                    "ours": functools.partial(execute_case, case, pair, seed),
                },
                repeats,
            )
            for name, seconds in best.items():
                totals[name] += seconds
    count = len(forms)
    rows = [
        Row(
            f"gradcheck fast, float64 ({count} samples)",
            totals["gradcheck"] / count * 1e3,
            "ms/sample",
            note="samples: float64 unary/pow/binary forms of cases/op_derivatives.py; "
            "gradcheck = torch analytical vs finite differences; ours = execute_case: torch vs "
            "reference_impl values, grads, grad_fn, dtype (no finite differences)",
        ),
        Row("ours, same samples (execute_case)", totals["ours"] / count * 1e3, "ms/sample"),
        Row("ours/gradcheck per sample", totals["ours"] / totals["gradcheck"], "x"),
    ]
    if cli:
        cases = sum(case.area == od.AREA for case in REGISTRY.values())
        with tempfile.TemporaryDirectory() as tmp:
            out = str(Path(tmp) / "results.jsonl")
            run = conformance(["run", "--area", od.AREA, "--jobs", "1", "-q", "--out", out])
        rows.append(
            Row(
                f"conformance run --area {od.AREA} ({cases} cases)",
                run.wall_s / cases * 1e3,
                "ms/case",
                note="whole CLI run, process start-up included, float32 and float64 cases",
            )
        )
    return rows
