"""The Tensor: a NumPy array plus torch's autograd state.

Storage is a NumPy array; views share it (NumPy views), and views and ``detach()`` share the
version counter, so in-place writes are seen and counted everywhere torch would see them.
Operators and methods are attached from the op table (``_methods.py``); this module holds only
state and the autograd-facing properties.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype as dt
from ._grad_mode import _state as _grad_state
from ._grad_mode import is_inference_mode_enabled
from ._node import AccumulateGrad, Node, RemovableHandle, add_hook
from ._size import Size, shape_str
from ._view_guard import ViewGuard


class VersionCounter:
    """Shared by a tensor, its views and its detached aliases; bumped by every in-place write.

    Every op output gets one, and most are never bumped: a new counter reads the class-level
    0 and needs no ``__init__`` call; the first ``bump`` gives it its own value.
    """

    value: int = 0

    def bump(self) -> None:
        self.value += 1


_DETACH_HINT = (
    "If you want to use a computed variable in a subgraph that doesn't require differentiation "
    "use var_no_grad = var.detach()."
)

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information. (Triggered internally at "
    "/pytorch/build/aten/src/ATen/core/TensorBody.h:494.)"
)


_C_TYPE_NAMES = {
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


class ViewInfo:
    """How a view was made from its base: the view ops to replay on a base-shaped tensor.

    CopySlices uses it to find the written region inside the base's gradient.
    """

    __slots__ = ("base", "steps")

    def __init__(self, base: Tensor, steps: tuple[tuple[Any, dict[str, Any]], ...]) -> None:
        self.base = base
        self.steps = steps

    def replay(self, t: Tensor) -> Tensor:
        for op, params in self.steps:
            t = op.invoke(t, **params)
        return t


class Tensor:
    """A torch-like tensor. Construct with the factories (``tensor``, ``zeros``...)."""

    __array_priority__ = 1000  # so ndarray * Tensor defers to Tensor.__rmul__

    # Autograd state a new tensor starts with. Kept as class-level defaults (immutable values
    # only) so that creating and freeing the many short-lived tensors of an op sets just the
    # three per-instance fields; an assignment on the instance shadows the default.
    _requires_grad: bool = False
    _grad_fn: Node | None = None
    _output_nr: int = 0
    _grad: Tensor | None = None
    _view: ViewInfo | None = None
    _view_version: int = 0
    _retains_grad: bool = False
    _hooks: dict[int, Callable[..., Any]] | None = None  # made on the first register_hook
    _post_accumulate_hooks: dict[int, Callable[..., Any]] | None = None  # likewise
    _accumulator: weakref.ref[AccumulateGrad] | None = None
    _wrapped_number: bool = False
    _view_guard: ViewGuard | None = None
    _fw_tangent: Tensor | None = None  # forward AD: the tangent at the open dual level
    _is_inference: bool = False  # set on the instance only inside inference_mode

    def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
        self._data: np.ndarray = data
        self._version_counter = VersionCounter()
        if _grad_state.inference:
            self._is_inference = True
        if requires_grad:
            self.requires_grad_(True)

    # -- construction helpers -----------------------------------------------------------------
    @staticmethod
    def _from_array(data: np.ndarray) -> Tensor:
        """A fresh plain Tensor owning ``data`` (no copy): what every op output is. It sets
        what ``__init__`` sets, without the call through ``type.__call__`` and the
        ``requires_grad`` argument (the hot path of every op)."""
        t = _new_tensor(Tensor)
        t._data = data
        t._version_counter = VersionCounter()
        if _grad_state.inference:
            t._is_inference = True
        return t

    # -- basic properties -----------------------------------------------------------------------
    @property
    def dtype(self) -> dt.dtype:
        # The dict lookup first: an array's dtype is nearly always one of ours.
        return _DTYPE_OF.get(self._data.dtype) or dt.from_numpy_dtype(self._data.dtype)

    @property
    def shape(self) -> Size:
        return Size.of_shape(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size.of_shape(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_inference(self) -> bool:
        return self._is_inference

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return self.dtype.tensor_type
        return self.to(dtype)

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None) -> Any:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self.ndim)]

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    def _is_view(self) -> bool:
        return self._view is not None

    @property
    def _base(self) -> Tensor | None:
        return None if self._view is None else self._view.base

    # -- autograd state -------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        # torch's DifferentiableViewMeta also reports a view with no history as requiring grad
        # whenever its base does (a view made under no_grad, or before base.requires_grad_()),
        # then drops the gradients through it: docs/semantics.md §5.6 documents that as a divergence
        # not to copy, so such a view here requires no grad.
        if self._requires_grad:
            return True
        if self._view is None:  # not a view: no history to regenerate, read the field
            return self._grad_fn is not None
        return self.grad_fn is not None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables."
                + ("" if value else " " + _DETACH_HINT)
            )
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. " + _DETACH_HINT
            )
        if requires_grad and self._is_inference and not is_inference_mode_enabled():
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not "
                "allowed."
            )
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self) -> Node | None:
        view = self._view
        # torch skips only a view with no history whose base needs no grad: one recorded
        # before its base stopped requiring grad is still regenerated.
        if (
            view is not None
            and self._view_version != self._version_counter.value
            and (self._grad_fn is not None or view.base.requires_grad)
        ):
            self._refresh_view_grad_fn(view)
        return self._grad_fn

    def _refresh_view_grad_fn(self, view: ViewInfo) -> None:
        """After an in-place write through the base or a sibling view, this view's history
        must go through the base's new history (torch regenerates it as AsStridedBackward0)."""
        from ._ops.views import AsStridedBackward0

        if self._view_guard is not None:
            raise self._view_guard.base_modified()
        AsStridedBackward0.rebase_view(self, view)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        if self._is_inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._version_counter.value

    def _grad_accumulator(self) -> AccumulateGrad:
        acc = self._accumulator() if self._accumulator is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accumulator = weakref.ref(acc)
        return acc

    @property
    def grad(self) -> Tensor | None:
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    "attempting to assign a gradient with dtype "
                    f"'{_C_TYPE_NAMES[value.dtype.name]}' to a tensor with grad_dtype "
                    f"'{self.dtype.scalar_name}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). "
                    "You can set the tensor's grad_dtype attribute with a specific dtype, or None "
                    "to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a "
                    "tensor and its gradient may break downstream systems that assume they match."
                )
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{shape_str(value.shape)}' to a "
                    f"tensor of size '{shape_str(self.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        grad_fn = self.grad_fn
        if grad_fn is None:  # leaves retain their grad anyway
            return
        self._retains_grad = True
        grad_fn._retains_grad[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        grad_fn = self.grad_fn
        if grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            return add_hook(self._hooks, hook)
        if grad_fn._tensor_pre_hooks is None:
            grad_fn._tensor_pre_hooks = {}
        registry = grad_fn._tensor_pre_hooks.setdefault(self._output_nr, {})
        return add_hook(registry, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = {}
        return add_hook(self._post_accumulate_hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        _autograd().backward(
            self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs
        )

    # -- detaching and copying ------------------------------------------------------------------
    def detach(self) -> Tensor:
        """Same storage and version counter, no history."""
        out = Tensor._from_array(self._data)
        out._version_counter = self._version_counter
        out._is_inference = self._is_inference
        return out

    def detach_(self) -> Tensor:
        if self._view is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be called "
                "on these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
                "function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """Same storage, its own version counter: changes through .data go unnoticed."""
        out = Tensor._from_array(self._data)
        out._is_inference = self._is_inference
        return out

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def _scalar_for_python(self) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self.requires_grad:
            warnings.warn(
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                "behavior.\nConsider using tensor.detach() first. (Triggered internally at "
                "/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:836.)",
                UserWarning,
                stacklevel=3,
            )
        return self._data.reshape(()).item()

    def __float__(self) -> float:
        return float(self._scalar_for_python())

    def __int__(self) -> int:
        return int(self._scalar_for_python())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self) -> str:
        from ._formatting import format_tensor

        grad_fn = self.grad_fn
        return format_tensor(
            self._data,
            dtype_name=str(self.dtype),
            default_dtype_name=str(dt.get_default_dtype()),
            requires_grad=self.requires_grad,
            grad_fn_name=None if grad_fn is None else type(grad_fn).__name__,
        )

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        return repr(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                "because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        out = type(self).__new__(type(self))
        Tensor.__init__(out, self._data.copy(), requires_grad=self._requires_grad)
        memo[id(self)] = out
        if self._grad is not None:
            out._grad = self._grad.__deepcopy__(memo)
        return out

    # -- the op table -------------------------------------------------------------------------
    # Methods and operators are installed from ``_methods.METHODS``; for type checkers, unknown
    # attributes are Any and the operators are declared here.
    def __getattr__(self, name: str) -> Any:
        from ._methods import _missing_method

        return _missing_method(self, name)

    if TYPE_CHECKING:

        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __getitem__(self, key: Any) -> Tensor: ...
        def __setitem__(self, key: Any, value: Any) -> None: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...

    # -- in-place plumbing ----------------------------------------------------------------------
    def _inplace_accumulate(self, other: Tensor) -> None:
        """``self += other`` without autograd, for .grad accumulation."""
        self._data += other._data.astype(self._data.dtype, copy=False)
        self._version_counter.bump()


@functools.cache
def _autograd() -> ModuleType:
    """``reference_impl.autograd``, which imports this module: imported on first use, then
    kept (a relative import in ``backward`` reran the import machinery on every call, ~2% of
    a small graph's step)."""
    from . import autograd

    return autograd


_new_tensor = object.__new__
_DTYPE_OF = dt._BY_NUMPY


def _wrap_dim(dim: int, ndim: int) -> int:
    """Negative dims count from the end; out of range is torch's IndexError."""
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
            f"but got {dim})"
        )
    return dim % rank
