"""An op's error inside the compiled function's own try/except escapes it under torch.compile.

Backend: torch.compile(backend="aot_eager") (Dynamo raises while tracing, before any backend)
Torch: 2.13.0+cpu
Case: detach_no_grad/no_grad_inplace_on_leaf_allowed (torch-compile)
Differs: eager runs the except branch (the in-place write to a leaf that requires grad raises
    RuntimeError, which the function catches and handles); compiled, Dynamo meets the error
    while running the op on fake tensors and raises TorchRuntimeError out of the whole call,
    so the user's handler never runs.
Right side: eager: Python's try/except must see the error where it is raised; reference_impl
    raises the same RuntimeError at x.add_(1) and the function returns its except branch.
Issue: https://github.com/pytorch/pytorch/issues/175608 ("torch.compile fails to trace
    try-except semantic and throw `RuntimeError`", closed) and the fixes it prompted
    (https://github.com/pytorch/pytorch/pull/184990, #185448, #185776 "Propagate fake
    RuntimeErrors to Dynamo handlers"); on 2.13.0 the leaf in-place error still escapes.
"""

import torch


def write_leaf(x):
    try:
        x.add_(1)  # a leaf that requires grad: refused
        return "no error"
    except RuntimeError as exc:
        return f"handled RuntimeError: {str(exc)[:52]}"


x = torch.ones(2, requires_grad=True)
print("eager   :", write_leaf(x))
try:
    print("compiled:", torch.compile(write_leaf, backend="aot_eager")(x))
except Exception as exc:  # noqa: BLE001 - how it escapes is the finding
    print(f"compiled: escaped the function's try/except as {type(exc).__name__}")
