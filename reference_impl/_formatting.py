"""Torch-identical text for tensors, in pure NumPy.

Programs written for torch print tensors, and the reference engine must print the very same
text, so this module is a line-by-line port of ``torch/_tensor_str.py`` (torch 2.13) under the
default print options (precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode None).
The structure (``_Formatter``, ``_tensor_str_with_formatter``, ``_vector_str``,
``_summarized_data``, ``_add_suffixes``) mirrors torch's so that quirks carry over unchanged:

* the column width ignores zeros and non-finite values, so in integer or fixed mode ``nan`` and
  ``inf`` can be wider than the column and break alignment: ``tensor([1., nan, -inf])``;
* the scientific-notation test runs on the stored values, so float32 ``1e-4`` (which is
  ``9.99999974e-05``) prints in scientific mode while float64 ``1e-4`` prints ``0.0001``;
* a summarised tensor (more than 1000 elements) is formatted from the elided corner elements
  only, so an extreme value hidden behind ``...`` does not change the width or mode;
* the suffix check over-counts the last line by two characters, so a suffix that would end
  the line exactly at column 80 still moves to its own line.

Only NumPy is imported; torch is never needed to produce the text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["format_tensor", "format_tensor_str"]

# torch's PRINT_OPTS at their defaults (``torch.set_printoptions(profile="default")``).
_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80

# The NumPy storage type for each torch dtype we can hold exactly; values are cast to it so the
# formatter sees what torch would have stored (bfloat16/float8 have no NumPy twin and are taken
# as given, already rounded by the caller).
_NUMPY_DTYPES: dict[str, np.dtype] = {
    "torch.float16": np.dtype(np.float16),
    "torch.float32": np.dtype(np.float32),
    "torch.float64": np.dtype(np.float64),
    "torch.complex64": np.dtype(np.complex64),
    "torch.complex128": np.dtype(np.complex128),
    "torch.int8": np.dtype(np.int8),
    "torch.int16": np.dtype(np.int16),
    "torch.int32": np.dtype(np.int32),
    "torch.int64": np.dtype(np.int64),
    "torch.uint8": np.dtype(np.uint8),
    "torch.uint16": np.dtype(np.uint16),
    "torch.uint32": np.dtype(np.uint32),
    "torch.uint64": np.dtype(np.uint64),
    "torch.bool": np.dtype(np.bool_),
}


def _is_floating(dtype_name: str) -> bool:
    """Mirror ``torch.dtype.is_floating_point`` from the dtype's canonical string."""
    return dtype_name.startswith(("torch.float", "torch.bfloat"))


def _is_complex(dtype_name: str) -> bool:
    """Mirror ``torch.dtype.is_complex`` from the dtype's canonical string."""
    return dtype_name.startswith("torch.complex")


class _Formatter:
    """Port of torch's ``_Formatter``: picks int/fixed/scientific mode and one column width."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = values.reshape(-1)
        if not self.floating_dtype:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            # No valid number: keep int mode, width 1 (zeros still print as "0.").
            return

        # torch takes abs in the tensor's dtype, then converts to double for the ratios.
        nonzero_finite_abs = np.abs(nonzero_finite).astype(np.float64)
        nonzero_finite_min = float(nonzero_finite_abs.min())
        nonzero_finite_max = float(nonzero_finite_abs.max())

        self.int_mode = not bool(np.any(nonzero_finite != np.ceil(nonzero_finite)))
        self.sci_mode = (
            nonzero_finite_max / nonzero_finite_min > 1000.0
            or nonzero_finite_max > 1.0e8
            or nonzero_finite_min < 1.0e-4
        )

        as_python = nonzero_finite.tolist()
        if self.sci_mode:
            widths = (len(f"{value:.{_PRECISION}e}") for value in as_python)
        elif self.int_mode:
            # One more for the "." that marks an integer-valued float.
            widths = (len(f"{value:.0f}") + 1 for value in as_python)
        else:
            widths = (len(f"{value:.{_PRECISION}f}") for value in as_python)
        self.max_width = max(self.max_width, *widths)

    def width(self) -> int:
        """The column width every element is right-aligned to."""
        return self.max_width

    def format(self, value: float | int | bool) -> str:
        """One element, right-aligned to the column width (never truncated)."""
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{_PRECISION}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{_PRECISION}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _format_value(value: object, formatter1: _Formatter, formatter2: _Formatter | None) -> str:
    """One element; complex values join real and imaginary parts as torch does."""
    if formatter2 is None:
        return formatter1.format(value)  # type: ignore[arg-type]
    assert isinstance(value, complex)
    real_str = formatter1.format(value.real)
    imag_str = (formatter2.format(value.imag) + "j").lstrip()
    # Handles negative numbers, +0.0 and -0.0.
    if imag_str[0] in "+-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _vector_str(
    values: np.ndarray,
    indent: int,
    summarize: bool,
    formatter1: _Formatter,
    formatter2: _Formatter | None,
) -> str:
    """Port of torch's ``_vector_str``: a 1-D row, wrapped to the line width."""
    # Length includes the space and comma between elements.
    element_length = formatter1.width() + 2
    if formatter2 is not None:
        # Width for the imaginary part plus its "j".
        element_length += formatter2.width() + 1

    elements_per_line = max(1, math.floor((_LINEWIDTH - indent) / element_length))

    def fmt(items: Sequence[object]) -> list[str]:
        return [_format_value(v, formatter1, formatter2) for v in items]

    if summarize and not _EDGEITEMS:
        data = ["..."]
    elif summarize and values.shape[0] > 2 * _EDGEITEMS:
        data = fmt(values[:_EDGEITEMS].tolist()) + [" ..."] + fmt(values[-_EDGEITEMS:].tolist())
    else:
        data = fmt(values.tolist())

    data_lines = [data[i : i + elements_per_line] for i in range(0, len(data), elements_per_line)]
    lines = [", ".join(line) for line in data_lines]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(
    values: np.ndarray,
    indent: int,
    summarize: bool,
    formatter1: _Formatter,
    formatter2: _Formatter | None = None,
) -> str:
    """Port of torch's ``_tensor_str_with_formatter``: nests rows, one blank line per extra dim."""
    dim = values.ndim

    if dim == 0:
        return _format_value(values.item(), formatter1, formatter2)

    if dim == 1:
        return _vector_str(values, indent, summarize, formatter1, formatter2)

    def sub(i: int) -> str:
        return _tensor_str_with_formatter(values[i], indent + 1, summarize, formatter1, formatter2)

    length = values.shape[0]
    if summarize and length > 2 * _EDGEITEMS:
        slices = (
            [sub(i) for i in range(_EDGEITEMS)]
            + ["..."]
            + [sub(i) for i in range(length - _EDGEITEMS, length)]
        )
    else:
        slices = [sub(i) for i in range(length)]

    tensor_str = ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices)
    return "[" + tensor_str + "]"


def _summarized_data(values: np.ndarray) -> np.ndarray:
    """Port of torch's ``get_summarized_data``: only the corner elements that will be shown."""
    dim = values.ndim
    if dim == 0:
        return values
    if dim == 1:
        if values.shape[0] > 2 * _EDGEITEMS:
            return np.concatenate((values[:_EDGEITEMS], values[-_EDGEITEMS:]))
        return values
    if not _EDGEITEMS:
        return np.empty([0] * dim, dtype=values.dtype)
    length = values.shape[0]
    if length > 2 * _EDGEITEMS:
        indices = [*range(_EDGEITEMS), *range(length - _EDGEITEMS, length)]
        return np.stack([_summarized_data(values[i]) for i in indices])
    return np.stack([_summarized_data(x) for x in values])


def _tensor_str(values: np.ndarray, indent: int, dtype_name: str) -> str:
    """Port of torch's ``_tensor_str``: the bracketed body, summarised past the threshold."""
    if values.size == 0:
        return "[]"

    summarize = values.size > _THRESHOLD
    shown = _summarized_data(values) if summarize else values

    if _is_complex(dtype_name):
        real_formatter = _Formatter(shown.real, floating=True)
        imag_formatter = _Formatter(shown.imag, floating=True)
        return _tensor_str_with_formatter(values, indent, summarize, real_formatter, imag_formatter)
    formatter = _Formatter(shown, floating=_is_floating(dtype_name))
    return _tensor_str_with_formatter(values, indent, summarize, formatter)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int, force_newline: bool) -> str:
    """Port of torch's ``_add_suffixes``, keeping its approximate last-line length."""
    tensor_strs = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > _LINEWIDTH:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


def format_tensor(
    values: np.ndarray,
    *,
    dtype_name: str,
    default_dtype_name: str = "torch.float32",
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    prefix: str = "tensor(",
) -> str:
    """The exact text torch's repr() gives for a CPU tensor with these values.

    ``dtype_name`` is torch's dtype string (``"torch.float32"``...) and ``values`` should hold
    that dtype's NumPy twin; values are cast to it when one exists, so the text reflects what
    torch would store. ``default_dtype_name`` plays ``torch.get_default_dtype()``, and
    ``prefix`` is ``"tensor("`` for plain tensors or ``"<SubclassName>("`` for subclasses.
    """
    values = np.asarray(values)
    storage = _NUMPY_DTYPES.get(dtype_name)
    if storage is not None and values.dtype != storage:
        values = values.astype(storage)

    indent = len(prefix)
    suffixes: list[str] = []

    default_complex = (
        "torch.complex128" if default_dtype_name == "torch.float64" else "torch.complex64"
    )
    has_default_dtype = dtype_name in (
        default_dtype_name,
        default_complex,
        "torch.int64",
        "torch.bool",
    )

    if values.size == 0:
        # Explicitly print the shape if it is not (0,), to match NumPy behaviour.
        if values.ndim != 1:
            suffixes.append("size=" + str(tuple(int(d) for d in values.shape)))
        # With no elements to show the kind, every non-default dtype (int64 too) is printed.
        if dtype_name != default_dtype_name:
            suffixes.append("dtype=" + dtype_name)
        tensor_str = "[]"
    else:
        if not _EDGEITEMS:
            suffixes.append("size=" + str(tuple(int(d) for d in values.shape)))
        if not has_default_dtype:
            suffixes.append("dtype=" + dtype_name)
        tensor_str = _tensor_str(values, indent, dtype_name)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)


def format_tensor_str(
    values: np.ndarray,
    *,
    dtype_name: str,
    default_dtype_name: str = "torch.float32",
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    prefix: str = "tensor(",
) -> str:
    """The text torch's str() gives; torch.Tensor has no __str__, so it is the repr() text."""
    return format_tensor(
        values,
        dtype_name=dtype_name,
        default_dtype_name=default_dtype_name,
        requires_grad=requires_grad,
        grad_fn_name=grad_fn_name,
        prefix=prefix,
    )
