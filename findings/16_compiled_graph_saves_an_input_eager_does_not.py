"""Backward fails under torch.compile after an in-place write to an input that eager never saved.

Backend: torch.compile(backend="aot_eager") and backend="inductor"
Torch: 2.13.0+cpu
Case: findings/input_only_the_compiled_graph_saves_written_after_forward
    (torch-compile, torch-compile:inductor)
Differs: y = x / (w.abs() + 0.5) with w taking no gradient: eager saves the new tensor
    (w.abs() + 0.5) for backward, so writing into w afterwards is harmless and backward gives
    x.grad; the compiled graph saves w itself and recomputes w.abs() + 0.5 in backward (the
    partitioner's rematerialisation), so the same write makes backward raise "one of the
    variables needed for gradient computation has been modified by an inplace operation".
Right side: eager; reference_impl saves what eager saves and returns the same x.grad. Found by
    the harness: generated program p0090 (seed 0) under torch-compile and torch-compile:inductor
    (tools/triage.py: compiled raises an in-place error where eager raises nothing), reduced by
    hand.
Issue: not found in the tracker; the same mechanism (the compiled graph saving a graph input
    that the function then modifies in place) is https://github.com/pytorch/pytorch/issues/185497.
"""

import torch


def scaled(x, w):
    return x / (w.abs() + 0.5)


def run(fn):
    x = torch.tensor([-0.66, -1.36, 1.28], requires_grad=True)
    w = torch.tensor([[1.35]]).tanh()
    y = fn(x, w)
    w.mul_(2)  # after the forward: eager's saved tensors do not include w
    try:
        y.sum().backward()
    except RuntimeError as exc:
        return f"RuntimeError: {str(exc).split(' Hint')[0]}"
    return f"x.grad = {x.grad}"


print("eager               :", run(scaled))
print("compiled (aot_eager):", run(torch.compile(scaled, backend="aot_eager")))
torch._dynamo.reset()
print("compiled (inductor) :", run(torch.compile(scaled, backend="inductor")))
