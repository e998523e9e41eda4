"""ctx.mark_non_differentiable is dropped when Dynamo graph-breaks at a custom Function's apply.

Backend: torch.compile(backend="aot_eager") and backend="inductor" (backend="eager" the same:
    Dynamo drops it); the backward's side effect makes Dynamo graph-break at TwoOut.apply
Torch: 2.13.0+cpu
Case: custom_function/mark_non_differentiable_output (torch-compile)
Differs: TwoOut.forward returns (x * 2, x * 3) and marks the second, b, non-differentiable; its
    backward appends to an outer list. Eager: b.requires_grad is False, b has no grad_fn, and
    b.sum().backward() raises "element 0 of tensors does not require grad". Compiled, Dynamo
    cannot trace the backward, graph-breaks at apply and compiles forward() as a frame of its
    own, where ctx.mark_non_differentiable(b) is only recorded on Dynamo's
    AutogradFunctionContextVariable, never replayed on the real ctx (mark_dirty graph-breaks
    there instead): b requires grad with grad_fn TwoOutBackward, and b.sum().backward() runs
    the Function's backward with gb = [1, 1] and writes x.grad = [0, 0].
Right side: eager: FunctionCtx.mark_non_differentiable's documentation says marked outputs do not
    require gradients; reference_impl gives b.requires_grad = False and raises the same error.
    Compiled as a whole (a backward without the side effect), the mark is kept. Found by the
    harness: the catalogue case custom_function/mark_non_differentiable_output failed under
    torch-compile (flags: b's requires_grad, is_leaf, grad_fn); reduced by hand.
Issue: not found in the tracker for the graph-break path. Closest:
    https://github.com/pytorch/pytorch/issues/118396 ("Dynamo x autograd.Function: Doesn't
    support all the ctx.methods", open: "we may silently ignore them", mark_non_differentiable
    among them); https://github.com/pytorch/pytorch/pull/134087 added mark_non_differentiable
    to the traced (HOP) path only; https://github.com/pytorch/pytorch/issues/138215 is the
    graph break on a Function whose backward Dynamo cannot trace.
"""

import torch

seen = []


class TwoOut(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        b = x * 3
        ctx.mark_non_differentiable(b)
        return x * 2, b

    @staticmethod
    def backward(ctx, ga, gb):
        seen.append(gb.tolist())  # a side effect: Dynamo graph-breaks at TwoOut.apply
        return ga * 2


def f(x):
    return TwoOut.apply(x)


def run(fn):
    seen.clear()
    x = torch.ones(2, requires_grad=True)
    flags = "the call"
    try:
        _, b = fn(x)
        node = b.grad_fn and type(b.grad_fn).__name__
        flags = f"b.requires_grad = {b.requires_grad}, grad_fn = {node}"
        b.sum().backward()
    except Exception as exc:
        return f"{flags}; b.sum().backward() raised {type(exc).__name__}: {str(exc)[:70]}"
    return f"{flags}; b.sum().backward() ran: backward saw gb = {seen}, x.grad = {x.grad.tolist()}"


print("eager               :", run(f))
print("compiled (aot_eager):", run(torch.compile(f, backend="aot_eager")))
torch._dynamo.reset()
print("compiled (inductor) :", run(torch.compile(f, backend="inductor")))
