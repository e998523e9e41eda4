"""In-place ops and version counters: what bumps ``_version``, what autograd then refuses.

Covered: version counts after each kind of in-place op, shared counters of views and detach (and
the separate one of ``.data``), the "modified by an inplace operation" error for saved outputs,
saved inputs, leaves and plain tensors, leaf and view-of-leaf in-place errors, in-place under
no_grad, CopySlices / IndexPutBackward0 / FillBackward3 after writes into views and index
assignment, grads through those writes, view rebasing (AsStridedBackward0), chained in-place
ops and the in-place error on outputs of multi-view functions (split, unbind).
"""

from conformance import Inputs, capture, case

AREA = "inplace_version"


def _fn_name(t):
    """The class name of ``t.grad_fn`` (None for a leaf)."""
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _edges(t):
    """``next_functions`` of t.grad_fn as (class name or None, input nr) pairs."""
    return tuple((None if n is None else type(n).__name__, i) for n, i in t.grad_fn.next_functions)


# -- version counters ------------------------------------------------------------------------


@case(area=AREA, tags=("version",))
def version_after_each_inplace_kind(torch, make: Inputs):
    """add_, setitem, copy_, +=, zero_, fill_, clamp_ and out= each bump _version by one."""
    versions = {}
    ops = {
        "add_": lambda t: t.add_(1),
        "mul_": lambda t: t.mul_(2),
        "setitem": lambda t: t.__setitem__(0, 5.0),
        "copy_": lambda t: t.copy_(torch.ones(3)),
        "iadd": lambda t: t.__iadd__(1),
        "zero_": lambda t: t.zero_(),
        "fill_": lambda t: t.fill_(2.0),
        "clamp_": lambda t: t.clamp_(0, 1),
        "out=": lambda t: torch.add(torch.ones(3), torch.ones(3), out=t),
    }
    for name, op in ops.items():
        t = make.randn(3)
        before = t._version
        op(t)
        versions[name] = (before, t._version)
    return versions


@case(area=AREA, tags=("version",))
def chained_inplace_bumps_twice(torch, make: Inputs):
    """mul_(2).add_(1) bumps the version twice; requires_grad_ does not bump it."""
    t = make.randn(3)
    t.mul_(2).add_(1)
    u = make.randn(3)
    u.requires_grad_()
    return {"t._version": t._version, "u._version": u._version, "t": t}


@case(area=AREA, tags=("version",))
def out_of_place_ops_leave_version_alone(torch, make: Inputs):
    """Out-of-place ops never bump the inputs' versions; a new result starts at 0."""
    x = make.randn(3, requires_grad=True)
    y = (x * 2).exp()
    z = y.sum()
    return {"versions": (x._version, y._version, z._version)}


@case(area=AREA, tags=("version", "views"))
def views_share_the_version_counter(torch, make: Inputs):
    """A view, a view of a view and the base all see every in-place write."""
    base = make.randn(4, 3)
    v = base[1:]
    vv = v[0]
    t = base.t()
    vv.add_(1)
    after_view_write = (base._version, v._version, vv._version, t._version)
    base.mul_(2)
    after_base_write = (base._version, v._version, vv._version, t._version)
    return {"after_view_write": after_view_write, "after_base_write": after_base_write}


@case(area=AREA, tags=("version", "detach"))
def detach_shares_version_data_does_not(torch, make: Inputs):
    """detach() shares the counter with its source; .data has a counter of its own."""
    x = make.randn(3, requires_grad=True)
    a = x * 2
    d = a.detach()
    d.add_(1)
    after_detach = (a._version, d._version)
    b = x * 2
    data = b.data
    data.add_(1)
    return {
        "after_detach": after_detach,
        "after_data": (b._version, data._version),
        "a": a,
        "b": b,
    }


@case(area=AREA, tags=("version", "detach", "errors"))
def inplace_through_detach_is_detected(torch, make: Inputs):
    """A saved output changed through detach() raises at backward (shared counter)."""
    x = make.randn(3, requires_grad=True)
    y = x.exp()
    y.detach().mul_(2)
    return {"y._version": y._version, "backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("version", "detach"))
def inplace_through_data_is_not_detected(torch, make: Inputs):
    """A saved output changed through .data is not detected: backward uses the new value."""
    x = make.randn(3, requires_grad=True)
    y = x.exp()
    y.data.mul_(2)
    y.sum().backward()
    return {"y._version": y._version, "x.grad": x.grad}


# -- saved tensor modified in place ----------------------------------------------------------


@case(area=AREA, tags=("errors", "saved"))
def saved_sigmoid_output_modified_errors(torch, make: Inputs):
    """sigmoid saves its output; changing it in place names 'output 0 of Sigmoid'."""
    x = make.randn(2, requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)
    return {
        "y": y,
        "y._version": y._version,
        "backward": capture(lambda: y.sum().backward()),
    }


@case(area=AREA, tags=("errors", "saved"))
def saved_exp_output_modified_errors_float64(torch, make: Inputs):
    """exp saves its output; a float64 [2, 2] one prints as DoubleTensor, 'output 0 of Exp'."""
    x = make.randn(2, 2, dtype="float64", requires_grad=True)
    y = x.exp()
    y.add_(1)
    return {"backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("errors", "saved"))
def saved_input_named_by_grad_fn_at_backward_time(torch, make: Inputs):
    """a = x*1; y = a*a; a.add_(1): the error names a's current producer, 'output 0 of Add'."""
    x = make.randn(2, requires_grad=True)
    a = x * 1
    y = a * a
    a.add_(1)
    return {"a": a, "backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("errors", "saved", "leaf"))
def saved_leaf_modified_under_no_grad_errors(torch, make: Inputs):
    """A grad leaf saved by x*x and changed under no_grad: no 'which is output' clause."""
    x = make.randn(3, requires_grad=True)
    y = x * x
    with torch.no_grad():
        x.add_(1)
    return {"x._version": x._version, "backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("errors", "saved"))
def saved_plain_tensor_modified_errors(torch, make: Inputs):
    """A saved tensor that never required grad changed in place: no 'which is output' clause."""
    x = make.randn(3, requires_grad=True)
    w = make.randn(3)
    y = x * w
    w.add_(1)
    return {"backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("saved",))
def only_needed_tensors_are_saved(torch, make: Inputs):
    """a*w with only a requiring grad saves w, not a: changing a in place is harmless."""
    x = make.randn(3, requires_grad=True)
    a = x * 1
    w = make.randn(3)
    y = a * w
    a.add_(1)
    y.sum().backward()
    return {"a._version": a._version, "x.grad": x.grad}


@case(area=AREA, tags=("errors", "saved", "views"))
def saved_view_modified_through_base_errors(torch, make: Inputs):
    """v = b[0]; y = v*v; b.add_(1): the saved view is regenerated, 'output 0 of AsStrided'."""
    x = make.randn(3, requires_grad=True)
    b = x * 1
    v = b[0]
    y = v * v
    b.add_(1)
    return {"v._version": v._version, "backward": capture(lambda: y.backward())}


@case(area=AREA, tags=("saved",))
def inplace_on_unsaved_intermediate_gives_right_grad(torch, make: Inputs):
    """a = x*2; a.add_(1); y = a.exp(): ops after the in-place see the new value; grads right."""
    x = make.randn(3, requires_grad=True)
    a = x * 2
    a.add_(1)
    y = a.exp()
    y.sum().backward()
    return {"y": y, "x.grad": x.grad}


# -- leaf in-place errors --------------------------------------------------------------------


@case(area=AREA, tags=("errors", "leaf"))
def leaf_inplace_errors(torch, make: Inputs):
    """In-place on a grad leaf, or on a view of one, raises; versions stay put."""
    x = make.randn(3, requires_grad=True)
    return {
        "add_": capture(lambda: x.add_(1)),
        "iadd": capture(lambda: x.__iadd__(1)),
        "setitem": capture(lambda: x.__setitem__(0, 5.0)),
        "view_mul_": capture(lambda: x[1:].mul_(2)),
        "x": x,
        "x._version": x._version,
    }


@case(area=AREA, tags=("no_grad", "leaf"))
def leaf_inplace_allowed_under_no_grad(torch, make: Inputs):
    """Under no_grad x.add_(1) is allowed: the version bumps, x stays a grad leaf."""
    x = make.randn(3, requires_grad=True)
    with torch.no_grad():
        x.add_(1)
        x.mul_(2)
    (x * x).sum().backward()
    return {"x": x, "x._version": x._version, "x.grad": x.grad}


# -- grad_fn after in-place ops --------------------------------------------------------------


@case(area=AREA, tags=("grad_fn",))
def inplace_grad_fn_names_on_non_leaf(torch, make: Inputs):
    """The grad_fn an in-place op leaves on a non-leaf (t = x*1 first)."""
    ops = {
        "add_": lambda t: t.add_(1),
        "sub_": lambda t: t.sub_(1),
        "mul_": lambda t: t.mul_(2),
        "div_": lambda t: t.div_(2),
        "exp_": lambda t: t.exp_(),
        "relu_": lambda t: t.relu_(),
        "sigmoid_": lambda t: t.sigmoid_(),
        "neg_": lambda t: t.neg_(),
        "pow_": lambda t: t.pow_(2),
        "clamp_": lambda t: t.clamp_(0, 1),
        "zero_": lambda t: t.zero_(),
        "fill_": lambda t: t.fill_(2.0),
    }
    x = make.randn(3, requires_grad=True)
    out = {}
    for name, op in ops.items():
        t = x * 1
        op(t)
        out[name] = (_fn_name(t), t._version)
    return out


@case(area=AREA, tags=("grad_fn",))
def copy_into_non_leaf(torch, make: Inputs):
    """t = x*1; t.copy_(y): CopyBackwards with edges to x's Mul and y's AccumulateGrad."""
    x = make.randn(3, requires_grad=True)
    y = make.randn(3, requires_grad=True)
    t = x * 1
    t.copy_(y)
    edges = _edges(t)
    (t * 2).sum().backward()
    return {"t": t, "edges": edges, "x.grad": x.grad, "y.grad": y.grad}


@case(area=AREA, tags=("chained",))
def chained_inplace_ops(torch, make: Inputs):
    """a = x*1; a.mul_(3); a.pow_(2): final grad_fn PowBackward0, version 2, grad 18x."""
    x = make.randn(3, requires_grad=True)
    a = x * 1
    a.mul_(3)
    a.pow_(2)
    a.sum().backward()
    return {"a": a, "a._version": a._version, "x.grad": x.grad}


@case(area=AREA, tags=("chained",))
def inplace_sigmoid_then_backward(torch, make: Inputs):
    """a = x*2; a.sigmoid_(): the grad uses the saved in-place output."""
    x = make.randn(3, requires_grad=True)
    w = make.randn(3)
    a = x * 2
    a.sigmoid_()
    (a * w).sum().backward()
    return {"a": a, "x.grad": x.grad}


@case(area=AREA, tags=("plain_target",))
def inplace_grad_value_into_plain_tensor(torch, make: Inputs):
    """y.add_(x) with a plain y makes y a non-leaf that requires grad (AddBackward0)."""
    x = make.randn(3, requires_grad=True)
    y = make.randn(3)
    y.add_(x)
    (y * y).sum().backward()
    return {"y": y, "x.grad": x.grad}


# -- writes into views and index assignment ---------------------------------------------------


@case(area=AREA, tags=("copyslices",))
def setitem_into_zeros_gives_copyslices(torch, make: Inputs):
    """z = zeros(3); z[0] = x[0]**2: CopySlices, non-leaf, edges ((None,0),(PowBackward0,0))."""
    x = make.randn(3, requires_grad=True)
    z = torch.zeros(3)
    z[0] = x[0] ** 2
    edges = _edges(z)
    name = z.grad_fn.name()
    z.sum().backward()
    return {"z": z, "edges": edges, "name()": name, "z._version": z._version, "x.grad": x.grad}


@case(area=AREA, tags=("copyslices",))
def setitem_forms_grad_fn(torch, make: Inputs):
    """Each setitem form on y = x.clone(): grad_fn, next_functions and version."""
    x = make.randn(4, 3, requires_grad=True)
    v = make.randn(3, requires_grad=True)
    mask = make.tensor([True, False, True, False])
    forms = {
        "y[0]=1.": lambda y: y.__setitem__(0, 1.0),
        "y[0,1]=2.": lambda y: y.__setitem__((0, 1), 2.0),
        "y[1:]=5.": lambda y: y.__setitem__(slice(1, None), 5.0),
        "y[0]=v": lambda y: y.__setitem__(0, v),
        "y[1:]=v": lambda y: y.__setitem__(slice(1, None), v),
        "y[[0,2]]=v": lambda y: y.__setitem__([0, 2], v),
        "y[[0,2]]=0.": lambda y: y.__setitem__([0, 2], 0.0),
        "y[mask]=0.": lambda y: y.__setitem__(mask, 0.0),
        "y[...]=0.": lambda y: y.__setitem__(Ellipsis, 0.0),
        "y[:]=0.": lambda y: y.__setitem__(slice(None), 0.0),
        "y+=1": lambda y: y.__iadd__(1),
        "masked_fill_": lambda y: y.masked_fill_(mask[:, None], 0.0),
    }
    out = {}
    for name, op in forms.items():
        y = x.clone()
        op(y)
        out[name] = (_fn_name(y), _edges(y), y._version)
    return out


@case(area=AREA, tags=("copyslices", "views"))
def inplace_op_on_indexed_view_bumps_twice(torch, make: Inputs):
    """y[:, 0] += 1 on y = x.clone(): CopySlices over CopySlices/AsStrided, version 2."""
    x = make.randn(4, 3, requires_grad=True)
    y = x.clone()
    y[:, 0] += 1
    inner = y.grad_fn.next_functions[0][0]
    edges = _edges(y)
    (y * y).sum().backward()
    return {
        "y": y,
        "edges": edges,
        "inner": type(inner).__name__,
        "y._version": y._version,
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("copyslices",))
def plain_tensor_setitem_forms(torch, make: Inputs):
    """Writes of a grad value into a plain zeros tensor make it a non-leaf; constants do not."""
    v = make.randn(3, requires_grad=True)
    mask = make.tensor([True, False, True, False])
    forms = {
        "y[0]=v": lambda y: y.__setitem__(0, v),
        "y[[0,2]]=v": lambda y: y.__setitem__([0, 2], v),
        "y[mask]=v": lambda y: y.__setitem__(mask, v),
        "y[1:]=v": lambda y: y.__setitem__(slice(1, None), v),
        "y[0]=1.": lambda y: y.__setitem__(0, 1.0),
        "y[[0,2]]=1.": lambda y: y.__setitem__([0, 2], 1.0),
    }
    out = {}
    for name, op in forms.items():
        y = torch.zeros(4, 3)
        op(y)
        edges = None if y.grad_fn is None else _edges(y)
        out[name] = (_fn_name(y), edges, y.requires_grad, y.is_leaf, y._version)
    return out


@case(area=AREA, tags=("copyslices", "grads"))
def grads_through_index_assignment(torch, make: Inputs):
    """y = x.clone(); y[[0,2]] = v: x gets no grad on rows 0, 2; v gets both rows' grads."""
    x = make.randn(4, 3, requires_grad=True)
    v = make.randn(3, requires_grad=True)
    w = make.randn(4, 3)
    y = x.clone()
    y[[0, 2]] = v
    (y * w).sum().backward()
    return {"y": y, "x.grad": x.grad, "v.grad": v.grad}


@case(area=AREA, tags=("copyslices", "grads"))
def grads_through_slice_assignment(torch, make: Inputs):
    """y = x.clone(); y[1:] = v (broadcast): v's grad sums the three written rows."""
    x = make.randn(4, 3, requires_grad=True)
    v = make.randn(3, requires_grad=True)
    w = make.randn(4, 3)
    y = x.clone()
    y[1:] = v
    (y * w).sum().backward()
    return {"y": y, "x.grad": x.grad, "v.grad": v.grad}


@case(area=AREA, tags=("copyslices", "grads"))
def grads_through_mask_assignment(torch, make: Inputs):
    """y[mask] = 0. cuts the masked rows off x's grad."""
    x = make.randn(4, 3, requires_grad=True)
    mask = make.tensor([False, True, True, False])
    w = make.randn(4, 3)
    y = x.clone()
    y[mask] = 0.0
    (y * w).sum().backward()
    return {"y": y, "x.grad": x.grad}


@case(area=AREA, tags=("copyslices", "grads"))
def duplicate_index_assignment(torch, make: Inputs):
    """y[tensor([0,0])] = stack([v, 2v]): the last write wins in y, v gets both grads (3)."""
    x = make.randn(4, 3, requires_grad=True)
    v = make.randn(3, requires_grad=True)
    idx = make.tensor([0, 0])
    y = x.clone()
    y[idx] = torch.stack([v, 2 * v])
    y.sum().backward()
    return {"y": y, "x.grad": x.grad, "v.grad": v.grad}


@case(area=AREA, tags=("copyslices", "grads"))
def setitem_of_computed_value_grads(torch, make: Inputs):
    """z = zeros(3); z[1] = x[0]*x[1]; z[2] = x.sum(): grads through two CopySlices."""
    x = make.randn(3, requires_grad=True)
    z = torch.zeros(3)
    z[1] = x[0] * x[1]
    z[2] = x.sum()
    w = make.randn(3)
    (z * w).sum().backward()
    return {"z": z, "z._version": z._version, "x.grad": x.grad}


# -- view rebasing ---------------------------------------------------------------------------


@case(area=AREA, tags=("views", "rebase"))
def inplace_on_view_rebases_base_and_views(torch, make: Inputs):
    """v2.mul_(2) on a view of b: b gets CopySlices, both views become AsStridedBackward0."""
    x = make.randn(4, requires_grad=True)
    b = x * 1
    v1 = b[0]
    v2 = b[1:]
    before = (_fn_name(v1), _fn_name(v2))
    v2.mul_(2)
    return {
        "before": before,
        "b": b,
        "b.edges": _edges(b),
        "v1": v1,
        "v2": v2,
        "v1.edges": _edges(v1),
        "versions": (b._version, v1._version, v2._version),
    }


@case(area=AREA, tags=("views", "rebase", "grads"))
def grads_after_inplace_on_view(torch, make: Inputs):
    """b = x*1; b[1:].mul_(3): the written part of x's grad is scaled by 3."""
    x = make.randn(4, requires_grad=True)
    w = make.randn(4)
    b = x * 1
    b[1:].mul_(3)
    (b * w).sum().backward()
    return {"b": b, "x.grad": x.grad}


@case(area=AREA, tags=("views", "rebase", "grads"))
def grads_through_rebased_view(torch, make: Inputs):
    """Using the view (not the base) after the in-place write backprops through AsStrided."""
    x = make.randn(2, 3, requires_grad=True)
    w = make.randn(3)
    b = x * 2
    row = b[0]
    b[1].exp_()
    (row * w).sum().backward()
    return {"row": row, "x.grad": x.grad}


@case(area=AREA, tags=("views", "rebase", "grads"))
def inplace_on_transposed_view(torch, make: Inputs):
    """b.t().add_(y) writes through a transposed view; grads reach x and y."""
    x = make.randn(2, 3, requires_grad=True)
    y = make.randn(3, 2, requires_grad=True)
    b = x * 1
    b.t().add_(y)
    w = make.randn(2, 3)
    (b * w).sum().backward()
    return {"b": b, "x.grad": x.grad, "y.grad": y.grad}


# -- multi-output views ----------------------------------------------------------------------


@case(area=AREA, tags=("errors", "views", "multi_output"))
def split_output_inplace_errors(torch, make: Inputs):
    """An output of split() cannot be modified in place ('returns multiple views')."""
    x = make.randn(4, requires_grad=True)
    a, _ = x.clone().split(2)
    return {"a": a, "mul_": capture(lambda: a.mul_(2))}


@case(area=AREA, tags=("errors", "views", "multi_output"))
def unbind_output_inplace_errors(torch, make: Inputs):
    """An output of unbind() cannot be modified in place either."""
    x = make.randn(3, 2, requires_grad=True)
    rows = x.clone().unbind()
    return {"row": rows[0], "add_": capture(lambda: rows[0].add_(1))}


@case(area=AREA, tags=("errors", "views", "multi_output"))
def chunk_output_inplace_errors(torch, make: Inputs):
    """chunk() outputs are multi-output views too."""
    x = make.randn(4, requires_grad=True)
    parts = x.clone().chunk(2)
    return {"part": parts[1], "zero_": capture(lambda: parts[1].zero_())}


@case(area=AREA, tags=("views", "multi_output", "no_grad"))
def multi_output_view_inplace_without_grad(torch, make: Inputs):
    """Without grad in the picture, in-place on a split output is fine and writes the base."""
    x = make.randn(4)
    a, b = x.split(2)
    a.mul_(2)
    return {"x": x, "a": a, "b": b, "versions": (x._version, a._version, b._version)}


@case(area=AREA, tags=("version", "errors"))
def stale_saved_tensors_are_reported_in_unpack_order(torch, make: Inputs):
    """A node's saved tensors are unpacked in name order ("end" < "other" < "self"), and only
    those saved for the gradients to compute: when two share one stale version counter, the
    error names the first - with "which is output 0 of ..." only if it has history."""
    ops = {
        "maximum": lambda a, b: torch.maximum(a, b),
        "minimum": lambda a, b: torch.minimum(b, a),
        "fmax": lambda a, b: torch.fmax(a, b),
        "atan2": lambda a, b: torch.atan2(a, b),
        "xlogy": lambda a, b: torch.xlogy(a, b),
        "dist": lambda a, b: torch.dist(a, b),
        "lerp": lambda a, b: torch.lerp(a, b, b),
        "hypot": lambda a, b: torch.hypot(a, b),
        "copysign": lambda a, b: torch.copysign(a, b),
        "mul": lambda a, b: a * b,
    }
    out = {}
    for name, op in ops.items():
        x = make.rand(3, requires_grad=True)
        a = x * 1.5 + 1
        b = a.detach()
        y = op(a, b)
        a.detach().mul_(2)
        out[name] = capture(lambda y=y: y.sum().backward())
    return out
