"""Compiled autograd fails with a TypeError on a gradient penalty through GroupNorm: its graph
adds a weight gradient that the first-order GroupNorm node returns as None.

Backend: compiled autograd (torch._dynamo.compiled_autograd._enable, compiler torch.compile(
    backend="aot_eager")); compiler backend="eager" fails the same
Torch: 2.13.0+cpu
Case: layers/layer_norm_and_group_norm (torch-compiled-autograd)
Differs: net = Linear(6, 8), GroupNorm(2, 8), Linear(8, 1) (float64); x (5, 6) requires grad; g =
    autograd.grad(net(x).sum(), x, create_graph=True); ((g.norm(dim=1) - 1) ** 2).mean().backward().
    Eager fills the grads of the parameters g depends on (GroupNorm weight.grad[:3] =
    -0.0342, -0.0319, -0.0078; the two biases after the first Linear get None). Compiled autograd
    raises "TypeError: add(): argument 'other' (position 2) must be Tensor, not NoneType" from its
    graph. The second backward reaches the forward's NativeGroupNormBackward0 only through its saved
    mean / rstd outputs (the create_graph gradient of group_norm uses them), so that node runs with
    no gradient for its main output and returns None for the weight; the traced graph sums that None
    with the weight's other gradient, where eager's input buffer skips an undefined gradient. It
    fails with the first backward run eagerly and only the second under compiled autograd, and
    passes with a Tanh after the GroupNorm (then the main output gets a gradient), with LayerNorm,
    or with GroupNorm(affine=False). The catalogue case (GroupNorm(2, 4), loss (y *
    y.detach().exp()).sum(), linear in y) fails the same, and the error ends the whole case.
Right side: eager: a valid program; gradgradcheck of group_norm passes in eager. reference_impl,
    given the same parameters and x, gives eager's grads (weight.grad[:3] = -0.0342, -0.0319,
    -0.0078; None for the same two biases). Found by the harness: the catalogue case
    layers/layer_norm_and_group_norm failed under torch-compiled-autograd (error: only
    torch-compiled-autograd raised the TypeError, 32 observations missing); reduced by hand.
Issue: not found in the tracker (searched for the TypeError's text and for compiled autograd with
    group_norm double backward). Related: https://github.com/pytorch/pytorch/pull/105811 ("[Compiled
    Autograd] Fix handling of undefined gradients", closed).
"""

import torch
from torch._dynamo import compiled_autograd


def gradient_penalty():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(6, 8), torch.nn.GroupNorm(2, 8), torch.nn.Linear(8, 1)
    ).double()
    x = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(net(x).sum(), x, create_graph=True)
    try:
        ((g.norm(dim=1) - 1) ** 2).mean().backward()
        return f"GroupNorm weight.grad[:3] = {net[1].weight.grad[:3].tolist()}"
    except TypeError as exc:
        return f"TypeError: {str(exc).splitlines()[0]}"


print("eager                        :", gradient_penalty())
with compiled_autograd._enable(torch.compile(backend="aot_eager")):
    print("compiled (compiled autograd) :", gradient_penalty())
