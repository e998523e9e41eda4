"""Two scalar leaves stacked and summed get one shared .grad: a later backward adds to both.

Backend: compiled autograd (compiled_autograd._enable(torch.compile(backend="eager")));
    eager and aot_eager give the wrong answer
Torch: 2.13.0+cpu
Case: findings/stacked_scalar_leaves_keep_their_own_grads (reference)
Differs: after torch.stack([a, b]).sum().backward() for 0-d leaves a and b, a.grad and b.grad
    are the same memory (equal data_ptr): sum's backward expands the scalar gradient to
    stride 0, stack's backward hands each leaf a 0-d view of it, and AccumulateGrad steals
    both views as .grad (a 0-d view trivially obeys the layout contract). A second backward,
    torch.stack([a, b]).backward([10., 100.]), then accumulates in place into that one
    element: eager gives a.grad = b.grad = 111, compiled autograd 11 and 101. Any in-place
    change of one .grad (an optimizer step, a.grad.add_(5)) changes the other. With 1-d
    leaves of one element each the grads do not alias.
Right side: compiled autograd; a.grad = 1 + 10 and b.grad = 1 + 100 by the chain rule, and
    reference_impl gives 11 and 101. Found by the harness: generated program p2431 of seed 18
    (draw version 5), where reference_impl differed from torch on calls.1.grads; reduced by
    hand.
Issue: not found in the tracker; the steal condition's layout check is the subject of
    https://github.com/pytorch/pytorch/pull/180552 (enforce_grad_layout_policy), which does
    not consider stride-0 views.
"""

import warnings

import torch
from torch._dynamo import compiled_autograd


def two_backwards(a, b):
    torch.stack([a, b]).sum().backward()
    torch.stack([a, b]).backward(torch.tensor([10.0, 100.0]))


def under_compiled_autograd(a, b):
    with compiled_autograd._enable(torch.compile(backend="eager")):
        two_backwards(a, b)


def run(fn):
    a = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(2.0, requires_grad=True)
    fn(a, b)
    return f"a.grad = {a.grad.item()}, b.grad = {b.grad.item()}"


warnings.simplefilter("ignore")
print("eager                        :", run(two_backwards))
print("compiled (compiled autograd) :", run(under_compiled_autograd))
