"""Custom ``autograd.Function``: user-written forward/backward as a graph node.

As in torch, the ``ctx`` passed to forward *is* the node that becomes the outputs' grad_fn: an
instance of a class named ``<Name>Backward`` made once per Function subclass.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._grad_mode import is_grad_enabled, no_grad
from .._node import Node, gradient_edge
from .._ops.base import INFERENCE_SAVE
from .._ops.inplace import LEAF_DIRTY
from .._saved import SavedTensor
from .._tensor import Tensor

NO_BACKWARD = (
    "You must implement either the backward or vjp method for your custom autograd.Function to "
    "use it with backward mode AD."
)
DIRTY_NOT_RETURNED = (
    "Some elements marked as dirty during the forward method were not returned as output. The "
    "inputs that are modified inplace must all be outputs of the Function."
)
ONCE_DIFFERENTIABLE = (
    "trying to differentiate twice a function that was marked with @once_differentiable"
)


class FunctionCtx:
    """What forward and setup_context may call on ``ctx``."""

    _to_save: tuple[Any, ...] = ()
    _saved: list[SavedTensor | None] | None = None
    _dirty: tuple[Tensor, ...] = ()
    _non_differentiable: tuple[Tensor, ...] = ()
    materialize_grads: bool = True
    needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type "
                    f"{type(t).__name__}"
                )
        self._to_save = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    @property
    def saved_variables(self) -> tuple[Tensor | None, ...]:
        """The pre-1.0 name, still answered by torch with a DeprecationWarning."""
        warnings.warn(
            "'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning, stacklevel=2
        )
        return self.saved_tensors

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        if self._saved is None:
            return tuple(self._to_save)
        return tuple(None if s is None else s.unpack() for s in self._saved)


class BackwardCFunction(FunctionCtx, Node):
    """Base of the generated ``<Name>Backward`` node classes."""

    _forward_cls: type[Function]
    _is_tensor_input: tuple[bool, ...] = ()

    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        cls = self._forward_cls
        backward_fn = _user_backward(cls)
        if backward_fn is None:
            raise NotImplementedError(NO_BACKWARD)
        if self.materialize_grads:
            grads = [
                g if g is not None else Tensor._from_array(np.zeros(shape, dtype=dtype.numpy))
                for g, (shape, dtype) in zip(grads, self._output_meta, strict=True)
            ]
        result = backward_fn(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self._is_tensor_input)
        if len(result) != expected:
            if len(result) > expected and all(r is None for r in result[expected:]):
                result = result[:expected]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {expected}, got {len(result)})"
                )
        out: list[Tensor | None] = []
        for i, (g, is_tensor) in enumerate(zip(result, self._is_tensor_input, strict=True)):
            if not is_tensor:
                if g is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a Variable"
                    )
                continue
            if g is not None and not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            out.append(g if self.needs_input_grad[i] else None)
        return out

    def release_saved(self) -> None:
        for s in self._saved or ():
            if s is not None:
                s.free()


def _user_backward(cls: type[Function]) -> Callable[..., Any] | None:
    for name in ("backward", "vjp"):
        fn = getattr(cls, name)
        if fn is not _unimplemented:
            return fn
    return None


def _unimplemented(ctx: Any, *args: Any) -> Any:
    raise NotImplementedError(NO_BACKWARD)


def _default_setup_context(ctx: Any, inputs: Any, output: Any) -> None:
    raise NotImplementedError("setup_context is not overridden")


class FunctionMeta(type):
    """Gives every Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> None:
        cls._backward_cls = type(f"{name}Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Subclass with static ``forward`` and ``backward``; call with ``.apply(*args)``."""

    _backward_cls: type[BackwardCFunction]
    forward: Callable[..., Any] = staticmethod(_unimplemented)
    backward: Callable[..., Any] = staticmethod(_unimplemented)
    vjp: Callable[..., Any] = staticmethod(_unimplemented)
    setup_context: Callable[..., Any] = staticmethod(_default_setup_context)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            import inspect

            params = list(inspect.signature(cls.forward).parameters)
            offset = 0 if cls.setup_context is not _default_setup_context else 1
            bound = dict(zip(params[offset:], args, strict=False)) | kwargs
            args = tuple(bound[p] for p in params[offset:] if p in bound)
        return _apply(cls, args)


def _apply(cls: type[Function], args: tuple[Any, ...]) -> Any:
    """``Function.apply``: run forward without grad, mark dirty inputs, and when an input needs
    grad wire the outputs to the new node and save what the context asked for."""
    node: BackwardCFunction = object.__new__(cls._backward_cls)
    node.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    node._is_tensor_input = tuple(isinstance(a, Tensor) for a in args)
    node.materialize_grads = True
    outputs = _run_forward(cls, node, args)
    is_tuple = isinstance(outputs, tuple)
    outs = list(outputs) if is_tuple else [outputs]
    _bump_dirty(node, outs)
    if not (is_grad_enabled() and any(node.needs_input_grad)):
        node._saved = None
        return outputs
    tensor_inputs = [a for a in args if isinstance(a, Tensor)]
    Node.__init__(node)
    node._next_edges = tuple(gradient_edge(t) for t in tensor_inputs)
    output_nr = _wire_outputs(node, outs, {id(t) for t in tensor_inputs})
    node._saved = [_save(node, t, output_nr) for t in node._to_save]
    return tuple(outs) if is_tuple else outs[0]


def _run_forward(cls: type[Function], node: BackwardCFunction, args: tuple[Any, ...]) -> Any:
    with no_grad():
        if cls.setup_context is not _default_setup_context:
            outputs = cls.forward(*args)
            cls.setup_context(node, args, outputs)
            return outputs
        return cls.forward(node, *args)


def _bump_dirty(node: BackwardCFunction, outs: list[Any]) -> None:
    """Inputs marked dirty must be returned; torch counts the marked change as a version bump."""
    if not {id(t) for t in node._dirty} <= {id(o) for o in outs}:
        raise RuntimeError(DIRTY_NOT_RETURNED)
    for t in node._dirty:
        t._version_counter.bump()


def _wire_outputs(node: BackwardCFunction, outs: list[Any], input_ids: set[int]) -> dict[int, int]:
    """Give each differentiable tensor output the node as grad_fn (an input returned as it is
    becomes a view the custom backward owns, as torch's ``input.view_as(input)``); returns the
    output number of each output by id."""
    dirty_ids = {id(t) for t in node._dirty}
    non_diff = {id(t) for t in node._non_differentiable}
    output_nr = {}
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        marked_non_diff = id(o) in non_diff  # before an input is replaced by its view
        if id(o) in dirty_ids:
            if o._grad_fn is None and o._requires_grad and o._view is None:
                raise RuntimeError(LEAF_DIRTY)
        elif id(o) in input_ids:
            o = outs[i] = _custom_view(o, node.name(), i)
        nr = node.add_output(o)
        output_nr[id(o)] = nr
        if marked_non_diff or not o.dtype.is_floating_point:
            o._requires_grad = False
            continue
        o._grad_fn = node
        o._output_nr = nr
    return output_nr


def _save(node: BackwardCFunction, t: Tensor | None, output_nr: dict[int, int]) -> Any:
    """One ``save_for_backward`` entry, saved as an output of the node when it is one."""
    if t is None:
        return None
    if t._is_inference:
        raise RuntimeError(INFERENCE_SAVE)
    if id(t) in output_nr and t._grad_fn is node:
        return SavedTensor(t, node.name(), output_nr[id(t)], hooked=True)
    return SavedTensor(t, hooked=True)


def _custom_view(t: Tensor, producer: str, output_nr: int) -> Tensor:
    from .._ops.views import AliasBackward0
    from .._tensor import ViewInfo
    from .._view_guard import ViewGuard

    out = _alias(t)
    if t._view is None:
        out._view = ViewInfo(t, ((AliasBackward0, {}),))
    else:
        out._view = ViewInfo(t._view.base, (*t._view.steps, (AliasBackward0, {})))
    out._view_version = t._version_counter.value
    out._view_guard = ViewGuard(producer, output_nr, custom_function=True)
    return out


def _alias(t: Tensor) -> Tensor:
    out = Tensor._from_array(t._data)
    out._version_counter = t._version_counter
    return out


class Error(Node):
    """Stands in the graph for a once_differentiable backward: running it is the error."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        raise RuntimeError(self.message)


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a backward without recording; differentiating its result raises torch's error."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            outputs = fn(ctx, *args)
        if not is_grad_enabled():
            return outputs
        needs = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not needs:
            return outputs
        is_tuple = isinstance(outputs, tuple)
        outs = list(outputs) if is_tuple else [outputs]
        err = Error(ONCE_DIFFERENTIABLE)
        err._next_edges = tuple(gradient_edge(a) for a in needs)
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and o.dtype.is_floating_point:
                o = outs[i] = _alias(o)
                o._grad_fn = err
                o._output_nr = err.add_output(o)
        return tuple(outs) if is_tuple else outs[0]

    return wrapper
