"""`autograd.grad(create_graph=True, is_grads_batched=True)` in a compiled function drops the graph.

Backend: torch.compile(backend="aot_eager") (z = x**3 is compiled; Dynamo breaks the graph at
    autograd.grad, which then runs on the compiled region's output)
Torch: 2.13.0+cpu
Case: api_surface/grad_with_batched_grad_outputs (torch-compile)
Differs: g = autograd.grad(x**3, x, eye(3), create_graph=True, is_grads_batched=True) at
    x = (0.5, -1.5, 2): both sides give the Jacobian diag(3x**2) = diag(0.75, 6.75, 12). Eager
    returns it with requires_grad=True (MulBackward0), so d(g.sum())/dx = 6x = [3, -9, 12];
    compiled returns it with requires_grad=False and no grad_fn, so create_graph=True is dropped
    without a word and d(g.sum())/dx raises "element 0 of tensors does not require grad and does
    not have a grad_fn". Unbatched, the compiled gradient keeps its graph
    (CompiledFunctionBackwardBackward) and a second differentiation meets the explicit
    "does not currently support double backward" refusal instead. The compiled backward is
    applied as an autograd.Function (CompiledFunctionBackward); under is_grads_batched's vmap a
    Function's output loses its graph in eager too (a hand-written Function whose backward
    applies another Function gives requires_grad=False the same way).
Right side: eager; the autograd.grad docs say create_graph=True constructs the derivative's
    graph, and is_grads_batched only vmaps over grad_outputs. By hand d(sum of 3x**2)/dx = 6x;
    reference_impl returns g with requires_grad=True (StackBackward0) and the same [3, -9, 12].
    Found by the harness: the catalogue case api_surface/grad_with_batched_grad_outputs failed
    under torch-compile (error: only torch-compile raised the "does not require grad"
    RuntimeError); reduced by hand.
Issue: not found in the tracker for is_grads_batched. Closest:
    https://github.com/pytorch/pytorch/issues/181581 (compile drops create_graph metadata from
    autograd.grad outputs, closed; fixed for the unbatched call by
    https://github.com/pytorch/pytorch/pull/181606);
    https://github.com/pytorch/pytorch/issues/158610 ("vmap will always disable gradient
    calculation", open). With inductor the batched call fails earlier, create_graph or not
    ("Cannot access data pointer of Tensor that doesn't have storage"):
    https://github.com/pytorch/pytorch/issues/138422 (open).
"""

import torch


def first_grad(x, batched):
    z = x**3
    if batched:
        (g,) = torch.autograd.grad(z, x, torch.eye(3), create_graph=True, is_grads_batched=True)
    else:
        (g,) = torch.autograd.grad(z, x, torch.ones(3), create_graph=True)
    return g


def run(fn, batched):
    x = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    g = fn(x, batched)
    shown = f"diag(g) = {g.detach().diagonal().tolist()}" if batched else f"g = {g.tolist()}"
    line = f"{shown}, requires_grad={g.requires_grad}, "
    line += f"grad_fn={type(g.grad_fn).__name__ if g.grad_fn else None}; "
    try:
        return line + f"d(g.sum())/dx = {torch.autograd.grad(g.sum(), x)[0].tolist()}"
    except RuntimeError as exc:
        return line + f"d(g.sum())/dx: RuntimeError: {str(exc).splitlines()[0]}"


compiled = torch.compile(first_grad, backend="aot_eager")
print("eager                (batched)  :", run(first_grad, True))
print("compiled (aot_eager) (batched)  :", run(compiled, True))
print("eager                (unbatched):", run(first_grad, False))
print("compiled (aot_eager) (unbatched):", run(compiled, False))
