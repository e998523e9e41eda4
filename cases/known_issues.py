"""Known PyTorch autograd bugs, one case per tracker entry, pinning the behaviour they broke.

Each case exercises the semantics a PyTorch issue (or the pull request that fixes it) is about, so
eager torch and reference_impl agree on it and a backend that still has the bug (torch.compile,
compiled autograd, an old torch) differs. Each docstring names the issue with its title, the torch
versions it was reported against, the symptom, and how torch 2.13.0 (CPU) behaves under the
compiled backend as checked by hand (``docs/findings.md``, reproducers in ``findings/``).

A case that needs what a backend lacks (reference_impl has no ``torch.func`` yet; a module
without backward hooks) hits a missing module attribute or ``NotImplementedError`` there, so it
is reported as unsupported rather than failed. The segfault of
#196459 kills eager torch 2.13.0 itself: it is ``opt_in`` and tagged ``crash``.
"""

from conformance import Inputs, capture, case

AREA = "known_issues"


def _require(obj, name):
    """``getattr(obj, name)``, or NotImplementedError when a backend lacks that method.

    A missing method on an object (not a module) would otherwise be an AttributeError that the
    verdict counts as a wrong answer instead of a missing feature.
    """
    if not hasattr(obj, name):
        raise NotImplementedError(f"{type(obj).__name__}.{name}")
    return getattr(obj, name)


# -- crashes ---------------------------------------------------------------------------------


@case(area=AREA, tags=("crash", "hooks", "views"), opt_in=True)
def hook_on_view_after_base_written_in_place(torch, make: Inputs):
    """#196459 "Tensor.register_hook segfaults on a view after an in-place update through an alias".

    Reported on torch 2.13.0 (high priority; fixed after 2.13 by refreshing the view's grad_fn
    before registering hooks). Symptom: register_hook on v = y.unsqueeze(0) after y.mul_(2)
    segfaults. 2.13.0 eager: crashes (exit 139). Correct: the hook sees grad 1 and x.grad = 4.
    """
    x = make.tensor(0.5, requires_grad=True)
    y = x * 2
    v = y.unsqueeze(0)
    y.mul_(2)
    seen = []
    v.register_hook(lambda g: seen.append(g.detach().clone()))
    v.sum().backward()
    return {"v": v, "seen": tuple(seen), "x.grad": x.grad}


# -- tensor hooks and retain_grad ------------------------------------------------------------


@case(area=AREA, tags=("compile", "hooks", "retain_grad"))
def hook_and_retain_grad_on_intermediates(torch, make: Inputs):
    """#91468 "torch.compile incorrect when imperative autograd APIs are used".

    Reported 2022-12 (torch 2.0 previews), open. Symptom under aot_eager: retain_grad on
    intermediates leaves no .grad, and a hook registered on an intermediate after a graph break
    is ignored. 2.13.0 aot_eager: retain_grad fixed; the hook is called with None and the grad
    is 5 instead of 9.28 (findings/08). Correct: dz/dx = 3.14 * 2 + 3 = 9.28 at x = 1.
    """
    x = make.tensor(1.0, requires_grad=True)
    y = x * x
    z = y * x * x * x
    y.register_hook(lambda g: 3.14 * g)
    (hooked,) = torch.autograd.grad(z, x)
    a = make.tensor(2.0, requires_grad=True)
    b = a.clone()
    b.retain_grad()
    c = b.clone()
    c.retain_grad()
    c.clone().backward()
    return {"hooked grad": hooked, "b.grad": b.grad, "c.grad": c.grad, "a.grad": a.grad}


@case(area=AREA, tags=("compile", "retain_grad"))
def retain_grad_called_on_region_input(torch, make: Inputs):
    """#146212 "[aot_eager] retain_grad is ignored".

    Reported 2025-01 (high priority), closed. Symptom: y.retain_grad() called inside a compiled
    function on its input y leaves y.grad None. 2.13.0 aot_eager: fixed (y.grad is set).
    """
    x = make.randn(4, requires_grad=True)
    y = torch.cos(x)

    def region(x, y):
        y.retain_grad()
        return torch.sin(y) + x

    region(x, y).sum().backward()
    return {"y.grad": y.grad, "x.grad": x.grad}


@case(area=AREA, tags=("compile", "hooks", "order"))
def sibling_branch_hooks_fire_later_node_first(torch, make: Inputs):
    """PR #138553 "[compiled autograd] reorder backward hooks to match eager behavior".

    Hook order under compiled autograd was reworked in 2024 (torch 2.6). Symptom on 2.13.0 with
    compiled autograd: for a = x*2, b = x*3, the hooks fire a, b where eager fires b, a (the
    node created later first); grads agree (findings/05, not found as an issue).
    """
    x = make.tensor([1.0, 2.0], requires_grad=True)
    events = []
    a = x * 2
    b = x * 3
    a.register_hook(lambda g: events.append("a"))
    b.register_hook(lambda g: events.append("b"))
    (a + b).sum().backward()
    return {"events": tuple(events), "x.grad": x.grad}


@case(area=AREA, tags=("compile", "hooks", "order", "accumulate_grad"))
def post_accumulate_hooks_follow_graph_order(torch, make: Inputs):
    """PR #177683 "Preserve eager post_accumulate_grad_hook tiebreaker ordering" (fixes #144376).

    Open since 2025 (the PR and its successor #186007 were closed unmerged). Symptom: one
    AOTAutograd node hands leaf grads out in input order, so post-accumulate hooks fire a, b
    where eager fires b, a. 2.13.0 aot_eager: still differs (findings/10).
    """
    a = make.tensor([1.0], requires_grad=True)
    b = make.tensor([2.0], requires_grad=True)
    events = []
    a.register_post_accumulate_grad_hook(lambda p: events.append("a"))
    b.register_post_accumulate_grad_hook(lambda p: events.append("b"))
    ((a * 2).sum() + (b * 3).sum()).backward()
    return {"events": tuple(events), "a.grad": a.grad, "b.grad": b.grad}


# -- saved tensors ---------------------------------------------------------------------------


@case(area=AREA, tags=("compile", "saved_tensors_hooks"))
def saved_tensors_unpack_hook_changes_the_gradient(torch, make: Inputs):
    """#116221 "saved tensor hooks silently incorrect with torch.compile".

    Reported 2023-12, closed as a duplicate of #113263. Symptom: an unpack hook returning 2*x
    is ignored by a compiled a*b, so a.grad, b.grad are 2, 1 instead of 4, 2.
    2.13.0 aot_eager (fullgraph): fixed.
    """
    a = make.tensor(1.0, requires_grad=True)
    b = make.tensor(2.0, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 2 * t):
        y = a * b
    y.backward()
    return {"y": y, "a.grad": a.grad, "b.grad": b.grad}


@case(area=AREA, tags=("compile", "saved_tensors_hooks", "order"))
def saved_tensors_unpack_runs_only_in_backward(torch, make: Inputs):
    """#113263 "PT2 improperly executes ambient saved_tensors_hooks".

    Reported 2023-11 (high priority), closed. Symptom: a compiled region ran the unpack hooks
    during the forward. 2.13.0 aot_eager: fixed (pack, pack in forward; unpack, unpack in
    backward).
    """
    events = []

    def pack(t):
        events.append("pack")
        return t

    def unpack(t):
        events.append("unpack")
        return t

    a = make.tensor([1.0] * 5, requires_grad=True)
    b = make.tensor([1.0] * 5, requires_grad=True) * 2
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = a * b
    after_forward = tuple(events)
    y.sum().backward()
    return {"after forward": after_forward, "after backward": tuple(events), "a.grad": a.grad}


@case(area=AREA, tags=("compile", "inplace", "version", "errors"))
def saved_view_of_input_modified_in_place_is_refused(torch, make: Inputs):
    """#197887 "[inductor] Autograd's 'modified by an inplace operation' check is lost when a view
    of a graph input is saved for backward".

    Reported 2026-09 against 2.13, open. Symptom: for (x @ w).sum() with a 3-D x, x.add_(1)
    before backward raises in eager but inductor silently computes w.grad from the mutated x.
    2.13.0 inductor: still differs (findings/09); aot_eager raises.
    """
    x = make.randn(2, 3, 4)
    w = make.randn(4, 2, requires_grad=True)
    y = (x @ w).sum()
    x.add_(1.0)
    return {"backward": capture(y.backward), "w.grad": w.grad}


# -- custom Functions ------------------------------------------------------------------------


@case(area=AREA, tags=("compile", "custom_function"))
def custom_function_given_one_tensor_twice(torch, make: Inputs):
    """#183604 "torch.compile produces wrong gradient for custom autograd.Function when the same
    tensor is passed twice".

    Reported on torch 2.11.0 (inductor), closed. Symptom: the compiled gradient is half the
    eager one (only one input slot accumulated). 2.13.0 eager/aot_eager/inductor: fixed.
    """

    class F1(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b + a + b

        @staticmethod
        def backward(ctx, go):
            a, b = ctx.saved_tensors
            return go * (b + 1), go * (a + 1)

    x = make.tensor([0.7, -1.3, 2.1, 0.05, -0.5], requires_grad=True)
    F1.apply(x, x).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("compile", "custom_function", "inplace"))
def custom_function_forward_writes_its_output_in_place(torch, make: Inputs):
    """#180642 "[COMPILE] torch compile is broken with custom ops with completely incorrect
    outputs most of the times in PyTorch 2.11".

    Reported on torch 2.11 (regression from 2.10), open. Symptom: an in-place += in
    Function.forward makes compiled autograd route the grad to the wrong output slot.
    2.13.0 aot_eager: not reproduced with this two-output form (x.grad 32 in both).
    """

    class TwoOutputs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            y += 1
            return y, x * 3

        @staticmethod
        def backward(ctx, gy, gz):
            return gy * 2 + gz * 3

    x = make.tensor([1.0, 2.0], requires_grad=True)
    y, z = TwoOutputs.apply(x)
    (y.sum() + 10 * z.sum()).backward()
    return {"y": y, "z": z, "x.grad": x.grad}


# -- detach, requires_grad -------------------------------------------------------------------


@case(area=AREA, tags=("compile", "detach"))
def detach_in_place_clears_requires_grad(torch, make: Inputs):
    """#176854 "torch.compile does not correctly propagate detach_() in-place autograd semantics".

    Reported 2026-03 (high priority), closed. Symptom: after y.detach_() inside a compiled
    function y.requires_grad stays True. 2.13.0 eager/aot_eager backends: fixed.
    """
    x = make.randn(4, requires_grad=True)
    y = x * 2.0
    y.detach_()
    z = y + 1.0
    return {
        "y.requires_grad": y.requires_grad,
        "y.is_leaf": y.is_leaf,
        "y.grad_fn is None": y.grad_fn is None,
        "z": z,
        "z.requires_grad": z.requires_grad,
    }


@case(area=AREA, tags=("compile", "detach"))
def detach_returns_a_new_tensor(torch, make: Inputs):
    """#100348 "[torch.compile] tensor.detach() is erroneously in-place after compilation".

    Reported 2023-04 (inductor), closed. Symptom: loss and loss.detach() returned from a compiled
    module were the same detached object, so loss.backward() failed. 2.13.0 aot_eager and
    inductor: fixed.
    """
    x = make.randn(4, 4, requires_grad=True)
    loss = x.mean()
    detached = loss.detach()
    loss.backward()
    return {
        "same object": loss is detached,
        "loss.requires_grad": loss.requires_grad,
        "detached.requires_grad": detached.requires_grad,
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("compile", "requires_grad"))
def tensor_created_with_requires_grad_keeps_it(torch, make: Inputs):
    """#99455 "Not Preserving Grad For Tensor Created Inside torch.compile".

    Reported 2023-04 (inductor), closed. Symptom: x = randn(..., requires_grad=True) and x + 2
    created in a compiled function came back with requires_grad False. 2.13.0 eager,
    aot_eager and inductor: fixed.
    """
    x = make.randn(5, 5, requires_grad=True)
    y = x + 2
    return {"x.requires_grad": x.requires_grad, "y.requires_grad": y.requires_grad, "y": y}


@case(area=AREA, tags=("compile", "requires_grad", "no_grad"))
def requires_grad_on_a_no_grad_result(torch, make: Inputs):
    """#123713 ".requires_grad_(True) doesn't work with torch.compile".

    Reported 2024-04, closed. Symptom: h computed under no_grad and switched on with
    h.requires_grad_() inside a compiled function still had requires_grad False.
    2.13.0 eager, aot_eager and inductor: fixed.
    """
    x = make.randn(3)
    with torch.no_grad():
        h = x * 2
    h.requires_grad_()
    (h * h).sum().backward()
    return {"h.requires_grad": h.requires_grad, "h.is_leaf": h.is_leaf, "h.grad": h.grad}


# -- in-place and version counters ----------------------------------------------------------


@case(area=AREA, tags=("compile", "inplace", "views"))
def in_place_write_through_a_view_reaches_the_base(torch, make: Inputs):
    """#93363 "AOTautograd returns wrong result for in_place update on input which is view tensor".

    Reported 2023-01 (custom AOTAutograd backend), open. Symptom: a compiled a.mul_/add_ on a
    strided view input did not update the base. 2.13.0 aot_eager: not reproduced (the base is
    updated, CopySlices as in eager). Correct: base [2, 1, 2, 1] and leaf.grad = w * that.
    """
    leaf = make.tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    w = make.tensor([1.0, 10.0, 100.0, 1000.0])
    base = leaf * 1.0
    view = base[0::2]
    view.mul_(2.0)
    (base * w).sum().backward()
    return {"base": base, "view": view, "leaf.grad": leaf.grad}


@case(area=AREA, tags=("compile", "inplace", "version"))
def one_in_place_op_bumps_version_once(torch, make: Inputs):
    """#135441 "Inconsistent Tensor._version Behaviour with torch.compile()".

    Reported 2024-09, closed. Symptom: x[...] = 0 inside a compiled function did not bump
    x._version, and on a leaf that requires grad did not raise. 2.13.0: aot_eager now bumps
    add_ by 2 instead of 1 (findings/03); the leaf write raises a wrapped TorchRuntimeError.
    """
    x = make.tensor([1.0, 1.0, 1.0, 1.0])
    before = x._version
    x[...] = 0
    after_setitem = x._version - before
    x.add_(1)
    leaf = make.tensor([1.0, 1.0], requires_grad=True)
    return {
        "setitem bumps": after_setitem,
        "setitem + add_ bumps": x._version - before,
        "x": x,
        "leaf write": capture(lambda: leaf.__setitem__(Ellipsis, 0.0)),
    }


@case(area=AREA, tags=("compile", "nan_inf"))
def inf_times_zero_is_nan(torch, make: Inputs):
    """PR #186281 "[inductor] Don't fold float x * 0 to 0 in uniform-value constant folding
    (drops NaN/Inf)".

    Open in torch 2.13.0 (PR from 2026-06). Symptom: inductor rewrites x * 0 to zeros, so
    inf * 0 and nan * 0 give 0 instead of nan. 2.13.0 inductor: still differs (findings/04).
    """
    x = make.tensor([float("inf"), float("nan"), 1.0], requires_grad=True)
    y = x * 0
    y.sum().backward()
    return {"y": y, "sum": (x * 0).sum(), "x.grad": x.grad}


# -- higher order, functional ----------------------------------------------------------------


@case(area=AREA, tags=("compile", "higher_order"))
def create_graph_gradient_keeps_its_graph(torch, make: Inputs):
    """#181581 "`torch.compile` silently drops higher-order grad graph metadata from
    `autograd.grad(create_graph=True)` outputs".

    Reported 2026-04 (high priority), closed. Symptom: a grad computed with create_graph=True
    inside a compiled function came back with requires_grad False and no grad_fn (mm, matmul,
    relu). 2.13.0 aot_eager/inductor: fixed for matmul.
    """
    x = make.randn(2, 3)
    w = make.randn(3, 2, requires_grad=True)
    y = (x @ w).pow(2).sum()
    (g,) = torch.autograd.grad(y, w, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), w)
    return {"g": g, "g.requires_grad": g.requires_grad, "gg": gg}


@case(area=AREA, tags=("compile", "functional", "inplace"))
def func_grad_of_repeated_indexed_add(torch, make: Inputs):
    """#136662 "Composition of torch.compile and torch.func.grad silently produces a wrong result".

    Reported 2024 (torch 2.5, inductor), open. Symptom: the gradient of two y[:, 0] +=
    x[:, 2].abs() updates is halved. 2.13.0 inductor: not reproduced.
    """

    def g(x):
        y = torch.zeros_like(x)
        y[:, 0] += x[:, 2].abs()
        y[:, 0] += x[:, 2].abs()
        return y.sum()

    x = make.tensor([[1.0, 2.0, -3.0], [0.5, 0.1, 2.0]])
    return {"grad": torch.func.grad(g)(x)}


# -- module hooks ----------------------------------------------------------------------------


def _identity_linear(torch):
    """A 3x3 Linear without bias whose weight is the identity."""
    layer = torch.nn.Linear(3, 3, bias=False)
    layer.weight = torch.nn.Parameter(torch.eye(3))
    return layer


@case(area=AREA, tags=("compile", "module_hooks"))
def full_backward_hook_added_after_first_call(torch, make: Inputs):
    """#115750 "torch.compile doesn't seem to guard on register_full_module_backward_hook, leading
    to silent incorrectness".

    Reported 2023-12, closed as a duplicate of #117265. Symptom: a full backward hook added
    after the first compiled call is ignored. 2.13.0 aot_eager: still differs (findings/06).
    """
    layer = _identity_linear(torch)
    layer(make.randn(3, requires_grad=True))
    _require(layer, "register_full_backward_hook")(
        lambda module, grad_input, grad_output: tuple(g * 2 for g in grad_input)
    )
    x = make.tensor([1.0, 1.0, 1.0], requires_grad=True)
    layer(x).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("compile", "module_hooks"))
def full_backward_pre_hook_added_after_first_call(torch, make: Inputs):
    """#117265 "torch.compile silently incorrect with full_backward_pre_hook".

    Reported 2024-01, open. Symptom: a full backward pre-hook doubling grad_output, added after
    the first compiled call, is ignored. 2.13.0 aot_eager: still differs (findings/06).
    """
    layer = _identity_linear(torch)
    layer(make.randn(3, requires_grad=True))
    _require(layer, "register_full_backward_pre_hook")(
        lambda module, grad_output: tuple(g * 2 for g in grad_output)
    )
    x = make.tensor([1.0, 1.0, 1.0], requires_grad=True)
    layer(x).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("compile", "module_hooks"))
def forward_hook_added_after_first_call(torch, make: Inputs):
    """#117758 "torch.compile ignores forward hooks after compilation is triggered".

    Reported 2024-01 (dynamo-must-fix), closed. Symptom: a forward hook registered after the
    first compiled call never runs. 2.13.0 torch.compile(module, backend="aot_eager"): still
    differs (findings/07). Correct: the hook's return value replaces the output.
    """
    layer = _identity_linear(torch)
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    layer(x)
    _require(layer, "register_forward_hook")(lambda module, args, output: output * 0)
    y = layer(x)
    y.sum().backward()
    return {"y": y, "x.grad": x.grad}
