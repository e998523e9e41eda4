"""Under saved-tensor hooks, an in-place write to an input that only the compiled graph saved
gives a wrong gradient where, without hooks, the same program is refused (finding 16).

Backend: torch.compile(backend="aot_eager") and backend="inductor", forward under
    torch.autograd.graph.save_on_cpu() (CPU tensors) or any saved_tensors_hooks whose pack
    keeps the tensor itself
Torch: 2.13.0+cpu
Case: findings/input_only_the_compiled_graph_saves_written_under_save_on_cpu
    (torch-compile, torch-compile:inductor)
Differs: y = x / (w.abs() + 0.5) with w taking no gradient, then w.mul_(2) before
    y.sum().backward(). Eager saves the new tensor w.abs() + 0.5, so the write is harmless:
    x.grad = 0.727774 with or without hooks. The compiled graph saves w itself and recomputes
    w.abs() + 0.5 in backward. Without hooks its saved w fails the version check and backward
    raises (finding 16). A saved tensor that goes through hooks has its version checked by
    no one, and save_on_cpu's pack returns a CPU tensor itself, so with the hooks on the
    compiled backward silently reads the written w: x.grad = 0.444819, the gradient of a
    forward that never ran. Eager is right with and without the hooks.
Right side: eager; reference_impl saves what eager saves and gives 0.727774 under save_on_cpu.
    Found by the harness: generated program p0052 of seed 4 (draw version 8) in a
    torch-compile:inductor campaign, which tools/triage.py left untriaged (a leaf's gradient
    6% off), shrunk by the harness to a times-one-hooked region whose tanh_ writes a tensor
    only inductor's graph saved; reduced by hand to finding 16's program under the hooks.
Issue: not found in the tracker; the refusal without hooks is finding 16, whose mechanism (a
    compiled graph saving a graph input that is then written) is
    https://github.com/pytorch/pytorch/issues/185497.
"""

import contextlib

import torch


def scaled(x, w):
    return x / (w.abs() + 0.5)


def run(fn, hooks):
    x = torch.tensor([-0.66, -1.36, 1.28], requires_grad=True)
    w = torch.tensor([[1.35]]).tanh()
    with hooks():
        y = fn(x, w)
    w.mul_(2)  # after the forward: eager's saved tensors do not include w
    try:
        y.sum().backward()
    except RuntimeError as exc:
        return f"RuntimeError: {str(exc).splitlines()[0][:60]}..."
    finally:
        torch._dynamo.reset()
    return f"x.grad = {x.grad[0].item():.6f} (each element)"


for label, hooks in (
    ("no hooks   ", contextlib.nullcontext),
    ("save_on_cpu", torch.autograd.graph.save_on_cpu),
):
    print(f"eager               , {label}:", run(scaled, hooks))
    for backend in ("aot_eager", "inductor"):
        compiled = torch.compile(scaled, backend=backend)
        print(f"compiled ({backend:9}), {label}:", run(compiled, hooks))
