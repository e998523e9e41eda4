"""Which rtol/atol apply to an observation.

Defaults are ``torch.testing.assert_close``'s per-dtype table (integers and bools exact). A
configuration may replace entries per dtype; a case may override them for all its observations
or per observation name (``fnmatch`` patterns allowed). A Python float takes the ``python_float``
entry, float32's by default, since it most often comes from ``.item()`` of a float32 tensor.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

from conformance.case import Tolerance

#: ``torch.testing.assert_close`` defaults: dtype -> (rtol, atol).
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
    "python_float": (1.3e-6, 1e-5),
}
EXACT = (0.0, 0.0)


@dataclass(frozen=True)
class ToleranceTable:
    """Per-dtype (rtol, atol); entries in ``overrides`` replace the defaults."""

    overrides: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def for_dtype(self, dtype: str) -> tuple[float, float]:
        if dtype in self.overrides:
            return self.overrides[dtype]
        return DEFAULT_TOLERANCES.get(dtype, EXACT)


def _pick(tolerance: Tolerance, name: str) -> float | None:
    if tolerance is None:
        return None
    if isinstance(tolerance, int | float):
        return float(tolerance)
    if name in tolerance:
        return float(tolerance[name])
    for pattern, value in tolerance.items():
        if fnmatch.fnmatchcase(name, pattern):
            return float(value)
    return None


def resolve(
    name: str, dtype: str, table: ToleranceTable, rtol: Tolerance = None, atol: Tolerance = None
) -> tuple[float, float]:
    """(rtol, atol) for observation ``name`` of ``dtype``: the case's values, else the table's."""
    default_rtol, default_atol = table.for_dtype(dtype)
    case_rtol, case_atol = _pick(rtol, name), _pick(atol, name)
    return (
        default_rtol if case_rtol is None else case_rtol,
        default_atol if case_atol is None else case_atol,
    )
