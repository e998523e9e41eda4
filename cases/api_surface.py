"""The public API surface real programs reach for, beyond the core engine (issue 13).

Covered: version checks on saved tensors that take no gradient (where's condition,
masked_fill's mask, nll_loss's target and weight), torch.autograd.functional, batched
``autograd.grad``, saved-tensor hooks, module hooks in torch's order, Adam/AdamW, softplus,
binary cross entropy, ``nn.init.eye_``, sort/topk/all, the in-place metadata ops, isinf, the
bare ``@no_grad`` decorator and integer floor division by zero.
"""

from conformance import Inputs, capture, case

AREA = "api_surface"


# -- saved tensors that take no gradient are version-checked too ----------------------------


@case(area=AREA, tags=("version", "errors"))
def inplace_on_saved_nondifferentiable_tensors(torch, make: Inputs):
    """where's condition, masked_fill's mask (also of masked_fill_) and nll_loss's target and
    weight are saved for backward: writing into them in place makes backward raise torch's
    "modified by an inplace operation" error (bool tensors print as CPUBoolType)."""
    F = torch.nn.functional
    out = {}

    x = make.randn(4, requires_grad=True)
    y = make.randn(4, requires_grad=True)
    condition = x.detach() > 0
    z = torch.where(condition, x, y)
    condition.zero_()
    out["where"] = capture(lambda: z.sum().backward())

    mask = make.randn(4) > 0
    filled = x.masked_fill(mask, 0.0)
    mask.zero_()
    out["masked_fill"] = capture(lambda: filled.sum().backward())

    inplace_mask = make.randn(2, 4) > 0
    a = x * 1
    a.masked_fill_(inplace_mask[0], 1.5)
    inplace_mask[1].zero_()  # a write through another view of the saved mask's base
    out["masked_fill_"] = capture(lambda: a.sum().backward())

    scores = make.randn(3, 4, requires_grad=True)
    target = make.randint(0, 4, (3,))
    loss = F.nll_loss(scores.log_softmax(1), target)
    target[0] = 2
    out["nll_loss.target"] = capture(lambda: loss.backward())

    weight = make.rand(4)
    weighted = F.nll_loss(scores.log_softmax(1), make.randint(0, 4, (3,)), weight=weight)
    weight.add_(1)
    out["nll_loss.weight"] = capture(lambda: weighted.backward())

    untouched_mask = make.randn(4) > 0
    fine = x.masked_fill(untouched_mask, 0.0)
    (fine * 2).sum().backward()
    out["untouched mask: x.grad"] = x.grad
    return out
