"""docs/semantics.md §7: hooks (order, return values, errors, handles) and the engine's
node order (highest sequence number first; AccumulateGrad outranks everything).

Orders are recorded as event lists; all were observed on torch 2.13.
"""

from __future__ import annotations

import pytest

import reference_impl as torch
from tests.helpers import leaf, raises_exactly


def as_lists(grads):
    return tuple(None if g is None else g.tolist() for g in grads)


def record(events, label):
    """A tensor hook that logs its label and keeps the grad (returns None)."""
    return lambda g: events.append(label)


# --- order of hook kinds --------------------------------------------------------------------------


def test_hook_kinds_fire_in_spec_order():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    events = []
    x.register_post_accumulate_grad_hook(lambda p: events.append("x post-accumulate"))
    x.register_hook(record(events, "x tensor hook"))
    y.grad_fn.register_hook(lambda gi, go: events.append("y.grad_fn post hook"))
    y.grad_fn.register_prehook(lambda go: events.append("y.grad_fn prehook"))
    y.register_hook(record(events, "y tensor hook"))
    y.sum().backward()
    assert events == [
        "y tensor hook",
        "y.grad_fn prehook",
        "y.grad_fn post hook",
        "x tensor hook",
        "x post-accumulate",
    ]


def test_hook_arguments_in_full_order():  # semantics §7
    x = leaf(1.0, 2.0)
    w = leaf(3.0, 4.0)
    y = x * w
    events = []
    y.grad_fn.register_prehook(lambda go: events.append(("pre", as_lists(go))))
    y.grad_fn.register_hook(lambda gi, go: events.append(("post", as_lists(gi), as_lists(go))))
    y.register_hook(lambda g: events.append(("y", g.tolist())))
    x.register_hook(lambda g: events.append(("x", g.tolist())))
    x.register_post_accumulate_grad_hook(lambda p: events.append(("x acc", p.grad.tolist())))
    w.register_hook(lambda g: events.append(("w", g.tolist())))
    w.register_post_accumulate_grad_hook(lambda p: events.append(("w acc", p.grad.tolist())))
    (y * torch.tensor([1.0, 10.0])).sum().backward()
    assert events == [
        ("y", [1.0, 10.0]),
        ("pre", ([1.0, 10.0],)),
        ("post", ([3.0, 40.0], [1.0, 20.0]), ([1.0, 10.0],)),
        ("x", [3.0, 40.0]),
        ("x acc", [3.0, 40.0]),
        ("w", [1.0, 20.0]),
        ("w acc", [1.0, 20.0]),
    ]


def test_tensor_hooks_run_before_node_prehooks_whatever_the_registration_order():
    # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    events = []
    y.grad_fn.register_prehook(lambda go: events.append("prehook"))
    y.register_hook(record(events, "tensor hook"))
    y.sum().backward()
    assert events == ["tensor hook", "prehook"]


def test_accumulategrad_node_hooks_order():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 1
    acc = y.grad_fn.next_functions[0][0]
    events = []
    acc.register_hook(lambda gi, go: events.append(("acc post", as_lists(gi), as_lists(go))))
    acc.register_prehook(lambda go: events.append(("acc pre", as_lists(go))))
    x.register_hook(lambda g: events.append(("x", g.tolist())))
    y.sum().backward()
    assert events == [
        ("x", [1.0, 1.0]),
        ("acc pre", ([1.0, 1.0],)),
        ("acc post", (), ([1.0, 1.0],)),
    ]


# --- tensor hook return values -------------------------------------------------------------------


def test_tensor_hook_returning_none_keeps_the_grad():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.register_hook(lambda g: None)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_tensor_hook_return_value_replaces_the_grad():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.register_hook(lambda g: g * 2)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_leaf_hook_return_value_is_what_gets_accumulated():  # semantics §7
    x = leaf(1.0, 2.0)
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [30.0, 30.0]


def test_tensor_hook_returning_wrong_size_raises():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.register_hook(lambda g: torch.ones(3))
    with raises_exactly(RuntimeError, "hook '<lambda>' has changed the size of value"):
        y.sum().backward()


def test_wrong_size_error_names_a_def_hook_by_its_name():  # semantics §7
    def widen(g):
        return torch.ones(3)

    x = leaf(1.0, 2.0)
    x.register_hook(widen)
    with raises_exactly(RuntimeError, "hook 'widen' has changed the size of value"):
        (x * 3).sum().backward()


def test_multiple_tensor_hooks_chain_in_registration_order():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 1
    y.register_hook(lambda g: g * 2)
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_multiple_leaf_hooks_chain_in_registration_order():  # semantics §7
    x = leaf(1.0, 2.0)
    x.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: g + 1)
    (x * 1).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_hook_fires_once_with_the_summed_grad_when_tensor_used_twice():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 1
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    (y * y + y).sum().backward()
    assert seen == [[3.0, 5.0]]


def test_retain_grad_captures_after_all_tensor_hooks():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 1
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    y.sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]
    assert x.grad.tolist() == [2.0, 2.0]


def test_tensor_hook_result_is_what_the_node_prehook_sees():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 1
    seen = []
    y.register_hook(lambda g: g * 2)
    y.grad_fn.register_prehook(lambda go: seen.append(as_lists(go)))
    y.sum().backward()
    assert seen == [([2.0, 2.0],)]


# --- node hook return values and errors ----------------------------------------------------------


def test_post_hook_grad_inputs_has_none_for_inputs_without_grad():  # semantics §7
    x = leaf(2.0, 2.0)
    y = x * 3
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append((as_lists(gi), as_lists(go))))
    (y * 2).sum().backward()
    assert seen == [(([6.0, 6.0], None), ([2.0, 2.0],))]


def test_prehook_returning_a_tuple_replaces_grad_outputs():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.grad_fn.register_prehook(lambda go: (go[0] * 100,))
    y.sum().backward()
    assert x.grad.tolist() == [300.0, 300.0]


def test_post_hook_returning_a_tuple_replaces_grad_inputs():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 100, None))
    y.sum().backward()
    assert x.grad.tolist() == [300.0, 300.0]


def test_node_hooks_returning_none_keep_the_grads():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.grad_fn.register_prehook(lambda go: None)
    y.grad_fn.register_hook(lambda gi, go: None)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_post_hook_returning_wrong_number_of_values_raises():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 100,))
    with raises_exactly(
        RuntimeError,
        "hook '<lambda>' has returned an incorrect number of values (got 1, but expected 2)",
    ):
        y.sum().backward()


def test_prehook_returning_wrong_number_of_values_raises():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.grad_fn.register_prehook(lambda go: (go[0], go[0]))
    with raises_exactly(
        RuntimeError,
        "hook '<lambda>' has returned an incorrect number of values (got 2, but expected 1)",
    ):
        y.sum().backward()


@pytest.mark.parametrize(
    ("returned", "type_name"),
    [(lambda go: go[0], "Tensor"), (lambda go: [go[0]], "list")],
    ids=["Tensor", "list"],
)
def test_prehook_returning_non_tuple_raises_typeerror(returned, type_name):  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    y.grad_fn.register_prehook(returned)
    with raises_exactly(TypeError, f"expected tuple, but hook returned '{type_name}'"):
        y.sum().backward()


@pytest.mark.parametrize("kind", ["prehook", "post hook"])
def test_node_hook_returning_wrong_size_raises(kind):  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    if kind == "prehook":
        y.grad_fn.register_prehook(lambda go: (torch.ones(3),))
    else:
        y.grad_fn.register_hook(lambda gi, go: (torch.ones(3), None))
    with raises_exactly(RuntimeError, "hook '<lambda>' has changed the size of value"):
        y.sum().backward()


# --- post-accumulate-grad hooks -------------------------------------------------------------------


def test_post_accumulate_hook_receives_the_tensor_after_grad_update():  # semantics §7
    x = leaf(1.0, 2.0)
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append((p is x, p.grad.tolist())))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert seen == [(True, [3.0, 3.0]), (True, [6.0, 6.0])]


def test_post_accumulate_hook_must_return_none():  # semantics §7
    x = leaf(1.0, 2.0)
    x.register_post_accumulate_grad_hook(lambda p: 5)
    with raises_exactly(TypeError, "expected Variable, but hook returned 'int'"):
        (x * 3).sum().backward()


def test_post_accumulate_hook_on_non_leaf_raises():  # semantics §7
    y = leaf(1.0, 2.0) * 3
    with raises_exactly(
        RuntimeError, "post accumulate grad hooks cannot be registered on non-leaf tensors"
    ):
        y.register_post_accumulate_grad_hook(lambda p: None)


def test_post_accumulate_hook_on_tensor_without_grad_raises():  # semantics §7
    with raises_exactly(
        RuntimeError, "cannot register a hook on a tensor that doesn't require gradient"
    ):
        torch.ones(2).register_post_accumulate_grad_hook(lambda p: None)


def test_post_accumulate_hook_does_not_fire_under_autograd_grad():  # semantics §7
    x = leaf(1.0, 2.0)
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append(1))
    torch.autograd.grad((x * 3).sum(), x)
    assert seen == []


# --- leaf hooks and restricted backward -----------------------------------------------------------


def test_leaf_hook_fires_under_autograd_grad_and_changes_the_result():  # semantics §7
    x = leaf(1.0, 2.0)
    x.register_hook(lambda g: g * 10)
    (g,) = torch.autograd.grad((x * 3).sum(), x)
    assert g.tolist() == [30.0, 30.0]
    assert x.grad is None


def test_leaf_hook_does_not_fire_when_leaf_is_not_an_input():  # semantics §7
    x = leaf(1.0, 2.0)
    w = leaf(3.0, 4.0)
    seen = []
    x.register_hook(lambda g: seen.append("x"))
    torch.autograd.grad((x * w).sum(), w)
    (x * w).sum().backward(inputs=[w])
    assert seen == []
    assert x.grad is None


def test_backward_inputs_fires_hooks_only_on_the_path_to_the_inputs():  # semantics §7
    x = leaf(1.0, 2.0)
    w = leaf(3.0, 4.0)
    events = []
    h = x * 2
    k = w * 3
    o = h * k
    o.register_hook(record(events, "o hook"))
    h.register_hook(record(events, "h hook"))
    h.grad_fn.register_prehook(lambda go: events.append("h prehook"))
    k.register_hook(record(events, "k hook"))
    o.sum().backward(inputs=[x])
    assert events == ["o hook", "h hook", "h prehook"]
    assert w.grad is None
    assert x.grad.tolist() == [18.0, 24.0]


# --- handles --------------------------------------------------------------------------------------


def test_register_hook_returns_a_removable_handle():  # semantics §7
    x = leaf(1.0, 2.0)
    handle = x.register_hook(lambda g: g)
    assert type(handle).__name__ == "RemovableHandle"
    assert isinstance(handle, torch.utils.hooks.RemovableHandle)
    assert isinstance(handle.id, int)


def test_removed_hooks_no_longer_fire_for_every_kind():  # semantics §7
    x = leaf(1.0, 2.0)
    y = x * 3
    seen = []
    handles = [
        y.register_hook(record(seen, "tensor")),
        y.grad_fn.register_prehook(lambda go: seen.append("pre")),
        y.grad_fn.register_hook(lambda gi, go: seen.append("post")),
        x.register_post_accumulate_grad_hook(lambda p: seen.append("acc")),
    ]
    for h in handles:
        h.remove()
    y.sum().backward()
    assert seen == []


def test_removing_a_handle_twice_is_fine():  # semantics §7
    x = leaf(1.0, 2.0)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    handle.remove()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_handle_as_context_manager_removes_on_exit():  # semantics §7
    x = leaf(1.0, 2.0)
    with x.register_hook(lambda g: g * 100):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [101.0, 101.0]


def test_removing_one_hook_keeps_the_others():  # semantics §7
    x = leaf(1.0, 2.0)
    x.register_hook(lambda g: g * 2)
    middle = x.register_hook(lambda g: g * 100)
    x.register_hook(lambda g: g + 1)
    middle.remove()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


# --- engine order (semantics §7) ------------------------------------------------------------------


def test_sequence_numbers_increase_with_node_creation():  # semantics §7
    x = leaf(1.0, 2.0)
    a = x * 2
    b = x * 3
    assert b.grad_fn._sequence_nr() > a.grad_fn._sequence_nr()


def test_accumulategrad_sequence_number_is_uint64_max():  # semantics §7
    x = leaf(1.0, 2.0)
    acc = (x * 2).grad_fn.next_functions[0][0]
    assert acc._sequence_nr() == 2**64 - 1


@pytest.mark.parametrize("order", ["a+b", "b+a"])
def test_newer_node_runs_first(order):  # semantics §7
    x = leaf(1.0, 2.0)
    events = []
    a = x * 2
    b = x * 3
    a.register_hook(record(events, "a"))
    b.register_hook(record(events, "b"))
    x.register_hook(record(events, "x"))
    x.register_post_accumulate_grad_hook(lambda p: events.append("x acc"))
    out = a + b if order == "a+b" else b + a
    out.sum().backward()
    assert events == ["b", "a", "x", "x acc"]


def test_creation_order_not_operand_order_decides():  # semantics §7
    x = leaf(1.0, 2.0)
    events = []
    b = x * 3
    a = x * 2
    a.register_hook(record(events, "a"))
    b.register_hook(record(events, "b"))
    (b + a).sum().backward()
    assert events == ["a", "b"]


@pytest.mark.parametrize("reverse", [False, True], ids=["[s1, s2]", "[s2, s1]"])
def test_root_order_in_autograd_backward_is_irrelevant(reverse):  # semantics §7
    x = leaf(1.0, 2.0)
    events = []
    a = x * 2
    b = x * 3
    s1 = a.sum()
    s2 = b.sum()
    for t, name in [(s1, "s1"), (s2, "s2"), (a, "a"), (b, "b"), (x, "x")]:
        t.register_hook(record(events, name))
    x.register_post_accumulate_grad_hook(lambda p: events.append("x acc"))
    torch.autograd.backward([s2, s1] if reverse else [s1, s2])
    assert events == ["s2", "s1", "b", "a", "x", "x acc"]


def test_same_root_twice_fires_hooks_once_with_summed_grad():  # semantics §7
    x = leaf(1.0, 2.0)
    s = (x * 2).sum()
    seen = []
    s.register_hook(lambda g: seen.append(g.item()))
    torch.autograd.backward([s, s])
    assert seen == [2.0]
    assert x.grad.tolist() == [4.0, 4.0]


def test_leaf_accumulation_runs_as_soon_as_it_is_ready():  # semantics §7
    x = leaf(1.0, 2.0)
    y = leaf(3.0, 4.0)
    events = []
    c = x * 2
    e = y * 5
    c.register_hook(record(events, "c"))
    e.register_hook(record(events, "e"))
    x.register_hook(record(events, "x"))
    y.register_hook(record(events, "y"))
    x.register_post_accumulate_grad_hook(lambda p: events.append("x acc"))
    y.register_post_accumulate_grad_hook(lambda p: events.append("y acc"))
    (c.sum() + e.sum()).backward()
    assert events == ["e", "y", "y acc", "c", "x", "x acc"]


def test_accumulategrad_waits_for_all_incoming_grads():  # semantics §7
    x = leaf(1.0, 2.0)
    events = []
    h1 = x * 2
    h2 = h1 * 3
    h1.register_hook(record(events, "h1"))
    h2.register_hook(record(events, "h2"))
    x.register_hook(lambda g: events.append(("x", g.tolist())))
    (h2 + x).sum().backward()
    assert events == ["h2", "h1", ("x", [7.0, 7.0])]


def test_node_prehooks_follow_sequence_numbers():  # semantics §7
    x = leaf(1.0, 2.0)
    events = []
    p = x * 2
    q = x + 1
    r = p * q
    for t, name in [(p, "p"), (q, "q"), (r, "r")]:
        t.grad_fn.register_prehook(lambda go, name=name: events.append(name))
    x.register_hook(record(events, "x tensor hook"))
    acc = p.grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: events.append("acc prehook"))
    x.register_post_accumulate_grad_hook(lambda t: events.append("x acc"))
    r.sum().backward()
    assert events == ["r", "q", "p", "x tensor hook", "acc prehook", "x acc"]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda a, b: a * b, ["a", "a acc", "b", "b acc"]),
        (lambda a, b: b * a, ["b", "b acc", "a", "a acc"]),
        (lambda a, b: torch.cat([a, b]), ["a", "a acc", "b", "b acc"]),
        (lambda a, b: a + b * 2, ["a", "a acc", "b", "b acc"]),
        (lambda a, b: a * 2 + b, ["b", "b acc", "a", "a acc"]),
    ],
    ids=["a*b", "b*a", "cat([a,b])", "a + b*2", "a*2 + b"],
)
def test_two_leaves_each_run_hook_and_accumulation_as_a_unit(make, expected):  # semantics §7
    a = leaf(1.0, 2.0)
    b = leaf(3.0, 4.0)
    events = []
    for t, name in [(a, "a"), (b, "b")]:
        t.register_hook(record(events, name))
        t.register_post_accumulate_grad_hook(lambda p, name=name: events.append(f"{name} acc"))
    make(a, b).sum().backward()
    assert events == expected
