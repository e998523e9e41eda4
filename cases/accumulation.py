"""Accumulation: how ``.grad`` is created, summed into, cleared and left alone.

Repeated backwards sum into ``.grad``; leaves used several times get the summed gradient; the
first ``.grad`` is a fresh tensor and later ones are updated in place (identity observed as a
bool); ``zero_``, ``None`` and optimizer ``zero_grad`` clear it; ``create_graph`` accumulates out
of place; ``backward(inputs=...)`` and ``autograd.grad`` limit what is touched.
"""

from conformance import Inputs, capture, capture_warnings, case

AREA = "accumulation"


def _quiet(fn):
    """Run ``fn`` dropping its warnings (e.g. create_graph's reference-cycle warning)."""
    value, _ = capture_warnings(fn)
    return value


@case(area=AREA, tags=("backward",))
def repeated_backward_accumulates(torch, make: Inputs):
    """Two backwards through one retained graph sum their gradients into .grad."""
    x = make.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    return {"first": first, "x.grad": x.grad}


@case(area=AREA, tags=("backward",))
def fresh_graphs_accumulate(torch, make: Inputs):
    """Backwards through three separate graphs add up: sum over k of k*ones."""
    x = make.tensor([1.0, -2.0], requires_grad=True)
    seen = []
    for k in (1.0, 2.0, 3.0):
        (x * k).sum().backward()
        seen.append(x.grad.clone())
    return {"after_each": tuple(seen), "x.grad": x.grad}


@case(area=AREA, tags=("shared-leaf",))
def shared_leaf_in_two_branches(torch, make: Inputs):
    """A leaf feeding two branches of one graph gets the sum of both contributions."""
    x = make.randn(4, requires_grad=True)
    y = (x * x + 3 * x).sum()
    y.backward()
    return {"x.grad": x.grad, "y": y}


@case(area=AREA, tags=("shared-leaf",))
def shared_leaf_used_as_both_operands(torch, make: Inputs):
    """x * x and x @ x use one leaf twice; both operands' gradients land in x.grad."""
    x = make.randn(3, requires_grad=True)
    w = make.randn(3, requires_grad=True)
    (x * x).sum().backward()
    after_mul = x.grad.clone()
    (w @ w).backward()
    return {"after_mul": after_mul, "w.grad": w.grad}


@case(area=AREA, tags=("multiple-outputs",))
def two_outputs_backward_separately(torch, make: Inputs):
    """Two outputs of one leaf, each backwarded once, sum their gradients."""
    x = make.randn(3, requires_grad=True)
    y1 = x.sum()
    y2 = (x**2).sum()
    y1.backward()
    after_first = x.grad.clone()
    y2.backward()
    return {"after_first": after_first, "x.grad": x.grad}


@case(area=AREA, tags=("multiple-outputs",))
def two_roots_in_one_autograd_backward(torch, make: Inputs):
    """autograd.backward over two roots sharing a leaf fills .grad once with the sum."""
    x = make.randn(3, requires_grad=True)
    a = (x * 2).sum()
    b = (x**3).sum()
    torch.autograd.backward([a, b])
    return {"x.grad": x.grad}


@case(area=AREA, tags=("multiple-outputs",))
def chunks_of_one_op_summed(torch, make: Inputs):
    """Outputs of a multi-output op (chunk) each send their part back to the one input."""
    x = make.randn(4, requires_grad=True)
    a, b = x.chunk(2)
    ((a * 2).sum() + (b * 3).sum()).backward()
    return {"x.grad": x.grad, "a": a, "b": b}


@case(area=AREA, tags=("zero",))
def zero_between_backwards(torch, make: Inputs):
    """grad.zero_() between backwards resets the sum and keeps the same .grad object."""
    x = make.randn(3, requires_grad=True)
    (x * 5).sum().backward()
    before = x.grad
    x.grad.zero_()
    zeroed = x.grad.clone()
    (x * 2).sum().backward()
    return {"zeroed": zeroed, "x.grad": x.grad, "same_object": x.grad is before}


@case(area=AREA, tags=("zero",))
def set_to_none_between_backwards(torch, make: Inputs):
    """.grad = None between backwards starts a new tensor; the old one keeps its values."""
    x = make.randn(3, requires_grad=True)
    (x * 5).sum().backward()
    before = x.grad
    x.grad = None
    cleared = x.grad
    (x * 2).sum().backward()
    return {
        "cleared": cleared,
        "before": before,
        "x.grad": x.grad,
        "same_object": x.grad is before,
    }


@case(area=AREA, tags=("optim", "zero"))
def optimizer_zero_grad_sets_none(torch, make: Inputs):
    """optimizer.zero_grad() defaults to set_to_none=True: .grad becomes None."""
    p = make.randn(3, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    had = p.grad.clone()
    opt.zero_grad()
    return {"had": had, "p.grad": p.grad}


@case(area=AREA, tags=("optim", "zero"))
def optimizer_zero_grad_set_to_none_false(torch, make: Inputs):
    """zero_grad(set_to_none=False) zeroes .grad in place: same object, all zeros."""
    p = make.randn(3, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    before = p.grad
    opt.zero_grad(set_to_none=False)
    zeroed = p.grad.clone()
    (p * 3).sum().backward()
    return {"zeroed": zeroed, "p.grad": p.grad, "same_object": p.grad is before}


@case(area=AREA, tags=("optim",))
def optimizer_step_then_zero_grad_cycle(torch, make: Inputs):
    """Two SGD iterations with zero_grad between: each step sees only its own gradient."""
    p = make.tensor([1.0, -2.0], requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    grads = []
    for _ in range(2):
        opt.zero_grad()
        (p * p).sum().backward()
        grads.append(p.grad.clone())
        opt.step()
    return {"grads": tuple(grads), "p": p}


@case(area=AREA, tags=("identity",))
def first_grad_is_not_the_gradient_argument(torch, make: Inputs):
    """The first .grad is a new tensor: not the `gradient` passed, unaffected by changing it."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    g = make.tensor([0.5, -1.0])
    (x + 0).backward(g)
    alias = x.grad is g
    g.mul_(100)
    return {"alias": alias, "x.grad": x.grad, "g": g}


@case(area=AREA, tags=("identity",))
def first_grad_of_leaf_backward_is_a_copy(torch, make: Inputs):
    """leaf.backward(g) straight on a leaf still gives a copy of g, not g itself."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    g = make.tensor([3.0, 4.0])
    x.backward(g)
    alias = x.grad is g
    g.zero_()
    return {"alias": alias, "x.grad": x.grad, "g": g}


@case(area=AREA, tags=("identity",))
def later_grads_update_in_place(torch, make: Inputs):
    """A second backward adds into the existing .grad object; outside references see it."""
    x = make.randn(3, requires_grad=True)
    (x * 2).sum().backward()
    held = x.grad
    (x * 3).sum().backward()
    return {"same_object": x.grad is held, "held": held, "x.grad": x.grad}


@case(area=AREA, tags=("identity", "create_graph"))
def create_graph_accumulates_out_of_place(torch, make: Inputs):
    """Under create_graph the grad is differentiable and the second sum is a new object."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = (x**2).sum()
    _quiet(lambda: y.backward(create_graph=True))
    first = x.grad
    _quiet(lambda: y.backward(create_graph=True))
    return {
        "first": first,
        "x.grad": x.grad,
        "same_object": x.grad is first,
        "grad_fn": type(x.grad.grad_fn).__name__,
    }


@case(area=AREA, tags=("identity", "create_graph"))
def create_graph_grad_is_differentiable(torch, make: Inputs):
    """A .grad made under create_graph can itself be backwarded into the leaf."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x**3).sum()
    _quiet(lambda: y.backward(create_graph=True))
    g = x.grad
    x.grad = None
    g.sum().backward()
    return {"g": g, "x.grad": x.grad}


@case(area=AREA, tags=("user-grad",))
def user_assigned_grad_accumulated_in_place(torch, make: Inputs):
    """A .grad assigned by the user is added into in place (same object afterwards)."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    mine = make.tensor([10.0, 20.0])
    x.grad = mine
    (x * x).sum().backward()
    return {"x.grad": x.grad, "mine": mine, "same_object": x.grad is mine}


@case(area=AREA, tags=("user-grad", "errors"))
def user_assigned_grad_wrong_shape(torch, make: Inputs):
    """Assigning a .grad of another shape raises; .grad stays as it was."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    wrong = make.tensor([1.0, 2.0, 3.0])

    def assign():
        x.grad = wrong

    return {"error": capture(assign), "x.grad": x.grad}


@case(area=AREA, tags=("retain_grad",))
def retain_grad_accumulates_as_new_object(torch, make: Inputs):
    """A retained non-leaf grad sums over backwards, as a new object each time."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    first = y.grad
    z.backward()
    return {"first": first, "y.grad": y.grad, "same_object": y.grad is first, "x.grad": x.grad}


@case(area=AREA, tags=("inputs",))
def backward_inputs_non_leaf_only(torch, make: Inputs):
    """backward(inputs=[y]) with a non-leaf y fills y.grad (reading it still warns) only."""
    x = make.randn(3, requires_grad=True)
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    return {"y.grad": capture_warnings(lambda: y.grad), "x.grad": x.grad, "y.is_leaf": y.is_leaf}


@case(area=AREA, tags=("inputs",))
def backward_inputs_subset_of_leaves(torch, make: Inputs):
    """backward(inputs=[a]) accumulates into a only; b.grad is left alone."""
    a = make.randn(3, requires_grad=True)
    b = make.randn(3, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    (a * b).sum().backward(inputs=[a])
    return {"a.grad": a.grad, "b.grad": b.grad}


@case(area=AREA, tags=("inputs", "errors"))
def backward_inputs_empty_error(torch, make: Inputs):
    """backward(inputs=[]) is rejected."""
    x = make.randn(2, requires_grad=True)
    y = (x * 2).sum()
    return {"error": capture(lambda: y.backward(inputs=[])), "x.grad": x.grad}


@case(area=AREA, tags=("autograd.grad",))
def autograd_grad_leaves_grad_none(torch, make: Inputs):
    """autograd.grad returns the gradient without creating .grad."""
    x = make.randn(3, requires_grad=True)
    (g,) = torch.autograd.grad((x * x).sum(), x)
    return {"g": g, "x.grad": x.grad}


@case(area=AREA, tags=("autograd.grad",))
def autograd_grad_leaves_existing_grad_alone(torch, make: Inputs):
    """autograd.grad neither changes an existing .grad's values nor replaces the object."""
    x = make.randn(3, requires_grad=True)
    (x * 4).sum().backward()
    held = x.grad
    (g,) = torch.autograd.grad((x * x).sum(), x)
    return {"g": g, "x.grad": x.grad, "same_object": x.grad is held}


@case(area=AREA, tags=("no_grad",))
def backward_inside_no_grad_accumulates(torch, make: Inputs):
    """A graph built with grad enabled can be backwarded inside no_grad; .grad still sums."""
    x = make.randn(3, requires_grad=True)
    y = (x * x).sum()
    with torch.no_grad():
        y.backward()
    return {"x.grad": x.grad, "grad.requires_grad": x.grad.requires_grad}


@case(area=AREA, tags=("broadcast",))
def broadcast_leaf_accumulates_reduced(torch, make: Inputs):
    """A broadcast (2,1) leaf gets a (2,1) grad, summed over the broadcast dim each time."""
    x = make.randn(2, 1, requires_grad=True)
    w = make.randn(2, 3)
    (x * w).sum().backward()
    first = x.grad.clone()
    (x * w).sum().backward()
    return {"first": first, "x.grad": x.grad}
