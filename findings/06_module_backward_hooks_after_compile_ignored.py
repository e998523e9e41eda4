"""Full backward (pre-)hooks registered on a module after its first compiled call never run.

Backend: torch.compile(backend="aot_eager", fullgraph=True)
Torch: 2.13.0+cpu
Case: none under the harness's backends: a case is compiled afresh at each call, and the
    finding needs a module compiled once before its hooks are added
    (known_issues/full_backward_hook_added_after_first_call pins the behaviour eagerly).
Differs: a register_full_backward_hook (or register_full_backward_pre_hook) that doubles the
    gradient, added after the compiled function has run once, doubles x.grad in eager
    ([2, 2, 2]) and is ignored by the compiled function ([1, 1, 1]): no guard on module hooks,
    so the old graph is reused.
Right side: eager: the hook is registered before this backward; the documented contract is that
    it runs. d(sum(W x))/dx = [1, 1, 1] for W = I, doubled by the hook.
Issue: https://github.com/pytorch/pytorch/issues/115750 ("torch.compile doesn't seem to guard on
    register_full_module_backward_hook, leading to silent incorrectness", closed as duplicate of)
    https://github.com/pytorch/pytorch/issues/117265 ("torch.compile silently incorrect with
    full_backward_pre_hook", open).
"""

import torch
from torch import nn


def double_grad_input(module, grad_input, grad_output):
    return tuple(g * 2 for g in grad_input)


def double_grad_output(module, grad_output):
    return tuple(g * 2 for g in grad_output)


def compare(kind):
    layer = nn.Linear(3, 3, bias=False)
    layer.weight = nn.Parameter(torch.eye(3))
    torch._dynamo.reset()

    def f(x):
        return layer(x)

    compiled = torch.compile(f, backend="aot_eager", fullgraph=True)
    compiled(torch.randn(3, requires_grad=True))  # compile before the hook exists
    if kind == "full_backward_hook":
        layer.register_full_backward_hook(double_grad_input)
    else:
        layer.register_full_backward_pre_hook(double_grad_output)
    for side, fn in (("eager   ", layer), ("compiled", compiled)):
        x = torch.ones(3, requires_grad=True)
        fn(x).sum().backward()
        print(f"{side}: {kind}: x.grad = {x.grad.tolist()}")


compare("full_backward_hook")
compare("full_backward_pre_hook")
