"""aot_eager reverses the order in which leaf hooks of one compiled region fire.

Backend: torch.compile(backend="aot_eager")
Torch: 2.13.0+cpu
Case: known_issues/post_accumulate_hooks_follow_graph_order (torch-compile)
Differs: for f(a, b) = (a*2).sum() + (b*3).sum(), eager fires post-accumulate-grad hooks b then a
    (b's AccumulateGrad is reached through the later node); under aot_eager the single
    CompiledFunctionBackward node hands out grads in input order, so a fires first. Tensor hooks
    on the leaves flip the same way. Gradients agree.
Right side: eager, as the reference engine models it (reference_impl gives b, a). Optimizers and
    DDP-style code that act in post-accumulate hooks see a different order.
Issue: pull requests https://github.com/pytorch/pytorch/pull/177683 ("Preserve eager
    post_accumulate_grad_hook tiebreaker ordering", which says it fixes #144376) and
    https://github.com/pytorch/pytorch/pull/186007 ("Preserve eager post accumulate hook ordering
    in AOTAutograd"), both closed unmerged.
"""

import torch


def f(a, b):
    return (a * 2).sum() + (b * 3).sum()


def hook_order(fn):
    a = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)
    events = []
    a.register_post_accumulate_grad_hook(lambda p: events.append("a"))
    b.register_post_accumulate_grad_hook(lambda p: events.append("b"))
    fn(a, b).backward()
    return events, a.grad.tolist(), b.grad.tolist()


print("eager   :", hook_order(f))
print("compiled:", hook_order(torch.compile(f, backend="aot_eager")))
