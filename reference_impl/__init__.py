"""reference_impl: an independent NumPy autograd engine with PyTorch's observable semantics.

``import reference_impl as torch`` runs ordinary autograd programs unchanged. NumPy and the
standard library only: this package never imports torch.
"""

from __future__ import annotations

from . import _methods
from ._dtype import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from ._factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from ._functions import (
    abs,
    add,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    bmm,
    cat,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    div,
    divide,
    dot,
    eq,
    equal,
    exp,
    expand,
    flatten,
    ge,
    gt,
    index_put,
    is_floating_point,
    is_tensor,
    isclose,
    isfinite,
    isnan,
    le,
    log,
    logical_not,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    multiply,
    mv,
    narrow,
    ne,
    neg,
    negative,
    norm,
    numel,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    reshape,
    rsqrt,
    select,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    subtract,
    sum,
    swapaxes,
    t,
    tanh,
    transpose,
    true_divide,
    unbind,
    unsqueeze,
    var,
    view,
    where,
)
from ._grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ._size import Size
from ._tensor import Tensor

_methods.install()

from . import (  # noqa: E402
    autograd,
    linalg,
    nn,
    optim,
    testing,
    utils,  # noqa: E402
)
from ._functions import chunk, cumsum, floor_divide, split, var_mean  # noqa: E402
from ._unsupported import UnsupportedOp  # noqa: E402
from ._warn import is_warn_always_enabled, set_warn_always  # noqa: E402


def __getattr__(name: str) -> object:
    """torch names this module lacks raise UnsupportedOp (NotImplementedError) naming them."""
    if name.startswith("_"):
        raise AttributeError(f"module 'reference_impl' has no attribute '{name}'")
    raise UnsupportedOp(f"torch.{name}")


__version__ = "2.13.0+reference"
device = str
