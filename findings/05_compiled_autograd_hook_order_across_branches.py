"""Compiled autograd runs the tensor hooks of two sibling branches in the other order.

Backend: compiled autograd (torch._dynamo.compiled_autograd._enable, backend="eager")
Torch: 2.13.0+cpu
Case: known_issues/sibling_branch_hooks_fire_later_node_first (torch-compiled-autograd)
Differs: for a = x*2, b = x*3, (a + b).sum().backward(), eager fires b's hook before a's
    (the engine runs the ready node with the higher sequence number first); compiled autograd
    fires a's first. Gradients agree; only the order of hook side effects differs.
Right side: eager, as the reference engine models it (reference_impl also gives b, a). The
    autograd notes do not promise an order between independent branches, so this matters to
    code whose hooks have order-dependent side effects (logging, communication).
Issue: not found in the tracker; related: https://github.com/pytorch/pytorch/issues/138538
    ("[Compiled Autograd] Usage of AOTAutograd cause all hook functions to get pushed to the
    end of the graph", closed).
"""

import torch
from torch._dynamo import compiled_autograd


def hook_order():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    events = []
    a = x * 2
    b = x * 3
    a.register_hook(lambda g: events.append("a"))
    b.register_hook(lambda g: events.append("b"))
    (a + b).sum().backward()
    return events, x.grad.tolist()


print("eager   :", hook_order())
with compiled_autograd._enable(torch.compile(backend="eager")):
    print("compiled:", hook_order())
