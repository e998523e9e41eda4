"""torch.testing.assert_close, with torch's default tolerances per dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor

_DEFAULT_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    **_: Any,
) -> None:
    a = actual._data if isinstance(actual, Tensor) else np.asarray(actual)
    e = expected._data if isinstance(expected, Tensor) else np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(
            f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}."
        )
    default = _DEFAULT_TOLERANCES.get(a.dtype.name, (0.0, 0.0))
    rtol = default[0] if rtol is None else rtol
    atol = default[1] if atol is None else atol
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not close.all():
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
        raise AssertionError(
            f"Tensor-likes are not close!\n\nMismatched elements: {int((~close).sum())} / "
            f"{close.size}\nGreatest absolute difference: {np.nanmax(diff)}"
        )
