"""The Tensor method table: operators, methods and their in-place ``op_`` forms.

Kept apart from ``_tensor.py`` so the Tensor class stays about state; every method here is a
thin call into ``_functions`` or an op class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _dtype as dt
from . import _functions as F
from . import _inplace_views
from ._layout import CONTIGUOUS, contiguous_format, layout_for
from ._ops import indexing
from ._ops import pointwise as pw
from ._ops.base import as_tensor_arg
from ._tensor import Tensor
from ._unsupported import UnsupportedOp


def _swap(fn: Any) -> Any:
    def reflected(self: Tensor, other: Any) -> Tensor:
        return fn(as_tensor_arg(other), self)

    return reflected


def _binary_operand(fn: Any) -> Any:
    fn = getattr(fn, "without_out", fn)  # an operator never passes out=: skip that wrapper

    def op(self: Tensor, other: Any) -> Any:
        if not isinstance(other, (Tensor, int, float, bool, np.number, np.bool_)):
            return NotImplemented
        return fn(self, other)

    return op


def _rtruediv(self: Tensor, other: Any) -> Tensor:
    return F.mul(F.reciprocal(self), other)


def _rpow(self: Tensor, other: Any) -> Tensor:
    return F.pow(other, self)


def _inplace(cls: Any, *, scalar_param: str | None = None) -> Any:
    """``op_``: the same op class, run with ``invoke_inplace``."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if scalar_param is not None:
            return cls.invoke_inplace(self, **{scalar_param: args[0]}, **kwargs)
        return cls.invoke_inplace(self, *(as_tensor_arg(a) for a in args), **kwargs)

    return method


def _add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return pw.AddBackward0.invoke_inplace(self, as_tensor_arg(other), alpha=alpha)


def _sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return pw.SubBackward0.invoke_inplace(self, as_tensor_arg(other), alpha=alpha)


def _pow_(self: Tensor, exponent: Any) -> Tensor:
    if isinstance(exponent, Tensor):
        return pw.PowBackward1.invoke_inplace(self, exponent)
    return pw.PowBackward0.invoke_inplace(self, exponent=exponent)


def _clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    return pw.ClampBackward1.invoke_inplace(self, min=min, max=max)


def _fill_(self: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return pw.FillBackward3.invoke_inplace(self, value)
    return pw.FillBackward2.invoke_inplace(self, value=value)


def _copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    return pw.CopyBackwards.invoke_inplace(self, as_tensor_arg(src))


def _zero_(self: Tensor) -> Tensor:
    return pw.ZeroBackward0.invoke_inplace(self)


def _masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):  # the value's gradient: the filled positions' sum
        return pw.MaskedFillBackward1.invoke_inplace(self, value, mask=mask)
    return pw.MaskedFillBackward0.invoke_inplace(self, mask=mask, value=F._fill_value(value))


def _index_put_(self: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    return indexing.index_put(self, indices, values, accumulate, inplace=True)


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(other)``: a no-op (same object) when nothing changes."""
    dtype = kwargs.get("dtype")
    flags = [kwargs.get("non_blocking", False), kwargs.get("copy", False)]
    given = 0
    for a in args:
        if isinstance(a, dt.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) and a not in ("cpu",):
            raise NotImplementedError(f"to(device={a!r})")
        elif isinstance(a, bool) and given < 2:  # torch's positional (non_blocking, copy)
            flags[given] = a
            given += 1
    # A memory format other than the tensor's own (contiguous here) makes a copy too.
    layout = kwargs.get("memory_format")
    relayout = layout is not None and str(layout).rsplit(".", 1)[-1] not in (
        "preserve_format",
        "contiguous_format",
    )
    if not flags[1] and not relayout and (dtype is None or dtype is self.dtype):
        return self
    return pw.ToCopyBackward0.invoke(self, dtype=dtype or self.dtype)


def _convert(target: dt.dtype) -> Any:
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return _to(self, target)

    return method


def _max(self: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    return F.max(self, dim, keepdim)


def _min(self: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    return F.min(self, dim, keepdim)


def _new_tensor_factory(fill: Any) -> Any:
    def method(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        shape = F._shape_args(size)
        out = Tensor._from_array(fill(shape, dtype=(dtype or self.dtype).numpy))
        return out.requires_grad_(requires_grad) if requires_grad else out

    return method


def _new_tensor(self: Tensor, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    from ._factories import tensor

    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    if memory_format is not None and layout_for(memory_format) != CONTIGUOUS:
        raise UnsupportedOp(f"Tensor.contiguous(memory_format={memory_format!r})")
    return self if self.is_contiguous() else F.clone(self, memory_format=contiguous_format)


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    return F.view(self, *other.shape)


def _expand_as(self: Tensor, other: Tensor) -> Tensor:
    return F.expand(self, *other.shape)


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    return _to(self, other.dtype)


_T_WARNING = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
    "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
    "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
    "tensor. (Triggered internally at /pytorch/aten/src/ATen/native/TensorShape.cpp:4546.)"
)


def _T(self: Tensor) -> Tensor:  # noqa: N802
    if self.ndim != 2:
        import warnings

        warnings.warn(_T_WARNING, UserWarning, stacklevel=2)
    return F.permute(self, *reversed(range(self.ndim)))


def _mT(self: Tensor) -> Tensor:  # noqa: N802
    return F.transpose(self, -2, -1)


def _getitem(self: Tensor, key: Any) -> Tensor:
    if self.ndim == 0 and key is not None and key is not Ellipsis:
        raise IndexError(
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
            "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
        )
    if key is Ellipsis:
        from ._ops.views import AliasBackward0

        return AliasBackward0.invoke(self)
    return indexing.getitem(self, key)


def _nn_functional() -> Any:
    from .nn import functional

    return functional


def _missing_method(self: Tensor, name: str) -> Any:
    """Unknown public methods are a named gap (UnsupportedOp), never a silent difference."""
    if name.startswith("_"):
        raise AttributeError(f"'Tensor' object has no attribute '{name}'")
    raise UnsupportedOp(f"Tensor.{name}")


def _iop(method_name: str) -> Any:
    def iop(self: Tensor, other: Any) -> Tensor:
        return getattr(self, method_name)(other)

    return iop


METHODS: dict[str, Any] = {
    # operators
    "__add__": _binary_operand(F.add),
    # torch computes 2 + x and 2 * x as x.add(2) / x.mul(2): the tensor stays input 0.
    "__radd__": _binary_operand(F.add),
    "__sub__": _binary_operand(F.sub),
    "__rsub__": _binary_operand(lambda self, other: F.rsub(self, other)),
    "__mul__": _binary_operand(F.mul),
    "__rmul__": _binary_operand(F.mul),
    "__truediv__": _binary_operand(F.div),
    "__floordiv__": _binary_operand(F.floor_divide),
    "__rfloordiv__": _binary_operand(
        lambda self, other: F.floor_divide(as_tensor_arg(other), self)
    ),
    "__rtruediv__": _binary_operand(_rtruediv),
    "__pow__": _binary_operand(F.pow),
    "__rpow__": _binary_operand(_rpow),
    "__matmul__": F.matmul,
    "__rmatmul__": _swap(F.matmul),
    "__neg__": F.neg,
    "__pos__": lambda self: self,
    "__abs__": F.abs,
    "__eq__": _binary_operand(F.eq),
    "__ne__": _binary_operand(F.ne),
    "__lt__": _binary_operand(F.lt),
    "__le__": _binary_operand(F.le),
    "__gt__": _binary_operand(F.gt),
    "__ge__": _binary_operand(F.ge),
    "__invert__": F.logical_not,
    "__and__": lambda self, other: Tensor._from_array(self._data & as_tensor_arg(other)._data),
    "__or__": lambda self, other: Tensor._from_array(self._data | as_tensor_arg(other)._data),
    "__getitem__": _getitem,
    "__setitem__": indexing.setitem,
    "__iadd__": _iop("add_"),
    "__isub__": _iop("sub_"),
    "__imul__": _iop("mul_"),
    "__itruediv__": _iop("div_"),
    "__ipow__": _iop("pow_"),
    # out-of-place methods
    "add": F.add,
    "sub": F.sub,
    "mul": F.mul,
    "div": F.div,
    "pow": F.pow,
    "neg": F.neg,
    "subtract": F.sub,
    "multiply": F.mul,
    "divide": F.div,
    "true_divide": F.div,
    "square": F.square,
    "maximum": F.maximum,
    "minimum": F.minimum,
    "exp": F.exp,
    "log": F.log,
    "sqrt": F.sqrt,
    "rsqrt": F.rsqrt,
    "abs": F.abs,
    "reciprocal": F.reciprocal,
    "sign": F.sign,
    "sin": F.sin,
    "cos": F.cos,
    "tanh": F.tanh,
    "sigmoid": F.sigmoid,
    "relu": F.relu,
    "clamp": F.clamp,
    "clip": F.clamp,
    "clamp_min": F.clamp_min,
    "clamp_max": F.clamp_max,
    "where": lambda self, c, o: F.where(c, self, o),
    "clone": lambda self, memory_format=None: F.clone(self, memory_format=memory_format),
    "sum": F.sum,
    "mean": F.mean,
    "max": _max,
    "min": _min,
    "amax": F.amax,
    "amin": F.amin,
    "argmax": F.argmax,
    "argmin": F.argmin,
    "prod": F.prod,
    "norm": F.norm,
    "var": F.var,
    "std": F.std,
    "logsumexp": F.logsumexp,
    "cumsum": F.cumsum,
    "floor_divide": F.floor_divide,
    "mm": F.mm,
    "mv": F.mv,
    "dot": F.dot,
    "bmm": F.bmm,
    "matmul": F.matmul,
    "outer": F.outer,
    "view": F.view,
    "reshape": F.reshape,
    "flatten": F.flatten,
    "squeeze": F.squeeze,
    "unsqueeze": F.unsqueeze,
    "transpose": F.transpose,
    "swapaxes": F.transpose,
    "t": F.t,
    "permute": F.permute,
    "expand": F.expand,
    "select": F.select,
    "narrow": F.narrow,
    "unbind": F.unbind,
    "split": F.split,
    "chunk": F.chunk,
    "softmax": lambda self, dim, dtype=None: _nn_functional().softmax(self, dim, dtype=dtype),
    "log_softmax": lambda self, dim, dtype=None: _nn_functional().log_softmax(
        self, dim, dtype=dtype
    ),
    "index_put": F.index_put,
    "masked_fill": F.masked_fill,
    "view_as": _view_as,
    "expand_as": _expand_as,
    "reshape_as": lambda s, o: F.reshape(s, *o.shape),
    "contiguous": _contiguous,
    "to": _to,
    "type_as": _type_as,
    "float": _convert(dt.float32),
    "double": _convert(dt.float64),
    "half": _convert(dt.float16),
    "long": _convert(dt.int64),
    "int": _convert(dt.int32),
    "bool": _convert(dt.bool),
    "cpu": lambda self: self,
    "eq": F.eq,
    "ne": F.ne,
    "lt": F.lt,
    "le": F.le,
    "gt": F.gt,
    "ge": F.ge,
    "equal": F.equal,
    "allclose": F.allclose,
    "isclose": F.isclose,
    "isnan": F.isnan,
    "isinf": F.isinf,
    "all": F.all_,
    "any": F.any_,
    "t_": _inplace_views.t_,
    "transpose_": _inplace_views.transpose_,
    "as_strided_": _inplace_views.as_strided_,
    "unsqueeze_": _inplace_views.unsqueeze_,
    "squeeze_": _inplace_views.squeeze_,
    "logical_not": F.logical_not,
    "new_zeros": _new_tensor_factory(np.zeros),
    "new_ones": _new_tensor_factory(np.ones),
    "new_empty": _new_tensor_factory(np.zeros),
    "new_tensor": _new_tensor,
    # in-place
    "add_": _add_,
    "sub_": _sub_,
    "mul_": _inplace(pw.MulBackward0),
    "div_": _inplace(pw.DivBackward0),
    "pow_": _pow_,
    "neg_": _inplace(pw.NegBackward0),
    "exp_": _inplace(pw.ExpBackward0),
    "log_": _inplace(pw.LogBackward0),
    "sqrt_": _inplace(pw.SqrtBackward0),
    "abs_": _inplace(pw.AbsBackward0),
    "sin_": _inplace(pw.SinBackward0),
    "cos_": _inplace(pw.CosBackward0),
    "tanh_": _inplace(pw.TanhBackward0),
    "sigmoid_": _inplace(pw.SigmoidBackward0),
    "relu_": _inplace(pw.ReluBackward0),
    "reciprocal_": _inplace(pw.ReciprocalBackward0),
    "clamp_": _clamp_,
    "clip_": _clamp_,
    "clamp_min_": _inplace(pw.ClampMinBackward0, scalar_param="min"),
    "clamp_max_": _inplace(pw.ClampMaxBackward0, scalar_param="max"),
    "fill_": _fill_,
    "zero_": _zero_,
    "copy_": _copy_,
    "masked_fill_": _masked_fill_,
    "index_put_": _index_put_,
}

METHODS.update({name: getattr(F, name) for name in F.SELF_FIRST_METHODS})
METHODS.update(
    {
        "polygamma": lambda self, n: F.polygamma(n, self),
        "__mod__": _binary_operand(F.remainder),
        "__rmod__": _binary_operand(lambda self, other: F.remainder(as_tensor_arg(other), self)),
        "__rdiv__": _binary_operand(_rtruediv),
    }
)


def _H(self: Tensor) -> Tensor:  # noqa: N802 - conjugate transpose of a real matrix
    if self.ndim > 2:
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors).")
    return F.t(self)


def _sum_to_size(self: Tensor, *size: Any) -> Tensor:
    from ._ops.base import unbroadcast

    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if not shape:  # torch's sum_to: to () is a full sum, even of a 0-d tensor
        return self.sum()
    return unbroadcast(self, tuple(int(n) for n in shape))


METHODS.update({"sum_to_size": _sum_to_size, "float_power": F.float_power})

PROPERTIES: dict[str, Any] = {"T": _T, "mT": _mT, "H": _H, "mH": _mT}


def install() -> None:
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in PROPERTIES.items():
        setattr(Tensor, name, property(fn))
