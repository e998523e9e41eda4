"""A tensor hook traced into the compiled graph runs after hooks registered past a graph break.

Backend: torch.compile(backend="aot_eager") and backend="inductor" (backend="eager" agrees with
    eager); `y.retain_grad()` breaks the graph
Torch: 2.13.0+cpu
Case: hooks/retain_grad_registered_after_hook (torch-compile)
Differs: y = x * 3 with x = [1, 1], then y.register_hook(lambda g: g + 1), y.retain_grad(), a
    grad_fn pre-hook on y and a second tensor hook on y, then y.sum().backward(). Eager runs the
    g + 1 hook first: y.grad = [2, 2], and the second hook and the pre-hook both see [2, 2].
    Compiled, Dynamo traces the g + 1 hook into the graph, where it runs inside
    CompiledFunctionBackward; retain_grad() breaks the graph and the rest is registered in eager
    on the graph's output y, whose gradient arrives before the hook: y.grad = [1, 1], and the
    second hook and the pre-hook see [1, 1]. x.grad = [6, 6] on both (the hook did run).
Right side: eager: a tensor's hooks run in registration order and before its grad_fn's
    pre-hooks (autograd notes, "Backward Hooks execution"), and retain_grad sees every tensor
    hook's result whatever the order (torch's test_retains_grad_can_always_observe_tensor_prehook);
    reference_impl gives y.grad = [2, 2] and [2, 2] for both hooks. Found by the harness: the
    catalogue case hooks/retain_grad_registered_after_hook failed under torch-compile (values:
    y.grad), and hooks/tensor_hook_return_replaces_grad (a g * 2 hook, the graph breaking at
    y.grad_fn) under torch-compile (values: the grad_fn pre-hook's pre.0); reduced by hand.
Issue: not found in the tracker. Closest: https://github.com/pytorch/pytorch/issues/91468
    (imperative autograd APIs under torch.compile, open); the hook tracing is
    https://github.com/pytorch/pytorch/pull/172126 and
    https://github.com/pytorch/pytorch/pull/181803, the retain_grad graph break
    https://github.com/pytorch/pytorch/issues/146212.
"""

import torch


def f(x, seen):
    y = x * 3
    y.register_hook(lambda g: g + 1)  # traced into the compiled graph
    y.retain_grad()  # graph break: the rest runs in eager on the graph's output y
    y.grad_fn.register_prehook(lambda go: seen.append(f"grad_fn pre-hook saw {go[0].tolist()}"))
    y.register_hook(lambda g: seen.append(f"2nd tensor hook saw {g.tolist()}"))
    y.sum().backward()
    return y.grad, x.grad


def run(fn):
    seen = []
    x = torch.ones(2, requires_grad=True)
    try:
        y_grad, x_grad = fn(x, seen)
    except Exception as exc:  # a later torch may refuse instead
        return f"{type(exc).__name__}: {str(exc)[:80]}"
    return f"y.grad = {y_grad.tolist()}, x.grad = {x_grad.tolist()}; " + ", ".join(seen)


print("eager               :", run(f))
print("compiled (aot_eager):", run(torch.compile(f, backend="aot_eager")))
torch._dynamo.reset()
print("compiled (inductor) :", run(torch.compile(f, backend="inductor")))
