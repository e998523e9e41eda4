"""Inductor's FX graph cache serves a backward compiled to overwrite its saved tensors (donated
buffers) to a backward that must keep them (retain_graph=True): each later backward is wrong.

Backend: torch.compile(backend="inductor"), FX graph cache on (the default; on disk under
    TORCHINDUCTOR_CACHE_DIR, shared by every process of the user)
Torch: 2.13.0+cpu
Case: findings/retain_graph_grads_after_a_graph_freeing_backward (torch-compile:inductor)
Differs: aot_autograd compiles a backward lazily, at its first call. When that call frees the
    graph, the saved tensors are "donated": the backward of l1_loss writes its result into the
    saved sign(a - b). When the first call keeps the graph, donation is turned off
    (bw_donated_idxs = []) - but the backward graph is then looked up in the FX graph cache
    under a key that does not say whether buffers were donated, and the donating kernel
    compiled for the first case is served. Here: `first` (l1_loss) is compiled and backwarded
    once; `second` (l1_loss and b.sum(): another forward, so aot_autograd's own cache misses,
    the same backward graph) is compiled, and autograd.grad(out, a, retain_graph=True) three
    times gives 0.5, 0.25, 0.125 where eager gives 0.5 each time: every call halves the saved
    sign, and the gradient returned is that saved buffer itself (a gradient kept from the
    first call reads 0.125 after the third). No error, no warning. With a fresh cache, or
    TORCHINDUCTOR_FX_GRAPH_CACHE=0, it gives 0.5 each time. Had aot_autograd's own cache hit
    an entry saved with donation, the call would raise the donated-buffer error instead; an
    entry saved by a run like this one (donation off, the donating kernel served) repeats the
    wrong answer, which is how p0208 failed.
Right side: eager (and a cold cache); reference_impl gives 0.5 each time.
    Found by the harness: generated program p0208 of seed 14 (draw version 8) in a
    torch-compile:inductor campaign, which tools/triage.py left untriaged (a gradient half
    eager's); the program passed with an empty inductor cache and failed with the machine's,
    whose backward kernel for this graph (written by an earlier run) reused the saved sign
    in place ("buf0 = sign; del sign  # reuse"); reduced by hand to two functions sharing a
    backward graph.
Issue: not found in the tracker. In the review of the pull request that added donated
    buffers, https://github.com/pytorch/pytorch/pull/130580, the reviewer asked whether the
    runtime decision (retain_graph clears the donated indices before the lazy backward
    compiles) is saved into the cache correctly.
"""

import os
import tempfile

os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp()  # empty: the script's own entries

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def first(a, b):
    return F.l1_loss(a, b)


def second(a, b):  # another forward graph, the same backward graph
    return F.l1_loss(a, b), b.sum()


def grads(fn):
    a = torch.tensor([0.8, 0.64], requires_grad=True)
    b = torch.tensor([-0.57, -0.55])
    out = fn(a, b)[0]
    # (read at once: the donating kernel returns the saved buffer itself, which the next
    # call overwrites)
    calls = [torch.autograd.grad(out, a, retain_graph=True)[0][0].item() for _ in range(3)]
    return ", ".join(f"{g:.4f}" for g in calls)


a = torch.tensor([0.8, 0.64], requires_grad=True)
torch.compile(first, backend="inductor")(a, torch.tensor([-0.57, -0.55])).backward()

print("eager               : d/da[0] over three retain_graph calls =", grads(second))
compiled = torch.compile(second, backend="inductor")
print("compiled (inductor) : d/da[0] over three retain_graph calls =", grads(compiled))
