"""Comparing one observation of the baseline backend with the same one of the candidate.

Every pair becomes a plain ``ObservationComparison``: tensors are compared on shape, dtype and
autograd flags exactly and on values within tolerance, with the numeric differences always kept
(``ValueDiff``: greatest absolute/relative difference and where, mismatched count, ULP distance
in the baseline's dtype, NaN/inf placement); exceptions on type and, separately, on normalised
message. The baseline plays ``expected`` and the candidate ``actual``, as in
``torch.testing.assert_close(actual, expected)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance.capture import normalise_message
from conformance.observe import (
    Observation,
    RaisedObservation,
    TensorObservation,
    UnobservableObservation,
    ValueObservation,
    _plain,
    clip_text,
)

MATCH = "match"
MISMATCH = "mismatch"
MISSING = "missing"  # the candidate lacks an observation the baseline has
EXTRA = "extra"  # the candidate has an observation the baseline lacks
IGNORED = "ignored"  # differs only in facets the pair's comparison policy ignores

FLOAT_BITS: dict[str, tuple[type[np.floating[Any]], type[np.signedinteger[Any]]]] = {
    "float16": (np.float16, np.int16),
    "float32": (np.float32, np.int32),
    "float64": (np.float64, np.int64),
}
#: The lowest integer of each float's bit width (``_ordered`` maps negative floats below it).
_LOWEST = {dtype: np.int64(np.iinfo(bits).min) for dtype, (_, bits) in FLOAT_BITS.items()}


@dataclass
class ValueDiff:
    """Element-wise differences of two same-shaped value arrays (candidate vs baseline)."""

    numel: int
    mismatched: int
    mismatched_fraction: float
    rtol: float
    atol: float
    max_abs_diff: float | None = None
    max_abs_index: list[int] | None = None
    max_rel_diff: float | None = None
    max_rel_index: list[int] | None = None
    max_ulp: int | None = None
    max_ulp_index: list[int] | None = None
    nan_mismatched: int = 0
    first_nan_mismatch_index: list[int] | None = None
    inf_mismatched: int = 0
    first_inf_mismatch_index: list[int] | None = None
    #: Greatest ``|actual - expected| / (atol + rtol * |expected|)``: 1 is the edge of tolerance,
    #: so errors of values near zero (huge in ULPs, fine on atol) read as what the verdict saw.
    max_tolerance_ratio: float | None = None


@dataclass
class ObservationComparison:
    """The verdict on one observation name: status, short reasons, assert_close-style text."""

    name: str
    status: str
    kind: str
    reasons: list[str] = field(default_factory=list)
    message: str = ""
    diff: ValueDiff | None = None
    baseline: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None
    #: Attributes not compared because a backend's reader does not provide them.
    skipped: list[str] = field(default_factory=list)


# -- numbers -----------------------------------------------------------------------------


def _ordered(values: np.ndarray, dtype: str) -> np.ndarray:
    """Map floats to integers whose difference counts representable values between them."""
    if dtype == "bfloat16":
        bits = values.astype(np.float32).view(np.int32).astype(np.int64)
        bits = np.where(bits < 0, np.int64(-(2**31)) - bits, bits)
        return bits // 65536
    float_type, int_type = FLOAT_BITS[dtype]
    bits = values.astype(float_type, copy=False).view(int_type).astype(np.int64)
    return np.where(bits < 0, _LOWEST[dtype] - bits, bits)


def ulp_distance(expected: np.ndarray, actual: np.ndarray, dtype: str) -> np.ndarray | None:
    """Per-element distance in units in the last place of ``dtype`` (None when not a float).

    Both arrays are first rounded to ``dtype``; NaN positions are left at 0, as NaN placement is
    reported apart.
    """
    distance = _ordered_distance(expected, actual, dtype)
    if distance is None:
        return None
    nan = np.isnan(expected.astype(np.float64)) | np.isnan(actual.astype(np.float64))
    return np.where(nan, np.uint64(0), distance)


def _ordered_distance(expected: np.ndarray, actual: np.ndarray, dtype: str) -> np.ndarray | None:
    """``ulp_distance`` before NaN positions are zeroed (all of it for arrays without NaN)."""
    if dtype not in FLOAT_BITS and dtype != "bfloat16":
        return None
    a, b = _ordered(expected, dtype), _ordered(actual, dtype)
    if dtype != "float64":  # within 32 bits: |a - b| cannot overflow, whatever the signs
        return np.abs(a - b).astype(np.uint64)
    same_sign = (a >= 0) == (b >= 0)
    near = np.abs(np.where(same_sign, a - b, 0)).astype(np.uint64)
    far = np.abs(a).astype(np.uint64) + np.abs(b).astype(np.uint64)
    return np.where(same_sign, near, far)


def _index(flat: int, shape: tuple[int, ...]) -> list[int]:
    """``np.unravel_index(flat, shape)`` as a list, in plain Python (a tenth of the time)."""
    index = []
    for size in reversed(shape):
        flat, position = divmod(flat, size)
        index.append(int(position))
    return index[::-1]


def value_diff(
    expected: np.ndarray,
    actual: np.ndarray,
    dtype: str,
    rtol: float,
    atol: float,
    alike: bool = False,
) -> ValueDiff:
    """Differences of ``actual`` from ``expected`` (same shape), judged with rtol/atol.

    An element matches when both are NaN, both the same infinity, or
    ``|actual - expected| <= atol + rtol * |expected|``. ``alike``: the caller has already
    found both arrays to hold the same bits in the same dtype (``compare_tensors``).
    """
    shape = tuple(expected.shape)
    numel = int(expected.size)
    diff = ValueDiff(numel=numel, mismatched=0, mismatched_fraction=0.0, rtol=rtol, atol=atol)
    if numel == 0:
        return diff
    if (
        alike or (expected.dtype == actual.dtype and expected.tobytes() == actual.tobytes())
    ) and _finite(expected):
        # the same finite numbers: most observations of a passing run, judged without arithmetic
        return _identical(diff, shape, dtype, expected.dtype.kind == "c")
    complex_values = np.iscomplexobj(expected) or np.iscomplexobj(actual)
    work = np.complex128 if complex_values else np.float64
    if expected.dtype == np.bool_ or actual.dtype == np.bool_:
        e = expected.astype(np.int64).astype(work)
        a = actual.astype(np.int64).astype(work)
    else:
        e, a = expected.astype(work, copy=False), actual.astype(work, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        delta = a - e
    # A finite delta means both sides are finite (a NaN or an infinity on either side makes it
    # NaN or infinite; so may an overflow, which the general path below handles as before).
    if np.isfinite(delta).all():
        if not delta.any():  # equal and finite
            return _identical(diff, shape, dtype, complex_values)
        return _finite_diff(diff, expected, actual, e, delta, dtype, complex_values)
    e_nan, a_nan = np.isnan(e), np.isnan(a)
    e_inf, a_inf = np.isinf(e), np.isinf(a)
    finite = ~(e_nan | a_nan | e_inf | a_inf)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_diff = np.where(finite, np.abs(a - e), 0.0).astype(np.float64)
        scale = np.abs(e).astype(np.float64)
        rel_diff = np.where(
            scale > 0, abs_diff / np.where(scale > 0, scale, 1.0), np.where(abs_diff > 0, np.inf, 0)
        )
        allowed = atol + rtol * scale
        close = finite & (abs_diff <= allowed)
        ratio = np.where(
            allowed > 0,
            abs_diff / np.where(allowed > 0, allowed, 1.0),
            np.where(abs_diff > 0, np.inf, 0.0),
        )
    nan_mismatch = e_nan != a_nan
    inf_mismatch = (e_inf | a_inf) & ~(e_nan | a_nan) & (e != a)
    ok = close | (e_nan & a_nan) | ((e_inf | a_inf) & ~(e_nan | a_nan) & (e == a))
    diff.mismatched = int(numel - np.count_nonzero(ok))
    diff.mismatched_fraction = diff.mismatched / numel
    placement = bool(nan_mismatch.any() or inf_mismatch.any())
    diff.max_tolerance_ratio = (
        float("inf") if placement else float(np.max(np.where(finite, ratio, 0.0)))
    )
    if finite.any():
        flat_abs = int(np.argmax(np.where(finite, abs_diff, -1.0)))
        flat_rel = int(np.argmax(np.where(finite, rel_diff, -1.0)))
        diff.max_abs_diff = float(abs_diff.flat[flat_abs])
        diff.max_abs_index = _index(flat_abs, shape)
        diff.max_rel_diff = float(rel_diff.flat[flat_rel])
        diff.max_rel_index = _index(flat_rel, shape)
    if not complex_values:
        ulps = ulp_distance(expected, actual, dtype)
        if ulps is not None:
            flat_ulp = int(np.argmax(ulps))
            diff.max_ulp = int(ulps.flat[flat_ulp])
            diff.max_ulp_index = _index(flat_ulp, shape)
    if nan_mismatch.any():
        diff.nan_mismatched = int(np.count_nonzero(nan_mismatch))
        diff.first_nan_mismatch_index = _index(int(np.argmax(nan_mismatch)), shape)
    if inf_mismatch.any():
        diff.inf_mismatched = int(np.count_nonzero(inf_mismatch))
        diff.first_inf_mismatch_index = _index(int(np.argmax(inf_mismatch)), shape)
    return diff


def _finite_diff(
    diff: ValueDiff,
    expected: np.ndarray,
    actual: np.ndarray,
    e: np.ndarray,
    delta: np.ndarray,
    dtype: str,
    complex_values: bool,
) -> ValueDiff:
    """``value_diff``'s figures where neither side holds a NaN or an infinity (values that differ
    a little: the rest of a passing run), with the NaN/inf masks left out - they are all False
    there, so each expression is ``value_diff``'s own without them. ``delta`` is ``a - e``."""
    shape = tuple(expected.shape)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_diff = np.abs(delta).astype(np.float64, copy=False)
        scale = np.abs(e).astype(np.float64, copy=False)
        differs = abs_diff > 0
        # x / y where y > 0, else inf where the values differ and 0 where not
        rel_diff = np.divide(abs_diff, scale, out=np.where(differs, np.inf, 0.0), where=scale > 0)
        allowed = diff.atol + diff.rtol * scale
        ratio = np.divide(abs_diff, allowed, out=np.where(differs, np.inf, 0.0), where=allowed > 0)
    diff.mismatched = int(diff.numel - np.count_nonzero(abs_diff <= allowed))
    diff.mismatched_fraction = diff.mismatched / diff.numel
    diff.max_tolerance_ratio = float(ratio.max())
    flat_abs = int(abs_diff.argmax())  # methods: no dispatch through np.*
    flat_rel = int(rel_diff.argmax())
    diff.max_abs_diff = float(abs_diff.flat[flat_abs])
    diff.max_abs_index = _index(flat_abs, shape)
    diff.max_rel_diff = float(rel_diff.flat[flat_rel])
    diff.max_rel_index = _index(flat_rel, shape)
    if not complex_values:
        ulps = _ordered_distance(expected, actual, dtype)  # no NaN to zero
        if ulps is not None:
            flat_ulp = int(ulps.argmax())
            diff.max_ulp = int(ulps.flat[flat_ulp])
            diff.max_ulp_index = _index(flat_ulp, shape)
    return diff


def _identical(
    diff: ValueDiff, shape: tuple[int, ...], dtype: str, complex_values: bool
) -> ValueDiff:
    """The figures ``value_diff`` computes for equal finite arrays, without computing them: most
    observations of a passing run are bit-identical, and judging was a fifth of a case's time."""
    first = [0] * len(shape)  # _index(0, shape), without NumPy's unravel_index
    diff.max_tolerance_ratio = 0.0
    diff.max_abs_diff, diff.max_abs_index = 0.0, first
    diff.max_rel_diff, diff.max_rel_index = 0.0, first
    if not complex_values and (dtype in FLOAT_BITS or dtype == "bfloat16"):
        diff.max_ulp, diff.max_ulp_index = 0, first
    return diff


def _finite(values: np.ndarray) -> bool:
    """Whether ``values`` are numbers none of which is a NaN or an infinity."""
    kind = values.dtype.kind
    return kind in "biu" or (kind in "fc" and bool(np.isfinite(values).all()))


def _fmt_index(index: list[int] | None) -> str:
    if index is None:
        return "?"
    return "(" + ", ".join(str(i) for i in index) + ("," if len(index) == 1 else "") + ")"


def _number(value: float | None) -> str:
    if value is None:
        return "nan"
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def describe_values(diff: ValueDiff, expected: np.ndarray, actual: np.ndarray) -> str:
    """The body of an assert_close failure for ``diff`` (plus ULP and NaN/inf lines)."""
    exact = diff.rtol == 0 and diff.atol == 0
    allowed_abs = "" if exact else f" (up to {diff.atol!r} allowed)"
    allowed_rel = "" if exact else f" (up to {diff.rtol!r} allowed)"
    lines: list[str]
    if expected.ndim == 0:
        lines = [
            f"Scalars are not {'equal' if exact else 'close'}!",
            "",
            f"Expected {expected.item()!r} but got {actual.item()!r}.",
            f"Absolute difference: {_number(diff.max_abs_diff)}{allowed_abs}",
            f"Relative difference: {_number(diff.max_rel_diff)}{allowed_rel}",
        ]
    else:
        lines = [
            f"Tensor-likes are not {'equal' if exact else 'close'}!",
            "",
            f"Mismatched elements: {diff.mismatched} / {diff.numel} "
            f"({100 * diff.mismatched_fraction:.1f}%)",
            f"Greatest absolute difference: {_number(diff.max_abs_diff)} at index "
            f"{_fmt_index(diff.max_abs_index)}{allowed_abs}",
            f"Greatest relative difference: {_number(diff.max_rel_diff)} at index "
            f"{_fmt_index(diff.max_rel_index)}{allowed_rel}",
        ]
    if diff.max_ulp is not None:
        where = "" if expected.ndim == 0 else f" at index {_fmt_index(diff.max_ulp_index)}"
        lines.append(f"Greatest ULP distance: {diff.max_ulp}{where}")
    if diff.nan_mismatched:
        lines.append(
            f"NaN placement differs at {diff.nan_mismatched} position(s), first at index "
            f"{_fmt_index(diff.first_nan_mismatch_index)}"
        )
    if diff.inf_mismatched:
        lines.append(
            f"Infinity placement differs at {diff.inf_mismatched} position(s), first at index "
            f"{_fmt_index(diff.first_inf_mismatch_index)}"
        )
    return "\n".join(lines)


# -- observations ------------------------------------------------------------------------


def _attribute(name: str, expected: Any, actual: Any) -> str:
    return f"The values for attribute '{name}' do not match: {expected} != {actual}."


def _same_reading(baseline: TensorObservation, candidate: TensorObservation) -> bool:
    """Whether two tensor observations read exactly alike (every attribute, the same bits), so
    one summary stands for both: most observations of a passing run do."""
    return (
        baseline.values.dtype == candidate.values.dtype
        and baseline.shape == candidate.shape
        and (baseline.kind, baseline.container, baseline.dtype, baseline.skipped)
        == (candidate.kind, candidate.container, candidate.dtype, candidate.skipped)
        and (baseline.requires_grad, baseline.is_leaf, baseline.grad_fn)
        == (candidate.requires_grad, candidate.is_leaf, candidate.grad_fn)
        and baseline.values.tobytes() == candidate.values.tobytes()
    )


#: The attributes of two tensor observations compared exactly, in the order reported.
_ATTRIBUTES = ("container", "shape", "dtype", "requires_grad", "is_leaf", "grad_fn")


def compare_tensors(
    baseline: TensorObservation, candidate: TensorObservation, rtol: float, atol: float
) -> ObservationComparison:
    """Shape, dtype, container and flags exactly; values within (rtol, atol)."""
    same = _same_reading(baseline, candidate)
    summary = baseline.summary()
    result = ObservationComparison(
        baseline.name,
        MATCH,
        "tensor",
        baseline=summary,
        candidate=summary if same else candidate.summary(),
    )
    lines: list[str] = []
    unread = frozenset(baseline.skipped).union(candidate.skipped)
    if unread or not same:  # a reading exactly alike has every attribute equal
        for attribute in _ATTRIBUTES:
            if attribute in unread:
                result.skipped.append(attribute)
                continue
            want, got = getattr(baseline, attribute), getattr(candidate, attribute)
            if want != got:
                result.reasons.append(attribute)
                lines.append(_attribute(attribute, want, got))
    if "values" in unread:
        result.skipped.append("values")
    elif baseline.shape == candidate.shape:
        expected = baseline.values
        actual = candidate.values
        result.diff = value_diff(expected, actual, baseline.dtype, rtol, atol, alike=same)
        if result.diff.mismatched:
            result.reasons.append("values")
            lines.append(describe_values(result.diff, expected, actual))
    if result.reasons:
        result.status = MISMATCH
        result.message = "\n".join(lines)
    return result


def _compare_floats(
    baseline: ValueObservation, candidate: ValueObservation, rtol: float, atol: float
) -> ObservationComparison:
    result = ObservationComparison(
        baseline.name, MATCH, "value", baseline=baseline.summary(), candidate=candidate.summary()
    )
    expected = np.asarray(baseline.value, dtype=np.float64)
    actual = np.asarray(candidate.value, dtype=np.float64)
    result.diff = value_diff(expected, actual, "float64", rtol, atol)
    if result.diff.mismatched:
        result.status = MISMATCH
        result.reasons.append("values")
        result.message = describe_values(result.diff, expected, actual)
    return result


def _as_raised(observation: RaisedObservation, unwrap: bool) -> tuple[str, str]:
    if unwrap and observation.cause_type is not None:
        return observation.cause_type, observation.cause_message or ""
    return observation.type_name, observation.message


def compare_raised(
    baseline: RaisedObservation, candidate: RaisedObservation, unwrap_errors: bool = False
) -> ObservationComparison:
    """Same exception type, and (reported apart) the same normalised message.

    With ``unwrap_errors`` a wrapper exception (Dynamo's) is compared as the error it wraps.
    """
    summary = baseline.summary()
    result = ObservationComparison(
        baseline.name,
        MATCH,
        "raised",
        baseline=summary,
        candidate=summary if _same_raise(baseline, candidate) else candidate.summary(),
    )
    lines = []
    want_type, want_message = _as_raised(baseline, unwrap_errors)
    got_type, got_message = _as_raised(candidate, unwrap_errors)
    if want_type != got_type:
        result.reasons.append("type")
        lines.append(f"Exception types differ: {want_type} != {got_type}.")
    if want_message == got_message:  # equal texts normalise alike
        want = got = want_message
    else:
        want, got = normalise_message(want_message), normalise_message(got_message)
    if want != got:
        result.reasons.append("message")
        want, got = clip_text(repr(want)), clip_text(repr(got))
        lines.append(f"Exception messages differ:\n  expected: {want}\n  actual:   {got}")
    if result.reasons:
        result.status = MISMATCH
        result.message = "\n".join(lines)
    return result


def _same_raise(baseline: RaisedObservation, candidate: RaisedObservation) -> bool:
    """Whether two exception observations are alike in everything their summaries show."""
    return (
        baseline.type_name,
        baseline.message,
        baseline.not_implemented,
        baseline.cause_type,
        baseline.cause_message,
        baseline.traceback,
    ) == (
        candidate.type_name,
        candidate.message,
        candidate.not_implemented,
        candidate.cause_type,
        candidate.cause_message,
        candidate.traceback,
    )


def _describe(observation: Observation) -> str:
    if isinstance(observation, TensorObservation):
        return f"{observation.container} {observation.dtype}{list(observation.shape)}"
    if isinstance(observation, RaisedObservation):
        return f"raised {observation.type_name}: {clip_text(observation.message)}"
    if isinstance(observation, ValueObservation):
        return f"{observation.type_name} {clip_text(repr(_plain(observation.value)))}"
    return f"unreadable {observation.type_name} ({clip_text(observation.error)})"


def _one_sided(
    name: str, baseline: Observation | None, candidate: Observation | None
) -> ObservationComparison:
    """An observation only one side has."""
    if candidate is None:
        assert baseline is not None
        return ObservationComparison(
            name,
            MISSING,
            baseline.kind,
            ["missing"],
            f"Observation missing on the candidate (baseline: {_describe(baseline)}).",
            baseline=baseline.summary(),
        )
    return ObservationComparison(
        name,
        EXTRA,
        candidate.kind,
        ["extra"],
        f"Observation only on the candidate ({_describe(candidate)}).",
        candidate=candidate.summary(),
    )


def _compare_plain(
    baseline: ValueObservation, candidate: ValueObservation
) -> ObservationComparison:
    """Two plain values of one type other than float: equal or not (equal ones share one
    summary, and no message is written for them)."""
    summary = baseline.summary()
    if baseline.value == candidate.value:
        return ObservationComparison(
            baseline.name, MATCH, "value", [], "", baseline=summary, candidate=summary
        )
    want, got = clip_text(repr(baseline.value)), clip_text(repr(candidate.value))
    return ObservationComparison(
        baseline.name,
        MISMATCH,
        "value",
        ["value"],
        f"Values differ: {want} != {got}.",
        baseline=summary,
        candidate=candidate.summary(),
    )


def _compare_unobservable(
    baseline: UnobservableObservation, candidate: UnobservableObservation
) -> ObservationComparison:
    """Two values neither side could read: the same failure to read, or not."""
    same = (baseline.type_name, baseline.error) == (candidate.type_name, candidate.error)
    want, got = clip_text(baseline.error), clip_text(candidate.error)
    return ObservationComparison(
        baseline.name,
        MATCH if same else MISMATCH,
        "unobservable",
        [] if same else ["unobservable"],
        "" if same else f"Both unreadable, differently: {want} != {got}",
        baseline=baseline.summary(),
        candidate=candidate.summary(),
    )


def _other_kinds(baseline: Observation, candidate: Observation) -> ObservationComparison:
    return ObservationComparison(
        baseline.name,
        MISMATCH,
        baseline.kind,
        ["kind"],
        f"Different kinds of observation: expected {_describe(baseline)}, "
        f"got {_describe(candidate)}.",
        baseline=baseline.summary(),
        candidate=candidate.summary(),
    )


def compare_observations(
    name: str,
    baseline: Observation | None,
    candidate: Observation | None,
    rtol: float = 0.0,
    atol: float = 0.0,
    unwrap_errors: bool = False,
) -> ObservationComparison:
    """Compare one observation pair; ``None`` on a side means that side lacks it.

    ``rtol``/``atol`` are the tolerances already resolved for this observation's dtype;
    ``unwrap_errors`` compares wrapper exceptions as what they wrap (a comparison policy's).
    """
    if baseline is None and candidate is None:
        raise ValueError(f"{name}: nothing to compare")
    if baseline is None or candidate is None:
        return _one_sided(name, baseline, candidate)
    if isinstance(baseline, TensorObservation) and isinstance(candidate, TensorObservation):
        return compare_tensors(baseline, candidate, rtol, atol)
    if isinstance(baseline, RaisedObservation) and isinstance(candidate, RaisedObservation):
        return compare_raised(baseline, candidate, unwrap_errors)
    if isinstance(baseline, ValueObservation) and isinstance(candidate, ValueObservation):
        if baseline.type_name != candidate.type_name:
            return _other_kinds(baseline, candidate)
        if baseline.type_name in ("float", "complex"):
            return _compare_floats(baseline, candidate, rtol, atol)
        return _compare_plain(baseline, candidate)
    if isinstance(baseline, UnobservableObservation) and isinstance(
        candidate, UnobservableObservation
    ):
        return _compare_unobservable(baseline, candidate)
    return _other_kinds(baseline, candidate)
