"""Under aot_eager, a tensor computed under inference_mode is not an inference tensor.

Backend: torch.compile(backend="aot_eager") (backend="eager", Dynamo alone, agrees with eager)
Torch: 2.13.0+cpu
Case: detach_no_grad/inference_mode_results (torch-compile)
Differs: def f(x): with torch.inference_mode(): y = x * 2; return y. Eager's y is an inference
    tensor: y.is_inference() is True, y.add_(1) outside inference mode raises "Inplace update
    to inference tensor outside InferenceMode is not allowed", and (y * w).sum().backward()
    with w requiring grad raises "Inference tensors cannot be saved for backward". aot_eager's y
    is a normal tensor: is_inference() is False, the add_ runs (y = [3, 5]) and the backward
    gives w.grad = [2, 4]. Dynamo's graph keeps _enter_inference_mode / _exit_inference_mode
    around the mul, but AOTAutograd's traced graph is the bare aten.mul, so at run time it runs
    outside inference mode. The same holds with x requiring grad (y.requires_grad is False on
    both sides).
Right side: eager: torch.inference_mode's docs say tensors created in it "cannot be used in
    computations recorded by autograd", and RFC-0011 that tensors allocated under it (not views
    of normal tensors) are inference tensors, which may not be written in place outside it.
    reference_impl gives is_inference() True and refuses both the save and the add_, as eager
    does. Found by the harness: the catalogue case
    detach_no_grad/inference_mode_results failed under torch-compile (values:
    `y.is_inference` True != False); reduced by hand.
Issue: not found in the tracker. Closest: https://github.com/pytorch/pytorch/pull/181106 (open,
    "Fix torch.compile crash with inference_mode and view ops in forward": inference_mode inside
    the compiled function, the crash side), https://github.com/pytorch/pytorch/pull/101219 ("fix
    inference_mode with torch.compile": functional wrappers mirroring the inputs' inference-ness),
    https://github.com/pytorch/pytorch/issues/134249 (Dynamo and tensors made inside or outside
    inference_mode).
"""

import torch


def f(x):
    with torch.inference_mode():
        y = x * 2
    return y


def attempt(action, *args):
    try:
        return action(*args)
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).split('.')[0]}"


def save_for_backward(y):
    w = torch.ones(2, requires_grad=True)
    (y * w).sum().backward()  # mul saves y for w's gradient
    return f"w.grad = {w.grad.tolist()}"


def write_outside(y):
    y.add_(1)
    return f"y = {y.tolist()}"


for name, backend in (
    ("eager", None),
    ("compiled (aot_eager)", "aot_eager"),
    ("compiled (eager)", "eager"),
):
    torch._dynamo.reset()
    fn = f if backend is None else torch.compile(f, backend=backend)
    y = attempt(fn, torch.tensor([1.0, 2.0]))
    if not isinstance(y, torch.Tensor):
        print(f"{name:20}: {y}")
        continue
    print(f"{name:20}: y.is_inference() = {y.is_inference()}")
    print(f"{name:20}: y * w, backward  : {attempt(save_for_backward, y)}")
    print(f"{name:20}: y.add_(1) outside: {attempt(write_outside, y)}")
