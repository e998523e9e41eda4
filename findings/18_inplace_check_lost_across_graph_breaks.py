"""The in-place check is lost across graph breaks: compiled code returns a gradient eager refuses.

Backend: torch.compile(backend="aot_eager") and backend="inductor", with graph breaks
Torch: 2.13.0+cpu
Case: findings/in_place_check_across_graph_breaks (torch-compile, torch-compile:inductor)
Differs: t = x + 1; t.tanh_(); t.add_(1), each in its own compiled graph (graph breaks between
    them), then autograd.grad(t, x): eager raises "one of the variables needed for gradient
    computation has been modified by an inplace operation" (tanh_'s node saved its result, t,
    and add_ wrote it); compiled returns a gradient. Each graph mutates its input t
    functionally and copies the result back, so the tensor tanh_'s backward saved is a private
    copy whose version add_ never bumps. In one graph (no breaks) the compiled backends raise,
    at compile time.
Right side: eager; reference_impl raises the same error. Found by the harness: generated
    program p0100 (seed 0, draw version 3) in the torch-compile campaign (tools/triage.py: "the
    in-place check missing under compile"), shrunk by the harness (shrink_isolated, error
    facet) to these three steps; the graph breaks are where the program's steps break.
Issue: not found in the tracker; the check lost under inductor for a saved view of an input
    is https://github.com/pytorch/pytorch/issues/197887 (finding 09).
"""

import torch


def f(x):
    t = x + 1
    torch._dynamo.graph_break()
    t.tanh_()  # TanhBackward saves its result: t itself
    torch._dynamo.graph_break()
    t.add_(1)  # writes it, so eager's backward must refuse
    return t


def run(fn):
    x = torch.tensor(-1.14, requires_grad=True)
    try:
        (grad,) = torch.autograd.grad(fn(x), [x])
    except RuntimeError as exc:
        return f"RuntimeError: {str(exc).split(' Hint')[0]}"
    return f"grad = {grad.item():.6f}"


print("eager               :", run(f))
print("compiled (aot_eager):", run(torch.compile(f, backend="aot_eager")))
torch._dynamo.reset()
print("compiled (inductor) :", run(torch.compile(f, backend="inductor")))
