"""autograd.grad's gradient for a hooked non-leaf input: eager returns it before the tensor
hook when the input's node also runs for another input, after the hook otherwise; compiled
autograd returns it after the hook in both.

Backend: compiled autograd (torch._dynamo.compiled_autograd, compiler torch.compile(backend=
    "aot_eager"))
Torch: 2.13.0+cpu
Case: findings/hooked_input_gradient_with_and_without_its_node (torch-compiled-autograd)
Differs: y = 1 / (|x| + 0.5) for x = -1.14, y.register_hook(lambda g: g * 2), then
    torch.autograd.grad(y * 1, inputs). With inputs [y], eager returns 2.0 for y (the hook's
    result); with inputs [y, x] it returns 1.0 for y (what arrived, before the hook) and
    0.743605 for x (the hook's doubled gradient, propagated). Eager's engine captures an
    input's gradient from the node's input buffer when the node runs, and after the tensor
    pre-hooks when it only feeds the capture. Compiled autograd returns 2.0 for y in both.
    A program that adds an input to autograd.grad changes the gradient of another.
Right side: arguably compiled autograd: register_hook's documentation says the hook's return
    value "will be used in place of grad", and eager itself returns it when y's node does not
    run; with [y, x] eager hands back the gradient the hook replaced. reference_impl copies
    eager's two answers (its engine reproduces the capture rule). Found by the harness:
    generated program p0856 of seed 8 (draw version 8) in a torch-compiled-autograd campaign,
    which tools/triage.py left untriaged (a call's returned gradient differed by a factor of
    2), shrunk by the harness to one op, one hook and one autograd.grad; reduced by hand.
Issue: not found in the tracker; that autograd.grad may not run the nodes of its inputs is
    documented in the autograd note's "Backward Hooks execution" section
    (https://github.com/pytorch/pytorch/pull/91667), which does not say which gradient a hooked
    input's capture returns.
"""

import torch


def grads(inputs):
    x = torch.tensor(-1.14, requires_grad=True)
    y = (x.abs() + 0.5).reciprocal()
    y.register_hook(lambda g: g * 2.0)
    chosen = {"y": y, "x": x}
    result = torch.autograd.grad(y * 1, [chosen[name] for name in inputs])
    return ", ".join(f"d/d{name} = {g.item():.6f}" for name, g in zip(inputs, result, strict=True))


for inputs in (["y"], ["y", "x"]):
    print(f"eager                        , inputs {inputs}:", grads(inputs))
    with torch._dynamo.compiled_autograd._enable(torch.compile(backend="aot_eager")):
        print(f"compiled (compiled autograd) , inputs {inputs}:", grads(inputs))
    torch._dynamo.reset()
