"""Hooks: tensor hooks, grad_fn pre-/post-hooks, leaf and post-accumulate-grad hooks.

Orders are recorded as events in a list and returned as a tuple of strings; grads a hook saw are
kept as detached copies. Covered: the order of hook kinds and of graph nodes (highest sequence
number first, a leaf's AccumulateGrad as soon as it is ready), return values that replace grads,
the errors for bad return values and bad registrations, hooks firing once with summed grads,
retain_grad after hooks, removable handles, and hooks under autograd.grad and backward(inputs=).
"""

from conformance import Inputs, capture, case

AREA = "hooks"


def _log(events, label):
    """A tensor hook that records ``label`` and keeps the grad (returns None)."""
    return lambda g: events.append(label)


def _copy(grads):
    """Detached copies of a tuple of grads (None stays None)."""
    return tuple(None if g is None else g.detach().clone() for g in grads)


# -- order of hook kinds ---------------------------------------------------------------------


@case(area=AREA, tags=("order",))
def hook_kinds_fire_in_order(torch, make: Inputs):
    """y tensor hook, y.grad_fn pre-hook, post-hook, x leaf hook, then x post-accumulate hook."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    events = []
    x.register_post_accumulate_grad_hook(lambda p: events.append("x post-accumulate"))
    x.register_hook(_log(events, "x tensor hook"))
    y.grad_fn.register_hook(lambda gi, go: events.append("y.grad_fn post hook"))
    y.grad_fn.register_prehook(lambda go: events.append("y.grad_fn prehook"))
    y.register_hook(_log(events, "y tensor hook"))
    y.sum().backward()
    return {"events": tuple(events), "x.grad": x.grad}


@case(area=AREA, tags=("order",))
def tensor_hook_before_prehook_whatever_registration_order(torch, make: Inputs):
    """A tensor hook on y runs before y.grad_fn's pre-hook even when registered after it."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    events = []
    y.grad_fn.register_prehook(lambda go: events.append("prehook"))
    y.register_hook(_log(events, "tensor hook"))
    y.sum().backward()
    return {"events": tuple(events)}


@case(area=AREA, tags=("order", "arguments"))
def hook_arguments_in_full_order(torch, make: Inputs):
    """Every hook's arguments for y = x*w with a weighted sum, in the order they fire."""
    x = make.randn(2, requires_grad=True)
    w = make.randn(2, requires_grad=True)
    weight = make.tensor([1.0, 10.0])
    y = x * w
    events, seen = [], {}

    def pre(go):
        events.append("pre")
        seen["pre.go"] = _copy(go)

    def post(gi, go):
        events.append("post")
        seen["post.gi"] = _copy(gi)
        seen["post.go"] = _copy(go)

    def tensor_hook(label):
        def hook(g):
            events.append(label)
            seen[label] = g.detach().clone()

        return hook

    def acc_hook(label):
        def hook(p):
            events.append(label)
            seen[label] = p.grad.detach().clone()

        return hook

    y.grad_fn.register_prehook(pre)
    y.grad_fn.register_hook(post)
    y.register_hook(tensor_hook("y"))
    x.register_hook(tensor_hook("x"))
    x.register_post_accumulate_grad_hook(acc_hook("x acc"))
    w.register_hook(tensor_hook("w"))
    w.register_post_accumulate_grad_hook(acc_hook("w acc"))
    (y * weight).sum().backward()
    return {"events": tuple(events), "seen": seen}


@case(area=AREA, tags=("arguments",))
def post_hook_grad_inputs_has_none_for_constant_input(torch, make: Inputs):
    """For y = x*3 the post-hook's grad_inputs is (grad for x, None)."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    seen = {}

    def post(gi, go):
        seen["len"] = len(gi)
        seen["gi0"] = gi[0].detach().clone()
        seen["gi1_is_none"] = gi[1] is None
        seen["go"] = _copy(go)

    y.grad_fn.register_hook(post)
    (y * 2).sum().backward()
    return {"seen": seen}


@case(area=AREA, tags=("order", "accumulate_grad"))
def accumulate_grad_node_hooks_order(torch, make: Inputs):
    """Hooks on x's AccumulateGrad node: x tensor hook, node pre-hook, node post-hook (gi empty)."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    acc = y.grad_fn.next_functions[0][0]
    events, seen = [], {}

    def pre(go):
        events.append("acc pre")
        seen["pre.go"] = _copy(go)

    def post(gi, go):
        events.append("acc post")
        seen["post.gi_len"] = len(gi)
        seen["post.go"] = _copy(go)

    x.register_hook(_log(events, "x tensor hook"))
    acc.register_prehook(pre)
    acc.register_hook(post)
    y.sum().backward()
    return {"acc": type(acc).__name__, "events": tuple(events), "seen": seen}


# -- return values ---------------------------------------------------------------------------


@case(area=AREA, tags=("return_value",))
def tensor_hook_return_replaces_grad(torch, make: Inputs):
    """A non-leaf hook returning g*2 doubles what flows on; the node pre-hook sees the new grad."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    seen = {}
    y.register_hook(lambda g: g * 2)
    y.grad_fn.register_prehook(lambda go: seen.setdefault("pre", _copy(go)))
    y.sum().backward()
    return {"pre": seen["pre"], "x.grad": x.grad}


@case(area=AREA, tags=("return_value", "leaf"))
def leaf_hook_return_changes_grad(torch, make: Inputs):
    """A leaf hook returning g*10 changes what lands in x.grad."""
    x = make.randn(3, requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("return_value",))
def hook_returning_none_keeps_grad(torch, make: Inputs):
    """A hook returning None leaves the grad as it was."""
    x = make.randn(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: None)
    x.register_hook(lambda g: None)
    y.sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("return_value", "order"))
def hooks_chain_in_registration_order(torch, make: Inputs):
    """Two hooks g*2 then g+1 chain: 1 -> 3 for a non-leaf and for a leaf alike."""
    x = make.randn(2, requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: g * 2)
    y.register_hook(lambda g: g + 1)
    v = make.randn(2, requires_grad=True)
    v.register_hook(lambda g: g * 2)
    v.register_hook(lambda g: g + 1)
    y.sum().backward()
    v.sum().backward()
    return {"x.grad": x.grad, "v.grad": v.grad}


@case(area=AREA, tags=("return_value",))
def prehook_tuple_replaces_grad_outputs(torch, make: Inputs):
    """A grad_fn pre-hook returning (go[0]*100,) replaces what the node receives."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    y.grad_fn.register_prehook(lambda go: (go[0] * 100,))
    y.sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("return_value",))
def post_hook_tuple_replaces_grad_inputs(torch, make: Inputs):
    """A grad_fn post-hook returning (gi[0]*100, None) replaces what the node sends down."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 100, None))
    y.sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("errors", "return_value"))
def tensor_hook_wrong_size_errors(torch, make: Inputs):
    """A tensor hook returning a wrong-sized grad raises "hook '<lambda>' has changed the size"."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: torch.ones(3))
    return {"backward": capture(lambda: y.sum().backward()), "x.grad": x.grad}


@case(area=AREA, tags=("errors", "return_value"))
def named_hook_wrong_size_error_names_it(torch, make: Inputs):
    """The wrong-size error names a def'd hook by its function name."""
    x = make.randn(2, requires_grad=True)

    def widen(g):
        return torch.ones(2, 2)

    x.register_hook(widen)
    return {"backward": capture(lambda: (x * 2).sum().backward())}


@case(area=AREA, tags=("errors", "return_value"))
def prehook_wrong_size_errors(torch, make: Inputs):
    """A pre-hook returning a wrong-sized grad raises the changed-size error."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    y.grad_fn.register_prehook(lambda go: (torch.ones(5),))
    return {"backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("errors", "return_value"))
def post_hook_wrong_count_errors(torch, make: Inputs):
    """A post-hook returning 1 value for a 2-input node raises 'incorrect number of values'."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 100,))
    return {"backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("errors", "return_value"))
def prehook_wrong_count_errors(torch, make: Inputs):
    """A pre-hook returning 2 values for a 1-output node raises 'incorrect number of values'."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    y.grad_fn.register_prehook(lambda go: (go[0], go[0]))
    return {"backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("errors", "return_value"))
def prehook_returning_tensor_or_list_errors(torch, make: Inputs):
    """A pre-hook returning a Tensor or a list (not a tuple) raises TypeError."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    h = y.grad_fn.register_prehook(lambda go: go[0])
    as_tensor = capture(lambda: y.sum().backward(retain_graph=True))
    h.remove()
    y.grad_fn.register_prehook(lambda go: [go[0]])
    as_list = capture(lambda: y.sum().backward())
    return {"tensor": as_tensor, "list": as_list}


@case(area=AREA, tags=("errors", "return_value"))
def tensor_hook_returning_non_tensor_errors(torch, make: Inputs):
    """A tensor hook returning an int or a tuple raises TypeError naming the returned type."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    h = y.register_hook(lambda g: 5)
    as_int = capture(lambda: y.sum().backward(retain_graph=True))
    h.remove()
    y.register_hook(lambda g: (g,))
    as_tuple = capture(lambda: y.sum().backward())
    return {"int": as_int, "tuple": as_tuple, "x.grad": x.grad}


@case(area=AREA, tags=("errors", "post_accumulate"))
def post_accumulate_hook_must_return_none(torch, make: Inputs):
    """A post-accumulate-grad hook returning 5 raises TypeError after .grad was updated."""
    x = make.randn(2, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda p: 5)
    return {"backward": capture(lambda: (x * 2).sum().backward()), "x.grad": x.grad}


# -- registration errors ---------------------------------------------------------------------


@case(area=AREA, tags=("errors", "registration"))
def registration_errors(torch, make: Inputs):
    """register_hook / retain_grad without grad, post-accumulate hook on a non-leaf: errors."""
    plain = make.randn(2)
    x = make.randn(2, requires_grad=True)
    y = x * 2
    return {
        "register_hook": capture(lambda: plain.register_hook(lambda g: g)),
        "retain_grad": capture(lambda: plain.retain_grad()),
        "post_acc_plain": capture(lambda: plain.register_post_accumulate_grad_hook(lambda p: None)),
        "post_acc_non_leaf": capture(lambda: y.register_post_accumulate_grad_hook(lambda p: None)),
    }


# -- firing once, summed ---------------------------------------------------------------------


@case(area=AREA, tags=("summed",))
def non_leaf_hook_fires_once_with_summed_grad(torch, make: Inputs):
    """A tensor used in two places: its hook fires once, with the sum of both contributions."""
    x = make.randn(3, requires_grad=True)
    y = x * 2
    calls = []
    y.register_hook(lambda g: calls.append(g.detach().clone()))
    (y * y + y).sum().backward()
    return {"calls": len(calls), "grad": calls[0], "x.grad": x.grad}


@case(area=AREA, tags=("summed", "leaf"))
def leaf_hook_fires_once_with_summed_grad(torch, make: Inputs):
    """h2 = 3*(2x); (h2 + x).sum(): x's hook fires once, after h2 and h1, with 6+1."""
    x = make.randn(2, requires_grad=True)
    h1 = x * 2
    h2 = h1 * 3
    events, calls = [], []
    h1.register_hook(_log(events, "h1"))
    h2.register_hook(_log(events, "h2"))

    def x_hook(g):
        events.append("x")
        calls.append(g.detach().clone())

    x.register_hook(x_hook)
    (h2 + x).sum().backward()
    return {"events": tuple(events), "x_calls": tuple(calls), "x.grad": x.grad}


@case(area=AREA, tags=("summed", "order"))
def same_root_twice_fires_hooks_once(torch, make: Inputs):
    """autograd.backward([s, s]): the hook on s fires once with 2, x.grad gets the sum."""
    x = make.randn(2, requires_grad=True)
    s = (x * 2).sum()
    calls = []
    s.register_hook(lambda g: calls.append(g.detach().clone()))
    torch.autograd.backward([s, s])
    return {"calls": tuple(calls), "x.grad": x.grad}


# -- retain_grad -----------------------------------------------------------------------------


@case(area=AREA, tags=("retain_grad",))
def retain_grad_captures_after_hooks(torch, make: Inputs):
    """retain_grad registered before a g*2 hook still stores the hooked grad."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    w = make.randn(2)
    (y * w).sum().backward()
    return {"y.grad": y.grad, "x.grad": x.grad, "retains_grad": y.retains_grad}


@case(area=AREA, tags=("retain_grad",))
def retain_grad_registered_after_hook(torch, make: Inputs):
    """retain_grad registered after a g+1 hook stores the hooked grad as well."""
    x = make.randn(2, requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.retain_grad()
    y.sum().backward()
    return {"y.grad": y.grad, "x.grad": x.grad}


@case(area=AREA, tags=("retain_grad",))
def retain_grad_on_leaf_is_a_no_op(torch, make: Inputs):
    """retain_grad on a leaf changes nothing: .grad is the accumulated grad as usual."""
    x = make.randn(2, requires_grad=True)
    x.retain_grad()
    (x * 5).sum().backward()
    return {"x.grad": x.grad, "retains_grad": x.retains_grad}


# -- handles ---------------------------------------------------------------------------------


@case(area=AREA, tags=("handles",))
def removed_hooks_do_not_fire(torch, make: Inputs):
    """Removing tensor, pre-, post- and post-accumulate hooks stops them; removing twice is fine."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    events = []
    handles = [
        y.register_hook(_log(events, "y")),
        y.grad_fn.register_prehook(lambda go: events.append("pre")),
        y.grad_fn.register_hook(lambda gi, go: events.append("post")),
        x.register_hook(_log(events, "x")),
        x.register_post_accumulate_grad_hook(lambda p: events.append("acc")),
    ]
    y.register_hook(_log(events, "y kept"))
    for h in handles:
        h.remove()
    handles[0].remove()
    y.sum().backward()
    return {"events": tuple(events), "x.grad": x.grad}


@case(area=AREA, tags=("handles",))
def remove_one_of_two_hooks(torch, make: Inputs):
    """With g*2 and g+1 registered, removing the first leaves only g+1 in effect."""
    x = make.randn(2, requires_grad=True)
    h = x.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: g + 1)
    h.remove()
    (x * 3).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("handles",))
def handle_as_context_manager(torch, make: Inputs):
    """A hook handle used as a context manager removes the hook on exit."""
    x = make.randn(2, requires_grad=True)
    calls = []
    with x.register_hook(lambda g: calls.append("in")):
        (x * 2).sum().backward()
    (x * 2).sum().backward()
    return {"calls": tuple(calls), "x.grad": x.grad}


# -- autograd.grad and backward(inputs=...) --------------------------------------------------


@case(area=AREA, tags=("autograd.grad", "leaf"))
def leaf_hook_fires_under_autograd_grad(torch, make: Inputs):
    """A leaf hook fires under autograd.grad w.r.t. that leaf; its return changes the result."""
    x = make.randn(2, requires_grad=True)
    calls = []
    x.register_hook(lambda g: (calls.append("x"), g * 10)[1])
    (g,) = torch.autograd.grad((x * 3).sum(), x)
    return {"calls": tuple(calls), "g": g, "x.grad": x.grad}


@case(area=AREA, tags=("autograd.grad", "post_accumulate"))
def post_accumulate_hook_silent_under_autograd_grad(torch, make: Inputs):
    """autograd.grad never accumulates, so the post-accumulate-grad hook does not fire."""
    x = make.randn(2, requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda p: calls.append("acc"))
    (g,) = torch.autograd.grad((x * 3).sum(), x)
    return {"calls": tuple(calls), "g": g}


@case(area=AREA, tags=("autograd.grad",))
def hooks_under_autograd_grad_wrt_intermediate(torch, make: Inputs):
    """autograd.grad w.r.t. y: hooks on and above y fire; x's leaf hook does not."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    z = y * 3
    events = []
    z.register_hook(_log(events, "z"))
    y.register_hook(_log(events, "y"))
    x.register_hook(_log(events, "x"))
    (g,) = torch.autograd.grad(z.sum(), y)
    return {"events": tuple(events), "g": g}


@case(area=AREA, tags=("autograd.grad",))
def non_leaf_hook_return_changes_autograd_grad(torch, make: Inputs):
    """A non-leaf hook's return value changes the grad autograd.grad returns for the leaf."""
    x = make.randn(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 5)
    (g,) = torch.autograd.grad(y.sum(), x)
    return {"g": g}


@case(area=AREA, tags=("backward_inputs",))
def hooks_under_backward_inputs(torch, make: Inputs):
    """backward(inputs=[x]): hooks on the path to x fire, a branch to w does not; w.grad None."""
    x = make.randn(2, requires_grad=True)
    w = make.randn(2, requires_grad=True)
    h = x * 2
    k = w * 3
    o = h * k
    events = []
    o.register_hook(_log(events, "o"))
    h.register_hook(_log(events, "h"))
    h.grad_fn.register_prehook(lambda go: events.append("h prehook"))
    k.register_hook(_log(events, "k"))
    x.register_hook(_log(events, "x"))
    w.register_hook(_log(events, "w"))
    o.sum().backward(inputs=[x])
    return {"events": tuple(events), "x.grad": x.grad, "w.grad": w.grad}


@case(area=AREA, tags=("create_graph",))
def hook_sees_differentiable_grad_under_create_graph(torch, make: Inputs):
    """Under create_graph a leaf hook receives a grad that requires grad itself."""
    x = make.randn(2, requires_grad=True)
    seen = {}

    def hook(g):
        seen["requires_grad"] = g.requires_grad
        seen["grad_fn"] = None if g.grad_fn is None else type(g.grad_fn).__name__

    x.register_hook(hook)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    return {"seen": seen, "g": g}


# -- engine order by sequence number ---------------------------------------------------------


@case(area=AREA, tags=("order", "sequence_nr"))
def newer_node_runs_first(torch, make: Inputs):
    """a = x*2 then b = x*3: (a+b) runs b's hook before a's, then x's hook and post-accumulate."""
    x = make.randn(2, requires_grad=True)
    a = x * 2
    b = x * 3
    events = []
    a.register_hook(_log(events, "a"))
    b.register_hook(_log(events, "b"))
    x.register_hook(_log(events, "x"))
    x.register_post_accumulate_grad_hook(lambda p: events.append("x acc"))
    (a + b).sum().backward()
    return {"events": tuple(events)}


@case(area=AREA, tags=("order", "sequence_nr"))
def operand_order_does_not_change_node_order(torch, make: Inputs):
    """(b + a) with a created first still runs b's node first."""
    x = make.randn(2, requires_grad=True)
    a = x * 2
    b = x * 3
    events = []
    a.register_hook(_log(events, "a"))
    b.register_hook(_log(events, "b"))
    (b + a).sum().backward()
    return {"events": tuple(events)}


@case(area=AREA, tags=("order", "sequence_nr"))
def creation_order_decides_node_order(torch, make: Inputs):
    """b = x*3 created before a = x*2: now a's hook fires before b's."""
    x = make.randn(2, requires_grad=True)
    b = x * 3
    a = x * 2
    events = []
    a.register_hook(_log(events, "a"))
    b.register_hook(_log(events, "b"))
    (a + b).sum().backward()
    return {"events": tuple(events)}


@case(area=AREA, tags=("order", "sequence_nr"))
def root_list_order_is_irrelevant(torch, make: Inputs):
    """autograd.backward over [s1, s2] or [s2, s1]: the newer root's subgraph runs first."""
    out = {}
    for label, flip in (("s1_s2", False), ("s2_s1", True)):
        x = make.randn(2, requires_grad=True)
        a = x * 2
        b = x * 3
        s1 = a.sum()
        s2 = b.sum()
        events = []
        for t, name in ((s1, "s1"), (s2, "s2"), (a, "a"), (b, "b"), (x, "x")):
            t.register_hook(_log(events, name))
        x.register_post_accumulate_grad_hook(lambda p, ev=events: ev.append("x acc"))
        roots = [s2, s1] if flip else [s1, s2]
        torch.autograd.backward(roots)
        out[label] = tuple(events)
    return out


@case(area=AREA, tags=("order", "accumulate_grad"))
def ready_leaf_accumulates_before_other_nodes(torch, make: Inputs):
    """c = x*2, e = y*5: e's hook, then y's hook and post-accumulate, before c and x."""
    x = make.randn(2, requires_grad=True)
    y = make.randn(2, requires_grad=True)
    c = x * 2
    e = y * 5
    events = []
    c.register_hook(_log(events, "c"))
    e.register_hook(_log(events, "e"))
    x.register_hook(_log(events, "x"))
    y.register_hook(_log(events, "y"))
    x.register_post_accumulate_grad_hook(lambda p: events.append("x acc"))
    y.register_post_accumulate_grad_hook(lambda p: events.append("y acc"))
    (c.sum() + e.sum()).backward()
    return {"events": tuple(events)}


@case(area=AREA, tags=("order", "accumulate_grad"))
def two_leaves_of_one_node_in_edge_order(torch, make: Inputs):
    """(a*b) fires a's hook and post-accumulate first; (b*a) fires b's first."""
    out = {}
    for label in ("a_times_b", "b_times_a"):
        a = make.randn(2, requires_grad=True)
        b = make.randn(2, requires_grad=True)
        events = []
        for t, name in ((a, "a"), (b, "b")):
            t.register_hook(_log(events, name))
            t.register_post_accumulate_grad_hook(lambda p, ev=events, n=name: ev.append(n + " acc"))
        y = a * b if label == "a_times_b" else b * a
        y.sum().backward()
        out[label] = tuple(events)
    return out


@case(area=AREA, tags=("order", "accumulate_grad"))
def leaf_with_direct_and_deep_paths(torch, make: Inputs):
    """(a + b*2) vs (a*2 + b): the leaf fed directly by the root node accumulates first."""
    out = {}
    for label in ("a_plus_2b", "2a_plus_b"):
        a = make.randn(2, requires_grad=True)
        b = make.randn(2, requires_grad=True)
        events = []
        a.register_hook(_log(events, "a"))
        b.register_hook(_log(events, "b"))
        y = a + b * 2 if label == "a_plus_2b" else a * 2 + b
        y.sum().backward()
        out[label] = tuple(events)
    return out


@case(area=AREA, tags=("order", "sequence_nr"))
def prehook_order_follows_sequence_numbers(torch, make: Inputs):
    """p = x*2, q = x+1, r = p*q: pre-hooks run r, q, p, then x's hook, Acc pre-hook, post-acc."""
    x = make.randn(2, requires_grad=True)
    p = x * 2
    q = x + 1
    r = p * q
    events = []
    for t, name in ((p, "p"), (q, "q"), (r, "r")):
        t.grad_fn.register_prehook(lambda go, n=name: events.append(n))
    x.register_hook(_log(events, "x"))
    r.grad_fn.next_functions[0][0].next_functions[0][0].register_prehook(
        lambda go: events.append("acc pre")
    )
    x.register_post_accumulate_grad_hook(lambda p_: events.append("x acc"))
    r.sum().backward()
    return {"events": tuple(events), "x.grad": x.grad}


@case(area=AREA, tags=("post_accumulate",))
def post_accumulate_hook_sees_accumulated_grad(torch, make: Inputs):
    """The post-accumulate hook gets the leaf itself, with .grad already summed with old grads."""
    x = make.randn(2, requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append((p is x, p.grad.detach().clone())))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return {"seen": tuple(seen)}
