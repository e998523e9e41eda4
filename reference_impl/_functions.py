"""The ``torch.*`` functions: argument handling as torch's signatures, then one op class each.

Scalars are wrapped as torch wraps them; the choice between node classes that torch makes
(``sum()`` vs ``sum(dim)``, ``x ** 2`` vs ``x ** y`` vs ``2 ** x``) is made here.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import _dtype as dt
from ._layout import ITERATOR, lay_out, layout_for
from ._ops import binary_math as bm
from ._ops import gather_scatter as gs
from ._ops import indexing, joining, linalg
from ._ops import ordering as od
from ._ops import pointwise as pw
from ._ops import reductions as red
from ._ops import shape_ops as so
from ._ops import special as sp
from ._ops import views as vw
from ._ops.base import as_tensor_arg
from ._tensor import Tensor, _wrap_dim


def _t(x: Any) -> Tensor:
    return as_tensor_arg(x)


# -- out= ------------------------------------------------------------------------------------


def _with_out(fn: Any) -> Any:
    """torch's ``out=`` contract: refused under autograd, else one write (one version bump)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        if out is None:
            return fn(*args, **kwargs)
        from ._grad_mode import is_grad_enabled, no_grad

        if is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args):
            raise RuntimeError(
                f"{fn.__name__}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad."
            )
        with no_grad():
            result = fn(*args, **kwargs)
        if tuple(out.shape) != tuple(result.shape):
            out._data = np.empty(result._data.shape, dtype=out._data.dtype)
        out._data[...] = result._data
        out._version_counter.bump()
        return out

    # Operators never pass out=: ``_methods`` calls the bare function (an explicit attribute,
    # not ``__wrapped__``, which any functools.wraps decorator would set).
    wrapper.without_out = fn  # type: ignore[attr-defined]
    return wrapper


# -- arithmetic ------------------------------------------------------------------------------


@_with_out
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    return pw.AddBackward0.invoke(_t(input), _t(other), alpha=alpha)


@_with_out
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    a = _t(input)
    if a.dtype is dt.bool and _t(other).dtype is dt.bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    return pw.SubBackward0.invoke(a, _t(other), alpha=alpha)


subtract = sub


def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    if isinstance(other, Tensor):
        return pw.RsubBackward0.invoke(input, other, alpha=alpha)
    return pw.RsubBackward1.invoke(input, other=other, alpha=alpha)


@_with_out
def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return pw.MulBackward0.invoke(_t(input), _t(other))


multiply = mul


@_with_out
def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        return pw.DivBackward2.invoke(_t(input), _t(other), rounding_mode=rounding_mode)
    return pw.DivBackward0.invoke(_t(input), _t(other))


divide = true_divide = div


def floor_divide(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    if isinstance(other, Tensor):
        return pw.NotImplemented.invoke(input, other)
    return pw.NotImplemented.invoke(input, other=other)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    return red.CumsumBackward0.invoke(input, dim=_wrap_dim(dim, input.ndim), dtype=dtype)


def neg(input: Tensor) -> Tensor:  # noqa: A002
    return pw.NegBackward0.invoke(input)


negative = neg


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    if isinstance(input, Tensor) and isinstance(exponent, Tensor):
        if exponent.ndim == 0 and exponent._wrapped_number:
            return pw.PowBackward0.invoke(input, exponent=exponent.item())
        return pw.PowBackward1.invoke(input, exponent)
    if isinstance(input, Tensor):
        return pw.PowBackward0.invoke(input, exponent=exponent)
    return pw.PowBackward2.invoke(_t(exponent), base=input)


def square(input: Tensor) -> Tensor:  # noqa: A002
    return pow(input, 2)


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return pw.MaximumBackward0.invoke(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return pw.MinimumBackward0.invoke(input, other)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    if input is None and other is None:
        return tuple(Tensor._from_array(i) for i in np.nonzero(condition._data))
    cond = condition._data
    if cond.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{dt.from_numpy_dtype(cond.dtype).scalar_name}"
        )
    return pw.WhereBackward0.invoke(_t(input), _t(other), condition=condition)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = _t(min) if min is not None else _t(0.0)
        hi = _t(max) if max is not None else _t(0.0)
        return pw.ClampBackward0.invoke(
            input, lo, hi, has_min=min is not None, has_max=max is not None
        )
    return pw.ClampBackward1.invoke(input, min=min, max=max)


clip = clamp


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    if isinstance(min, Tensor):
        return pw.ClampMinBackward1.invoke(input, min)
    return pw.ClampMinBackward0.invoke(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    if isinstance(max, Tensor):
        return pw.ClampMaxBackward1.invoke(input, max)
    return pw.ClampMaxBackward0.invoke(input, max=max)


def _unary(cls: Any) -> Any:
    def fn(input: Tensor) -> Tensor:  # noqa: A002
        return cls.invoke(input)

    return fn


exp = _unary(pw.ExpBackward0)
log = _unary(pw.LogBackward0)
sqrt = _unary(pw.SqrtBackward0)
rsqrt = _unary(pw.RsqrtBackward0)
reciprocal = _unary(pw.ReciprocalBackward0)
abs = _unary(pw.AbsBackward0)  # noqa: A001
sign = _unary(pw.SignBackward0)
sin = _unary(pw.SinBackward0)
cos = _unary(pw.CosBackward0)
tanh = _unary(pw.TanhBackward0)
sigmoid = _unary(pw.SigmoidBackward0)
relu = _unary(pw.ReluBackward0)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """A copy with history; in self's layout unless ``memory_format`` says contiguous."""
    return pw.CloneBackward0.invoke(input, memory_format=layout_for(memory_format))


# -- reductions ------------------------------------------------------------------------------


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001, A002
    if dim is None:
        return red.SumBackward0.invoke(input, dtype=dtype)
    return red.SumBackward1.invoke(input, dim=dim, keepdim=keepdim, dtype=dtype)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        return red.MeanBackward0.invoke(input, dtype=dtype)
    return red.MeanBackward1.invoke(input, dim=dim, keepdim=keepdim, dtype=dtype)


def _extremum(
    full: Any,
    along: Any,
    pairwise: Any,
    result: Any,
    input: Tensor,  # noqa: A002
    dim: Any,
    keepdim: bool,
) -> Any:
    if isinstance(dim, Tensor):
        return pairwise(input, dim)
    if dim is None:
        return full.invoke(input)
    values, indices = along.invoke(input, dim=dim, keepdim=keepdim)
    return result(values, indices)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    return _extremum(
        red.MaxBackward1, red.MaxBackward0, maximum, red.MaxResult, input, dim, keepdim
    )


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    return _extremum(
        red.MinBackward1, red.MinBackward0, minimum, red.MinResult, input, dim, keepdim
    )


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    return red.AmaxBackward0.invoke(input, dim=dim, keepdim=keepdim)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    return red.AminBackward0.invoke(input, dim=dim, keepdim=keepdim)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    if dim is None:
        return Tensor._from_array(np.asarray(np.argmax(input._data), dtype=np.int64))
    return max(input, dim, keepdim).indices


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    if dim is None:
        return Tensor._from_array(np.asarray(np.argmin(input._data), dtype=np.int64))
    return min(input, dim, keepdim).indices


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        return red.ProdBackward0.invoke(input, dtype=dtype)
    return red.ProdBackward1.invoke(input, dim=dim, keepdim=keepdim, dtype=dtype)


def norm(
    input: Tensor,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,  # noqa: A002
    dtype: Any = None,
) -> Tensor:
    ord_ = 2 if p in ("fro", None) else p
    return red.LinalgVectorNormBackward0.invoke(input, ord=ord_, dim=dim, keepdim=keepdim)


def _correction(unbiased: Any, correction: Any) -> float:
    if correction is not None:
        return float(correction)
    if unbiased is None:
        return 1.0
    return 1.0 if unbiased else 0.0


def _moments(node: Any) -> Any:
    """var/std/var_mean share torch's signature: (dim, unbiased, keepdim, *, correction), where a
    bool in the dim position means ``unbiased``."""

    def fn(
        input: Tensor,  # noqa: A002
        dim: Any = None,
        unbiased: Any = None,
        keepdim: bool = False,
        *,
        correction: Any = None,
    ) -> Any:
        if isinstance(dim, bool):
            unbiased, dim = dim, None
        return node.invoke(
            input, dim=dim, correction=_correction(unbiased, correction), keepdim=keepdim
        )

    return fn


var = _moments(red.VarBackward0)
std = _moments(red.StdBackward0)
var_mean = _moments(red.VarMeanBackward0)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    return red.LogsumexpBackward0.invoke(input, dim=dim, keepdim=keepdim)


# -- linear algebra ----------------------------------------------------------------------------


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    return linalg.MmBackward0.invoke(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    return linalg.MvBackward0.invoke(input, vec)


def dot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return linalg.DotBackward0.invoke(input, other)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    return linalg.BmmBackward0.invoke(input, mat2)


matmul = linalg.matmul


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    return input.unsqueeze(1) * vec2.unsqueeze(0)


# -- shape -----------------------------------------------------------------------------------


def _shape_args(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def view(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    if len(shape) == 1 and isinstance(shape[0], dt.dtype):
        raise NotImplementedError("Tensor.view(dtype)")
    target = vw.infer_shape(_shape_args(shape), input.numel())
    return vw.ViewBackward0.invoke(input, shape=target)


def reshape(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    return vw.reshape_as_torch(input, vw.infer_shape(_shape_args(shape), input.numel()))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    if input.ndim == 0:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, input.ndim), _wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = tuple(input.shape)
    return reshape(input, shape[:s] + (-1,) + shape[e + 1 :])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    if input.ndim == 0 and dim is not None:  # dim 0 / -1 of a 0-d tensor: the tensor, a view
        vw.normalize_dims(dim if isinstance(dim, (tuple, list)) else (dim,), 1)
        return vw.AliasBackward0.invoke(input)
    if dim is None:
        return vw.SqueezeBackward0.invoke(input)
    if isinstance(dim, (tuple, list)):
        return vw.SqueezeBackward2.invoke(input, dim=vw.normalize_dims(dim, input.ndim))
    return vw.SqueezeBackward1.invoke(input, dim=_wrap_dim(dim, input.ndim))


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return vw.UnsqueezeBackward0.invoke(input, dim=_wrap_dim(dim, input.ndim + 1))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    d0, d1 = _wrap_dim(dim0, input.ndim), _wrap_dim(dim1, input.ndim)
    if input.ndim == 0:  # transpose(0, 0) of a 0-d tensor: the tensor, a view
        return vw.AliasBackward0.invoke(input)
    return vw.TransposeBackward0.invoke(input, dim0=d0, dim1=d1)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return vw.TBackward0.invoke(input)


def permute(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    order = _shape_args(dims)
    if len(order) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{input.ndim} is not equal to len(dims) = {len(order)}"
        )
    wrapped = tuple(_wrap_dim(d, input.ndim) for d in order)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return vw.PermuteBackward0.invoke(input, dims=wrapped)


def expand(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    target = list(_shape_args(sizes))
    if len(target) < input.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={target}): the number of "
            "sizes provided "
            f"({len(target)}) must be greater or equal to the number of dimensions in the tensor "
            f"({input.ndim})"
        )
    lead = len(target) - input.ndim
    for i, n in enumerate(input.shape):
        want = target[lead + i]
        if want == -1:
            target[lead + i] = n
        elif n != want and n != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({n}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {target}.  Tensor sizes: "
                f"{list(input.shape)}"
            )
    return vw.ExpandBackward0.invoke(input, shape=tuple(target))


def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {d}"
        )
    return vw.SelectBackward0.invoke(input, dim=d, index=index % size)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, input.ndim)
    return vw.SliceBackward0.invoke(input, dim=d, start=start, stop=start + length, step=1)


cat = concat = concatenate = joining.cat
stack = joining.stack


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return vw.UnbindBackward0.invoke(input, dim=_wrap_dim(dim, input.ndim))


def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        sizes = tuple(builtins.min(step, n - s) for s in range(0, n, step)) if n else (0,)
    else:
        sizes = tuple(int(s) for s in split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {d}), but got split_sizes={list(sizes)}"
            )
    cls = (
        vw.SplitBackward0 if isinstance(split_size_or_sections, int) else vw.SplitWithSizesBackward0
    )
    return cls.invoke(input, dim=d, sizes=sizes)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    n = input.shape[_wrap_dim(dim, input.ndim)]
    return split(input, builtins.max(-(-n // chunks), 1), dim)


def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:  # noqa: A002
    return indexing.index_put(input, indices, values, accumulate)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    if isinstance(value, Tensor):  # the value's gradient: the filled positions' sum
        return pw.MaskedFillBackward1.invoke(input, value, mask=mask)
    return pw.MaskedFillBackward0.invoke(input, mask=mask, value=_fill_value(value))


def _fill_value(value: Any) -> Any:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        return value.item()
    return value


# -- comparisons (never differentiable) --------------------------------------------------------


def _compare(fn: Any) -> Any:
    """A comparison, made as torch makes it: both operands in their promoted dtype first (a 0-d
    float64 tensor or a Python float against a float32 tensor compares in float32)."""

    def compare(input: Any, other: Any) -> Tensor:  # noqa: A002
        a, b = _t(input), _t(other)
        pw._check_broadcast(a._data, b._data)
        common = dt.binary_result_type(a, b).numpy
        left, right = a._data.astype(common, copy=False), b._data.astype(common, copy=False)
        return Tensor._from_array(
            lay_out(ITERATOR, np.asarray(fn(left, right)), [a._data, b._data])
        )

    return compare


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def logical_not(input: Tensor) -> Tensor:  # noqa: A002
    return Tensor._from_array(np.logical_not(input._data))


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def allclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-8,  # noqa: A002
    equal_nan: bool = False,
) -> bool:
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-8,  # noqa: A002
    equal_nan: bool = False,
) -> Tensor:
    return Tensor._from_array(
        np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
    )


def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return Tensor._from_array(np.isnan(input._data))


def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return Tensor._from_array(np.isfinite(input._data))


def isinf(input: Tensor) -> Tensor:  # noqa: A002
    return Tensor._from_array(np.isinf(input._data))


def _truth_reduction(reduce: Any) -> Any:
    """all/any: over everything or over ``dim`` (an int or a tuple); bool results, except
    that a uint8 input keeps uint8 as in torch."""

    def reduction(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
        data = input._data
        if dim is None:
            out = reduce(data)
        else:
            dims = dim if isinstance(dim, tuple | list) else (dim,)
            axes = tuple(_wrap_dim(d, builtins.max(data.ndim, 1)) for d in dims)
            out = reduce(data, axis=axes if data.ndim else None, keepdims=keepdim)
        dtype = np.uint8 if data.dtype == np.uint8 else np.bool_
        return Tensor._from_array(np.asarray(out, dtype=dtype))

    return reduction


all_ = _truth_reduction(np.all)
any_ = _truth_reduction(np.any)


def numel(input: Tensor) -> int:  # noqa: A002
    return input.numel()


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    return input.dtype.is_floating_point


def copy_for_grad(grad: Tensor) -> Tensor:
    """The first ``.grad`` under create_graph: a recorded copy (torch's CopyBackwards)."""
    out = Tensor._from_array(np.zeros(tuple(grad.shape), dtype=grad.dtype.numpy))
    return pw.CopyBackwards.invoke_inplace(out, grad)


# -- breadth: elementwise special functions (_ops/special.py) ----------------------------------

acos = arccos = _unary(sp.AcosBackward0)
asin = arcsin = _unary(sp.AsinBackward0)
atan = arctan = _unary(sp.AtanBackward0)
acosh = arccosh = _unary(sp.AcoshBackward0)
asinh = arcsinh = _unary(sp.AsinhBackward0)
atanh = arctanh = _unary(sp.AtanhBackward0)
sinh = _unary(sp.SinhBackward0)
cosh = _unary(sp.CoshBackward0)
tan = _unary(sp.TanBackward0)
erf = _unary(sp.ErfBackward0)
erfc = _unary(sp.ErfcBackward0)
erfinv = _unary(sp.ErfinvBackward0)
lgamma = _unary(sp.LgammaBackward0)
digamma = _unary(sp.DigammaBackward0)
expm1 = _unary(sp.Expm1Backward0)
log1p = _unary(sp.Log1PBackward0)
log2 = _unary(sp.Log2Backward0)
log10 = _unary(sp.Log10Backward0)
exp2 = _unary(sp.Exp2Backward0)
sinc = _unary(sp.SincBackward0)
deg2rad = _unary(sp.Deg2RadBackward0)
rad2deg = _unary(sp.Rad2DegBackward0)
trunc = fix = _unary(sp.TruncBackward0)
ceil = _unary(sp.CeilBackward0)
floor = _unary(sp.FloorBackward0)
frac = _unary(sp.FracBackward0)
angle = _unary(sp.AngleBackward0)
sgn = _unary(pw.SgnBackward0)


def positive(input: Tensor) -> Tensor:  # noqa: A002
    return input


def round(input: Tensor, *, decimals: int | None = None) -> Tensor:  # noqa: A001, A002
    if decimals is None:  # an explicit decimals (0 too) is the RoundBackward1 overload
        return sp.RoundBackward0.invoke(input)
    return sp.RoundBackward1.invoke(input, decimals=decimals)


def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002
    return sp.PolygammaBackward0.invoke(input, n=n)


def mvlgamma(input: Tensor, p: int) -> Tensor:  # noqa: A002
    return sp.MvlgammaBackward0.invoke(input, p=p)


def logit(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002
    return sp.LogitBackward0.invoke(input, eps=eps)


def nan_to_num(
    input: Tensor,  # noqa: A002
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    return sp.NanToNumBackward0.invoke(input, nan=nan, posinf=posinf, neginf=neginf)


# -- breadth: binary and ternary elementwise (_ops/binary_math.py) ------------------------------


def _tensor_or_scalar(tensor_op: Any, scalar_op: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """Tensor op for two tensors; the one-edge Scalar node when ``other`` is a Python number."""
    if isinstance(other, Tensor) or scalar_op is None:
        return tensor_op.invoke(_t(input), _t(other))
    return scalar_op.invoke(input, other=other)


def atan2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return bm.Atan2Backward0.invoke(input, other)


arctan2 = atan2


def hypot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return bm.HypotBackward0.invoke(input, other)


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        return bm.XlogyBackward1.invoke(other, self_scalar=input)
    return _tensor_or_scalar(bm.XlogyBackward0, bm.XlogyBackward2, input, other)


def fmod(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _tensor_or_scalar(bm.FmodBackward1, bm.FmodBackward0, input, other)


def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        return bm.RemainderBackward1.invoke(_t(input), other)
    return _tensor_or_scalar(bm.RemainderBackward1, bm.RemainderBackward0, input, other)


def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _tensor_or_scalar(bm.CopysignBackward0, bm.CopysignBackward1, input, other)


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return bm.FmaxBackward0.invoke(input, other)


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return bm.FminBackward0.invoke(input, other)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return bm.LogaddexpBackward0.invoke(input, other)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return bm.Logaddexp2Backward0.invoke(input, other)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002
    if end.dtype is not input.dtype:  # torch does not promote lerp's operands
        raise RuntimeError(
            f"expected dtype {input.dtype.scalar_name.lower()} for `end` but got dtype "
            f"{end.dtype.scalar_name.lower()}"
        )
    if isinstance(weight, Tensor):
        return bm.LerpBackward1.invoke(input, end, weight)
    return bm.LerpBackward0.invoke(input, end, weight=weight)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    return bm.AddcmulBackward0.invoke(input, tensor1, tensor2, value=value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    return bm.AddcdivBackward0.invoke(input, tensor1, tensor2, value=value)


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """pow computed in float64, as torch's float_power casts both operands first."""

    def as_double(v: Any) -> Any:
        return v.to(dt.float64) if isinstance(v, Tensor) else v

    return pow(as_double(input), as_double(exponent))


# -- breadth: gather/scatter (_ops/gather_scatter.py) ------------------------------------------


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    return gs.GatherBackward0.invoke(
        input, dim=_wrap_dim(dim, builtins.max(input.ndim, 1)), index=index
    )


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: Any = None,
) -> Tensor:  # noqa: A002
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...)")
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    if src is None:
        src = value
    if isinstance(src, Tensor):
        return gs.ScatterBackward0.invoke(input, src, dim=d, index=index)
    return gs.ScatterBackward1.invoke(input, dim=d, index=index, value=src)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    if src.dtype is not input.dtype:  # torch does not promote scatter_add's operands
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    return gs.ScatterAddBackward0.invoke(input, src, dim=d, index=index)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    return gs.IndexSelectBackward0.invoke(input, dim=d, index=index)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    return gs.IndexAddBackward0.invoke(input, source, dim=d, index=index, alpha=alpha)


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    return gs.TakeBackward0.invoke(input, index=index)


# -- breadth: rearranging copies (_ops/shape_ops.py) -------------------------------------------


def _dims_tuple(dims: Any) -> tuple[int, ...]:
    return tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)


def flip(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    wrapped = (
        vw.normalize_dims(_dims_tuple(dims), builtins.max(input.ndim, 1)) if input.ndim else ()
    )
    return so.FlipBackward0.invoke(input, dims=wrapped)


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    shift_t = _dims_tuple(shifts)
    if dims is None:
        return so.RollBackward0.invoke(input, shifts=shift_t, dims=())
    dims_t = tuple(_wrap_dim(d, builtins.max(input.ndim, 1)) for d in _dims_tuple(dims))
    return so.RollBackward0.invoke(input, shifts=shift_t, dims=dims_t)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:  # noqa: A002
    d0, d1 = (_wrap_dim(d, input.ndim) for d in dims)
    return so.Rot90Backward0.invoke(input, k=k % 4, dims=(d0, d1))


def repeat(input: Tensor, *repeats: Any) -> Tensor:  # noqa: A002
    return so.RepeatBackward0.invoke(input, repeats=_shape_args(repeats))


def tile(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    reps = _shape_args((dims,))
    reps = (1,) * (input.ndim - len(reps)) + reps
    return repeat(input, reps)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    return so.TrilBackward0.invoke(input, diagonal=diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    return so.TriuBackward0.invoke(input, diagonal=diagonal)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    return so.DiagonalBackward0.invoke(input, offset=offset, dim1=d1, dim2=d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    d1, d2 = _wrap_dim(dim1, input.ndim + 1), _wrap_dim(dim2, input.ndim + 1)
    return so.DiagEmbedBackward0.invoke(input, offset=offset, dim1=d1, dim2=d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return vw.copy_variant(so.DiagonalBackward0).invoke(input, offset=diagonal, dim1=0, dim2=1)


def trace(input: Tensor) -> Tensor:  # noqa: A002
    return so.TraceBackward0.invoke(input)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    src = [_wrap_dim(d, input.ndim) for d in _dims_tuple(source)]
    dst = [_wrap_dim(d, input.ndim) for d in _dims_tuple(destination)]
    if len(src) != len(dst):
        raise RuntimeError(
            "movedim: Invalid source or destination dims: source "
            f"({list(_dims_tuple(source))} dims) should contain the same number of dims as "
            f"destination ({list(_dims_tuple(destination))} dims)"
        )
    order = [d for d in range(input.ndim) if d not in src]
    result: list[int] = [-1] * input.ndim
    for s_, d_ in zip(src, dst, strict=True):
        result[d_] = s_
    rest = iter(order)
    perm = [r if r != -1 else next(rest) for r in result]
    return permute(input, *perm)


moveaxis = movedim


# -- breadth: order statistics (_ops/ordering.py) and running reductions -----------------------


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: Any = ...) -> Any:  # noqa: A002
    # Naming ``stable`` at all (None too) picks torch's sort.stable overload: SortBackward1.
    node = od.SortBackward0 if stable is ... else od.SortBackward1
    values, indices = node.invoke(input, dim=dim, descending=descending)
    return od.SortResult(values, indices)


def msort(input: Tensor) -> Tensor:  # noqa: A002
    return sort(input, 0).values


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:  # noqa: A002
    return sort(input, dim, descending).indices


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    values, indices = od.TopkBackward0.invoke(input, k=k, dim=dim, largest=largest, sorted=sorted)
    return od.TopkResult(values, indices)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    values, indices = od.KthvalueBackward0.invoke(input, k=k, dim=dim, keepdim=keepdim)
    return od.KthvalueResult(values, indices)


def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    if dim is None:
        return od.MedianBackward0.invoke(input)
    values, indices = od.MedianBackward1.invoke(input, dim=dim, keepdim=keepdim)
    return od.MedianResult(values, indices)


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    if dim is None:
        return od.NanmedianBackward0.invoke(input)
    values, indices = od.NanmedianBackward1.invoke(input, dim=dim, keepdim=keepdim)
    return od.NanmedianResult(values, indices)


def cummax(input: Tensor, dim: int) -> Any:  # noqa: A002
    values, indices = od.CummaxBackward0.invoke(input, dim=dim)
    return od.CummaxResult(values, indices)


def cummin(input: Tensor, dim: int) -> Any:  # noqa: A002
    values, indices = od.CumminBackward0.invoke(input, dim=dim)
    return od.CumminResult(values, indices)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    return red.CumprodBackward0.invoke(input, dim=d, dtype=dtype)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return red.LogcumsumexpBackward0.invoke(input, dim=_wrap_dim(dim, builtins.max(input.ndim, 1)))


# -- breadth: scaled matrix products (_ops/linalg.py) -----------------------------------------


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    from ._ops.nn_ops import AddmmBackward0

    if beta == 1 and alpha == 1:
        return AddmmBackward0.invoke(input, mat1, mat2)
    return AddmmBackward0.invoke(input, mat1, mat2, beta=beta, alpha=alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    return linalg.AddmvBackward0.invoke(input, mat, vec, beta=beta, alpha=alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    return linalg.AddrBackward0.invoke(input, vec1, vec2, beta=beta, alpha=alpha)


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:  # noqa: A002
    return linalg.BaddbmmBackward0.invoke(input, batch1, batch2, beta=beta, alpha=alpha)


def addbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:  # noqa: A002
    return linalg.AddbmmBackward0.invoke(input, batch1, batch2, beta=beta, alpha=alpha)


# -- issue 13, round 2: composites as torch composes them, and their native nodes -------------


def _tensors(args: tuple[Any, ...]) -> list[Tensor]:
    """A varargs call or one sequence argument, as torch's TensorList signatures accept."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return list(args[0])
    return list(args)


def _atleast(nd: int) -> Any:
    def lift(t: Tensor) -> Tensor:
        if t.ndim >= nd:
            return t
        if t.ndim == 0:
            return reshape(t, *(1,) * nd)
        if nd == 2 or t.ndim == 2:  # 1-D -> (1, n); 2-D -> (m, n, 1)
            return unsqueeze(t, 0) if t.ndim == 1 else unsqueeze(t, -1)
        return unsqueeze(unsqueeze(t, 0), -1)  # 1-D -> (1, n, 1)

    def fn(*tensors: Any) -> Any:
        if len(tensors) == 1 and isinstance(tensors[0], Tensor):
            return lift(tensors[0])
        return tuple(lift(t) for t in _tensors(tensors))

    return fn


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def hstack(tensors: Any) -> Tensor:
    ts = [atleast_1d(t) for t in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors: Any) -> Tensor:
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors: Any) -> Tensor:
    return cat([reshape(t, t.numel(), 1) if t.ndim <= 1 else t for t in tensors], 1)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.tolist()
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        q, r = divmod(n, spec)
        bounds, start = [], 0
        for i in range(spec):
            start += q + (1 if i < r else 0)
            bounds.append(start)
        bounds = bounds[:-1]
    else:
        bounds = [int(i) for i in spec]
    out, start = [], 0
    for stop in [*bounds, n]:
        lo = builtins.min(builtins.max(start if start >= 0 else start + n, 0), n)
        hi = builtins.min(builtins.max(stop if stop >= 0 else stop + n, lo), n)
        out.append(vw.SliceBackward0.invoke(input, dim=d, start=lo, stop=hi, step=1))
        start = stop
    return tuple(out)


def _directional_split(name: str, dim: int, min_ndim: int) -> Any:
    def fn(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
        if input.ndim < min_ndim:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a "
                f"tensor with {input.ndim} dimensions!"
            )
        d = 0 if (name == "hsplit" and input.ndim == 1) else dim
        spec = indices_or_sections
        if isinstance(spec, int) and spec and input.shape[d] % spec:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {d}, but the size of the "
                f"dimension {input.shape[d]} is not divisible by the split_size {spec}!"
            )
        return tensor_split(input, spec, d)

    return fn


hsplit = _directional_split("hsplit", 1, 1)
vsplit = _directional_split("vsplit", 0, 2)
dsplit = _directional_split("dsplit", 2, 3)


def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return split(input, list(split_sizes), dim)


def unsafe_split(input: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """split's pieces as copies (no view tracking), one UnsafeSplitBackward0 node."""
    d = _wrap_dim(dim, input.ndim)
    sizes = tuple(int(p.shape[d]) for p in split(input.detach(), split_size, d))
    return vw.UnsafeSplitBackward0.invoke(input, dim=d, sizes=sizes)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    n = input.shape[_wrap_dim(dim, input.ndim)]
    return unsafe_split(input, builtins.max(-(-n // chunks), 1), dim)


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, input.ndim)
    shape = tuple(input.shape)
    return view(input, *shape[:d], *tuple(sizes), *shape[d + 1 :])


def ravel(input: Tensor) -> Tensor:  # noqa: A002
    return reshape(input, -1)


def broadcast_to(input: Tensor, size: Any) -> Tensor:  # noqa: A002
    return expand(input, *tuple(size))


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    ts = _tensors(tensors)
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in ts))
    return tuple(expand(t, *shape) for t in ts)


def broadcast_shapes(*shapes: Any) -> Any:
    from ._size import Size

    return Size(
        np.broadcast_shapes(*(tuple(s) if isinstance(s, (list, tuple)) else (s,) for s in shapes))
    )


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    ts = _tensors(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = []
    for i, t in enumerate(ts):
        view_shape = [1] * len(ts)
        view_shape[i] = -1
        out.append(expand(view(t, *view_shape), *shape))
    if swap:  # "xy": the first two inputs' roles swap, the grid's shape stays (n1, n0, ...)
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors: Any) -> Tensor:
    ts = _tensors(tensors)
    if len(ts) == 1:
        return ts[0]
    return stack([flatten(g) for g in meshgrid(ts, indexing="ij")], 1)


def block_diag(*tensors: Any) -> Tensor:
    return so.BlockDiagBackward0.invoke(*_tensors(tensors))


def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    nd = builtins.max(input.ndim, other.ndim)
    a_shape = (1,) * (nd - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (nd - other.ndim) + tuple(other.shape)
    # ATen's kron: _unsafe_view on both operands and on their product
    a = vw.UnsafeViewBackward0.invoke(input, shape=tuple(s for n in a_shape for s in (n, 1)))
    b = vw.UnsafeViewBackward0.invoke(other, shape=tuple(s for n in b_shape for s in (1, n)))
    out_shape = tuple(x * y for x, y in zip(a_shape, b_shape, strict=True))
    return vw.UnsafeViewBackward0.invoke(a * b, shape=out_shape)


def _cross(a: Tensor, b: Tensor, d: int) -> Tensor:
    return linalg.LinalgCrossBackward0.invoke(a, b, dim=d)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    if dim is None:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        dim = next(i for i, n in enumerate(shape) if n == 3)
        return _cross(input, other, dim)
    return _cross(input, other, _wrap_dim(dim, builtins.max(input.ndim, other.ndim)))


def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return linalg.VdotBackward0.invoke(input, other)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    da = [_wrap_dim(d, a.ndim) for d in da]
    db = [_wrap_dim(d, b.ndim) for d in db]
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    for i, j in zip(da, db, strict=True):  # ATen: a size-1 side is summed right away
        if b.shape[j] == 1 and a.shape[i] != 1:
            a = sum(a, i, keepdim=True)
        elif a.shape[i] == 1 and b.shape[j] != 1:
            b = sum(b, j, keepdim=True)
    k = int(np.prod([a.shape[d] for d in da]))
    left = reshape(permute(a, *free_a, *da), -1 if free_a else 1, k)
    right = reshape(permute(b, *db, *free_b), k, -1 if free_b else 1)
    out_shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return reshape(mm(left, right), *out_shape)


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    return tensordot(input, other, ([-1], [-1]))


def diff(
    input: Tensor,  # noqa: A002
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    d = _wrap_dim(dim, input.ndim)
    x = input
    if n == 0:  # ATen copies the input into a fresh tensor (CopyBackwards)
        out = Tensor._from_array(np.empty_like(input._data))
        return out.copy_(input)
    if prepend is not None or append is not None:

        def lift(t: Tensor) -> Tensor:
            if t.ndim == 0:
                shape = list(input.shape)
                shape[d] = 1
                return expand(t, *shape)
            return t

        parts = [lift(t) for t in (prepend, x, append) if t is not None]
        x = cat(parts, d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        x = narrow(x, d, 1, m - 1) - narrow(x, d, 0, m - 1)
    return x


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    return diag_embed(reshape(input, -1), offset, 0, 1)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    d = _wrap_dim(dim, input.ndim)
    shape_in, shape_ix = list(input.shape), list(indices.shape)
    shape_in[d] = shape_ix[d] = 1
    common = list(np.broadcast_shapes(tuple(shape_in), tuple(shape_ix)))
    want_in, want_ix = list(common), list(common)
    want_in[d], want_ix[d] = input.shape[d], indices.shape[d]
    src = expand(input, *want_in) if tuple(want_in) != tuple(input.shape) else input
    idx = Tensor._from_array(np.broadcast_to(indices._data, tuple(want_ix)).copy())
    return gather(src, d, idx)


def _spacing(y: Tensor, x: Any, dx: Any, d: int) -> Any:
    if x is None:
        return 1.0 if dx is None else dx
    if x.ndim == 1:
        shape = [1] * y.ndim
        shape[d] = -1
        x = reshape(x, *shape)
        return diff(x, dim=d)
    return diff(x, dim=d if x.ndim == y.ndim else -1)


def trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    d = _wrap_dim(dim, y.ndim)
    m = y.shape[d]
    if m == 0:
        return sum(y, d)
    spacing = _spacing(y, x, dx, d)
    if not isinstance(spacing, Tensor):  # ATen: (sum - (first + last) / 2) * dx
        ends = (select(y, d, 0) + select(y, d, -1)) * 0.5
        return pw.mul_scalar(sub(sum(y, d), ends), spacing)
    pairs = narrow(y, d, 1, m - 1) + narrow(y, d, 0, m - 1)
    return pw.div_scalar(sum(spacing * pairs, d), 2.0)


def trapz(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    if isinstance(x, (int, float)):
        dx, x = x, None
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    d = _wrap_dim(dim, y.ndim)
    m = y.shape[d]
    pairs = narrow(y, d, 0, builtins.max(m - 1, 0)) + narrow(y, d, 1, builtins.max(m - 1, 0))
    spacing = _spacing(y, x, dx, d)
    if not isinstance(spacing, Tensor):  # ATen: ((dx / 2) * (left + right)).cumsum(dim)
        return cumsum(pw.mul_scalar(pairs, spacing / 2.0), d)
    return pw.div_scalar(cumsum(spacing * pairs, d), 2.0)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    return red.NansumBackward0.invoke(input, dim=dim, keepdim=keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    count = sum(logical_not(isnan(input)), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    from collections import namedtuple

    result = namedtuple("result", ["min", "max"])  # noqa: PYI024
    return result(*red.AminmaxBackward0.invoke(input, dim=dim, keepdim=keepdim))


def std_mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> tuple[Tensor, Tensor]:
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    correction = _correction(unbiased, correction)
    return red.StdMeanBackward0.invoke(input, dim=dim, correction=correction, keepdim=keepdim)


def dist(input: Tensor, other: Tensor, p: Any = 2) -> Tensor:  # noqa: A002
    return red.DistBackward0.invoke(input, other, p=p)


def renorm(input: Tensor, p: Any, dim: int, maxnorm: Any) -> Tensor:  # noqa: A002
    if input.ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    return red.RenormBackward0.invoke(input, p=p, dim=_wrap_dim(dim, input.ndim), maxnorm=maxnorm)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002
    return so.MaskedSelectBackward0.invoke(input, mask=mask)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    return so.MaskedScatterBackward0.invoke(input, source, mask=mask)


def _index_array(index: Tensor) -> np.ndarray:
    return np.asarray(index._data, dtype=np.int64)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    idx = _index_array(index)
    if isinstance(value, Tensor):
        return so.IndexFillBackward1.invoke(input, value, dim=d, index=idx)
    return so.IndexFillBackward0.invoke(input, dim=d, index=idx, value=value)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    return so.IndexCopyBackward0.invoke(input, source, dim=d, index=_index_array(index))


def repeat_interleave(
    input: Any,  # noqa: A002
    repeats: Any = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    x = input if dim is not None else reshape(input, -1)
    d = 0 if dim is None else _wrap_dim(dim, x.ndim)
    if isinstance(repeats, builtins.int) and output_size is None:
        # ATen: unsqueeze, expand the new dim to repeats, clone, flatten it back in
        if x.ndim == 0:
            x = reshape(x, 1)
        spread = unsqueeze(x, d + 1)
        sizes = list(spread.shape)
        sizes[d + 1] = repeats
        return flatten(clone(expand(spread, *sizes)), d, d + 1)
    counts = repeats._data if isinstance(repeats, Tensor) else repeats
    n = x.shape[d] if x.ndim else 1
    picks = np.repeat(np.arange(n), np.broadcast_to(np.asarray(counts), (n,)))
    if x.ndim == 0:
        x = reshape(x, 1)
    return index_select(x, d, Tensor._from_array(picks.astype(np.int64)))


def fill(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    if isinstance(value, Tensor):
        return pw.FillBackward1.invoke(input, value)
    return pw.FillBackward0.invoke(input, value=value)


def constant_pad_nd(input: Tensor, pad: Any, value: Any = 0) -> Tensor:  # noqa: A002
    return so.ConstantPadNdBackward0.invoke(input, pad=tuple(int(p) for p in pad), value=value)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    d = _wrap_dim(dimension, builtins.max(input.ndim, 1))
    return so.UnfoldBackward0.invoke(input, dim=d, size=size, step=step)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    d = _wrap_dim(dim, input.ndim)
    return so.SelectScatterBackward0.invoke(input, src, dim=d, index=index)


def slice_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    d = _wrap_dim(dim, input.ndim)
    return so.SliceScatterBackward0.invoke(input, src, dim=d, start=start, end=end, step=step)


def diagonal_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    offset: int = 0,
    dim1: int = 0,
    dim2: int = 1,
) -> Tensor:
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    return so.DiagonalScatterBackward0.invoke(input, src, offset=offset, dim1=d1, dim2=d2)


def slice_(
    input: Tensor, dim: int = 0, start: Any = None, end: Any = None, step: int = 1
) -> Tensor:  # noqa: A001, A002
    d = _wrap_dim(dim, input.ndim)
    lo, hi, st = builtins.slice(start, end, step).indices(input.shape[d])
    return vw.SliceBackward0.invoke(input, dim=d, start=lo, stop=builtins.max(hi, lo), step=st)


def as_strided(
    input: Tensor,  # noqa: A002
    size: Any,
    stride: Any,
    storage_offset: int | None = None,
) -> Tensor:
    """Read the (contiguous) input's elements at offset + sum(i_k stride_k)."""
    return indexing.AsStridedBackward0.invoke(
        input,
        size=tuple(int(n) for n in size),
        stride=tuple(int(n) for n in stride),
        storage_offset=int(storage_offset or 0),
    )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    if input.ndim < 3:
        raise RuntimeError(
            "pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    return so.PixelShuffleBackward0.invoke(input, upscale_factor=int(upscale_factor))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    if input.ndim < 3:
        raise RuntimeError(
            "pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    return so.PixelUnshuffleBackward0.invoke(input, downscale_factor=int(downscale_factor))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    return so.ChannelShuffleBackward0.invoke(input, groups=int(groups))


def _identity(input: Tensor) -> Tensor:  # noqa: A002
    """conj, resolve_conj, resolve_neg, real of a real tensor: the tensor itself."""
    return input


conj = resolve_conj = resolve_neg = real = _identity


def conj_physical(input: Tensor) -> Tensor:  # noqa: A002
    """A real tensor is its own conjugate: torch returns the input itself."""
    return input


# -- issue 13, round 3: ldexp, frexp, nextafter, i0, softmax / log_softmax ----------------------


def ldexp(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return bm.LdexpBackward0.invoke(_t(input), _t(other))


def frexp(input: Tensor) -> Any:  # noqa: A002
    from collections import namedtuple

    frexp = namedtuple("frexp", ["mantissa", "exponent"])  # noqa: PYI024 - torch.return_types
    return frexp(*bm.FrexpBackward0.invoke(input))


def nextafter(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return bm.NextafterBackward0.invoke(input, other)


i0 = _unary(sp.I0Backward0)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    from .nn import functional as F  # noqa: N812

    return F.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    from .nn import functional as F  # noqa: N812

    return F.log_softmax(input, dim, dtype=dtype)


def det(input: Tensor) -> Tensor:  # noqa: A002
    return linalg.LinalgDetBackward0.invoke(input)


def logdet(input: Tensor) -> Tensor:  # noqa: A002
    from .linalg import logdet as logdet_

    return logdet_(input)


def scatter_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    return gs.ScatterReduceBackward0.invoke(
        input, src, dim=d, index=index, reduce=reduce, include_self=include_self
    )


def index_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    source: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    return gs.IndexReduceBackward0.invoke(
        input, source, dim=d, index=index, reduce=reduce, include_self=include_self
    )


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    from collections import namedtuple

    mode = namedtuple("mode", ["values", "indices"])  # noqa: PYI024 - torch.return_types
    return mode(*od.ModeBackward0.invoke(input, dim=dim, keepdim=keepdim))


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    return gs.PutBackward0.invoke(input, source, index=index, accumulate=accumulate)


def cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """torch.cholesky (deprecated in torch): the factor, as CholeskyBackward0."""
    factor, _ = linalg.CholeskyBackward0.invoke(input, upper=upper)
    return factor


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    return linalg.CholeskyInverseBackward0.invoke(input, upper=upper)


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    return linalg.CholeskySolveBackward0.invoke(input, input2, upper=upper)


def cov(
    input: Tensor,  # noqa: A002
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """ATen's cov: variables in rows, observations in columns, optionally weighted."""
    if input.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    x = view(input, 1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    w_sum = sum(w) if w is not None else Tensor._from_array(np.asarray(n, dtype=np.int64))
    avg = div(sum(x * w if w is not None else x, 1), w_sum)
    if w is not None and correction != 0 and aweights is not None:
        norm = w_sum - correction * sum(w * aweights) / w_sum
    else:
        norm = w_sum - correction
    if bool((norm <= 0).item()):
        import warnings

        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm = norm * 0
    centered = x - unsqueeze(avg, 1)
    weighted = centered * w if w is not None else centered
    return squeeze(div(mm(centered, t(weighted)), norm))


def corrcoef(input: Tensor) -> Tensor:  # noqa: A002
    """ATen's corrcoef: cov scaled by the standard deviations, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return div(c, c)
    stddev = sqrt(diagonal(c))
    c = div(c, view(stddev, -1, 1))
    c = div(c, view(stddev, 1, -1))
    return clamp(c, -1, 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """ATen's combinations: an r-fold meshgrid masked to increasing index tuples, stacked."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._from_array(np.empty((0,), dtype=input._data.dtype))
    n = input.numel()
    grids = meshgrid(*([input] * r), indexing="ij")
    index = np.indices((n,) * r) if n else np.zeros((r,) + (0,) * r, np.int64)
    mask = np.ones((n,) * r, dtype=bool)
    for lo, hi in zip(index[:-1], index[1:], strict=True):
        mask &= (lo <= hi) if with_replacement else (lo < hi)
    picks = Tensor._from_array(mask)
    return stack([masked_select(g, picks) for g in grids], 1)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None,
    keepdim: bool,
    interpolation: str,
    ignore_nan: bool,
) -> Tensor:
    """ATen's quantile: sort, rank each q among the (non-nan) values, gather the neighbours
    and lerp between them; the result's last step is an in-place squeeze (SqueezeBackward4)."""
    name = "nanquantile()" if ignore_nan else "quantile()"
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{name} interpolation must be one of linear, lower, higher, midpoint or nearest. "
            f"Got {interpolation}"
        )
    qs = np.asarray(q._data if isinstance(q, Tensor) else q, dtype=input._data.dtype)
    if qs.ndim > 1:
        raise RuntimeError(f"{name} expects 'q' to be a scalar or 1D tensor")
    if qs.size and ((qs < 0) | (qs > 1)).any():
        raise RuntimeError(f"{name} q values must be in the range [0, 1]")
    if dim is None:
        reduced = (1,) * input.ndim if keepdim else ()
        ordered = flatten(input)
    else:
        d = _wrap_dim(dim, builtins.max(input.ndim, 1))
        shape = list(input.shape) or [1]
        shape[d] = 1
        reduced = tuple(shape) if keepdim else tuple(shape[:d] + shape[d + 1 :])
        reduced = reduced if input.ndim else ()
        ordered = transpose(unsqueeze(input, -1), d, -1)
    ordered = sort(ordered, -1).values
    n = ordered.shape[-1]
    ordered = reshape(ordered, *reduced, n)
    data = ordered._data
    flat_q = qs.reshape(-1)
    if ignore_nan:
        valid = (~np.isnan(data)).sum(-1, keepdims=True)
        ranks = np.maximum(flat_q * (valid - 1), 0.0)
    else:
        ranks = np.broadcast_to(flat_q * (n - 1), data.shape[:-1] + flat_q.shape)
        ranks = np.where(np.isnan(data).any(-1, keepdims=True), n - 1, ranks)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)
    below = ranks.astype(np.int64)
    values = gather(ordered, -1, Tensor._from_array(below))
    if interpolation in ("linear", "midpoint"):
        above = gather(ordered, -1, Tensor._from_array(np.ceil(ranks).astype(np.int64)))
        weights = np.full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - below
        values = lerp(values, above, Tensor._from_array(weights.astype(data.dtype)))
    if qs.ndim == 1:
        values = transpose(unsqueeze(values, 0), 0, -1)
    return vw.SqueezeBackward4.invoke(values, dim=(values.ndim - 1,))


def quantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


# The *_copy variants: the view op's values in a fresh tensor.


def _copy_of(fn: Any, name: str | None = None) -> Any:
    """``<view>_copy``: the view op ``fn`` records (learnt by running it on a bare tensor, which
    also raises its argument errors) as its copy variant, ``<node>_copy``."""

    def copy(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        from ._grad_mode import no_grad

        with no_grad():
            probe = fn(Tensor._from_array(input._data), *args, **kwargs)
        view_cls, params = probe._view.steps[-1]
        return vw.copy_variant(view_cls, name).invoke(input, **params)

    copy.__name__ = f"{getattr(fn, '__name__', 'alias')}_copy"
    return copy


def _copy_of_op(cls: Any, prepare: Any) -> Any:
    """``<op>_copy`` of an op reference_impl computes as a copy anyway (diagonal, unfold,
    unbind, split_with_sizes): ``prepare`` maps torch's arguments to the op's parameters."""

    def copy(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return vw.copy_variant(cls).invoke(input, **prepare(input, *args, **kwargs))

    return copy


def _diagonal_params(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:  # noqa: A002
    return {
        "offset": offset,
        "dim1": _wrap_dim(dim1, input.ndim),
        "dim2": _wrap_dim(dim2, input.ndim),
    }


def _unfold_params(input: Tensor, dimension: int, size: int, step: int) -> Any:  # noqa: A002
    return {"dim": _wrap_dim(dimension, builtins.max(input.ndim, 1)), "size": size, "step": step}


def _split_params(input: Tensor, split_sizes: Any, dim: int = 0) -> Any:  # noqa: A002
    pieces = split_with_sizes(input.detach(), split_sizes, dim)  # its checks and errors
    d = _wrap_dim(dim, input.ndim)
    return {"dim": d, "sizes": tuple(int(p.shape[d]) for p in pieces)}


narrow_copy = _copy_of(narrow, "NarrowCopyBackward0")
view_copy = _copy_of(view)
permute_copy = _copy_of(permute)
t_copy = _copy_of(t)
transpose_copy = _copy_of(transpose)
unsqueeze_copy = _copy_of(unsqueeze)
squeeze_copy = _copy_of(squeeze)
expand_copy = _copy_of(expand)
diagonal_copy = _copy_of_op(so.DiagonalBackward0, _diagonal_params)
alias_copy = _copy_of(vw.AliasBackward0.invoke)
unbind_copy = _copy_of_op(
    vw.UnbindBackward0, lambda input, dim=0: {"dim": _wrap_dim(dim, input.ndim)}
)
split_with_sizes_copy = _copy_of_op(vw.SplitWithSizesBackward0, _split_params)
unfold_copy = _copy_of_op(so.UnfoldBackward0, _unfold_params)
as_strided_copy = _copy_of_op(
    indexing.AsStridedBackward0,
    lambda input, size, stride, storage_offset=None: {
        "size": tuple(int(n) for n in size),
        "stride": tuple(int(n) for n in stride),
        "storage_offset": int(storage_offset or 0),
    },
)


#: Tensor methods that are the function of the same name with self first; ``_methods`` installs
#: them (kept here, next to the functions, so a new op is one line in one place).
SELF_FIRST_METHODS = [
    "acos",
    "arccos",
    "asin",
    "arcsin",
    "atan",
    "arctan",
    "acosh",
    "arccosh",
    "asinh",
    "arcsinh",
    "atanh",
    "arctanh",
    "sinh",
    "cosh",
    "tan",
    "erf",
    "erfc",
    "erfinv",
    "lgamma",
    "digamma",
    "expm1",
    "log1p",
    "log2",
    "log10",
    "exp2",
    "sinc",
    "deg2rad",
    "rad2deg",
    "trunc",
    "fix",
    "ceil",
    "floor",
    "frac",
    "angle",
    "sgn",
    "positive",
    "round",
    "mvlgamma",
    "logit",
    "nan_to_num",
    "atan2",
    "arctan2",
    "hypot",
    "xlogy",
    "fmod",
    "remainder",
    "copysign",
    "fmax",
    "fmin",
    "logaddexp",
    "logaddexp2",
    "lerp",
    "addcmul",
    "addcdiv",
    "float_power",
    "gather",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_select",
    "index_add",
    "index_reduce",
    "put",
    "mode",
    "quantile",
    "nanquantile",
    "take",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "rot90",
    "repeat",
    "tile",
    "tril",
    "triu",
    "diagonal",
    "diag_embed",
    "diag",
    "trace",
    "movedim",
    "moveaxis",
    "sort",
    "msort",
    "argsort",
    "topk",
    "kthvalue",
    "median",
    "nanmedian",
    "cummax",
    "cummin",
    "cumprod",
    "logcumsumexp",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "split_with_sizes",
    "unsafe_split",
    "unsafe_chunk",
    "unflatten",
    "ravel",
    "broadcast_to",
    "kron",
    "cross",
    "vdot",
    "inner",
    "diff",
    "diagflat",
    "take_along_dim",
    "nansum",
    "nanmean",
    "aminmax",
    "std_mean",
    "dist",
    "renorm",
    "masked_select",
    "masked_scatter",
    "index_fill",
    "index_copy",
    "repeat_interleave",
    "unfold",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
    "as_strided",
    "conj",
    "conj_physical",
    "resolve_conj",
    "resolve_neg",
    "swapdims",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "trapz",
    "trapezoid",
    "cumulative_trapezoid",
]
