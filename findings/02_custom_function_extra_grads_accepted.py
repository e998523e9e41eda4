"""A custom Function whose backward returns two grads for one input: eager raises, compiled not.

Backend: torch.compile(backend="aot_eager") and compiled autograd (backend="eager")
Torch: 2.13.0+cpu
Case: custom_function/too_many_grads_errors (torch-compile)
Differs: eager raises "function ExtraGradBackward returned an incorrect number of gradients
    (expected 1, got 2)"; under aot_eager and under compiled autograd the extra grad is
    silently ignored and x.grad is set to the first one.
Right side: eager. The count check is documented Function behaviour; reference_impl raises the
    same RuntimeError. Probably the same missing validation as findings/01.
Issue: not found in the tracker (searched "backward returns wrong number of gradients no error
    torch.compile"; https://github.com/pytorch/pytorch/issues/137688 is the opposite case).
"""

import torch
from torch._dynamo import compiled_autograd


class ExtraGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


def f(x):
    return ExtraGrad.apply(x)


def grad_of(fn):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    try:
        fn(x).sum().backward()
    except RuntimeError as exc:
        return f"RuntimeError: {exc}"
    return f"x.grad = {x.grad}"


print("eager                        :", grad_of(f))
print("compiled (aot_eager)         :", grad_of(torch.compile(f, backend="aot_eager")))
torch._dynamo.reset()
with compiled_autograd._enable(torch.compile(backend="eager")):
    print("compiled (compiled autograd) :", grad_of(f))
