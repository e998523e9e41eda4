"""The op protocol: each op is one class holding its forward and its vector-Jacobian product.

An op class *is* the graph node class, named as torch names it (``ExpBackward0``), so a
tensor's ``grad_fn`` is an instance of the class that computed it:

    class ExpBackward0(Op):
        def forward(self, x):                 # NumPy arrays in, NumPy array out
            self.save_result("result")
            return np.exp(x)

        def backward(self, grad):             # Tensors in, one Tensor (or None) per input out
            return (grad * self.saved("result"),)

``Op.invoke(*tensors, **params)`` runs the forward and, when grad mode is on and an input
requires grad, records the node. Backwards are written with Tensor ops, so they are themselves
differentiable: that is what create_graph / higher-order gradients use. ``invoke_inplace`` is
the in-place variant (version bump, leaf checks, CopySlices for views).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from operator import attrgetter
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from .. import _dtype as dt
from .. import _forward_ad as fw
from .._grad_mode import _state as _grad_state
from .._layout import ITERATOR, lay_out, orders_like_c
from .._node import Node, gradient_edge
from .._saved import SavedTensor
from .._tensor import Tensor
from .inplace import check_inplace, commit_inplace, inference_refusal, set_history_inplace

INFERENCE_SAVE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`."
)


_fw_state = fw.STATE
_NO_TENSOR_PARAMS: Mapping[str, Tensor] = MappingProxyType({})
_data_of = attrgetter("_data")
_as_array = np.asarray
_from_array = Tensor._from_array


def _wrap_output(array: Any) -> Tensor:
    """An op's output: a plain ``Tensor`` (never its input's class) owning the array."""
    return _from_array(_as_array(array))


class Op(Node):
    """A differentiable primitive. Subclasses define ``forward`` and ``backward``."""

    #: Output indices that never carry gradient (e.g. argmax indices).
    nondifferentiable_outputs: ClassVar[tuple[int, ...]] = ()
    #: Keyword parameters that are tensors without a gradient (where's condition, a loss's
    #: target): forward gets their arrays, ``save_param`` keeps the tensor itself, so an
    #: in-place write to it before backward fails the version check, as in torch.
    tensor_params: ClassVar[tuple[str, ...]] = ()

    needs_input_grad: tuple[bool, ...]
    _inputs: tuple[Tensor, ...] | None
    _saved: dict[str, SavedTensor | None]
    _save_results: list[tuple[str, int]]
    #: Set on the instance by ``invoke_inplace`` / ``_unwrap_tensor_params`` only (most ops
    #: need neither: the class-level defaults spare setting them on every call).
    _inplace: bool = False
    _param_tensors: Mapping[str, Tensor] = _NO_TENSOR_PARAMS

    #: Forward-mode AD: ``True`` for an op linear in its tensor inputs together (views, sum,
    #: cat, add, where, ...), whose tangent is the op itself applied to the input tangents.
    jvp_linear: ClassVar[bool] = False
    #: ``True`` for a one-input op whose Jacobian is symmetric (elementwise ops: a diagonal
    #: Jacobian; softmax: diag(y) - y y^T): its JVP is its VJP applied to the tangent.
    jvp_self_adjoint: ClassVar[bool] = False
    #: ``True`` for an op linear in each tensor input separately (mm, mv, dot, bmm): by the
    #: product rule its JVP is the sum over inputs of the op with that input's tangent.
    jvp_multilinear: ClassVar[bool] = False
    #: The aten name in forward AD's "not implemented" error, when the node name's snake case
    #: is not it.
    aten_name: ClassVar[str | None] = None
    #: While a JVP rule runs: (inputs, outputs, params) of the op (see ``_forward_ad``).
    _fw: tuple[tuple[Tensor, ...], list[Tensor], dict[str, Any]] | None = None
    #: While ``backward`` runs: every saved tensor, unpacked once by ``apply``.
    _unpacked: dict[str, Tensor] | None = None
    #: Where torch lays the result out when NumPy's choice is not it (``_layout``): ITERATOR,
    #: CONTIGUOUS or PRESERVE; None keeps NumPy's.
    layout: ClassVar[str | None] = None

    def forward(self, *arrays: np.ndarray, **params: Any) -> Any:
        raise NotImplementedError

    def backward(self, *grads: Tensor | None) -> tuple[Tensor | None, ...]:
        raise NotImplementedError

    # -- forward mode ---------------------------------------------------------------------------
    def jvp(self, *tangents: Tensor | None) -> Tensor | tuple[Tensor | None, ...] | None:
        """The output tangent(s) from the input tangents (``None``: zero), in reference ops on
        ``fw_input``/``fw_output``. Ops without a rule raise torch's NotImplementedError."""
        if self.jvp_linear:
            assert self._fw is not None
            inputs, _, params = self._fw
            args = [
                t if t is not None else _zeros(tuple(x.shape), x.dtype)
                for t, x in zip(tangents, inputs, strict=True)
            ]
            return type(self).invoke(*args, **params)
        if self.jvp_multilinear:
            inputs = self._fw[0] if self._fw is not None else ()
            params = self._fw[2] if self._fw is not None else {}
            return tangent_sum(
                *(
                    None
                    if t is None
                    else type(self).invoke(*inputs[:i], t, *inputs[i + 1 :], **params)
                    for i, t in enumerate(tangents)
                )
            )
        if self.jvp_self_adjoint:
            (tangent,) = tangents
            assert tangent is not None
            self.save_outputs_for_jvp()
            return self.backward(tangent)[0]
        name = self.aten_name or fw.aten_name(self.name())
        raise NotImplementedError(fw.not_implemented_message(name))

    def save_outputs_for_jvp(self) -> None:
        """Save the outputs ``backward`` reads, which a node that records nothing never saved,
        for rules written with the VJP."""
        for name, index in self._save_results:
            if name not in self._saved:
                self._saved[name] = SavedTensor(self.fw_output(index))

    def fw_input(self, index: int = 0) -> Tensor:
        """Input ``index`` of the op, for a JVP rule (its values before an in-place write)."""
        assert self._fw is not None
        return self._fw[0][index]

    def fw_output(self, index: int = 0) -> Tensor:
        """Output ``index`` of the op, for a JVP rule."""
        assert self._fw is not None
        return self._fw[1][index]

    def fw_param(self, name: str, default: Any = None) -> Any:
        """A keyword parameter the op was called with, for a JVP rule."""
        assert self._fw is not None
        return self._fw[2].get(name, default)

    def fw_param_dict(self) -> dict[str, Any]:
        """Every keyword parameter the op was called with (to rerun it on a tangent)."""
        assert self._fw is not None
        return dict(self._fw[2])

    def fw_zeros(self, index: int = 0) -> Tensor:
        """A zero tangent for output ``index`` (piecewise-constant ops)."""
        out = self.fw_output(index)
        return _zeros(tuple(out.shape), out.dtype)

    # -- saving, called from forward ------------------------------------------------------------
    def save_input(self, name: str, index: int) -> None:
        """Keep input ``index`` for backward (only call it when backward needs it)."""
        assert self._inputs is not None
        if True not in self.needs_input_grad and not self._keeps_saved():
            return  # (the first test answers for every recorded node without a call)
        t = self._inputs[index]
        if self._inplace and index == 0:
            # The input is about to be overwritten: keep its old values, as a recorded clone
            # (torch's ``original_self``) so double backward still reaches self's history.
            from .pointwise import CloneBackward0

            t = CloneBackward0.invoke(t)
        self._saved[name] = self._make_saved(t)

    def save_for_product(self, first: str, second: str) -> None:
        """For a bilinear op (mul, mm, mv, dot, bmm): each input's gradient needs the *other*
        input, and torch saves only what the requested gradients need."""
        if self.needs_input_grad[0]:
            self.save_input(second, 1)
        if self.needs_input_grad[1]:
            self.save_input(first, 0)

    def save_param(self, name: str, array: np.ndarray) -> None:
        """Keep a no-gradient tensor parameter (one of ``tensor_params``) the way torch keeps
        it: as a saved tensor, version-checked and freed like any other. An internal caller's
        bare array (a condition built inside a backward) is saved as a fresh tensor."""
        if not self._keeps_saved():
            return
        source = self._param_tensors.get(name)
        self._saved[name] = self._make_saved(
            source if source is not None else Tensor._from_array(array)
        )

    def save_result(self, name: str, index: int = 0) -> None:
        """Keep output ``index`` for backward (saved once the output tensor exists)."""
        self._save_results.append((name, index))

    def _make_saved(
        self, t: Tensor, producer: str | Callable[[], str] | None = None, nr: int = 0
    ) -> SavedTensor:
        recording = True in self.needs_input_grad  # ``_recording``
        if t._is_inference and recording:
            raise RuntimeError(INFERENCE_SAVE)
        return SavedTensor(t, producer, nr, hooked=recording)

    @property
    def _recording(self) -> bool:
        return any(self.needs_input_grad)

    def _keeps_saved(self) -> bool:
        """Whether anything can read what forward saves: backward, when the node is recorded,
        or a JVP rule, while forward AD propagates. A node that is neither is dropped as soon
        as ``invoke`` returns (every op a backward runs without create_graph), so it saves
        nothing."""
        return any(self.needs_input_grad) or (
            _fw_state.level is not None and not _fw_state.suppressed  # ``fw.active()``
        )

    # -- reading, called from backward ----------------------------------------------------------
    def saved(self, name: str) -> Tensor:
        unpacked = self._unpacked
        if unpacked is not None and name in unpacked:
            return unpacked[name]
        saved = self._saved[name]
        assert saved is not None
        return saved.unpack()

    def _unpack_all(self) -> dict[str, Tensor]:
        """Every saved tensor unpacked (a freed graph raises, a stale one fails the version
        check, unpack hooks run) in torch's order: its generated ``apply`` unpacks them all
        before computing anything - the saved inputs by name, then the saved outputs by name -
        so the first stale one is the one its error names (gather's index before its self,
        addcmul's tensor1 before tensor2, a norm's self before its result)."""
        saved = self._saved
        names = sorted(saved)
        if self._save_results:
            outputs = {name for name, _ in self._save_results}
            names = [n for n in names if n not in outputs] + [n for n in names if n in outputs]
        return {name: tensor.unpack() for name in names if (tensor := saved[name]) is not None}

    def apply_for_nothing(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        """Unpack what was saved and compute nothing: torch's derivative formulas compute
        only the outputs an edge needs."""
        self._unpack_all()
        return [None] * len(self._next_edges)

    def release_saved(self) -> None:
        for saved in self._saved.values():
            if saved is not None:
                saved.free()

    # -- engine entry ---------------------------------------------------------------------------
    def apply(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        if len(grads) == 1:  # the usual single-output op
            if grads[0] is None:
                return [None] * len(self._next_edges)
        elif all(g is None for g in grads):
            return [None] * len(self._next_edges)
        elif any(g is None for g in grads):  # the outputs that got no gradient get zeros
            grads = [
                g if g is not None else _zeros(shape, dtype)
                for g, (shape, dtype) in zip(grads, self._output_meta, strict=True)
            ]
        if len(self._saved) > 1:  # unpacked first, in torch's order (one alone has none)
            self._unpacked = self._unpack_all()
            try:
                out = self.backward(*grads)
            finally:
                self._unpacked = None
        else:
            out = self.backward(*grads)
        needs = self.needs_input_grad
        if len(out) != len(needs):  # a backward returning too few or too many: zip's error
            return [g if need else None for g, need in zip(out, needs, strict=True)]
        if all(needs):  # every input gets what backward gave
            return list(out)
        return [out[i] if need else None for i, need in enumerate(needs)]

    # -- invocation -----------------------------------------------------------------------------
    _wrap_output = staticmethod(_wrap_output)

    @classmethod
    def _prepare(cls, inputs: tuple[Tensor, ...], inplace: bool) -> Op:
        node = cls.__new__(cls)
        # requires_grad is read only in grad mode (on a view, reading it may regenerate history).
        if _grad_state.enabled:
            node.needs_input_grad = tuple([t.requires_grad for t in inputs])
        else:
            node.needs_input_grad = (False,) * len(inputs)
        node._inputs = inputs
        node._saved = {}
        node._save_results = []
        if inplace:
            node._inplace = True
        return node

    def _unwrap_tensor_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace each Tensor among ``tensor_params`` by its array, remembering the tensor."""
        tensors = self._param_tensors = {}
        for name in self.tensor_params:
            value = params.get(name)
            if isinstance(value, Tensor):
                tensors[name] = value
                params[name] = value._data
        return params

    def _record(self, inputs: tuple[Tensor, ...]) -> None:
        Node.__init__(self)
        self._next_edges = tuple([gradient_edge(t) for t in inputs])
        self._inputs = None
        self._param_tensors = _NO_TENSOR_PARAMS  # saved by now where backward needs them

    def _attach_outputs(self, outputs: list[Tensor]) -> None:
        """Make this node the ``grad_fn`` of the differentiable outputs, and save the outputs
        that ``forward`` asked for (``save_result``)."""
        skip = self.nondifferentiable_outputs
        meta = self._output_meta
        for i, out in enumerate(outputs):
            dtype = out.dtype
            if not dtype.is_floating_point or (skip and i in skip):
                continue
            out._grad_fn = self
            out._output_nr = len(meta)
            meta.append((out._data.shape, dtype))  # what ``add_output`` appends
        if self._save_results:
            producer = type(self).__name__  # ``name()``: every Op is named by its class
            for name, index in self._save_results:
                self._saved[name] = self._make_saved(outputs[index], producer, index)

    def laid_out(self, result: Any, inputs: tuple[Tensor, ...], params: dict[str, Any]) -> Any:
        """``result`` laid out in memory as torch lays out this op's (``layout``). Of an
        elementwise op, tensor parameters are operands too, and come first (where's
        condition, as in torch's signature)."""
        layout = self.layout
        assert layout is not None
        if layout == ITERATOR:
            if not self.tensor_params:
                for t in inputs:  # (``lay_out``'s own first test, without building lists)
                    if not orders_like_c(t._data):
                        break
                else:  # NumPy's C result is it: the engine's hot path ends here
                    return result
            else:
                operands = [params.get(name) for name in self.tensor_params]
                return lay_out(layout, result, operands + [t._data for t in inputs])
        return lay_out(layout, result, [t._data for t in inputs])

    @classmethod
    def invoke(cls, *inputs: Tensor, **params: Any) -> Any:
        """Run the op out of place; returns a Tensor, or a tuple for multi-output ops."""
        node = cls._prepare(inputs, inplace=False)
        if cls.tensor_params:
            params = node._unwrap_tensor_params(params)
        result = node.forward(*map(_data_of, inputs), **params)
        if cls.layout is not None:
            result = node.laid_out(result, inputs, params)
        multi = isinstance(result, tuple)
        # ``Op._wrap_output``, written out (one call less per output).
        if multi:
            outputs = [_from_array(_as_array(r)) for r in result]
        else:
            outputs = [_from_array(_as_array(result))]
        if True in node.needs_input_grad:  # ``any``, without the call
            node._record(inputs)
            node._attach_outputs(outputs)
        else:
            node._inputs = None
        if _fw_state.level is not None and not _fw_state.suppressed:
            fw.propagate(node, inputs, outputs, params)
        return tuple(outputs) if multi else outputs[0]

    @classmethod
    def invoke_inplace(cls, self_tensor: Tensor, *others: Tensor, **params: Any) -> Tensor:
        """Run the op writing its result into ``self_tensor`` (torch's ``op_``)."""
        refusal = inference_refusal(self_tensor)
        check_inplace(self_tensor, others)
        inputs = (self_tensor, *others)
        node = cls._prepare(inputs, inplace=True)
        params = node._unwrap_tensor_params(params)
        result = node.forward(*(t._data for t in inputs), **params)
        tangent = None
        if _fw_state.level is not None and not _fw_state.suppressed:
            tangent = fw.propagate_inplace(node, self_tensor, inputs, np.asarray(result), params)
        commit_inplace(self_tensor, np.asarray(result))
        if tangent is not None:
            fw.commit_inplace(self_tensor, tangent)
        if refusal is not None:
            raise refusal
        if any(node.needs_input_grad):
            node._record(inputs)
            set_history_inplace(self_tensor, node)
            # torch's is_inplace_on_view: a result saved by a write through a view names the
            # view's new node (its AsStridedBackward0) in a version error while that node lives
            on_view = node._save_results and self_tensor._view is not None
            view_node = self_tensor.grad_fn if on_view else None
            for name, index in node._save_results:
                if view_node is not None:
                    producer = _named_while_alive(view_node, node.name())
                    saved = node._make_saved(self_tensor, producer, self_tensor._output_nr)
                else:
                    saved = node._make_saved(self_tensor, node.name(), index)
                node._saved[name] = saved
        else:
            node._inputs = None
        return self_tensor


def _named_while_alive(node: Node, otherwise: str) -> Callable[[], str]:
    """The name of ``node`` while something still holds it, else ``otherwise``: torch keeps
    only a weak pointer to a view's node for a result saved through the view, and names the
    node that saved it once the view's node is gone (a later write replaced it, and nothing
    else held it)."""
    alive = weakref.ref(node)

    def name() -> str:
        held = alive()
        return held.name() if held is not None else otherwise

    return name


def _zeros(shape: tuple[int, ...], dtype: dt.dtype) -> Tensor:
    return Tensor._from_array(np.zeros(shape, dtype=dtype.numpy))


def as_tensor_arg(value: Any, like: Tensor | None = None) -> Tensor:
    """Python scalars become 0-d "wrapped numbers", as torch wraps them in binary ops.

    They keep torch's scalar promotion rules (``float32_tensor * 2.5`` stays float32).
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, np.bool_)):
        arr = np.asarray(value, dtype=np.bool_)
    elif isinstance(value, (int, np.integer)):
        arr = np.asarray(value, dtype=np.int64)
    elif isinstance(value, (float, np.floating)):
        arr = np.asarray(value, dtype=np.float64)
    else:
        raise TypeError(f"unsupported operand type: {type(value).__name__}")
    t = Tensor._from_array(arr)
    t._wrapped_number = True
    return t


def zeros_like_grad(grad: Tensor) -> Tensor:
    """A piecewise-constant function's gradient, torch's ``zeros_like(grad)``: fresh zeros
    with no history (``grad * 0`` would keep a create_graph gradient's graph and turn negative
    upstream values into -0.0)."""
    return Tensor._from_array(np.zeros(grad._data.shape, dtype=grad._data.dtype))


def unbroadcast(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum a broadcast gradient back to ``shape`` (the one helper every op uses)."""
    shape = tuple(shape)
    if grad._data.shape == shape:
        return grad
    if shape == ():  # torch's sum_to: a full sum (SumBackward0 under create_graph)
        return grad.sum()
    lead = grad.ndim - len(shape)
    dims = list(range(lead)) + [
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    ]
    out = grad.sum(dim=tuple(dims), keepdim=True) if dims else grad
    if lead:
        out = out.reshape(shape)
    return out


def is_expandable_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target), strict=False))


def tangent_sum(*terms: Tensor | None) -> Tensor | None:
    """The sum of a JVP's contributions, one per input (None: that input has no tangent)."""
    present = [t for t in terms if t is not None]
    if not present:
        return None
    total = present[0]
    for t in present[1:]:
        total = total + t
    return total
