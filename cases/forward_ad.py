"""Forward-mode AD: ``torch.autograd.forward_ad`` (issue 13, item 3).

Dual tensors through a small MLP-like chain (tangents of the input and of a weight), what
``unpack_dual`` returns outside a level and after it exits, and the error texts of
``make_dual`` (wrong-shape tangent, no level, integer primal) and of an op without a forward
formula. Tangents are compared as values (detached: their graph-node names are not the point).
"""

from conformance import Inputs, capture, case

AREA = "forward_ad"


def _tangent(fwad, t):
    tangent = fwad.unpack_dual(t).tangent
    return None if tangent is None else tangent.detach()


@case(area=AREA, tags=("values",))
def mlp_chain_tangent(torch, make: Inputs):
    """J v of tanh(x W1 + b1) W2 -> log_softmax -> mean, for tangents on x and on W1."""
    fwad = torch.autograd.forward_ad
    x, v = make.randn(4, 3), make.randn(4, 3)
    w1, w1_t = make.randn(3, 5), make.randn(3, 5)
    b1, w2 = make.randn(5), make.randn(5, 2)
    out = {}
    with fwad.dual_level():
        xd = fwad.make_dual(x, v)
        hidden = (xd @ fwad.make_dual(w1, w1_t) + b1).tanh()
        logits = hidden @ w2
        probs = logits.log_softmax(dim=1)
        loss = probs.mean()
        out["logits"] = fwad.unpack_dual(logits).primal
        out["logits tangent"] = _tangent(fwad, logits)
        out["log_softmax tangent"] = _tangent(fwad, probs)
        out["loss tangent"] = _tangent(fwad, loss)
        out["sigmoid * x tangent"] = _tangent(fwad, (xd.sigmoid() * xd).sum(0))
        out["max, amax, sum(dim) tangents"] = [
            _tangent(fwad, xd.max()),
            _tangent(fwad, xd.amax(1)),
            _tangent(fwad, xd.sum(dim=1, keepdim=True)),
        ]
        out["views and joins tangent"] = _tangent(
            fwad, torch.cat([xd.t().reshape(-1), xd[1:, ::2].flatten(), xd.unsqueeze(0)[0, 0]])
        )
    return out


@case(area=AREA, tags=("api",))
def unpack_dual_outside_a_level(torch, make: Inputs):
    """Outside a level unpack_dual returns the tensor itself and no tangent; tangents are
    gone once the level exits."""
    fwad = torch.autograd.forward_ad
    x = make.randn(3)
    outside = fwad.unpack_dual(x)
    out = {
        "outside: primal is x": outside.primal is x,
        "outside: tangent is None": outside.tangent is None,
        "fields": list(type(outside)._fields),
    }
    with fwad.dual_level() as level:
        y = fwad.make_dual(x, make.randn(3)).exp()
        inside = fwad.unpack_dual(x)
        out["level"] = level
        out["inside, not dual: primal is x"] = inside.primal is x
        out["inside, not dual: tangent is None"] = inside.tangent is None
        out["inside: y has a tangent"] = fwad.unpack_dual(y).tangent is not None
    out["after exit: tangent is None"] = fwad.unpack_dual(y).tangent is None
    return out


@case(area=AREA, tags=("errors",))
def make_dual_errors(torch, make: Inputs):
    """A tangent of another shape, make_dual outside a level, an integer primal, a second
    level, and an op without a forward formula (floor division)."""
    fwad = torch.autograd.forward_ad
    x = make.randn(3)
    out = {"no level": capture(lambda: fwad.make_dual(x, make.randn(3)))}
    with fwad.dual_level():
        out["wrong shape"] = capture(lambda: fwad.make_dual(x, make.randn(4)))
        out["integer primal"] = capture(lambda: fwad.make_dual(torch.arange(3), x))
        out["nested level"] = capture(lambda: fwad.enter_dual_level())
        dual = fwad.make_dual(x, make.randn(3))
        out["floor_divide"] = capture(lambda: dual // 2)
    return out
