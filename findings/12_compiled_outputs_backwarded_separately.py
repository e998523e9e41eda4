"""Two outputs of one compiled function, backwarded one after the other, fail the second time.

Backend: torch.compile(backend="aot_eager") (the whole function; backward calls break the graph)
Torch: 2.13.0+cpu
Case: accumulation/two_outputs_backward_separately (torch-compile)
Differs: eager: y1 = x.sum() and y2 = (x ** 2).sum() are separate graphs that only share the
    leaf, so y1.backward() then y2.backward() accumulates both gradients. Compiled, both outputs
    hang off one CompiledFunctionBackward node; the first backward frees it and the second
    raises "Trying to backward through the graph a second time".
Right side: eager; reference_impl gives x.grad = 1 + 2x after both, as eager does. Found by the
    harness: accumulation/two_outputs_backward_separately fails under torch-compile.
Issue: https://github.com/pytorch/pytorch/issues/118739 ("Getting RuntimeError: Trying to
    backward through the graph a second time when calling backward on compiled unbind / split
    ops", open): the same mechanism, one shared compiled node freed by the first backward.
"""

import torch


def two_outputs(x):
    y1 = x.sum()
    y2 = (x**2).sum()
    y1.backward()
    first = x.grad.clone()
    y2.backward()
    return first, x.grad


def run(fn):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    try:
        first, total = fn(x)
        return f"x.grad after y1 {first.tolist()}, after y2 {total.tolist()}"
    except RuntimeError as exc:
        return f"RuntimeError: {str(exc)[:58]}"


print("eager   :", run(two_outputs))
print("compiled:", run(torch.compile(two_outputs, backend="aot_eager")))
