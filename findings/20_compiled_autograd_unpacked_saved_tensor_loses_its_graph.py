"""Under compiled autograd, a saved tensor that comes back from an unpack hook loses its place in
the graph: a create_graph=True gradient silently drops every term through it.

Backend: compiled autograd (torch._dynamo.compiled_autograd, compiler torch.compile(backend=
    "aot_eager")), for the backward that has create_graph=True
Torch: 2.13.0+cpu
Case: findings/unpacked_saved_tensor_keeps_its_graph_under_create_graph (torch-compiled-autograd)
Differs: y = (x * x).sum() with x = [1.5, -2.0], its saved tensors going through
    saved_tensors_hooks whose pack returns a clone (or through torch.utils.checkpoint with
    use_reentrant=False, which recomputes them), then g = autograd.grad(y, x,
    create_graph=True) and autograd.grad((g * x).sum(), x). Eager re-attaches what unpack
    returns to the saved tensor's place in the graph (SavedVariable::unpack), so g = 2x keeps
    its history and the second gradient is 4x = [6, -8]. Compiled autograd uses the unpacked
    tensor as it is: g = [3, -4] does not require grad, and the second gradient, [3, -4], has
    lost the term through g. No error, no warning. With hooks that return the saved tensor
    itself, both give [6, -8].
Right side: eager (d/dx of 2x^2 is 4x); reference_impl gives [6, -8]. Found by the harness:
    generated program p0169 of seed 4 (draw version 8) in a torch-compiled-autograd campaign,
    which tools/triage.py left untriaged (its create_graph gradient required grad in eager and
    not under compiled autograd), shrunk by the harness to a clone-hooked
    binary_cross_entropy_with_logits; reduced by hand to x * x, and checkpoint found by hand.
Issue: not found in the tracker. Compiled autograd traces saved-variable unpacking since
    https://github.com/pytorch/pytorch/pull/147242, whose description says the approach "won't
    directly work when we add support for Forward AD or double-backward"; double backward
    through compiled code (not compiled autograd) raises since
    https://github.com/pytorch/pytorch/issues/91469.
"""

import torch
from torch.utils.checkpoint import checkpoint


def clone_hooks():
    return torch.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda p: p)


def square_sum(x):
    return (x * x).sum()


def run(forward, compiled_autograd):
    x = torch.tensor([1.5, -2.0], requires_grad=True)
    y = forward(x)
    if compiled_autograd:
        compiler = torch.compile(backend="aot_eager")
        with torch._dynamo.compiled_autograd._enable(compiler):
            (g,) = torch.autograd.grad(y, [x], create_graph=True)
    else:
        (g,) = torch.autograd.grad(y, [x], create_graph=True)
    (second,) = torch.autograd.grad((g * x).sum(), [x])
    torch._dynamo.reset()
    return f"g = {g.tolist()} requires_grad={g.requires_grad}; d/dx sum(g * x) = {second.tolist()}"


def hooked(x):
    with clone_hooks():
        return square_sum(x)


def checkpointed(x):
    return checkpoint(square_sum, x, use_reentrant=False)


for label, forward in (("clone hooks", hooked), ("checkpoint ", checkpointed)):
    print(f"eager                        , {label}:", run(forward, False))
    print(f"compiled (compiled autograd) , {label}:", run(forward, True))
