"""detach and no_grad: sharing storage and versions, toggling requires_grad, grad modes.

``detach()`` shares storage and the version counter (so in-place changes through it are seen by
saved-tensor checks); ``.data`` shares storage but not the counter; ``requires_grad_`` works on
leaves only; ``no_grad`` / ``enable_grad`` / ``set_grad_enabled`` / ``inference_mode`` nest and
restore; results made with grad disabled are leaves. Views of grad leaves made under no_grad are
left out on purpose (docs/semantics.md §5.6).
"""

from conformance import Inputs, capture, case

AREA = "detach_no_grad"


@case(area=AREA, tags=("detach", "storage"))
def detach_flags(torch, make: Inputs):
    """detach() of a non-leaf is a leaf without grad and without grad_fn."""
    x = make.randn(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    return {"d": d, "y": y, "d.requires_grad": d.requires_grad, "d.is_leaf": d.is_leaf}


@case(area=AREA, tags=("detach", "storage", "version"))
def detach_shares_storage_and_version(torch, make: Inputs):
    """Writing through a detached leaf changes the original; both versions become 1."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = x.detach()
    d[0] = 10.0
    return {"x": x, "d": d, "x._version": x._version, "d._version": d._version}


@case(area=AREA, tags=("detach", "storage", "version"))
def detach_of_non_leaf_shares_version(torch, make: Inputs):
    """mul_ on y.detach() bumps y's version and changes y's values."""
    x = make.randn(3, requires_grad=True)
    y = x * 1
    before = y._version
    y.detach().mul_(2)
    return {"before": before, "y._version": y._version, "y": y, "x": x}


@case(area=AREA, tags=("detach", "version", "errors"))
def detach_inplace_trips_saved_output_check(torch, make: Inputs):
    """Changing a saved sigmoid output through detach() makes its backward raise."""
    x = make.randn(2, requires_grad=True)
    y = x.sigmoid()
    s = y.sum()
    y.detach().add_(1)
    return {"error": capture(lambda: s.backward()), "x.grad": x.grad, "y._version": y._version}


@case(area=AREA, tags=("detach", "version", "errors"))
def detach_inplace_trips_saved_input_check(torch, make: Inputs):
    """Changing a saved leaf input (x in x*w) through detach() makes the backward raise."""
    x = make.randn(2, 2, dtype="float64", requires_grad=True)
    w = make.randn(2, 2, dtype="float64", requires_grad=True)
    s = (x * w).sum()
    x.detach().zero_()
    return {"error": capture(lambda: s.backward()), "w.grad": w.grad}


@case(area=AREA, tags=("data", "version"))
def data_does_not_share_version(torch, make: Inputs):
    """x.data shares values but has its own version counter: x._version stays 0."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    x.data.mul_(3)
    return {"x": x, "x._version": x._version, "data_requires_grad": x.data.requires_grad}


@case(area=AREA, tags=("data", "version"))
def data_change_not_detected_by_backward(torch, make: Inputs):
    """Changing a saved exp output through .data is silent: backward uses the new values."""
    x = make.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()
    y.data.mul_(2)
    y.sum().backward()
    return {"x.grad": x.grad, "y._version": y._version}


@case(area=AREA, tags=("detach", "requires_grad"))
def detach_requires_grad_is_new_leaf(torch, make: Inputs):
    """x.detach().requires_grad_() is a new grad leaf; backward fills its grad, not x's."""
    x = make.randn(3, requires_grad=True)
    d = x.detach().requires_grad_()
    (d * d).sum().backward()
    return {"d.grad": d.grad, "x.grad": x.grad, "d.is_leaf": d.is_leaf}


@case(area=AREA, tags=("detach_",))
def detach_inplace_makes_leaf(torch, make: Inputs):
    """y.detach_() returns y itself, now a leaf without grad; graphs built earlier still work."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * 3
    r = y.detach_()
    z.sum().backward()
    return {
        "same_object": r is y,
        "y": y,
        "y.grad_fn": y.grad_fn,
        "z": z,
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("detach_", "errors"))
def detach_inplace_on_view_error(torch, make: Inputs):
    """detach_() on a view raises; the view keeps its grad_fn."""
    x = make.randn(2, 3, requires_grad=True)
    v = (x * 1)[0]
    return {"error": capture(lambda: v.detach_()), "v": v}


@case(area=AREA, tags=("requires_grad",))
def requires_grad_toggle_on_leaf(torch, make: Inputs):
    """requires_grad_() and requires_grad_(False) flip a leaf; results follow the flag."""
    x = make.tensor([1.0, 2.0])
    before = (x * 2).requires_grad
    r = x.requires_grad_()
    on = (x * 2).requires_grad
    x.requires_grad_(False)
    off = (x * 2).requires_grad
    return {"returns_self": r is x, "before": before, "on": on, "off": off, "x": x}


@case(area=AREA, tags=("requires_grad",))
def requires_grad_attribute_assignment(torch, make: Inputs):
    """a.requires_grad = True on a computed-without-grad tensor makes it a grad leaf."""
    a = make.tensor([[0.5, -1.25], [2.0, 0.25]])
    a = (a * 3) / (a - 1)
    before = a.requires_grad
    a.requires_grad = True
    b = (a * a).sum()
    b.backward()
    return {"before": before, "a": a, "b": b, "a.grad": a.grad}


@case(area=AREA, tags=("requires_grad", "errors"))
def requires_grad_false_on_non_leaf_error(torch, make: Inputs):
    """requires_grad_(False) on a non-leaf raises; requires_grad_(True) is a no-op."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    on = y.requires_grad_(True)
    return {
        "error": capture(lambda: y.requires_grad_(False)),
        "noop_returns_self": on is y,
        "y": y,
    }


@case(area=AREA, tags=("requires_grad", "errors"))
def requires_grad_on_int_tensor_error(torch, make: Inputs):
    """requires_grad_() on an int64 tensor raises; so does tensor(..., requires_grad=True)."""
    n = make.tensor([1, 2], dtype="int64")
    return {
        "method": capture(lambda: n.requires_grad_()),
        "factory": capture(lambda: torch.tensor([1, 2], requires_grad=True)),
        "n.requires_grad": n.requires_grad,
    }


@case(area=AREA, tags=("no_grad",))
def no_grad_results_are_leaves(torch, make: Inputs):
    """Ops under no_grad give leaves without grad; backward from one raises."""
    x = make.randn(3, requires_grad=True)
    with torch.no_grad():
        y = (x * 2).sum()
    return {"y": y, "backward": capture(lambda: y.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("no_grad",))
def no_grad_factory_with_requires_grad(torch, make: Inputs):
    """A tensor made with requires_grad=True inside no_grad is still a grad leaf."""
    with torch.no_grad():
        t = make.tensor([1.0, 2.0], requires_grad=True)
        inside = (t * 2).requires_grad
    (t * 2).sum().backward()
    return {"t": t, "inside": inside, "t.grad": t.grad}


@case(area=AREA, tags=("no_grad", "version"))
def no_grad_inplace_on_leaf_allowed(torch, make: Inputs):
    """x.add_(1) on a grad leaf under no_grad is allowed: version 1, still a grad leaf."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    outside = capture(lambda: x.add_(1))
    with torch.no_grad():
        x.add_(1)
    return {"outside": outside, "x": x, "x._version": x._version}


@case(area=AREA, tags=("no_grad", "enable_grad"))
def enable_grad_inside_no_grad(torch, make: Inputs):
    """enable_grad inside no_grad re-enables tracking; leaving it disables it again."""
    x = make.randn(2, requires_grad=True)
    with torch.no_grad():
        a = x * 2
        with torch.enable_grad():
            b = x * 2
            on = torch.is_grad_enabled()
        c = x * 2
        off = torch.is_grad_enabled()
    return {"a": a, "b": b, "c": c, "on": on, "off": off, "after": torch.is_grad_enabled()}


@case(area=AREA, tags=("no_grad", "enable_grad"))
def no_grad_inside_enable_grad_inside_no_grad(torch, make: Inputs):
    """Three levels of nesting: each exit restores the enclosing mode."""
    x = make.randn(2, requires_grad=True)
    modes = []
    with torch.no_grad():
        modes.append(torch.is_grad_enabled())
        with torch.enable_grad():
            modes.append(torch.is_grad_enabled())
            with torch.no_grad():
                modes.append(torch.is_grad_enabled())
                inner = x * 2
            modes.append(torch.is_grad_enabled())
            middle = x * 2
        modes.append(torch.is_grad_enabled())
    return {"modes": tuple(modes), "inner": inner, "middle": middle}


@case(area=AREA, tags=("set_grad_enabled",))
def set_grad_enabled_as_function(torch, make: Inputs):
    """torch.set_grad_enabled(False) called as a function switches tracking off until reset."""
    x = make.randn(2, requires_grad=True)
    try:
        torch.set_grad_enabled(False)
        off = torch.is_grad_enabled()
        y = x * 2
    finally:
        torch.set_grad_enabled(True)
    z = x * 2
    return {"off": off, "y": y, "z": z, "after": torch.is_grad_enabled()}


@case(area=AREA, tags=("set_grad_enabled",))
def set_grad_enabled_as_context(torch, make: Inputs):
    """with set_grad_enabled(False) / (True): the flag decides, and is restored on exit."""
    x = make.randn(2, requires_grad=True)
    with torch.set_grad_enabled(False):
        y = x * 2
        with torch.set_grad_enabled(True):
            z = x * 2
        w = x * 2
    return {"y": y, "z": z, "w": w, "after": torch.is_grad_enabled()}


@case(area=AREA, tags=("no_grad", "decorator"))
def no_grad_decorator(torch, make: Inputs):
    """A @no_grad() function computes without tracking and restores the mode afterwards."""
    x = make.randn(3, requires_grad=True)

    @torch.no_grad()
    def double(t):
        return t * 2, torch.is_grad_enabled()

    y, inside = double(x)
    return {"y": y, "inside": inside, "after": torch.is_grad_enabled()}


@case(area=AREA, tags=("no_grad", "errors"))
def no_grad_restored_after_exception(torch, make: Inputs):
    """An exception inside no_grad still restores grad mode on the way out."""
    x = make.randn(2, requires_grad=True)

    def fail():
        with torch.no_grad():
            raise ValueError("boom")

    error = capture(fail)
    return {"error": error, "after": torch.is_grad_enabled(), "y": x * 2}


@case(area=AREA, tags=("inference_mode",))
def inference_mode_results(torch, make: Inputs):
    """Under inference_mode results are inference tensors without grad or grad_fn."""
    x = make.randn(2, requires_grad=True)
    with torch.inference_mode():
        y = x * 2
        enabled = torch.is_inference_mode_enabled()
        grad_enabled = torch.is_grad_enabled()
    return {
        "y": y,
        "y.is_inference": y.is_inference(),
        "x.is_inference": x.is_inference(),
        "enabled": enabled,
        "grad_enabled": grad_enabled,
        "after": torch.is_inference_mode_enabled(),
    }


@case(area=AREA, tags=("inference_mode", "errors"))
def inference_tensor_inplace_outside_error(torch, make: Inputs):
    """An in-place update of an inference tensor outside inference_mode raises."""
    with torch.inference_mode():
        it = make.tensor([1.0, 1.0])
    return {"error": capture(lambda: it.add_(1)), "it": it}


@case(area=AREA, tags=("inference_mode", "errors"))
def inference_tensor_saved_for_backward_error(torch, make: Inputs):
    """Using an inference tensor where autograd must save it raises at forward time."""
    with torch.inference_mode():
        it = make.tensor([1.0, 1.0])
    w = make.randn(2, requires_grad=True)
    return {"error": capture(lambda: it * w)}


@case(area=AREA, tags=("inference_mode", "errors"))
def inference_tensor_requires_grad_error(torch, make: Inputs):
    """requires_grad_() on an inference tensor outside inference_mode raises."""
    with torch.inference_mode():
        it = make.tensor([1.0, 1.0])
    return {"error": capture(lambda: it.requires_grad_()), "it.requires_grad": it.requires_grad}


@case(area=AREA, tags=("inference_mode", "errors", "version"))
def inference_tensor_has_no_version(torch, make: Inputs):
    """Reading _version of an inference tensor raises: it tracks no version counter."""
    with torch.inference_mode():
        it = make.tensor([1.0, 1.0])
    return {"version": capture(lambda: it._version)}


@case(area=AREA, tags=("inference_mode",))
def inference_tensor_where_nothing_is_saved(torch, make: Inputs):
    """An inference tensor added to a tracked result (nothing of it saved) is fine."""
    with torch.inference_mode():
        it = make.tensor([1.0, 2.0])
    a = make.randn(2, requires_grad=True)
    y = a.sigmoid() * 0 + it
    y.sum().backward()
    return {"y": y, "a.grad": a.grad}


@case(area=AREA, tags=("inference_mode",))
def inference_tensor_clone_is_normal(torch, make: Inputs):
    """A clone of an inference tensor made outside is a normal tensor that can require grad."""
    with torch.inference_mode():
        it = make.tensor([1.0, 1.0]) * 3
    c = it.clone().requires_grad_()
    (c * c).sum().backward()
    return {"c.is_inference": c.is_inference(), "c.grad": c.grad}


@case(area=AREA, tags=("inference_mode",))
def inference_mode_false_enables_grad(torch, make: Inputs):
    """inference_mode(False) inside inference_mode turns tracking back on."""
    x = make.randn(2, requires_grad=True)
    with torch.inference_mode():
        with torch.inference_mode(False):
            y = x * 2
            inner = torch.is_inference_mode_enabled()
        outer = torch.is_inference_mode_enabled()
    return {"y": y, "inner": inner, "outer": outer}
