"""A custom Function whose backward returns the Python int 1: eager raises, aot_eager drops it.

Backend: torch.compile(backend="aot_eager")
Torch: 2.13.0+cpu
Case: custom_function/grad_of_type_int_errors (torch-compile)
Differs: eager raises "RuntimeError: expected Variable or None (got int)" at backward; the
    compiled function runs backward without error and leaves x.grad None, so the caller's
    mistake becomes a silently missing gradient.
Right side: eager. The documented contract is that backward returns a Tensor or None per input;
    reference_impl raises the same RuntimeError as eager.
Issue: not found in the tracker (searched "autograd.Function backward returns int ... compile";
    closest: https://github.com/pytorch/pytorch/issues/193279, a different custom-backward drop).
"""

import torch


class ReturnsInt(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return 1


def f(x):
    return ReturnsInt.apply(x)


def grad_of(fn):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    try:
        fn(x).sum().backward()
    except RuntimeError as exc:
        return f"RuntimeError: {exc}"
    return f"x.grad = {x.grad}"


print("eager   :", grad_of(f))
print("compiled:", grad_of(torch.compile(f, backend="aot_eager")))
