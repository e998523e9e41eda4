"""Inductor drops the in-place check on a saved view of an input: backward runs on mutated data.

Backend: torch.compile(backend="inductor") (aot_eager still raises like eager)
Torch: 2.13.0+cpu
Case: findings/saved_view_of_an_input_written_before_backward (torch-compile:inductor)
Differs: y = (x @ w).sum() with a 3-D x saves a reshaped view of x; x.add_(1) before
    y.backward() makes eager raise "one of the variables needed for gradient computation has
    been modified by an inplace operation"; inductor raises nothing and w.grad is computed from
    the mutated x.
Right side: eager: the version check is documented autograd behaviour (reference_impl raises the
    same RuntimeError); the silent w.grad is the gradient of a function that was never
    evaluated (it equals the grad for x + 1, not for x).
Issue: https://github.com/pytorch/pytorch/issues/197887 ("[inductor] Autograd's 'modified by an
    inplace operation' check is lost when a view of a graph input is saved for backward", open).
"""

import torch


def f(x, w):
    return (x @ w).sum()


def run(fn):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4)
    w = torch.randn(4, 2, requires_grad=True)
    grad_for_x = x.sum((0, 1))[:, None].expand(4, 2)
    grad_for_x_plus_one = (x + 1).sum((0, 1))[:, None].expand(4, 2)
    y = fn(x, w)
    x.add_(1.0)
    try:
        y.backward()
    except RuntimeError as exc:
        return "RuntimeError: " + str(exc).splitlines()[0][:90]
    return (
        f"no error; w.grad matches grad at x: {torch.allclose(w.grad, grad_for_x)}, "
        f"at x + 1: {torch.allclose(w.grad, grad_for_x_plus_one)}"
    )


print("eager   :", run(f))
print("compiled:", run(torch.compile(f, backend="inductor")))
