"""MyGrad as a conformance backend: a torch-shaped namespace over a NumPy-style autograd library.

MyGrad (``pip install mygrad``) differentiates NumPy code: ``mygrad.Tensor`` with
``backward()`` and ``.grad``, NumPy's function names and ``axis=`` keywords, ``constant=``
instead of ``requires_grad``, ``no_autodiff`` instead of ``no_grad``. This module maps the
torch names a case uses onto what MyGrad has, and nothing else:

- ``tensor(data, dtype=, requires_grad=)`` -> ``mygrad.tensor(data, dtype, constant=not rg)``;
  Python floats default to float32 as ``torch.tensor`` does (MyGrad, like NumPy, says float64);
- torch's names for MyGrad's functions (``cat`` -> ``concatenate``, ``pow`` -> ``power``,
  ``clamp`` -> ``clip``, ``sigmoid`` -> ``nnet.sigmoid``, ...), reductions taking torch's
  ``dim``/``keepdim`` as MyGrad's ``axis``/``keepdims``;
- dtypes as NumPy's (MyGrad has no complex or bfloat16 support, so those names are absent);
- ``nn.functional`` with MyGrad's activations of the same meaning;
- ``Tensor.requires_grad`` (read-only) as ``not constant``, added to MyGrad's Tensor.

Anything else - ``autograd.grad``, ``is_leaf``, ``.detach()``, ``_version``, in-place ops,
hooks, custom Functions - is missing, and the ``AttributeError`` Python raises for it is what
the harness reports as ``unsupported``. MyGrad has no ``is_leaf`` and no torch node names
(``creator`` is a MyGrad operation), so ``provides`` is empty: flags and graph are skipped.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import mygrad
import numpy as np
from mygrad import nnet

from conformance.backends import Backend

#: The MyGrad release this adapter was written and measured against.
PINNED_VERSION = "2.5.0"

__version__ = mygrad.__version__

Tensor = mygrad.Tensor
dtype = np.dtype

# torch's names below shadow builtins (float, int, bool, sum, abs, pow) in this module only.

float16 = half = np.float16
float32 = float = np.float32
float64 = double = np.float64
int8 = np.int8
int16 = short = np.int16
int32 = int = np.int32
int64 = long = np.int64
uint8 = np.uint8
bool = np.bool_


def tensor(data: Any, dtype: Any = None, requires_grad: Any = False) -> mygrad.Tensor:
    """``torch.tensor``: a constant MyGrad tensor unless ``requires_grad``."""
    if dtype is None and not isinstance(data, np.ndarray | mygrad.Tensor):
        inferred = np.asarray(data).dtype
        dtype = np.float32 if inferred == np.float64 else None
    return mygrad.tensor(data, dtype=dtype, constant=not requires_grad)


def no_grad(func: Callable[..., Any] | None = None) -> Any:
    """``torch.no_grad()``: MyGrad's ``no_autodiff`` (a context manager and a decorator)."""
    return mygrad.no_autodiff if func is None else mygrad.no_autodiff(func)


def _torch_reduction(reduce: Callable[..., Any]) -> Callable[..., Any]:
    """A MyGrad reduction called with torch's ``dim``/``keepdim`` names."""

    @functools.wraps(reduce)
    def reduction(x: Any, dim: Any = None, keepdim: Any = False) -> Any:
        return reduce(x, axis=dim, keepdims=keepdim)

    return reduction


sum = _torch_reduction(mygrad.sum)
mean = _torch_reduction(mygrad.mean)
prod = _torch_reduction(mygrad.prod)
amax = _torch_reduction(mygrad.amax)
amin = _torch_reduction(mygrad.amin)

exp = mygrad.exp
log = mygrad.log
sin = mygrad.sin
cos = mygrad.cos
tanh = mygrad.tanh
sqrt = mygrad.sqrt
abs = mygrad.abs
square = mygrad.square
reciprocal = mygrad.reciprocal
sign = mygrad.sign
floor = mygrad.floor
ceil = mygrad.ceil
maximum = mygrad.maximum
minimum = mygrad.minimum
where = mygrad.where
matmul = mygrad.matmul
einsum = mygrad.einsum
reshape = mygrad.reshape
stack = mygrad.stack
cat = mygrad.concatenate
pow = mygrad.power
add = mygrad.add
sub = mygrad.subtract
mul = mygrad.multiply
div = mygrad.divide
neg = mygrad.negative
clamp = mygrad.clip
transpose = mygrad.swapaxes
unsqueeze = mygrad.expand_dims
squeeze = mygrad.squeeze
cumsum = mygrad.cumsum
cumprod = mygrad.cumprod
isinf = mygrad.isinf
isnan = mygrad.isnan
isfinite = mygrad.isfinite
ones = mygrad.ones
zeros = mygrad.zeros
ones_like = mygrad.ones_like
zeros_like = mygrad.zeros_like
eye = mygrad.eye
sigmoid = nnet.sigmoid
relu = nnet.relu
softmax = nnet.softmax

#: ``torch.nn`` holds only ``functional``: MyGrad's activations that take torch's arguments.
#: Real modules, so a missing name reads "module '...nn.functional' has no attribute ...".
nn = types.ModuleType(f"{__name__}.nn")
nn.functional = types.ModuleType(f"{__name__}.nn.functional")  # type: ignore[attr-defined]
for _torch_name, _mygrad_function in {
    "relu": nnet.relu,
    "sigmoid": nnet.sigmoid,
    "tanh": nnet.tanh,
    "softmax": nnet.softmax,
    "log_softmax": nnet.logsoftmax,
    "selu": nnet.selu,
    "softsign": nnet.soft_sign,
}.items():
    setattr(nn.functional, _torch_name, _mygrad_function)


def _requires_grad(tensor: Any) -> Any:
    return not tensor.constant


def expose_requires_grad(tensor_type: type) -> None:
    """Give MyGrad's Tensor torch's read-only ``requires_grad``: the negation of ``constant``."""
    if not hasattr(tensor_type, "requires_grad"):
        tensor_type.requires_grad = property(_requires_grad)  # type: ignore[attr-defined]


def to_numpy(value: Any) -> np.ndarray:
    """Values of a MyGrad tensor as a NumPy array (a copy of its ``.data``)."""
    return np.array(value.data, copy=True)


def backend() -> Backend:
    """The ``mygrad`` backend: cases run on this module; flags and graph names are skipped."""
    import sys

    expose_requires_grad(mygrad.Tensor)
    return Backend(
        name="mygrad",
        module=sys.modules[__name__],
        to_numpy=to_numpy,
        is_tensor=lambda value: isinstance(value, mygrad.Tensor),
        provides=frozenset(),
    )


#: What ``--backends torch,module:adapters.mygrad_adapter`` looks for.
conformance_backend = backend
