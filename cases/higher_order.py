"""Higher order: create_graph, grads of grads, Hessian-vector products, autograd.grad options.

Covered: chained autograd.grad with create_graph (3x², 6x, 6), the grad_fn of first-order grads
under create_graph (docs/semantics.md §9.5), backward(create_graph=True)'s warning and its ``.grad``
(CopyBackwards, then AddBackward0), Hessian-vector products and full Hessians, double backward
through softmax / log_softmax / mse_loss / sigmoid / tanh and friends, allow_unused and
materialize_grads, and the errors of autograd.grad.
"""

from conformance import Inputs, capture, capture_warnings, case

AREA = "higher_order"


def _edges(t):
    """``next_functions`` of t.grad_fn as (class name or None, input nr) pairs; None for leaves."""
    if t.grad_fn is None:
        return None
    return tuple((None if n is None else type(n).__name__, i) for n, i in t.grad_fn.next_functions)


def _first_order(torch, fns, x):
    """For each name -> f: the grad of f(x).sum() w.r.t. x under create_graph, and its edges."""
    out = {}
    for name, f in fns.items():
        (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
        out[name] = g
        out[name + ".edges"] = _edges(g)
    return out


def _quiet(fn):
    """Run ``fn`` dropping its warnings (create_graph's reference-cycle warning)."""
    value, _ = capture_warnings(fn)
    return value


# -- chained grads ---------------------------------------------------------------------------


@case(
    area=AREA,
    tags=("chained",),
    expect={"g1": [3.0, 12.0], "g2": [6.0, 12.0], "g3": [6.0, 6.0]},
)
def three_chained_grads_of_cube(torch, make: Inputs):
    """Three autograd.grad with create_graph on sum(x**3) give 3x², 6x and 6."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    (g1,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x, create_graph=True)
    return {"g1": g1, "g2": g2, "g3": g3}


@case(area=AREA, tags=("chained",))
def chained_grads_of_cube_random(torch, make: Inputs):
    """The same chain on random float64 inputs, last grad without create_graph."""
    x = make.randn(4, dtype="float64", requires_grad=True)
    (g1,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    return {"g1": g1, "g2": g2, "g3": g3}


@case(area=AREA, tags=("chained",))
def chained_grads_of_sin_cycle(torch, make: Inputs):
    """sin -> cos -> -sin -> -cos through four create_graph grads."""
    x = make.randn(3, requires_grad=True)
    grads = []
    y = x.sin().sum()
    for _ in range(4):
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        grads.append(g)
        y = g.sum()
    return {"grads": tuple(grads)}


@case(area=AREA, tags=("chained",))
def mixed_partial_derivative(torch, make: Inputs):
    """f = sum(x * y**2): d/dy (df/dx) = 2y, d/dx (df/dy) = 2y."""
    x = make.randn(3, requires_grad=True)
    y = make.randn(3, requires_grad=True)
    f = (x * y**2).sum()
    gx, gy = torch.autograd.grad(f, (x, y), create_graph=True)
    (gxy,) = torch.autograd.grad(gx.sum(), y, retain_graph=True)
    (gyx,) = torch.autograd.grad(gy.sum(), x)
    return {"gx": gx, "gy": gy, "gxy": gxy, "gyx": gyx}


@case(area=AREA, tags=("chained", "errors"))
def grad_without_create_graph_is_constant(torch, make: Inputs):
    """Without create_graph the grad is a constant: differentiating it raises."""
    x = make.randn(3, requires_grad=True)
    (g,) = torch.autograd.grad((x**3).sum(), x)
    return {"g": g, "second": capture(lambda: torch.autograd.grad(g.sum(), x))}


@case(area=AREA, tags=("chained",))
def relu_second_derivative_is_zero(torch, make: Inputs):
    """relu's grad under create_graph is differentiable; its derivative is zero."""
    x = make.randn(4, requires_grad=True)
    (g,) = torch.autograd.grad(x.relu().sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x, allow_unused=True)
    return {"g": g, "gg": gg}


@case(area=AREA, tags=("chained", "retain_graph"))
def create_graph_implies_retain_graph(torch, make: Inputs):
    """After autograd.grad with create_graph=True the graph can be differentiated again."""
    x = make.randn(3, requires_grad=True)
    y = (x.exp() * x).sum()
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (again,) = torch.autograd.grad(y, x)
    return {"g1": g1, "again": again}


# -- first-order grads' grad_fn under create_graph (semantics §9.5) ---------------------------


@case(area=AREA, tags=("grad_fn", "create_graph"))
def first_order_grad_fn_pointwise(torch, make: Inputs):
    """grad_fn and edges of the create_graph grad of sum(f(x)) for pointwise f."""
    x = make.uniform(2, 2, low=0.5, high=2.0, requires_grad=True)
    c = make.uniform(2, 2, low=0.5, high=2.0)
    fns = {
        "sin": lambda t: t.sin(),
        "cos": lambda t: t.cos(),
        "log": lambda t: t.log(),
        "sqrt": lambda t: t.sqrt(),
        "abs": lambda t: t.abs(),
        "relu": lambda t: t.relu(),
        "exp": lambda t: t.exp(),
        "tanh": lambda t: t.tanh(),
        "sigmoid": lambda t: t.sigmoid(),
        "x**3": lambda t: t**3,
        "1/x": lambda t: 1 / t,
        "c/x": lambda t: c / t,
        "x.pow(c)": lambda t: t.pow(c),
        "x*x": lambda t: t * t,
        "clamp(0,1)": lambda t: t.clamp(0, 1),
        "clamp(min=1)": lambda t: t.clamp(min=1),
        "x*2": lambda t: t * 2,
        "x/2": lambda t: t / 2,
        "x/c": lambda t: t / c,
        "where(x>1,x**2,0)": lambda t: torch.where(t > 1, t**2, 0.0),
    }
    return _first_order(torch, fns, x)


@case(area=AREA, tags=("grad_fn", "create_graph"))
def first_order_grad_fn_reductions(torch, make: Inputs):
    """grad_fn and edges of create_graph grads for reductions and indexing."""
    x = make.uniform(2, 2, low=0.5, high=2.0, requires_grad=True)
    fns = {
        "mean": lambda t: t.mean(),
        "sum": lambda t: t.sum(),
        "mean(x*x)": lambda t: (t * t).mean(),
        "max()": lambda t: t.max(),
        "max(dim).values": lambda t: t.max(1).values,
        "amax": lambda t: t.amax(),
        "logsumexp(1)": lambda t: t.logsumexp(1),
        "norm": lambda t: t.norm(),
        "norm(p=1)": lambda t: t.norm(p=1),
        "var": lambda t: t.var(),
        "std": lambda t: t.std(),
        "prod": lambda t: t.prod(),
        "x/x.sum()": lambda t: t / t.sum(),
        "x.sum()*x.sum()": lambda t: t.sum() * t.sum(),
        "x[0]": lambda t: t[0],
        "x[0]**2": lambda t: t[0] ** 2,
        "cat([x,x])": lambda t: torch.cat([t, t]),
        "cat([x,x])**2": lambda t: torch.cat([t, t]) ** 2,
    }
    return _first_order(torch, fns, x)


@case(area=AREA, tags=("grad_fn", "create_graph"))
def first_order_grad_fn_matmul(torch, make: Inputs):
    """grad_fn and edges of create_graph grads through mm/mv/dot with constant or grad operands."""
    x = make.randn(2, 2, requires_grad=True)
    w_const = make.randn(2, 2)
    w = make.randn(2, 2, requires_grad=True)
    v = make.randn(2, requires_grad=True)
    out = _first_order(
        torch,
        {
            "mm(x,x)": lambda t: torch.mm(t, t),
            "mm(x,W const)": lambda t: torch.mm(t, w_const),
            "x@W": lambda t: t @ w,
        },
        x,
    )
    (gw,) = torch.autograd.grad((x @ w).sum(), w, create_graph=True)
    (gv,) = torch.autograd.grad((x @ v).sum(), v, create_graph=True)
    (gvv,) = torch.autograd.grad(v @ v, v, create_graph=True)
    out.update({"x@W wrt W": gw, "X@v wrt v": gv, "v@v": gvv, "v@v.edges": _edges(gvv)})
    return out


@case(area=AREA, tags=("grad_fn", "create_graph", "nn"))
def first_order_grad_fn_nn(torch, make: Inputs):
    """grad_fn and edges of create_graph grads of softmax, log_softmax and losses."""
    F = torch.nn.functional
    x = make.randn(2, 3, requires_grad=True)
    w = make.randn(2, 3)
    target = make.randn(2, 3)
    labels = make.tensor([2, 0])
    probs = make.rand(2, 3)
    fns = {
        "softmax(1)": lambda t: F.softmax(t, 1),
        "weighted softmax(1)": lambda t: F.softmax(t, 1) * w,
        "log_softmax(1)": lambda t: F.log_softmax(t, 1),
        "cross_entropy": lambda t: F.cross_entropy(t, labels),
        "mse_loss": lambda t: F.mse_loss(t, target),
        "mse_loss sum": lambda t: F.mse_loss(t, target, reduction="sum"),
        "bce_with_logits": lambda t: F.binary_cross_entropy_with_logits(t, probs),
    }
    return _first_order(torch, fns, x)


# -- backward(create_graph=True) and .grad ---------------------------------------------------


@case(area=AREA, tags=("warnings", "create_graph"))
def backward_create_graph_warns_reference_cycle(torch, make: Inputs):
    """backward(create_graph=True) warns about a reference cycle (warn-always on, so every time)."""
    x = make.randn(2, requires_grad=True)
    previous = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        _, first = capture_warnings(lambda: (x**2).sum().backward(create_graph=True))
        _, second = capture_warnings(lambda: (x**2).sum().backward(create_graph=True))
    finally:
        torch.set_warn_always(previous)
    _, with_autograd_grad = capture_warnings(
        lambda: torch.autograd.grad((x**2).sum(), x, create_graph=True)
    )
    return {
        "first": tuple(first),
        "second": tuple(second),
        "autograd.grad": tuple(with_autograd_grad),
    }


@case(area=AREA, tags=("create_graph", "accumulation"))
def grad_after_create_graph_backward(torch, make: Inputs):
    """.grad after backward(create_graph=True) is CopyBackwards; a second one AddBackward0."""
    x = make.randn(3, requires_grad=True)
    _quiet(lambda: (x**2).sum().backward(create_graph=True))
    first = x.grad
    first_edges = _edges(first)
    _quiet(lambda: (x**2).sum().backward(create_graph=True))
    return {
        "first": first,
        "first.edges": first_edges,
        "second": x.grad,
        "second.edges": _edges(x.grad),
        "same_object": first is x.grad,
    }


@case(area=AREA, tags=("create_graph", "accumulation"))
def constant_grad_under_create_graph_is_plain(torch, make: Inputs):
    """A constant grad ((x*3).sum()) under create_graph lands in .grad as a plain leaf."""
    x = make.randn(3, requires_grad=True)
    _quiet(lambda: (x * 3).sum().backward(create_graph=True))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("create_graph", "accumulation"))
def plain_then_create_graph_backward(torch, make: Inputs):
    """A plain backward then a create_graph one: AddBackward0, a new object."""
    x = make.randn(3, requires_grad=True)
    (x**2).sum().backward()
    first = x.grad
    _quiet(lambda: (x**2).sum().backward(create_graph=True))
    return {"first": first, "second": x.grad, "same_object": first is x.grad}


@case(area=AREA, tags=("create_graph", "accumulation"))
def grad_from_create_graph_backward_is_differentiable(torch, make: Inputs):
    """The .grad made by backward(create_graph=True) backprops: d/dx sum(3x²) = 6x."""
    x = make.randn(3, requires_grad=True)
    _quiet(lambda: (x**3).sum().backward(create_graph=True))
    g = x.grad
    (gg,) = torch.autograd.grad(g.sum(), x)
    return {"g": g, "gg": gg}


# -- Hessian-vector products and Hessians ----------------------------------------------------


@case(area=AREA, tags=("hvp",))
def hessian_vector_product_of_quadratic_form(torch, make: Inputs):
    """f = x·(A x): the HVP is (A + Aᵀ) v."""
    x = make.randn(3, dtype="float64", requires_grad=True)
    a = make.randn(3, 3, dtype="float64")
    v = make.randn(3, dtype="float64")
    f = x @ (a @ x)
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    return {"g": g, "hv": hv, "expected": (a + a.t()) @ v}


@case(area=AREA, tags=("hvp",))
def hessian_vector_product_via_dot(torch, make: Inputs):
    """HVP of sum(tanh(x)**2 * x) as grad of (g·v) equals grad with grad_outputs=v."""
    x = make.randn(4, requires_grad=True)
    v = make.randn(4)
    f = (x.tanh() ** 2 * x).sum()
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hv_dot,) = torch.autograd.grad((g * v).sum(), x, retain_graph=True)
    (hv_out,) = torch.autograd.grad(g, x, grad_outputs=v)
    return {"g": g, "hv_dot": hv_dot, "hv_out": hv_out}


@case(area=AREA, tags=("hvp",))
def full_hessian_rows(torch, make: Inputs):
    """Row by row Hessian of sum(exp(x) * x0 * x1) via retained create_graph grads."""
    x = make.randn(3, dtype="float64", requires_grad=True)
    f = (x.exp() * x[0] * x[1]).sum()
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    rows = tuple(torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(3))
    return {"g": g, "rows": rows}


@case(area=AREA, tags=("hvp",))
def hvp_of_mlp_loss(torch, make: Inputs):
    """HVP w.r.t. the weights of mse(tanh(x W1) W2, y)."""
    F = torch.nn.functional
    x = make.randn(4, 3)
    y = make.randn(4, 2)
    w1 = make.randn(3, 5, requires_grad=True)
    w2 = make.randn(5, 2, requires_grad=True)
    v1 = make.randn(3, 5)
    v2 = make.randn(5, 2)
    loss = F.mse_loss((x @ w1).tanh() @ w2, y)
    g1, g2 = torch.autograd.grad(loss, (w1, w2), create_graph=True)
    h1, h2 = torch.autograd.grad((g1 * v1).sum() + (g2 * v2).sum(), (w1, w2))
    return {"loss": loss, "g1": g1, "g2": g2, "h1": h1, "h2": h2}


@case(area=AREA, tags=("hvp",))
def grad_outputs_that_require_grad(torch, make: Inputs):
    """With create_graph and a grad_outputs that requires grad, the VJP is differentiable in it."""
    x = make.randn(3, requires_grad=True)
    v = make.randn(3, requires_grad=True)
    y = x**2
    (vjp,) = torch.autograd.grad(y, x, grad_outputs=v, create_graph=True)
    gx, gv = torch.autograd.grad(vjp.sum(), (x, v))
    return {"vjp": vjp, "gx": gx, "gv": gv}


# -- double backward through common functions ------------------------------------------------


def _double_backward(torch, f, x, w, u):
    """g = d/dx sum(f(x)*w) with create_graph, gg = d/dx sum(g*u); returns both."""
    (g,) = torch.autograd.grad((f(x) * w).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad((g * u).sum(), x)
    return {"g": g, "gg": gg}


@case(area=AREA, tags=("double_backward", "nn"))
def double_backward_softmax(torch, make: Inputs):
    """Second derivative through softmax(dim=1), weighted on both passes."""
    x = make.randn(2, 4, requires_grad=True)
    w = make.randn(2, 4)
    u = make.randn(2, 4)
    return _double_backward(torch, lambda t: t.softmax(1), x, w, u)


@case(area=AREA, tags=("double_backward", "nn"))
def double_backward_log_softmax(torch, make: Inputs):
    """Second derivative through log_softmax(dim=1)."""
    x = make.randn(2, 4, requires_grad=True)
    w = make.randn(2, 4)
    u = make.randn(2, 4)
    return _double_backward(torch, lambda t: torch.nn.functional.log_softmax(t, 1), x, w, u)


@case(area=AREA, tags=("double_backward", "nn"))
def double_backward_mse_loss(torch, make: Inputs):
    """Second derivatives of mse_loss w.r.t. input and a grad-requiring target."""
    F = torch.nn.functional
    x = make.randn(2, 3, requires_grad=True)
    t = make.randn(2, 3, requires_grad=True)
    u = make.randn(2, 3)
    loss = F.mse_loss(x, t)
    gx, gt = torch.autograd.grad(loss, (x, t), create_graph=True)
    hx, ht = torch.autograd.grad((gx * u).sum(), (x, t))
    return {"gx": gx, "gt": gt, "hx": hx, "ht": ht}


@case(area=AREA, tags=("double_backward",))
def double_backward_sigmoid(torch, make: Inputs):
    """Second derivative through sigmoid (SigmoidBackwardBackward0)."""
    x = make.randn(5, requires_grad=True)
    w = make.randn(5)
    u = make.randn(5)
    return _double_backward(torch, lambda t: t.sigmoid(), x, w, u)


@case(area=AREA, tags=("double_backward",))
def double_backward_tanh(torch, make: Inputs):
    """Second derivative through tanh (TanhBackwardBackward0)."""
    x = make.randn(5, requires_grad=True)
    w = make.randn(5)
    u = make.randn(5)
    return _double_backward(torch, lambda t: t.tanh(), x, w, u)


@case(area=AREA, tags=("double_backward", "nn"))
def double_backward_cross_entropy(torch, make: Inputs):
    """Second derivative of cross_entropy with class labels (NllLossBackwardBackward0 path)."""
    x = make.randn(3, 4, requires_grad=True)
    labels = make.tensor([1, 0, 3])
    u = make.randn(3, 4)
    (g,) = torch.autograd.grad(torch.nn.functional.cross_entropy(x, labels), x, create_graph=True)
    (gg,) = torch.autograd.grad((g * u).sum(), x)
    return {"g": g, "gg": gg}


@case(area=AREA, tags=("double_backward", "nn"))
def double_backward_bce_with_logits(torch, make: Inputs):
    """Second derivative of binary_cross_entropy_with_logits (mean)."""
    x = make.randn(2, 3, requires_grad=True)
    t = make.rand(2, 3)
    u = make.randn(2, 3)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(x, t)
    (g,) = torch.autograd.grad(loss, x, create_graph=True)
    (gg,) = torch.autograd.grad((g * u).sum(), x)
    return {"g": g, "gg": gg}


@case(area=AREA, tags=("double_backward",))
def double_backward_pointwise(torch, make: Inputs):
    """Second derivatives of exp, log, sqrt, sin, reciprocal, pow on positive inputs."""
    # abs is left out: torch's second derivative of abs is a ZeroTensor, which the torch
    # backend cannot read into NumPy.
    fns = {
        "exp": lambda t: t.exp(),
        "log": lambda t: t.log(),
        "sqrt": lambda t: t.sqrt(),
        "sin": lambda t: t.sin(),
        "reciprocal": lambda t: t.reciprocal(),
        "x**2.5": lambda t: t**2.5,
        "2**x": lambda t: 2**t,
    }
    x = make.uniform(4, low=0.5, high=2.0, requires_grad=True)
    w = make.randn(4)
    u = make.randn(4)
    return {name: _double_backward(torch, f, x, w, u) for name, f in fns.items()}


@case(area=AREA, tags=("double_backward",))
def double_backward_reductions(torch, make: Inputs):
    """Second derivatives of prod, norm, var, std, logsumexp over dim 1."""
    fns = {
        "prod(1)": lambda t: t.prod(1),
        "norm(dim=1)": lambda t: t.norm(dim=1),
        "var(1)": lambda t: t.var(1),
        "std(1)": lambda t: t.std(1),
        "logsumexp(1)": lambda t: t.logsumexp(1),
    }
    x = make.uniform(2, 3, low=0.5, high=2.0, dtype="float64", requires_grad=True)
    w = make.randn(2, dtype="float64")
    u = make.randn(2, 3, dtype="float64")
    return {name: _double_backward(torch, f, x, w, u) for name, f in fns.items()}


@case(area=AREA, tags=("double_backward", "matmul"))
def double_backward_matmul_chain(torch, make: Inputs):
    """Second derivative of sum((x @ x)**2) for a square matrix."""
    x = make.randn(3, 3, requires_grad=True)
    u = make.randn(3, 3)
    (g,) = torch.autograd.grad(((x @ x) ** 2).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad((g * u).sum(), x)
    return {"g": g, "gg": gg}


@case(area=AREA, tags=("gradcheck",))
def gradgradcheck_of_small_functions(torch, make: Inputs):
    """gradcheck and gradgradcheck agree that float64 tanh∘mul and softmax are correct."""
    x = make.randn(3, dtype="float64", requires_grad=True)
    y = make.randn(3, dtype="float64", requires_grad=True)

    def f(a, b):
        return (a * b).tanh()

    def sm(a):
        return a.softmax(0)

    return {
        "gradcheck": capture(lambda: torch.autograd.gradcheck(f, (x, y))),
        "gradgradcheck": capture(lambda: torch.autograd.gradgradcheck(f, (x, y))),
        "softmax": capture(lambda: torch.autograd.gradgradcheck(sm, (x,))),
    }


# -- autograd.grad options -------------------------------------------------------------------


@case(area=AREA, tags=("autograd.grad", "errors"))
def unused_input_errors(torch, make: Inputs):
    """autograd.grad w.r.t. an unused input raises naming its index."""
    x = make.randn(2, requires_grad=True)
    z = make.randn(2, requires_grad=True)
    y = (x * 2).sum()
    return {"grad": capture(lambda: torch.autograd.grad(y, [x, z]))}


@case(area=AREA, tags=("autograd.grad",))
def allow_unused_gives_none(torch, make: Inputs):
    """allow_unused=True returns None for the unused input."""
    x = make.randn(2, requires_grad=True)
    z = make.randn(2, requires_grad=True)
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    return {"gx": gx, "gz": gz}


@case(area=AREA, tags=("autograd.grad",))
def materialize_grads_gives_zeros(torch, make: Inputs):
    """materialize_grads=True returns zeros of the input's shape for the unused input."""
    x = make.randn(2, requires_grad=True)
    z = make.randn(2, 3, requires_grad=True)
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], allow_unused=True, materialize_grads=True)
    return {"gx": gx, "gz": gz}


@case(area=AREA, tags=("autograd.grad",))
def unused_in_second_order(torch, make: Inputs):
    """A linear function's grad is constant, so its second derivative is unused (None)."""
    x = make.randn(3, requires_grad=True)
    y = make.randn(3, requires_grad=True)
    (gx,) = torch.autograd.grad((x * y).sum(), x, create_graph=True)
    gxx, gxy = torch.autograd.grad(gx.sum(), (x, y), allow_unused=True)
    return {"gx": gx, "gxx": gxx, "gxy": gxy}


@case(area=AREA, tags=("autograd.grad", "errors"))
def input_without_grad_errors(torch, make: Inputs):
    """autograd.grad w.r.t. a tensor that does not require grad raises."""
    x = make.randn(2, requires_grad=True)
    c = make.randn(2)
    y = (x * c).sum()
    return {"grad": capture(lambda: torch.autograd.grad(y, [x, c]))}


@case(area=AREA, tags=("autograd.grad",))
def multiple_outputs_are_summed(torch, make: Inputs):
    """autograd.grad over two outputs returns a tuple with their summed gradient."""
    x = make.randn(3, requires_grad=True)
    y1 = (x**2).sum()
    y2 = (x * 3).sum()
    result = torch.autograd.grad([y1, y2], x)
    return {"type": type(result).__name__, "len": len(result), "g": result[0]}


@case(area=AREA, tags=("autograd.grad",))
def grad_leaves_dot_grad_untouched(torch, make: Inputs):
    """autograd.grad with create_graph never fills .grad of the inputs."""
    x = make.randn(3, requires_grad=True)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    return {"g": g, "gg": gg, "x.grad": x.grad}


@case(area=AREA, tags=("autograd.grad", "errors"))
def second_grad_after_free_errors(torch, make: Inputs):
    """Without create_graph or retain_graph, a second autograd.grad on the graph raises."""
    x = make.randn(3, requires_grad=True)
    y = (x.exp() * x).sum()
    (g,) = torch.autograd.grad(y, x)
    return {"g": g, "again": capture(lambda: torch.autograd.grad(y, x))}
