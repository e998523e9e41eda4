"""backward(create_graph=True) through two chained compiled functions raises a leaf in-place error.

Backend: torch.compile(backend="aot_eager") and backend="inductor"
Torch: 2.13.0+cpu
Case: findings/create_graph_backward_through_two_compiled_graphs
    (torch-compile, torch-compile:inductor)
Differs: y = total(difference(x, c)) with each function compiled, and y.backward(create_graph=True):
    eager gives x.grad = [1., 1.]; compiled raises "a leaf Variable that requires grad is being
    used in an in-place operation". The second function's gradient for its input is an
    expanded (stride-0) tensor; the first function's backward prologue copies it into a
    tensor of the strides it expects (coerce_to_expected_memory_format: restrided.copy_(x)),
    and under create_graph=True that copy runs with grad mode on, where autograd refuses it.
Right side: eager; reference_impl computes the same x.grad. Found by the harness: generated
    program p0245 (seed 0, draw version 3) in the torch-compile campaign, left untriaged by
    tools/triage.py and shrunk by the harness (`shrink_isolated`, error facet) to a sub and a
    sum(0) with a graph break between them; reduced by hand to two compiled functions.
Issue: not found in the tracker; the same refusal of an internal copy_ under grad mode, in
    AOTAutograd's functionalization step, was fixed by https://github.com/pytorch/pytorch/pull/177213.
"""

import torch


def difference(x, c):
    return x - c


def total(t):
    return t.sum(0)  # its gradient for t is an expanded (stride-0) tensor


def run(wrap):
    x = torch.tensor([-1.14, -0.77], requires_grad=True)
    y = wrap(total)(wrap(difference)(x, torch.tensor([-1.14])))
    try:
        y.backward(create_graph=True)
    except RuntimeError as exc:
        return f"RuntimeError: {exc}"
    return f"x.grad = {x.grad.detach()}"


print("eager               :", run(lambda f: f))
print("compiled (aot_eager):", run(lambda f: torch.compile(f, backend="aot_eager")))
torch._dynamo.reset()
print("compiled (inductor) :", run(lambda f: torch.compile(f, backend="inductor")))
