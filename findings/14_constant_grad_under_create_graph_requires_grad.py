"""A gradient that is a constant in eager requires grad under torch.compile (create_graph=True).

Backend: torch.compile(backend="aot_eager")
Torch: 2.13.0+cpu
Case: higher_order/constant_grad_under_create_graph_is_plain (torch-compile)
Differs: d(x + x)/dx is the constant 2, so with create_graph=True eager returns it with
    requires_grad=False and no grad_fn; compiled returns requires_grad=True with a
    CompiledFunctionBackwardBackward node, which a second differentiation then refuses
    ("does not currently support double backward") where eager finds no dependence on x.
Right side: eager; reference_impl returns the constant 2 with requires_grad=False. Found by
    the harness: generated program p0020 (seed 0) under torch-compile, shrunk to this, and the
    catalogue case higher_order/constant_grad_under_create_graph_is_plain (flags differ).
Issue: not found in the tracker; the reverse (compiled dropping requires_grad of a
    create_graph gradient) is https://github.com/pytorch/pytorch/issues/181581, whose fix
    https://github.com/pytorch/pytorch/pull/181606 marks compiled gradients as requiring grad
    from the inputs' metadata - plausibly why a constant gradient now requires grad.
"""

import torch


def grad_of_double(x):
    y = x + x
    (g,) = torch.autograd.grad(y, [x], create_graph=True)
    return g


def describe(g):
    node = type(g.grad_fn).__name__ if g.grad_fn is not None else None
    return f"g = {g.item()}, requires_grad={g.requires_grad}, grad_fn={node}"


x = torch.tensor(-1.14, requires_grad=True)
print("eager   :", describe(grad_of_double(x)))
print("compiled:", describe(torch.compile(grad_of_double, backend="aot_eager")(x)))
