"""Full backward hooks of a module: identity nodes around its inputs and outputs.

As torch does (``torch.utils.hooks.BackwardHook``), a module with full backward (pre) hooks
passes its tensor inputs, and then its outputs, through ``BackwardHookFunction``, an identity
custom Function. The output node's pre-hook sees the gradients w.r.t. the outputs (backward pre
hooks may replace them); the input node's post-hook sees those w.r.t. the inputs and calls the
full backward hooks with both. So ``out.grad_fn`` is a ``BackwardHookFunctionBackward``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ..._grad_mode import is_grad_enabled
from ..._node import Node
from ..._tensor import Tensor
from ...autograd.function import Function, FunctionCtx

NO_INPUT_REQUIRES_GRAD = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
    "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details."
)


class BackwardHookFunction(Function):
    """Identity on its tensor arguments: a node to hang the module's hooks on."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Tensor) -> tuple[Tensor, ...]:
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Tensor | None) -> tuple[Tensor | None, ...]:
        return grads


def _scatter(indices: Sequence[int], values: Sequence[Any], size: int) -> tuple[Any, ...]:
    """Values at their argument positions, None at the non-tensor ones."""
    out: list[Any] = [None] * size
    for index, value in zip(indices, values, strict=True):
        out[index] = value
    return tuple(out)


class BackwardHook:
    """One module call's backward hooks: set up on its inputs, then on its outputs."""

    def __init__(
        self,
        module: Any,
        user_hooks: list[Callable[..., Any]],
        user_pre_hooks: list[Callable[..., Any]],
    ) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple[Any, ...] | None = None
        self.n_inputs = -1
        self.n_outputs = -1
        self.input_indices: list[int] | None = None
        self.output_indices: list[int] | None = None

    def _wrap(
        self, args: tuple[Any, ...], attach: Callable[[Node], None]
    ) -> tuple[tuple[Any, ...], list[int] | None]:
        """Pass the tensors among ``args`` through one identity node (when any requires grad
        and grad mode is on) and give that node to ``attach``."""
        indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in indices]
        if not (is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return args, None
        wrapped = BackwardHookFunction.apply(*tensors)
        node = next(t.grad_fn for t in wrapped if t.grad_fn is not None)
        attach(node)
        out = list(args)
        for i, t in zip(indices, wrapped, strict=True):
            out[i] = t
        return tuple(out), indices

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        wrapped, self.input_indices = self._wrap(args, self._attach_input_hook)
        self.n_inputs = len(args)
        return wrapped

    def _attach_input_hook(self, node: Node) -> None:
        def hook(grad_inputs: tuple[Any, ...], _: Any) -> tuple[Any, ...] | None:
            if self.grad_outputs is None:  # reached without passing the outputs (double backward)
                return None
            assert self.input_indices is not None
            res = _scatter(self.input_indices, grad_inputs, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError(
                        "Backward hook returned an invalid number of grad_input, got "
                        f"{len(out)}, but expected {len(res)}"
                    )
                res = out
            self.grad_outputs = None
            return tuple(res[i] for i in self.input_indices)

        node.register_hook(hook)

    def setup_output_hook(self, result: Any) -> Any:
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        wrapped, self.output_indices = self._wrap(args, self._attach_output_hook)
        self.n_outputs = len(args)
        return wrapped if is_tuple else wrapped[0]

    def _attach_output_hook(self, node: Node) -> None:
        def hook(grad_outputs: tuple[Any, ...]) -> tuple[Any, ...] | None:
            assert self.output_indices is not None
            self.grad_outputs = _scatter(self.output_indices, grad_outputs, self.n_outputs)
            for pre_hook in self.user_pre_hooks:
                replaced = pre_hook(self.module, self.grad_outputs)
                if replaced is None:
                    continue
                if len(replaced) != len(self.grad_outputs):
                    raise RuntimeError(
                        "Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(replaced)}, but expected {len(self.grad_outputs)}"
                    )
                self.grad_outputs = tuple(replaced)
            passed_on = self.grad_outputs
            if self.input_indices is None:
                warnings.warn(NO_INPUT_REQUIRES_GRAD, UserWarning, stacklevel=2)
                no_grads = (None,) * self.n_inputs
                for user_hook in self.user_hooks:
                    res = user_hook(self.module, no_grads, self.grad_outputs)
                    if res is not None and not (
                        isinstance(res, tuple) and all(r is None for r in res)
                    ):
                        raise RuntimeError(
                            "Backward hook for Modules where no input requires gradient should "
                            "always return None or None for all gradients."
                        )
                self.grad_outputs = None
            return tuple(passed_on[i] for i in self.output_indices)

        node.register_prehook(hook)
