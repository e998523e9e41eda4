"""Compiled autograd fails an internal assert on autograd.grad(..., [x, x], allow_unused=True)
once a backward started from the leaf x itself has run.

Backend: compiled autograd (torch._dynamo.compiled_autograd, compiler torch.compile(backend=
    "aot_eager")), one context around both calls
Torch: 2.13.0+cpu
Case: findings/grad_after_a_backward_rooted_at_a_leaf (torch-compiled-autograd)
Differs: leaves a, x, b; a kept result of x * 1 holds x's AccumulateGrad;
    x.backward(inputs=[a]) (a backward whose root is the leaf's AccumulateGrad, asking for a,
    which it does not reach: eager does nothing); then torch.autograd.grad(b * 2, [x, x],
    allow_unused=True). Eager returns (None, None). Compiled autograd raises "RuntimeError:
    outputs.size() == output_edges.size() INTERNAL ASSERT FAILED at
    .../python_compiled_autograd.cpp:1238, please report a bug to PyTorch." It passes without
    the kept result, with x listed once, without the first call, or with a Dynamo reset
    between the two calls: apparently what the first call left in compiled autograd's cache
    is taken for the second graph, whose outputs differ.
Right side: eager; reference_impl returns (None, None). Found by the harness: generated
    program p0499 of seed 7 (draw version 8) in a torch-compiled-autograd campaign, which
    tools/triage.py left untriaged (the call's result was a raised error under compiled
    autograd), shrunk by the harness to two calls and four steps, reduced by hand.
Issue: not found in the tracker (searched for the assert's text).
"""

import torch


def program():
    a = torch.tensor(1.0, requires_grad=True)
    x = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    _keep = x * 1  # holds x's AccumulateGrad
    x.backward(inputs=[a])
    try:
        return str(torch.autograd.grad(b * 2, [x, x], allow_unused=True))
    except RuntimeError as exc:
        return f"RuntimeError: {str(exc).splitlines()[0]}"


print("eager                        :", program())
with torch._dynamo.compiled_autograd._enable(torch.compile(backend="aot_eager")):
    print("compiled (compiled autograd) :", program())
