"""torch.utils.checkpoint.checkpoint: trade compute for memory by recomputing a forward.

``use_reentrant=False`` (what torch recommends): the forward runs normally, but every tensor
its ops save for backward is replaced by a handle (a ``saved_tensors_hooks`` pair). When
backward first unpacks one, the function runs again under hooks that collect what it saves,
stopping as soon as all the handles are covered (torch's early stop), and each handle gets
its recomputed tensor. The graph and grad_fn names are those of the un-checkpointed forward.

``use_reentrant=True`` (torch 2.13's default when the argument is omitted, with a warning):
the forward runs under no_grad inside an ``autograd.Function`` (``CheckpointFunctionBackward``)
whose backward recomputes it with grad and runs a nested backward through it.

Both recompute with the random-number state the forward started with, as torch does by
default (``preserve_rng_state=True``), so dropout masks agree.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from .. import _factories
from .._grad_mode import enable_grad, no_grad
from .._tensor import Tensor
from ..autograd import backward as autograd_backward
from ..autograd.function import Function
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint"]

USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants."
)


def noop_context_fn() -> tuple[contextlib.nullcontext[None], contextlib.nullcontext[None]]:
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(
    function: Callable[..., Any],
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable[[], Any] = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    **kwargs: Any,
) -> Any:
    """``function(*args, **kwargs)``, keeping no intermediate tensors for backward."""
    if use_reentrant is None:
        warnings.warn(USE_REENTRANT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(function, preserve, context_fn, args, kwargs)


@contextlib.contextmanager
def _rng_state(state: Any, enabled: bool) -> Iterator[None]:
    """Run with the random generator at ``state``, then put back what it was."""
    if not enabled:
        yield
        return
    generator = _factories._rng.bit_generator
    current = generator.state
    generator.state = state
    try:
        yield
    finally:
        generator.state = current


class _StopRecomputation(Exception):
    """Raised from inside the recomputation once every saved tensor has been recomputed."""


class _Frame:
    """One checkpointed call: how many tensors the forward saved, and their recomputations
    (cleared once backward has unpacked each one, so another backward recomputes again)."""

    def __init__(self, recompute: Callable[[_Frame], None]) -> None:
        self.count = 0
        self.recomputed: list[Tensor] = []
        self.unpacked: set[int] = set()
        self.recompute = recompute

    def pack(self, tensor: Tensor) -> int:
        self.count += 1
        return self.count - 1

    def unpack(self, index: int) -> Tensor:
        if not self.recomputed:
            self.recompute(self)
        value = self.recomputed[index]
        self.unpacked.add(index)
        if len(self.unpacked) == self.count:
            self.recomputed, self.unpacked = [], set()
        return value

    def collect(self, tensor: Tensor) -> Tensor:
        self.recomputed.append(tensor.detach())
        if len(self.recomputed) == self.count:
            raise _StopRecomputation
        return tensor


def _checkpoint_without_reentrant(
    function: Callable[..., Any],
    preserve: bool,
    context_fn: Callable[[], Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    state = _factories._rng.bit_generator.state if preserve else None
    forward_context, recompute_context = context_fn()

    def recompute(frame: _Frame) -> None:
        with (
            _rng_state(state, preserve),
            enable_grad(),
            recompute_context,
            saved_tensors_hooks(frame.collect, lambda t: t),
            contextlib.suppress(_StopRecomputation),
        ):
            function(*args, **kwargs)

    frame = _Frame(recompute)
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_context:
        return function(*args, **kwargs)


class CheckpointFunction(Function):
    """The reentrant variant's node: forward without grad, recompute-and-backward in backward."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable[..., Any], preserve: bool, *args: Any) -> Any:
        if not any(a.requires_grad for a in args if isinstance(a, Tensor)):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
            )
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve
        ctx.rng_state = _factories._rng.bit_generator.state if preserve else None
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        inputs = list(ctx.inputs)
        for i, tensor in zip(ctx.tensor_indices, ctx.saved_tensors, strict=True):
            inputs[i] = tensor
        detached = [_detach_input(a) for a in inputs]
        with _rng_state(ctx.rng_state, ctx.preserve_rng_state), enable_grad():
            outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [
            (out, g)
            for out, g in zip(outputs, grads, strict=False)
            if isinstance(out, Tensor) and out.requires_grad
        ]
        if not pairs:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        autograd_backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, *(a.grad if isinstance(a, Tensor) else None for a in detached))


def _detach_input(value: Any) -> Any:
    """torch's ``detach_variable``: a detached copy that requires grad like the original."""
    if not isinstance(value, Tensor):
        return value
    out = value.detach()
    out.requires_grad = value.requires_grad
    return out
