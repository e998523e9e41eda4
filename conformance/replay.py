"""``replay:PATH``: one side of a recorded results file, standing in for the backend it recorded.

A results file already holds what each backend was observed to do, case by case (the
comparisons' ``baseline``/``candidate`` summaries). Replaying one side makes an old torch
release a backend without installing it: ``--backends torch,replay:old.jsonl`` compares today's
torch with the recording, and ``replay:A.jsonl#candidate`` takes the other side. Tensors longer
than the recording kept (``observe.VALUES_KEPT`` elements) have their values skipped, never
guessed; a case the recording lacks is unsupported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from conformance.backends import Backend
from conformance.errors import ConformanceInputError
from conformance.observe import (
    Observation,
    RaisedObservation,
    Recorded,
    TensorObservation,
    UnobservableObservation,
    ValueObservation,
)
from conformance.results import read_run

SIDES = ("baseline", "candidate")
_NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


class NotRecorded(NotImplementedError):
    """The recording has no result for this case: the replayed backend cannot answer it."""


def _number(value: Any) -> Any:
    if isinstance(value, list):
        return [_number(v) for v in value]
    return _NON_FINITE.get(value, value) if isinstance(value, str) else value


def _numpy_dtype(dtype: str) -> str:
    return "float32" if dtype in ("bfloat16", "float16") else dtype


def observation_from_summary(name: str, summary: dict[str, Any]) -> Observation:
    """An observation rebuilt from the summary a results file holds for it."""
    kind = summary.get("kind")
    if kind == "tensor":
        values = summary.get("values")
        skipped = tuple(summary.get("skipped", ()))
        array = np.zeros(0)
        if values is None:
            skipped += ("values",)
        else:
            try:
                array = np.asarray(_number(values), dtype=_numpy_dtype(summary["dtype"]))
            except (TypeError, ValueError):
                array = np.asarray(_number(values))
        return TensorObservation(
            name,
            summary["dtype"],
            tuple(summary["shape"]),
            summary.get("requires_grad"),
            summary.get("is_leaf"),
            summary.get("grad_fn"),
            array,
            summary.get("container", "tensor"),
            skipped=skipped,
        )
    if kind == "raised":
        return RaisedObservation(
            name,
            summary["type"],
            summary.get("message", ""),
            bool(summary.get("not_implemented", False)),
            cause_type=summary.get("cause_type"),
            cause_message=summary.get("cause_message"),
            traceback=summary.get("traceback"),
        )
    if kind == "value":
        type_name, value = summary["type"], summary.get("value")
        if type_name == "float":
            value = _number(value)
        elif type_name == "complex":
            real, imag = _number(value)
            value = complex(real, imag)
        return ValueObservation(name, type_name, value)
    if kind == "unobservable":
        return UnobservableObservation(name, summary["type"], summary.get("error", ""))
    raise ConformanceInputError(f"observation {name}: unknown kind {kind!r} in the recording")


def side_observations(comparisons: list[Any], side: str) -> tuple[Observation, ...]:
    """Every observation one side of a recorded case had, in recorded order."""
    found: list[Observation] = []
    for comparison in comparisons:
        summary = getattr(comparison, side)
        if not summary:
            continue
        if summary.get("kind") == "container":  # merged: items of a container, one by one
            for name, item in summary.get("items", {}).items():
                if item:
                    found.append(observation_from_summary(name, item))
            continue
        found.append(observation_from_summary(comparison.name, summary))
    return tuple(found)


def replay_backend(spec: str) -> Backend:
    """The backend ``replay:PATH[#baseline|#candidate]`` (the baseline side by default)."""
    path_text, _, side = spec.partition("#")
    side = side or "baseline"
    if side not in SIDES:
        raise ConformanceInputError(f"backend 'replay:{spec}': the side must be one of {SIDES}")
    path = Path(path_text)
    if not path.is_file():
        raise ConformanceInputError(f"backend 'replay:{spec}': no results file {path_text!r}")
    headers, results = read_run(path)
    if not headers:
        raise ConformanceInputError(f"backend 'replay:{spec}': {path_text} has no run header")
    recorded_name = headers[-1]["backends"][SIDES.index(side)]
    version = headers[-1].get("versions", {}).get(recorded_name)
    by_case = {r.case_id: side_observations(r.comparisons, side) for r in results if r.comparisons}
    broken = {r.case_id: r.reason for r in results if not r.comparisons}

    def call(case: Any, module: Any, make: Any) -> Recorded:
        if case.id in by_case:
            return Recorded(by_case[case.id])
        why = broken.get(case.id, "no result for this case")
        raise NotRecorded(f"{recorded_name} in {path_text}: {why}")

    import reference_impl  # any module: a replayed case never reaches it

    return Backend(
        f"replay:{spec}",
        reference_impl,
        call=call,
        version_override=f"{recorded_name} {version}" if version else recorded_name,
        compares_as=recorded_name,
    )
