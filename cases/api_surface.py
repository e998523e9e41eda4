"""The public API surface real programs reach for, beyond the core engine (issue 13).

Covered: version checks on saved tensors that take no gradient (where's condition,
masked_fill's mask, nll_loss's target and weight), torch.autograd.functional, batched
``autograd.grad``, saved-tensor hooks, module hooks in torch's order, Adam/AdamW, softplus,
binary cross entropy, ``nn.init.eye_``, sort/topk/all, the in-place metadata ops, isinf, the
bare ``@no_grad`` decorator and integer floor division by zero.
"""

from conformance import Inputs, capture, capture_warnings, case

AREA = "api_surface"


# -- saved tensors that take no gradient are version-checked too -----------------------------------


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


# -- torch.autograd.functional ---------------------------------------------------------------------


def _cubic(a, b):
    """A function of two inputs with non-zero second derivatives in both."""
    return (a**3).sum() * b.exp().sum() + (a * b[:2]).sum()


@case(area=AREA, tags=("functional",))
def functional_jacobian_and_hessian(torch, make: Inputs):
    """jacobian and hessian for one or two inputs and outputs (shapes out.shape + in.shape,
    nested as (outputs, inputs)), an unused input giving zeros, and detached results."""
    AF = torch.autograd.functional
    a = make.randn(2, dtype=torch.float64)
    b = make.randn(3, dtype=torch.float64)
    jac = AF.jacobian(lambda x: x.exp() * x, a)
    return {
        "jacobian": jac,
        "jacobian.requires_grad": jac.requires_grad,
        "jacobian two in": AF.jacobian(lambda x, y: x.sum() * y, (a, b)),
        "jacobian two out": AF.jacobian(lambda x: (x * 2, (x**2).sum()), a),
        "jacobian unused input": AF.jacobian(lambda x, y: (x * 2, y.sum()), (a, b)),
        "hessian": AF.hessian(lambda x: (x**3).sum(), a),
        "hessian two in": AF.hessian(_cubic, (a, b)),
        "inputs untouched": (a.requires_grad, a.grad, b.requires_grad),
    }


@case(area=AREA, tags=("functional",))
def functional_products(torch, make: Inputs):
    """vjp, jvp (by the double backward trick), vhp and hvp return (outputs, product); v may be
    omitted for a single-element output (vjp) or input (jvp)."""
    AF = torch.autograd.functional
    a = make.randn(2, dtype=torch.float64)
    b = make.randn(3, dtype=torch.float64)
    va, vb = make.randn(2, dtype=torch.float64), make.randn(3, dtype=torch.float64)
    return {
        "vjp": AF.vjp(lambda x: x.sin() * x, a, va),
        "vjp scalar output": AF.vjp(lambda x: (x**2).sum(), a),
        "vjp two in": AF.vjp(_cubic, (a, b)),
        "jvp": AF.jvp(lambda x: x.sin() * x, a, va),
        "jvp two in two out": AF.jvp(lambda x, y: (x * y[:2], y.exp().sum()), (a, b), (va, vb)),
        "jvp scalar input": AF.jvp(lambda x: x**3, a[0].detach()),
        "vhp": AF.vhp(_cubic, (a, b), (va, vb)),
        "hvp": AF.hvp(_cubic, (a, b), (va, vb)),
    }


@case(area=AREA, tags=("functional",))
def functional_create_graph_gives_differentiable_results(torch, make: Inputs):
    """With create_graph=True the products keep their history: differentiating a jacobian,
    a vjp or an hvp again reaches the caller's leaf (third derivatives of x**4)."""
    AF = torch.autograd.functional
    x = make.randn(3, dtype=torch.float64, requires_grad=True)
    quartic = lambda t: (t**4).sum()  # noqa: E731
    jac = AF.jacobian(lambda t: t**4, x, create_graph=True)
    _, vjp = AF.vjp(quartic, x, create_graph=True)
    _, hvp = AF.hvp(quartic, x, torch.ones(3, dtype=torch.float64), create_graph=True)
    hess = AF.hessian(quartic, x, create_graph=True)
    grads = torch.autograd.grad((jac.sum(), vjp.sum(), hvp.sum(), hess.sum()), x)
    return {
        "requires_grad": (jac.requires_grad, vjp.requires_grad, hvp.requires_grad),
        "jacobian": jac,
        "hessian": hess,
        "d(sum of all)/dx": grads[0],
    }


@case(area=AREA, tags=("functional", "errors"))
def functional_argument_and_strict_errors(torch, make: Inputs):
    """torch's texts for a list of inputs, a non-tensor output, a missing or misshapen v, a
    non-scalar hessian, and strict mode meeting an independent input or a linear function."""
    AF = torch.autograd.functional
    a = make.randn(2)
    b = make.randn(3)
    ones = torch.ones(2)
    return {
        "list inputs": capture(lambda: AF.jacobian(lambda x, y: x, [a, b])),
        "float output": capture(lambda: AF.jacobian(lambda x: 3.0, a)),
        "tuple with a float": capture(lambda: AF.vjp(lambda x, y: x, (a, 2.0), ones)),
        "vjp without v": capture(lambda: AF.vjp(lambda x: x * 2, a)),
        "jvp without v": capture(lambda: AF.jvp(lambda x: x * 2, a)),
        "v of the wrong size": capture(lambda: AF.vjp(lambda x: x * 2, a, torch.ones(3))),
        "v entry of the wrong size": capture(lambda: AF.jvp(lambda x, y: x, (a, b), (ones, ones))),
        "v tuple too short": capture(lambda: AF.jvp(lambda x, y: x, (a, b), (ones,))),
        "hessian of a vector": capture(lambda: AF.hessian(lambda x: x**3, a)),
        "hvp of a vector": capture(lambda: AF.hvp(lambda x: x**3, a, ones)),
        "strict jacobian, unused input": capture(
            lambda: AF.jacobian(lambda x, y: x * 2, (a, b), strict=True)
        ),
        "strict jacobian, constant output": capture(
            lambda: AF.jacobian(lambda x: x.detach(), a, strict=True)
        ),
        "strict jvp, unused input": capture(
            lambda: AF.jvp(lambda x, y: x * 2, (a, b), (ones, torch.ones(3)), strict=True)
        ),
        "strict hessian, linear": capture(lambda: AF.hessian(lambda x: x.sum(), a, strict=True)),
        "strict hvp, linear": capture(lambda: AF.hvp(lambda x: x.sum(), a, ones, strict=True)),
        "strict vhp, quadratic ok": AF.vhp(lambda x: (x**2).sum(), a, ones, strict=True),
        "non-strict vjp, unused input": AF.vjp(lambda x, y: x * 2, (a, b), ones),
    }


# -- autograd.grad(is_grads_batched=True) ----------------------------------------------------------


@case(area=AREA, tags=("grad", "batched"))
def grad_with_batched_grad_outputs(torch, make: Inputs):
    """The first dim of each grad_output is a batch: one gradient per row, stacked (rows of
    the identity give the Jacobian); allow_unused keeps None; a misshapen batch or a 0-dim
    implicit gradient raise torch's errors; without retain_graph the graph is freed after."""
    x = make.randn(3, requires_grad=True)
    y = x**2 * x.sin()
    eye = torch.eye(3)
    other = make.randn(2, requires_grad=True)
    out = {
        "jacobian rows": torch.autograd.grad(y, x, eye, retain_graph=True, is_grads_batched=True),
        "two outputs": torch.autograd.grad(
            (y, y.sum()), x, (eye[:2], torch.ones(2)), retain_graph=True, is_grads_batched=True
        ),
        "unused": torch.autograd.grad(
            y, (x, other), eye, retain_graph=True, is_grads_batched=True, allow_unused=True
        ),
        "bad shape": capture(
            lambda: torch.autograd.grad(
                y, x, torch.ones(3, 2), retain_graph=True, is_grads_batched=True
            )
        ),
        "implicit 0-dim": capture(
            lambda: torch.autograd.grad(y.sum(), x, None, retain_graph=True, is_grads_batched=True)
        ),
    }
    out["freed"] = torch.autograd.grad(y, x, eye, is_grads_batched=True)
    out["after freed"] = capture(lambda: torch.autograd.grad(y, x, torch.ones(3)))
    z = x**3
    (batched,) = torch.autograd.grad(z, x, eye, create_graph=True, is_grads_batched=True)
    # torch vmaps one backward (grad_fn MulBackward0 here); reference_impl stacks one backward
    # per row (StackBackward0): values, requires_grad and second derivatives are compared.
    out["create_graph"] = (batched.detach(), batched.requires_grad)
    out["create_graph, grad again"] = torch.autograd.grad(batched.sum(), x)
    return out


# -- saved-tensor hooks ----------------------------------------------------------------------------


@case(area=AREA, tags=("saved_tensors_hooks", "hooks"))
def saved_tensors_hooks_pack_and_unpack_order(torch, make: Inputs):
    """Every tensor a recording op saves goes through pack (inputs before outputs, grad mode
    off; a Python scalar operand is never packed) and comes back through unpack in the order
    backward needs it; what unpack returns is what backward uses. Ops outside the context or
    under no_grad pack nothing; the innermost context wins."""
    log = []

    def pack(t):
        label = len([e for e in log if e[0] == "pack"])
        name = None if t.grad_fn is None else type(t.grad_fn).__name__
        log.append(("pack", label, tuple(t.shape), name, torch.is_grad_enabled()))
        return (label, t)

    def unpack(packed):
        log.append(("unpack", packed[0], torch.is_grad_enabled()))
        return packed[1]

    x = make.randn(3, requires_grad=True)
    y = make.randn(2, 1, requires_grad=True)
    m = make.randn(3, 4, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        a = x * y
        b = a.exp() / y
        c = b.sin() * 2.0
        d = (c @ m).sum()
        with torch.no_grad():
            x.exp()
        x.detach().exp()
    e = (x.exp() * 3).sum()
    d.backward()
    e.backward()
    return {"log": log, "x.grad": x.grad, "y.grad": y.grad, "m.grad": m.grad}


@case(area=AREA, tags=("saved_tensors_hooks", "hooks", "errors"))
def saved_tensors_hooks_results_and_errors(torch, make: Inputs):
    """unpack's result is used as the saved tensor (a scaled copy scales the gradient); no
    version check is made on a hooked tensor; retain_graph unpacks again; an unpack returning
    a non-tensor, and a pack hook writing into its input, raise torch's errors; nested contexts
    use the innermost pair only."""
    out = {}
    x = make.randn(3, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 10):
        z = (x * 1.0).exp()
    z.sum().backward()
    out["scaled by unpack"] = x.grad

    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        w = x * 1
        u = w.sin()
    w.add_(1)
    x.grad = None
    u.sum().backward()
    out["written after save, hooked"] = x.grad

    unpacks = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: unpacks.append(1) or t):
        s = x.exp().sum()
    s.backward(retain_graph=True)
    s.backward()
    out["unpacks with retain_graph"] = len(unpacks)
    out["third backward"] = capture(lambda: s.backward())

    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
        bad = x.exp().sum()
    out["unpack returns int"] = capture(lambda: bad.backward())
    with torch.autograd.graph.saved_tensors_hooks(lambda t: None, lambda t: t):
        none = x.exp().sum()
    out["unpack returns None"] = capture(lambda: none.backward())

    def writes(t):
        t.add_(1)
        return t

    leaf_copy = (x * 1).detach().requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(writes, lambda t: t):
        out["pack writes its input"] = capture(lambda: (leaf_copy * 1).exp())

    order = []
    hooks = torch.autograd.graph.saved_tensors_hooks
    with hooks(lambda t: order.append("outer") or t, lambda t: t):
        with hooks(lambda t: order.append("inner") or t, lambda t: t):
            x.exp()
        x.exp()
    out["nested"] = order
    return out


# -- module hooks ----------------------------------------------------------------------------------


def _describe(value):
    """A hook argument as plain data: tensors by shape, grad_fn name and values."""
    if isinstance(value, tuple | list):
        return tuple(_describe(v) for v in value)
    if hasattr(value, "grad_fn"):
        name = None if value.grad_fn is None else type(value.grad_fn).__name__
        return (tuple(value.shape), name, value.detach().tolist())
    return value


@case(area=AREA, tags=("module_hooks", "hooks"))
def module_hooks_in_torchs_order(torch, make: Inputs):
    """Forward pre hooks (one replacing the input), forward hooks (prepend first, one replacing
    the output), backward pre hooks (one scaling grad_output) and full backward hooks (one
    scaling grad_input) run in torch's order with torch's arguments; the inputs and output are
    passed through BackwardHookFunctionBackward; removed hooks no longer run."""
    log = []
    linear = torch.nn.Linear(3, 2)
    with torch.no_grad():
        linear.weight.copy_(make.randn(2, 3))
        linear.bias.copy_(make.randn(2))

    def note(name, result=None):
        def hook(module, *args):
            log.append((name, type(module).__name__, _describe(args)))
            return result(*args) if result is not None else None

        return hook

    handles = [
        linear.register_forward_pre_hook(note("pre")),
        linear.register_forward_pre_hook(note("pre, doubles", lambda args: args[0] * 2)),
        linear.register_forward_hook(note("fwd")),
        linear.register_forward_hook(note("fwd, plus one", lambda args, out: out + 1)),
        linear.register_forward_hook(note("fwd, prepended"), prepend=True),
        linear.register_full_backward_pre_hook(note("bwd pre")),
        linear.register_full_backward_pre_hook(note("bwd pre, x3", lambda go: (go[0] * 3,))),
        linear.register_full_backward_hook(note("bwd")),
        linear.register_full_backward_hook(note("bwd, x10", lambda gi, go: (gi[0] * 10,))),
    ]
    x = make.randn(4, 3, requires_grad=True)
    out = linear(x)
    log.append(("output grad_fn", type(out.grad_fn).__name__))
    (out * make.randn(4, 2)).sum().backward()
    result = {"log": log, "x.grad": x.grad, "weight.grad": linear.weight.grad}
    for handle in handles:
        handle.remove()
    log.clear()
    plain = linear(x)
    result["after remove"] = (log, type(plain.grad_fn).__name__)
    return result


@case(area=AREA, tags=("module_hooks", "hooks"))
def module_hooks_nested_and_special_cases(torch, make: Inputs):
    """In a Sequential, hooks fire outside-in forward and inside-out backward; with_kwargs
    hooks get the keyword arguments; a module whose inputs need no grad calls its full backward
    hook at the outputs with grad_input None (and torch's warning); a hook returning the wrong
    number of gradients raises torch's error."""
    log = []
    seq = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh())
    for i, sub in enumerate([seq, seq[0], seq[1]]):
        sub.register_forward_pre_hook(lambda m, a, i=i: log.append(("pre", i)))
        sub.register_forward_hook(lambda m, a, o, i=i: log.append(("fwd", i)))
        sub.register_full_backward_pre_hook(lambda m, g, i=i: log.append(("bwd pre", i)))
        sub.register_full_backward_hook(
            lambda m, gi, go, i=i: log.append(("bwd", i, _describe(gi), _describe(go)))
        )
    seq(make.randn(1, 3, requires_grad=True)).sum().backward()
    out = {"sequential": [entry[:2] for entry in log]}

    class Scale(torch.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    seen = []
    scale = Scale()
    scale.register_forward_pre_hook(
        lambda m, args, kwargs: (args, {"factor": kwargs["factor"] * 2}), with_kwargs=True
    )
    scale.register_forward_hook(
        lambda m, args, kwargs, o: seen.append(sorted(kwargs.items())), with_kwargs=True
    )
    out["with_kwargs"] = (scale(torch.ones(2), factor=3.0), seen)

    frozen_input = []
    scale2 = Scale()
    scale2.register_full_backward_hook(lambda m, gi, go: frozen_input.append(_describe((gi, go))))
    y = scale2(make.randn(2), factor=torch.ones(2, requires_grad=True))
    out["no input requires grad"] = capture_warnings(lambda: y.sum().backward())
    out["no input requires grad: hook"] = frozen_input

    bad = torch.nn.Linear(2, 2)
    bad.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    out["wrong count"] = capture(lambda: bad(make.randn(1, 2, requires_grad=True)).sum().backward())
    bad_pre = torch.nn.Linear(2, 2)
    bad_pre.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
    out["wrong count, pre"] = capture(
        lambda: bad_pre(make.randn(1, 2, requires_grad=True)).sum().backward()
    )
    return out


# -- optimizers ------------------------------------------------------------------------------------


@case(area=AREA, tags=("optim",))
def adam_and_adamw_training_steps(torch, make: Inputs):
    """Five steps of Adam (plain, weight decay + amsgrad, maximize) and AdamW on a small
    non-convex loss: parameters, state (step, moments), versions, defaults, state_dict layout,
    a parameter without grad left alone, and torch's argument errors."""
    out = {}
    configs = {
        "adam": (torch.optim.Adam, {}),
        "adam wd amsgrad": (torch.optim.Adam, {"weight_decay": 0.1, "amsgrad": True}),
        "adam maximize": (torch.optim.Adam, {"maximize": True, "lr": 0.05}),
        "adamw": (torch.optim.AdamW, {"lr": 0.01}),
    }
    start = make.randn(3)
    for name, (cls, kwargs) in configs.items():
        p = torch.nn.Parameter(start.clone())
        idle = torch.nn.Parameter(torch.ones(2))
        opt = cls([p, idle], **kwargs)
        for _ in range(5):
            opt.zero_grad()
            ((p**2).sum() * p.sin()).sum().backward()
            opt.step()
        out[name] = {
            "param": p,
            "version": p._version,
            "state": dict(opt.state[p]),
            "idle": (idle, idle in opt.state),
            "state_dict keys": sorted(opt.state_dict()["state"]),
            "defaults": sorted(opt.defaults.items()),
        }
    p = torch.nn.Parameter(torch.ones(2))
    for label, kwargs in {
        "lr": {"lr": -1.0},
        "eps": {"eps": -1.0},
        "beta0": {"betas": (1.0, 0.9)},
        "beta1": {"betas": (0.9, -0.1)},
        "weight_decay": {"weight_decay": -1.0},
    }.items():
        out[f"invalid {label}"] = capture(lambda kwargs=kwargs: torch.optim.Adam([p], **kwargs))
    return out


# -- softplus and binary cross entropy -------------------------------------------------------------


@case(area=AREA, tags=("nn", "activations"))
def softplus_function_and_module(torch, make: Inputs):
    """F.softplus and nn.Softplus (beta, threshold: linear above it) with first and second
    derivatives, the module's repr, and the SoftplusBackward0 node."""
    F = torch.nn.functional
    x = make.tensor([-30.0, -1.0, 0.0, 0.7, 10.0, 25.0], dtype=torch.float64, requires_grad=True)
    y = F.softplus(x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    module = torch.nn.Softplus(beta=2.0, threshold=5.0)
    z = module(x)
    (gz,) = torch.autograd.grad(z.sum(), x)
    return {
        "y": y,
        "dy": g.detach(),
        "d2y": gg,
        "module": z,
        "module grad": gz,
        "repr": repr(module),
    }


@case(area=AREA, tags=("nn", "losses"))
def binary_cross_entropy_function_and_module(torch, make: Inputs):
    """F.binary_cross_entropy / nn.BCELoss: the -100 clamp of log at 0 and 1, weight, the
    three reductions, gradients for input and target, and torch's range and size errors."""
    F = torch.nn.functional
    p = make.tensor([0.0, 0.2, 0.9, 1.0, 0.5, 0.35], dtype=torch.float64, requires_grad=True)
    t = make.tensor([0.0, 1.0, 0.3, 1.0, 0.5, 0.0], dtype=torch.float64, requires_grad=True)
    w = make.rand(6, dtype=torch.float64)
    out = {}
    for reduction in ("mean", "sum", "none"):
        loss = F.binary_cross_entropy(p, t, weight=w, reduction=reduction)
        out[reduction] = loss
        out[f"{reduction} grads"] = torch.autograd.grad(loss.sum(), (p, t))
    inner = make.uniform(2, 3, low=0.05, high=0.95, dtype=torch.float64, requires_grad=True)
    target = make.rand(2, 3, dtype=torch.float64)
    module = torch.nn.BCELoss(reduction="sum")
    loss = module(inner, target)
    loss.backward()
    out["module"] = (loss, inner.grad, repr(module))
    out["out of range"] = capture(
        lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))
    )
    out["size mismatch"] = capture(
        lambda: F.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([1.0]))
    )
    return out


# -- small names users reach for -------------------------------------------------------------------


@case(area=AREA, tags=("nn", "init"))
def init_eye_writes_the_identity_in_place(torch, make: Inputs):
    """nn.init.eye_ fills a 2-D tensor (or Parameter) with the identity in place (one version
    bump, no history) and refuses other ranks with torch's ValueError."""
    w = torch.empty(2, 3)
    returned = torch.nn.init.eye_(w)
    p = torch.nn.Parameter(make.randn(3, 3))
    torch.nn.init.eye_(p)
    return {
        "w": w,
        "same object": returned is w,
        "version": w._version,
        "parameter": (p, p._version, p.grad_fn is None, p.requires_grad),
        "3-D": capture(lambda: torch.nn.init.eye_(torch.empty(2, 2, 2))),
    }


@case(area=AREA, tags=("tensor_methods",))
def sort_topk_all_any_isinf(torch, make: Inputs):
    """Tensor.sort / topk (values, indices and gradients through the values), all / any
    (whole tensor, a dim, keepdim, a tuple of dims, uint8 kept, empty is True), torch.isinf."""
    x = make.randn(3, 4, requires_grad=True)
    values, indices = x.sort(dim=1, descending=True)
    top, top_indices = x.topk(2, dim=0)
    (values[:, :2].sum() + (top * top).sum()).backward()
    flags = make.randn(3, 4) > 0
    special = torch.tensor([1.0, float("inf"), -float("inf"), float("nan")])
    return {
        "sort": (values, indices),
        "topk": (top, top_indices),
        "x.grad": x.grad,
        "all": (flags.all(), flags.all(dim=1), flags.all(0, keepdim=True), flags.all(dim=(0, 1))),
        "any": (flags.any(), flags.any(dim=0), torch.any(flags, 1)),
        "all of floats": torch.tensor([1.0, 0.0]).all(),
        "all of uint8": torch.tensor([1, 2], dtype=torch.uint8).all(),
        "all of empty": torch.tensor([]).all(),
        "torch.all": torch.all(flags),
        "isinf": (torch.isinf(special), special.isinf(), torch.isinf(torch.tensor([1, 2]))),
    }


@case(area=AREA, tags=("tensor_methods", "inplace", "version"))
def inplace_metadata_ops(torch, make: Inputs):
    """t_, transpose_, unsqueeze_ and squeeze_ (all, one dim, a tuple) change the shape in
    place: same object, one version bump, the in-place overload's node (TBackward1...), a
    gradient with the change undone; on a view they keep working; a leaf that requires grad
    and a 3-D t_ are refused with torch's errors."""
    x = make.randn(2, 3, requires_grad=True)
    out = {}
    ops = {
        "t_": lambda a: a.t_(),
        "transpose_": lambda a: a.transpose_(0, 1),
        "unsqueeze_": lambda a: a.unsqueeze_(1),
        "squeeze_": lambda a: a.unsqueeze(0).squeeze_(),
        "squeeze_(0)": lambda a: a.unsqueeze(0).squeeze_(0),
        "squeeze_((0,))": lambda a: a.unsqueeze(0).squeeze_((0,)),
    }
    for name, op in ops.items():
        a = x * 1
        b = op(a)
        weight = make.randn(*b.shape)
        (grad,) = torch.autograd.grad((b * weight).sum(), x)
        out[name] = (tuple(b.shape), b._version, type(b.grad_fn).__name__, grad)
    out["same object"] = (lambda a: a.t_() is a)(x * 1)
    base = x * 1
    view = base[0:1]
    view.t_()
    (grad,) = torch.autograd.grad((view * make.randn(3, 1)).sum(), x)
    out["view"] = (tuple(view.shape), type(view.grad_fn).__name__, grad, base._version)
    plain = torch.ones(2, 3)
    plain.t_()
    out["no grad"] = (tuple(plain.shape), plain._version, plain.grad_fn)
    out["leaf"] = capture(lambda: x.t_())
    out["leaf unsqueeze_"] = capture(lambda: x.unsqueeze_(0))
    out["3-D"] = capture(lambda: torch.ones(2, 2, 2).t_())
    return out


@case(area=AREA, tags=("version", "views"))
def as_strided_in_place(torch, make: Inputs):
    """as_strided_ re-strides a tensor in place: same object, one version bump, an
    AsStridedBackward1 node whose gradient adds each read back where it was read (overlapping
    reads add up), a view keeps its base, and torch's refusals (a grad leaf, out of bounds)."""
    x = make.randn(6, requires_grad=True)
    out = {}
    a = x * 1
    same = a.as_strided_((2, 2), (1, 2), 1)
    weight = make.randn(2, 2)
    (grad,) = torch.autograd.grad((a * weight).sum(), x)
    out["2x2 overlapping"] = (same is a, a._version, type(a.grad_fn).__name__, a, grad)
    b = x * 1
    b.as_strided_((3,), (0,))  # every element reads b[0]
    (grad,) = torch.autograd.grad((b * make.randn(3)).sum(), x)
    out["stride 0"] = (b, grad)
    base = x * 1
    view = base[1:]
    view.as_strided_((2,), (2,))
    (grad,) = torch.autograd.grad((view * make.randn(2)).sum(), x)
    out["view"] = (view, type(view.grad_fn).__name__, view._base is base, grad)
    out["leaf"] = capture(lambda: x.as_strided_((2,), (1,)))
    out["out of bounds"] = capture(lambda: torch.arange(4.0).as_strided_((3,), (2,)))
    return out


@case(area=AREA, tags=("grad_mode",))
def bare_grad_mode_decorators(torch, make: Inputs):
    """@torch.no_grad, @torch.enable_grad and @torch.inference_mode work without parentheses
    (and keep the function's name), as well as with them."""
    x = make.randn(2, requires_grad=True)

    @torch.no_grad
    def doubled(t):
        return t * 2

    @torch.enable_grad
    def grad_on():
        return torch.is_grad_enabled()

    @torch.inference_mode
    def inference_on():
        return torch.is_inference_mode_enabled()

    @torch.no_grad()
    def with_parentheses(t):
        return t * 2

    with torch.no_grad():
        enabled_inside = grad_on()
    return {
        "no_grad": (doubled(x).requires_grad, doubled.__name__),
        "enable_grad": enabled_inside,
        "inference_mode": inference_on(),
        "with parentheses": with_parentheses(x).requires_grad,
        "grad mode after": torch.is_grad_enabled(),
    }


@case(area=AREA, tags=("errors", "integer"))
def integer_floor_division_by_zero(torch, make: Inputs):
    """Integer // 0 (a scalar, a tensor with a zero, reflected, floor_divide, div with a
    rounding mode) raises torch's RuntimeError 'ZeroDivisionError'; float // 0 gives inf/nan."""
    i = torch.tensor([5, -3, 0])
    return {
        "// 0": capture(lambda: i // 0),
        "// tensor with a zero": capture(lambda: i // torch.tensor([1, 0, 2])),
        "5 // i": capture(lambda: 5 // i),
        "floor_divide": capture(lambda: torch.floor_divide(i, 0)),
        "div floor": capture(lambda: torch.div(i, 0, rounding_mode="floor")),
        "div trunc": capture(lambda: torch.div(i, 0, rounding_mode="trunc")),
        "float // 0": torch.tensor([1.0, -1.0, 0.0]) // 0,
        "// nonzero": i // torch.tensor([2, 2, -2]),
    }


@case(area=AREA, tags=("graph", "views"))
def reshape_node_follows_the_layout(torch, make: Inputs):
    """reshape records a view of a contiguous tensor (ViewBackward0), an alias of a
    non-contiguous one it can still view (ReshapeAliasBackward0), and a copy otherwise
    (UnsafeViewBackward0 over CloneBackward0); the gradient is the same either way."""
    x = make.randn(4, 6, requires_grad=True)
    out = {}
    forms = {
        "contiguous": lambda: x.reshape(24),
        "transposed, viewable": lambda: x.t().reshape(6, 2, 2),
        "sliced, viewable": lambda: x[:, :4].reshape(2, 2, 4),
        "transposed, not viewable": lambda: x.t().reshape(2, 12),
    }
    for name, form in forms.items():
        y = form()
        (grad,) = torch.autograd.grad((y * make.randn(*y.shape)).sum(), x)
        node = y.grad_fn
        out[name] = (type(node).__name__, type(node.next_functions[0][0]).__name__, grad)
    return out
