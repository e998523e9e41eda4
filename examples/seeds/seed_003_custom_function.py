"""Seed 003, "深度学习小笔记05-扩展autograd" (from 陈云's book): old-style custom Functions.

The document's code lost its newlines; here it is re-indented, otherwise as written, including
its pre-0.4 names: ``t`` is ``torch`` and ``V`` is ``torch.autograd.Variable`` (the book's
``import torch as t`` / ``from torch.autograd import Variable as V``), and ``ctx.saved_variables``
(deprecated: torch 2.13 still returns ``saved_tensors`` with a DeprecationWarning). Run:
``python -m examples.seeds.seed_003_custom_function [--module reference_impl]``.

What torch 2.13 does (docs/semantics.md §6): ``MultiplyAdd.forward`` calls
``ctx.save_for_backward()`` with no tensors, so ``w,x = ctx.saved_variables`` in its backward
raises ``ValueError: not enough values to unpack (expected 2, got 0)`` and no grads are set. The
document shows no output; the program prints the error instead of dying on it, then the grads.

Fixed inputs: ``w = V(t.rand(1), ...)`` and ``b = V(t.rand(1), ...)`` -> ``[0.5]`` and
``[0.25]``. The document defines ``Mul`` but never calls it; the last section (not in the
document) calls it with the same inputs: ``z = 0.5*1 + 0.25 = 0.75``, grads ``(None, 1, 1)``
(``x`` does not require grad, so the grad returned for it is dropped).
"""

from examples.seeds._module import torch

t = torch  # the book's `import torch as t`
V = torch.autograd.Variable  # the book's `from torch.autograd import Variable as V`
Function = torch.autograd.Function  # `from torch.autograd import Function`


class Mul(Function):
    @staticmethod
    def forward(ctx, w, x, b, x_requires_grad=True):
        ctx.x_requires_grad = x_requires_grad
        ctx.save_for_backward(w, x)
        output = w * x + b
        return output

    @staticmethod
    def backward(ctx, grad_output):
        w, x = ctx.saved_variables
        grad_w = grad_output * x
        if ctx.x_requires_grad:  # noqa: SIM108 (the document's code)
            grad_x = grad_output * w
        else:
            grad_x = None
        grad_b = grad_output * 1
        return grad_w, grad_x, grad_b, None


class MultiplyAdd(Function):
    @staticmethod
    def forward(ctx, w, x, b):
        print("type in forward", type(x))
        ctx.save_for_backward()
        output = w * x + b
        return output

    @staticmethod
    def backward(ctx, grad_output):
        w, x = ctx.saved_variables
        print("type in backward", type(x))
        grad_w = grad_output * x
        grad_x = grad_output * w
        grad_b = grad_output * 1
        return grad_w, grad_x, grad_b


x = V(t.ones(1))
w = V(t.tensor([0.5]), requires_grad=True)  # document: V(t.rand(1), requires_grad = True)
b = V(t.tensor([0.25]), requires_grad=True)  # document: V(t.rand(1), requires_grad = True)
print("forward")
z = MultiplyAdd.apply(w, x, b)
print("backward")
try:
    z.backward()
except Exception as e:  # torch 2.13: ValueError from `w,x = ctx.saved_variables`
    print(f"{type(e).__name__}: {e}")
print((x.grad, w.grad, b.grad))  # the document's notebook line `x.grad, w.grad, b.grad`

# Not in the document: the same inputs through `Mul`, which does save (w, x).
x = V(t.ones(1))
w = V(t.tensor([0.5]), requires_grad=True)
b = V(t.tensor([0.25]), requires_grad=True)
z = Mul.apply(w, x, b)
print(z)
z.backward()
print((x.grad, w.grad, b.grad))
