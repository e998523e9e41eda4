"""Behaviours found by generated programs (issue 4) where reference_impl differed from torch 2.13.

Each test is the shrunk program, with what torch printed for it.
"""

from __future__ import annotations

import pytest

import reference_impl as torch

FREED = "Trying to backward through the graph a second time"


def test_backward_inputs_retains_grad_so_an_input_without_grad_is_refused():
    x = torch.tensor(1.0)
    w = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(
        RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"
    ):
        (w * 2).backward(inputs=[x])


def test_backward_inputs_non_leaf_stays_retained_and_its_node_runs_and_frees():
    w = torch.tensor([1.0], requires_grad=True)
    y = w.abs()
    y.backward(torch.ones(1), inputs=[y])
    assert y.retains_grad
    assert y.grad.tolist() == [1.0]
    with pytest.raises(RuntimeError, match=FREED):
        torch.autograd.grad(y, [w], torch.ones(1))


def test_leaf_that_stopped_requiring_grad_receives_no_grad():
    w = torch.tensor([1.0], requires_grad=True)
    y = w.abs()
    w.requires_grad_(False)
    y.abs().backward()
    assert w.grad is None


def test_root_hooks_fire_even_off_every_path_to_inputs():
    x = torch.ones(2, requires_grad=True)
    w = torch.ones(2, requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.retain_grad()
    assert torch.autograd.grad(y, [w], torch.ones(2), allow_unused=True) == (None,)
    assert seen == [[1.0, 1.0]]
    assert y.grad.tolist() == [1.0, 1.0]


def test_where_condition_is_freed_with_the_graph():
    t0 = torch.tensor([[-0.9]], dtype=torch.float64, requires_grad=True)
    t3 = torch.where(t0 > -0.75, t0, torch.tensor(-0.75, dtype=torch.float64))
    t3.sum().backward()
    with pytest.raises(RuntimeError, match=FREED):
        t3.backward(inputs=[t0])


def test_view_of_a_grad_leaf_written_under_no_grad_regenerates_as_as_strided():
    t0 = torch.tensor([[-0.55]], requires_grad=True)
    t1 = t0.unsqueeze(0)
    with torch.no_grad():
        t1.mul_(2)
    assert type(t1.grad_fn).__name__ == "AsStridedBackward0"
    assert type(t1.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"


def test_gradient_summed_to_a_scalar_input_is_a_full_sum():
    t0 = torch.tensor(-0.97, requires_grad=True)
    t1 = torch.tensor([[0.82, -0.76], [0.87, 1.39]], requires_grad=True)
    (g,) = torch.autograd.grad((t0 / (t1.abs() + 0.5)).sum(), [t0], create_graph=True)
    assert type(g.grad_fn).__name__ == "SumBackward0"


def test_version_error_names_an_overload_with_its_number():
    t0 = torch.tensor([[-1.39]], requires_grad=True)
    t2 = (t0.abs() + 0.5) ** t0
    t3 = t2 - t0
    t2.mul_(2)
    with pytest.raises(RuntimeError, match="which is output 0 of Pow1, is at version 1"):
        torch.autograd.grad(t3, [t0], torch.ones(1, 1))


def test_clamp_backward_is_a_where():
    t2 = torch.tensor(1.01, requires_grad=True)
    (g,) = torch.autograd.grad(t2.clamp(-1.0, 1.0) ** 2, [t2], create_graph=True)
    assert type(g.grad_fn).__name__ == "WhereBackward0"


def test_autograd_grad_captures_unhooked_grad_at_a_node_that_also_runs():
    t0 = torch.tensor(-0.82, requires_grad=True)
    t0.register_hook(lambda g: g * -1.0)
    t1 = t0.double()
    t1.register_hook(lambda g: g * -1.0)
    g1, g0 = torch.autograd.grad(t1, [t1, t0], retain_graph=True)
    assert g1.item() == 1.0  # t1's own hook is not applied to what is captured at t1
    assert g0.item() == 1.0  # t1's hook runs before its node, then t0's leaf hook: -1 * -1


def test_tensor_pow_saves_its_result_even_when_only_the_base_needs_grad():
    t0 = torch.tensor(-1.14, requires_grad=True)
    t2 = (t0.abs() + 0.5) ** torch.tensor([-1.14])
    t2.tanh_()
    with pytest.raises(RuntimeError, match="which is output 0 of Pow1, is at version 1"):
        t2.backward(torch.ones(1))


def test_scalar_pow_saves_its_exponent_though_the_formula_reads_only_the_result():
    t0 = torch.tensor([1.5], requires_grad=True)
    t1 = t0 * 1
    t2 = 2.0**t1
    t1.mul_(2)
    with pytest.raises(RuntimeError, match="which is output 0 of Mul, is at version 1"):
        t2.sum().backward()


def test_tensor_pow_exponent_grad_multiplies_grad_into_the_where():
    t0 = torch.tensor([-1.14], requires_grad=True)
    t1 = torch.tensor([-1.14], requires_grad=True)
    g0, g1 = torch.autograd.grad((t0.abs() + 0.5) ** t1, [t0, t1], create_graph=True)
    assert type(g0.grad_fn).__name__ == "MulBackward0"  # abs's grad * sgn
    assert type(g1.grad_fn).__name__ == "MulBackward0"  # grad * where(cond, 0, result * log)
    assert type(g1.grad_fn.next_functions[1][0]).__name__ == "WhereBackward0"


def test_pow_backward_formulas_use_scalar_overloads_for_their_constants():
    t0 = torch.tensor([1.5], requires_grad=True)
    t1 = torch.tensor([2.0], requires_grad=True)
    (g,) = torch.autograd.grad(t0**t1, [t0], create_graph=True)
    mul = g.grad_fn.next_functions[1][0]  # where(p == 0, 0, grad * (p * self.pow(p - 1)))
    pow_node = mul.next_functions[1][0].next_functions[1][0]
    assert type(pow_node.next_functions[1][0]).__name__ == "SubBackward1"
    (g,) = torch.autograd.grad(2.0**t0, [t0], create_graph=True)
    assert type(g.grad_fn.next_functions[1][0]).__name__ == "MulBackward1"  # result * log(2)


def test_zero_base_pow_exponent_grad_is_minus_inf_where_the_exponent_is_negative():
    t0 = torch.tensor([1.5, 0.0, -2.0], requires_grad=True)
    (g,) = torch.autograd.grad((0.0**t0).sum(), [t0])
    assert g.tolist() == [0.0, 0.0, float("-inf")]


def test_copy_slices_drops_its_wrapped_node_when_it_runs_without_retain_graph():
    t0 = torch.tensor(-1.14, requires_grad=True)
    t1 = (t0.abs() + 0.5) ** t0
    t2 = t1.unsqueeze(0)
    t2.neg_()
    # CopySlices runs (and is released) before Pow1 finds its saved result modified.
    with pytest.raises(RuntimeError, match="which is output 0 of Pow1, is at version 1"):
        t1.backward()
    with pytest.raises(RuntimeError, match=FREED):
        t2.backward(torch.ones(1))


def test_copy_slices_of_a_write_that_saved_nothing_still_refuses_a_second_backward():
    x = torch.ones(3, requires_grad=True)
    y = x * 1
    y[0].add_(1)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match=FREED):
        y.sum().backward()


def test_view_taken_before_its_leaf_stopped_requiring_grad_refuses_in_place_writes():
    x = torch.ones(3, requires_grad=True)
    v = x[0]
    x.requires_grad_(False)
    assert v.requires_grad and type(v.grad_fn).__name__ == "SelectBackward0"
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        v.mul_(2)
    assert x.tolist() == [1.0, 1.0, 1.0] and x.grad_fn is None and not x.requires_grad


def test_view_with_history_is_regenerated_after_a_no_grad_write_though_its_base_needs_no_grad():
    x = torch.ones(3, requires_grad=True)
    v = x[0:2]
    x.requires_grad_(False)
    with torch.no_grad():
        v.mul_(2)
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    assert v.grad_fn.next_functions == ((None, 0),)


def test_a_base_that_retains_its_grad_keeps_it_after_a_write_through_its_view():
    """Generated seed 0 p1843: retain_grad moves with the base to its CopySlices."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y[:1].mul_(3)
    (y * y).sum().backward()
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert y.grad.tolist() == [12.0, 8.0]
    assert x.grad.tolist() == [72.0, 16.0]


# -- saved-tensor hook regions (draw version 3; seeds 0-2 p0130, p0158, p0027, p0844) ---------


def _times_one():
    return torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p * 1)


def test_an_unpacked_saved_tensor_keeps_its_place_in_the_graph_for_double_backward():
    # torch re-attaches what unpack returns to the saved tensor's grad_fn or accumulator
    x = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda p: p):
        y = (x * x).sum()
    (g,) = torch.autograd.grad(y, [x], create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), [x])
    assert g.tolist() == [1.0, -3.0] and gg.tolist() == [2.0, 2.0]


def test_where_backward_refuses_a_condition_an_unpack_hook_turned_into_integers():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    with _times_one():  # bool * 1 is int64
        y = torch.where(a > 1.5, a, a * 2)
    with pytest.raises(RuntimeError, match="got a tensor with dtype Long"):
        y.sum().backward()


def test_an_input_s_own_grad_fn_runs_but_computes_nothing_it_does_not_feed():
    # torch (p0027 of seed 1): the root is the only input, so where's backward computes no
    # gradient and never meets the int64 condition; its saved tensors are still unpacked
    a = torch.tensor([[-0.73, 1.27]], requires_grad=True)
    with _times_one():
        y = torch.where(a > a, a, a)
    y.backward(torch.ones(1, 2), inputs=[y])
    assert y.grad.tolist() == [[1.0, 1.0]] and a.grad is None
    with pytest.raises(RuntimeError, match=FREED):  # unpacked, then freed with the graph
        y.backward(torch.ones(1, 2), inputs=[y])


def test_a_custom_backward_of_an_input_still_runs_and_is_checked():
    # torch (p0844 of seed 2): a Function's backward is called even when no edge needs it
    class WrongShape(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.sum(0)

    x = torch.ones(2, 2, requires_grad=True)
    y = WrongShape.apply(x)
    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        y.backward(torch.ones(2, 2), inputs=[y])


# -- found by the program vocabulary of conformance/programs/vocabulary.py (issue 13, item 6) --

VERSION = "one of the variables needed for gradient computation has been modified"


def _packed(fn):
    """How many tensors ``fn`` saves for backward, as saved-tensor hooks see them."""
    packed = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda p: p):
        fn()
    return len(packed)


def test_lerp_and_scatter_add_refuse_operands_of_two_dtypes():
    x, y = torch.ones(2), torch.ones(2, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        torch.lerp(x, y, 0.25)
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter_add(0, torch.tensor([0, 1]), y)


def test_var_saves_only_its_input_and_gather_its_input_and_index():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert _packed(lambda: x.var(correction=0)) == 1
    assert _packed(lambda: x.gather(0, torch.tensor([1, 0]))) == 2


def test_nll_loss_saves_its_input_target_and_total_weight():
    x = torch.tensor([[0.1, 0.9], [0.3, 0.2]], requires_grad=True)
    assert _packed(lambda: torch.nn.functional.nll_loss(x, torch.tensor([0, 1]))) == 3


def test_a_write_to_gathers_input_after_the_gather_is_seen_by_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    out = y.gather(0, torch.tensor([1, 0]))
    y.mul_(2)
    with pytest.raises(RuntimeError, match=VERSION):
        out.sum().backward()


def test_scatter_add_keeps_its_index_only_when_src_needs_a_gradient():
    x = torch.tensor([[0.5, -0.8]], requires_grad=True)
    index = torch.tensor([[0, 0]])
    out = x.scatter_add(0, index, torch.tensor([[0.1, 0.2]]))
    index.fill_(0)
    out.sum().backward()  # src takes no gradient: the write to index is never read
    assert x.grad.tolist() == [[1.0, 1.0]]
    src = torch.tensor([[0.1, 0.2]], requires_grad=True)
    out = x.scatter_add(0, index, src)
    index.fill_(0)
    with pytest.raises(RuntimeError, match=VERSION):
        out.sum().backward()


def test_masked_fills_gradient_is_a_masked_fill_so_double_backward_names_it():
    x = torch.tensor(1.0, requires_grad=True)
    (g,) = torch.autograd.grad(x.masked_fill(torch.tensor(True), 0.0).sin(), [x], create_graph=True)
    assert type(g.grad_fn).__name__ == "MaskedFillBackward0"
    assert g.item() == 0.0


def test_nll_loss_reads_the_target_a_saved_tensor_hook_hands_back():
    """Under saved-tensor hooks nothing is version-checked: a target written in place after
    the loss is what its backward reads (torch prints grad [-1, 0, 0] here)."""
    x = torch.tensor([-0.97, 1.32, 1.29], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
        target = torch.tensor(1)
        loss = torch.nn.functional.nll_loss(x, target)
        target.zero_()
    loss.backward()
    assert x.grad.tolist() == [-1.0, 0.0, 0.0]


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_create_graph_gradient_ends_in_masked_fill(op):
    # derivatives.yaml: where(self == other, grad / 2, grad).masked_fill_(loses, 0);
    # seed 0's generated program p1955 (torch printed MaskedFillBackward0)
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([3.0, 2.0, 1.0], requires_grad=True)
    (ga, gb) = torch.autograd.grad((getattr(torch, op)(a, b) ** 2).sum(), [a, b], create_graph=True)
    assert type(ga.grad_fn).__name__ == "MaskedFillBackward0"
    assert type(gb.grad_fn).__name__ == "MaskedFillBackward0"
    # 2 * the picked value where an input is picked, half of it at the tie, else 0
    first = [0.0, 2.0, 6.0] if op == "maximum" else [2.0, 2.0, 0.0]
    assert ga.tolist() == first
    assert gb.tolist() == first[::-1]


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_tie_is_judged_in_the_promoted_dtype(op):
    # found by the Hypothesis search over generated programs: a float64 0-d input against a
    # float32 one is compared in float32, so 0.73 ties with float32's 0.73 (torch printed
    # tensor(0.5000, dtype=torch.float64) tensor([0.5000]) and a tangent of [0.5000])
    a = torch.tensor(0.73, dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.73], requires_grad=True)
    ga, gb = torch.autograd.grad(getattr(torch, op)(a, b).sum(), [a, b])
    assert (ga.item(), gb.tolist()) == (0.5, [0.5])
    with torch.autograd.forward_ad.dual_level():
        dual = torch.autograd.forward_ad.make_dual(torch.tensor([0.73]), torch.tensor([1.0]))
        out = getattr(torch, op)(torch.tensor(0.73, dtype=torch.float64), dual)
        assert torch.autograd.forward_ad.unpack_dual(out).tangent.tolist() == [0.5]


def test_full_max_gradient_is_zeros_masked_fill_with_the_shared_gradient():
    # seed 11's generated program p0517: torch's evenly_distribute_backward on the CPU is
    # grad.new_zeros(...).masked_fill_(mask, grad / mask.sum()), so a create_graph gradient
    # passes through MaskedFillBackward1 (whose value comes from DivBackward0), not a product
    x = torch.tensor([1.0, 3.0, 3.0], requires_grad=True)
    y = (x * 2).max()
    (g,) = torch.autograd.grad(y * y, [x], create_graph=True)
    assert g.tolist() == [0.0, 12.0, 12.0]
    spread = g.grad_fn.next_functions[0][0]
    assert type(spread).__name__ == "MaskedFillBackward1"
    assert [type(n[0]).__name__ for n in spread.next_functions] == ["NoneType", "DivBackward0"]


def test_in_place_masked_fill_with_a_tensor_value_records_the_value_s_gradient():
    value = torch.tensor(2.0, requires_grad=True)
    filled = torch.zeros(3).masked_fill_(torch.tensor([True, False, True]), value / 2)
    assert type(filled.grad_fn).__name__ == "MaskedFillBackward1"
    filled.sum().backward()
    assert value.grad.item() == 1.0  # two filled positions, each value / 2


@pytest.mark.parametrize(
    ("op", "nodes"),
    [
        (lambda a, b: torch.add(a, b, alpha=2), [None, ("MulBackward1", "AddBackward0")]),
        (lambda a, b: torch.sub(a, b, alpha=2), [None, ("MulBackward1", "NegBackward0")]),
        (lambda a, b: torch.rsub(a, b, alpha=2), [("MulBackward1", "NegBackward0"), None]),
        (lambda a, b: torch.rsub(a, 3.0, alpha=2), [("MulBackward1", "NegBackward0"), None]),
    ],
    ids=["add", "sub", "rsub", "rsub-scalar"],
)
def test_alpha_scales_the_gradient_as_a_scalar_product(op, nodes):
    # seed 12's generated program p0753: torch's maybe_multiply(grad, alpha) is mul.Scalar, so
    # a create_graph gradient ends in MulBackward1 (torch printed the nodes below)
    a = torch.tensor([0.5], requires_grad=True)
    b = torch.tensor([0.25], requires_grad=True)
    y = op(a, b)
    grads = torch.autograd.grad((y * y).sum(), [a, b], create_graph=True, allow_unused=True)
    scaled = [
        None
        if g is None or type(g.grad_fn).__name__ != "MulBackward1"
        else (type(g.grad_fn).__name__, type(g.grad_fn.next_functions[0][0]).__name__)
        for g in grads
    ]
    assert scaled == nodes


def test_regenerated_view_gradient_is_the_storage_as_strided_to_the_base():
    # seed 11's generated program p2288: torch's as_strided_backward returns
    # storage.as_strided(input geometry), so a create_graph gradient through a view whose
    # base was written under no_grad ends in AsStridedBackward0, after CopySlices
    leaf = torch.tensor([[0.5]], requires_grad=True)
    view = leaf.t()
    with torch.no_grad():
        view.sigmoid_()
    (g,) = torch.autograd.grad((view * view).sum(), [leaf], create_graph=True)
    assert type(g.grad_fn).__name__ == "AsStridedBackward0"
    assert [type(n[0]).__name__ for n in g.grad_fn.next_functions] == ["CopySlices"]
    assert g.tolist() == [[2 * view.item()]]


PIECEWISE_CONSTANT = {
    "sign": lambda x, y: x.sign(),
    "floor": lambda x, y: x.floor(),
    "ceil": lambda x, y: x.ceil(),
    "round": lambda x, y: x.round(),
    "trunc": lambda x, y: x.trunc(),
    "pow 0": lambda x, y: x.pow(0),
    "div floor": lambda x, y: torch.div(x, y, rounding_mode="floor"),
    "copysign's sign": lambda x, y: torch.copysign(y, x),
    "nextafter's direction": lambda x, y: torch.nextafter(y, x),
    "fill_": lambda x, y: (x * 1).fill_(2.0),
    "zero_": lambda x, y: (x * 1).zero_(),
    "copy_ over it": lambda x, y: (x * 1).copy_(y.detach()),
}


@pytest.mark.parametrize("op", PIECEWISE_CONSTANT.values(), ids=PIECEWISE_CONSTANT.keys())
def test_a_piecewise_constant_gradient_is_fresh_zeros_even_under_create_graph(op):
    # seeds 13-16's generated programs (sign then norm, backward(create_graph=True)): torch's
    # zeros_like(grad) has no history and no -0.0; grad * 0 kept both (torch printed
    # requires_grad False and [0.0, 0.0] for every op here)
    x = torch.tensor([0.7, -1.3], requires_grad=True)
    y = torch.tensor([0.4, 0.9], requires_grad=True)
    (g,) = torch.autograd.grad(op(x, y), [x], grad_outputs=[x * 1], create_graph=True)
    assert not g.requires_grad
    assert [str(v) for v in g.tolist()] == ["0.0", "0.0"]


def test_cumsum_gradient_is_a_flipped_cumsum_and_squeeze_s_an_unsqueeze():
    # seed 16's p1095 and seed 15's p2339: torch's cumsum_backward is
    # grad.flip(dim).cumsum(dim).flip(dim) (grad itself along a dim of 1), and squeeze's is
    # unsqueeze_to, one UnsqueezeBackward0 per squeezed dim (torch printed these nodes)
    x = torch.tensor([[0.5, 0.2], [0.1, 0.3]], requires_grad=True)
    (g,) = torch.autograd.grad((x.cumsum(0) ** 2).sum(), [x], create_graph=True)
    assert type(g.grad_fn).__name__ == "FlipBackward0"
    assert [round(v, 5) for row_ in g.tolist() for v in row_] == [2.2, 1.4, 1.2, 1.0]
    row = torch.tensor([[0.5, 0.2]], requires_grad=True)
    (g,) = torch.autograd.grad((row.cumsum(0) ** 2).sum(), [row], create_graph=True)
    assert type(g.grad_fn).__name__ == "MulBackward0"  # pow's, with nothing after it

    def chain(g):
        names, node = [], g.grad_fn
        while type(node).__name__ == "UnsqueezeBackward0":
            names.append(type(node).__name__)
            node = node.next_functions[0][0]
        return len(names)

    for squeeze, unsqueezes in ((lambda t: t.squeeze(), 2), (lambda t: t.squeeze(1), 0)):
        x = torch.tensor([[[0.5], [0.25]]], requires_grad=True)
        inner = x * 1
        (g,) = torch.autograd.grad((squeeze(inner) ** 2).sum(), [inner], create_graph=True)
        assert chain(g) == unsqueezes


def test_a_view_regenerated_after_its_base_changed_keeps_retaining_its_grad():
    # seed 23's generated program p2175: torch moves the retains_grad hook to the view's
    # regenerated AsStridedBackward0 (torch printed v.grad = [[[0.5403, 0.9211]]])
    leaf = torch.tensor([[0.5, -0.2]], requires_grad=True)
    v = leaf.unsqueeze(0)
    v.retain_grad()
    leaf.detach().mul_(2)  # bumps the shared version: v's history is regenerated on use
    v.sin().sum().backward()
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    assert [round(g, 6) for g in v.grad.flatten().tolist()] == [0.540302, 0.921061]


def test_a_node_that_computes_nothing_unpacks_its_saved_tensors_in_name_order():
    # seed 22's generated program p1981: backward(inputs=[root]) still runs the root's node,
    # which unpacks every saved tensor; torch's generated apply does so in name order, so the
    # stale "other" of maximum is the one named (torch printed [torch.FloatTensor []])
    leaf = torch.tensor([[0.5], [1.0]], requires_grad=True)
    p = leaf * 1
    q = (leaf * 1).sum()
    y = torch.maximum(p, q)
    p.add_(1)
    q.add_(1)
    with pytest.raises(RuntimeError, match=r"\[torch\.FloatTensor \[\]\]"):
        y.backward(torch.ones(2, 1), inputs=[y])


def stale_named(run) -> str:
    """What the version-check error says was modified."""
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as error:
        run()
    return str(error.value).split("inplace operation: ")[1].split(" is at version")[0]


def test_a_node_unpacks_every_saved_tensor_in_name_order_so_errors_name_the_first_stale():
    """Programs 8160 and 18230 of seed 0: torch named gather's index, the reference its self.
    torch's generated ``apply`` unpacks all saved tensors first, sorted by name."""

    def gather():
        self = torch.ones(2, 3, requires_grad=True).exp()
        index = torch.zeros(1, 3, dtype=torch.long)
        y = self.gather(0, index)
        self.mul_(2)
        index.add_(1)
        y.sum().backward()

    def addcmul():
        tensor1 = torch.ones(1, 2, requires_grad=True).exp()
        tensor2 = torch.ones(1, 1, 2, requires_grad=True).exp()
        y = torch.addcmul(torch.ones(2), tensor1, tensor2)
        tensor2.mul_(2)
        tensor1.mul_(2)
        y.sum().backward()

    def mul():
        self = torch.ones(2, requires_grad=True).exp()
        other = torch.ones(1, 2, requires_grad=True).exp()
        y = self * other
        self.mul_(2)
        other.mul_(2)
        y.sum().backward()

    # what torch 2.13.0 printed for each
    assert stale_named(gather) == "[torch.LongTensor [1, 3]]"
    assert stale_named(addcmul) == "[torch.FloatTensor [1, 2]], which is output 0 of Mul,"
    assert stale_named(mul) == "[torch.FloatTensor [1, 2]], which is output 0 of Mul,"


def test_saved_inputs_are_unpacked_before_saved_outputs():
    """Program 16691 of seed 0 (with the order above applied to every saved tensor alike): a
    norm saves its self and its result, and torch named the stale self first."""

    def norm(write_self: bool):
        self = torch.ones(3, 3, requires_grad=True).sub(1.0)
        result = torch.linalg.vector_norm(self)
        y = result * 1.0
        result.mul_(2)
        if write_self:
            self.add_(1)
        y.backward()

    # what torch 2.13.0 printed
    assert (
        stale_named(lambda: norm(True)) == "[torch.FloatTensor [3, 3]], which is output 0 of Add,"
    )
    assert stale_named(lambda: norm(False)) == (
        "[torch.FloatTensor []], which is output 0 of LinalgVectorNorm,"
    )


def test_a_result_saved_by_a_write_through_a_view_names_the_views_new_node():
    """Program 3061 of seed 2: torch saves the result of an in-place op on a view with the
    view's node after the write (``is_inplace_on_view``), and its version error names that."""

    def written_again():
        base = torch.tensor([0.5, 0.2], requires_grad=True) * 1
        view = base[0:1]
        view.exp_()  # ExpBackward0 saves its result: the view
        total = view.sum()
        view.mul_(2)
        total.backward()

    def node_replaced():  # program 13185 of seed 13: nothing else held the view's node
        base = torch.tensor([-1.14, -0.77], requires_grad=True).abs()
        view = base[1:]
        view.tanh_()
        view.neg_()  # the view gets a new node; the one TanhBackward0's result named is gone
        view.backward(torch.ones(1))

    # what torch 2.13.0 printed: its pointer to the view's node is weak
    assert stale_named(written_again) == "[torch.FloatTensor [1]], which is output 0 of AsStrided,"
    assert stale_named(node_replaced) == "[torch.FloatTensor [1]], which is output 0 of Tanh,"


#: (input, reduction) -> (gradient, whether it has history, its node), as torch 2.13.0 gives
#: them under create_graph: prod_backward returns a 0-d input's grad itself, a dim of one
#: element has no other element to multiply, and a full prod through zeros ends in view_as.
PROD_GRADS = [
    (0.7, None, ([1.0], False, None)),
    ([0.0], None, ([1.0], False, None)),
    ([0.7], None, ([1.0], True, "MulBackward0")),
    ([[0.7, 0.0], [1.0, 2.0]], None, ([0.0, 1.4, 0.0, 0.0], True, "ViewBackward0")),
    ([[0.0, 0.0], [1.0, 2.0]], None, ([0.0, 0.0, 0.0, 0.0], True, "ViewBackward0")),
    ([[0.0], [2.0]], 1, ([1.0, 1.0], False, None)),
    ([[0.0, 3.0], [2.0, 1.0]], 1, ([3.0, 0.0, 1.0, 2.0], True, "MulBackward0")),
    (0.0, 0, ([1.0], False, None)),
]


@pytest.mark.parametrize(("values", "dim", "expected"), PROD_GRADS)
def test_prods_double_backward_graph_is_torchs(values, dim, expected):
    """Program 24467 of seed 5: x - x, prod, backward(create_graph=True) left the reference's
    x.grad with history (AddBackward0) where torch's has none."""
    d = torch.tensor(values, requires_grad=True) * 1
    p = d.prod() if dim is None else d.prod(dim)
    (g,) = torch.autograd.grad(p, [d], torch.ones_like(p), create_graph=True)
    node = type(g.grad_fn).__name__ if g.grad_fn is not None else None
    assert ([round(v, 4) for v in g.reshape(-1).tolist()], g.requires_grad, node) == expected


def test_log_softmax_of_a_row_holding_inf_is_all_nan():
    """Program 6081 of seed 6: torch's kernel shifts by the row's max even when it is inf
    (inf - inf), where logsumexp leaves an infinite max out; the reference gave [nan, -inf]."""
    x = torch.tensor([[float("inf"), 1.0], [float("-inf"), 1.0], [float("-inf"), float("-inf")]])
    out = torch.nn.functional.log_softmax(x, -1)
    assert out.isnan().tolist() == [[True, True], [False, False], [True, True]]
    assert out[1].tolist() == [float("-inf"), 0.0]


def test_a_comparison_is_made_in_the_promoted_dtype():
    """Programs 8242 of seed 12 and 18628 of seed 14: ``where(x > y, x, y)`` with a 0-d float64
    x and a float32 y compared in float64 and routed the gradient to the wrong side; torch
    compares both in their promoted dtype, float32, where 0.51 equals 0.51."""
    x = torch.tensor(0.51, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.51, 0.63], dtype=torch.float32, requires_grad=True)
    assert (x > y).tolist() == [False, False]
    torch.where(x > y, x, y).backward(torch.tensor([0.73, 0.2]))
    assert x.grad.item() == 0.0 and y.grad.tolist() == pytest.approx([0.73, 0.2])
    # a Python float against float32 too (what torch 2.13.0 gives)
    assert (torch.tensor([0.51, 1.0]) >= 0.51).tolist() == [True, True]


def test_a_norm_over_one_element_is_its_absolute_value_where_its_square_would_overflow():
    """Program 25119 of seed 13 took the float32 norm of 3.7e22: torch's kernel returns |x|
    when each result reduces one element, for every order but 0; the reference squared it to
    inf. Over two elements torch overflows too."""
    big = 3.700000053040623e22
    column = [[-big], [2.0], [0.0]]
    for p in (1, 2, 3, float("inf"), 0.5, -1):
        got = torch.linalg.vector_norm(torch.tensor(column), p, dim=1).tolist()
        assert got == [big, 2.0, 0.0], p
    assert torch.linalg.vector_norm(torch.tensor(column), 0, dim=1).tolist() == [1.0, 1.0, 0.0]
    assert torch.tensor(big).norm().item() == big
    assert torch.tensor([big, 1e22]).norm().item() == float("inf")


def test_a_norm_of_order_below_one_differentiates_in_torchs_form():
    """torch's norm_backward has three forms (p < 1, p < 2, else), and float32 rounds each its
    own way: of order 0.5 over one element of 2.0 torch gives 0.99999994, not 1."""
    x = torch.tensor([[-3.7e22], [2.0], [0.0]], requires_grad=True)
    torch.linalg.vector_norm(x, 0.5, dim=1).sum().backward()
    assert x.grad.flatten().tolist() == [-1.0, 0.9999999403953552, 0.0]
