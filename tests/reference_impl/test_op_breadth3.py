"""The third round of issue 13's op breadth against central finite differences, in float64.

The node classes torch records where reference_impl used to compose other ops (rsub and
clamp_min/clamp_max with tensor operands, fill / masked_fill / index_fill with a tensor value,
aminmax, std_mean, sort(stable), vdot, dist, renorm, cross, pixel/channel shuffle, nll_loss2d,
addmm with beta/alpha, norm via pairwise_distance), the ``*_copy`` variants of the view ops, and
the composites rebuilt the way ATen builds them (trapezoid, cumulative_trapezoid, kron,
repeat_interleave, tensordot over size-1 dims). One ``OpCase`` per form, checked at first order
(``gradcheck``) and second order (``gradgradcheck``); inputs keep clear of every kink. This file
never imports torch. ``test_op_gradients.test_every_op_class_is_covered`` counts these cases too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.nn.functional as F
from reference_impl.autograd import gradcheck, gradgradcheck

from .test_op_gradients import C, In, OpCase

S = (3, 4)
MASK = torch.tensor(
    [[True, False, True, False], [False, False, True, True], [True, True, False, False]]
)
IDX = torch.tensor([2, 0, 2])
TARGET_2D = torch.tensor(np.array([[[0, 2], [1, 1]], [[2, 0], [1, 0]]]))
SCATTER_IDX = torch.tensor([[0, 2, 0], [0, 3, 3]])
REDUCE_IDX = torch.tensor([3, 0, 3])
PUT_IDX = torch.tensor([5, -1, 5])
#: Well-conditioned matrices (diagonally dominant, positive determinant) for the linalg forms.
WELL = np.array([[2.0, 0.3, -0.4], [0.1, 1.5, 0.2], [-0.3, 0.25, 1.8]])
WELL_BATCH = np.stack([WELL, WELL.T + np.eye(3) * 0.5])


def _spd(a: Any) -> Any:
    """A symmetric positive-definite matrix from any square a (the Cholesky forms' input)."""
    return a @ a.mT + torch.eye(a.shape[-1], dtype=torch.float64) * 3


def _factor(a: Any) -> Any:
    """A lower-triangular factor with a positive diagonal from any square a."""
    return torch.tril(a, -1) + torch.eye(a.shape[-1], dtype=torch.float64) * 2


def _names(out: Any) -> list[str]:
    outs = out if isinstance(out, tuple) else (out,)
    return [type(o.grad_fn).__name__ for o in outs]


BREADTH3_CASES: list[OpCase] = [
    # -- tensor operands that get a node of their own ------------------------------------------
    C("rsub(tensor, tensor)", lambda a, b: torch.rsub(a, b, alpha=1.5), S, (4,)),
    C("__rsub__(tensor)", lambda a, b: a.__rsub__(b), S, S),
    C("clamp_min(tensor)", lambda x, m: torch.clamp_min(x, m), In(S, "offgrid"), In((4,), "grid")),
    C("clamp_max(tensor)", lambda x, m: torch.clamp_max(x, m), In(S, "offgrid"), In(S, "grid")),
    C("fill(scalar)", lambda x: torch.fill(x, 2.5) * x, S),
    C("fill(tensor) out of place", lambda x, v: torch.fill(x, v) * x, S, ()),
    C("masked_fill(tensor value, broadcast)", lambda x, v: x.masked_fill(MASK, v), (4,), ()),
    C("index_fill(tensor value)", lambda x, v: x.index_fill(1, IDX, v) * x, S, ()),
    # -- one node, two outputs ------------------------------------------------------------------
    C("aminmax()", lambda x: torch.aminmax(x), S, domain="distinct"),
    C(
        "aminmax(dim, keepdim)",
        lambda x: torch.aminmax(x, dim=0, keepdim=True),
        S,
        domain="distinct",
    ),
    C("std_mean()", lambda x: torch.std_mean(x), S),
    C("std_mean(dim, correction 0)", lambda x: torch.std_mean(x, 1, correction=0), S),
    C("sort(stable)", lambda x: torch.sort(x, 1, stable=True)[0], S, domain="distinct"),
    # -- single nodes for composites ------------------------------------------------------------
    C("vdot", torch.vdot, (5,), (5,)),
    C("dist(p=2)", torch.dist, S, (4,)),
    C("dist(p=1.5)", lambda a, b: torch.dist(a, b, 1.5), S, S, domain="away0"),
    C("dist(p=inf)", lambda a, b: torch.dist(a, b, float("inf")), S, S, domain="distinct"),
    C("renorm(p=2)", lambda x: x.renorm(2, 1, 0.8), (3, 4, 2)),
    C("renorm(p=1, dim -1)", lambda x: torch.renorm(x, 1, -1, 1.5), S, domain="away0"),
    C("cross(dim)", lambda a, b: torch.cross(a, b, dim=0), (3, 4), (3, 1)),
    C("linalg.cross", torch.linalg.cross, (2, 3), (2, 3)),
    C("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), (2, 8, 2, 3)),
    C("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), (1, 2, 4, 6)),
    C("channel_shuffle(3 groups)", lambda x: F.channel_shuffle(x, 3), (2, 6, 2)),
    C("nll_loss2d", lambda x: F.nll_loss(x, TARGET_2D), (2, 3, 2, 2)),
    C(
        "cross_entropy(3-D, none)",
        lambda x: F.cross_entropy(x, TARGET_2D[:, 0], reduction="none"),
        (2, 3, 2),
    ),
    C(
        "addmm(beta, alpha)",
        lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=-2.0),
        (4,),
        (3, 2),
        (2, 4),
    ),
    C("pairwise_distance", F.pairwise_distance, S, S),
    # -- *_copy variants ------------------------------------------------------------------------
    C("narrow_copy", lambda x: torch.narrow_copy(x, 1, 1, 2), S),
    C(
        "view_copy / permute_copy",
        lambda x: torch.permute_copy(torch.view_copy(x, 4, 3), (1, 0)),
        S,
    ),
    C(
        "unsqueeze/squeeze/t/transpose_copy",
        lambda x: torch.transpose_copy(
            torch.t_copy(torch.squeeze_copy(torch.unsqueeze_copy(x, 0), 0)), 0, 1
        ),
        S,
    ),
    C("expand_copy / alias_copy", lambda x: torch.alias_copy(torch.expand_copy(x, 2, 3, 4)), S),
    C("diagonal_copy / diag", lambda x: torch.diagonal_copy(x, 1) * torch.diag(x)[:3], S),
    C("unbind_copy", lambda x: torch.unbind_copy(x, 1), S),
    C("split_with_sizes_copy", lambda x: torch.split_with_sizes_copy(x, [1, 3], 1), S),
    C("unfold_copy", lambda x: torch.unfold_copy(x, 1, 2, 1), S),
    C("as_strided_copy", lambda x: torch.as_strided_copy(x, (2, 3), (1, 2), 1), S),
    C(
        "unsafe_split / unsafe_chunk",
        lambda x: torch.unsafe_split(x, 3, 1) + torch.unsafe_chunk(x, 3, 0),
        S,
    ),
    # -- composites as ATen builds them ---------------------------------------------------------
    C("trapezoid(x)", lambda y, x: torch.trapezoid(y, x), S, (4,)),
    C("trapezoid(dx)", lambda y: torch.trapezoid(y, dx=0.5, dim=0), S),
    C("cumulative_trapezoid(x)", lambda y, x: torch.cumulative_trapezoid(y, x), S, S),
    C("cumulative_trapezoid(dx)", lambda y: torch.cumulative_trapezoid(y, dx=2.0), S),
    C("kron", torch.kron, (2, 3), (3, 2)),
    C("repeat_interleave(int)", lambda x: x.repeat_interleave(2, 1), S),
    C("repeat_interleave(int, flat)", lambda x: torch.repeat_interleave(x, 3), (2, 2)),
    C(
        "tensordot(size-1 dims)",
        lambda a, b: torch.tensordot(a, b, ([0, 1], [2, 0])),
        (1, 1, 2),
        (2, 3, 2),
    ),
    C("diff(n=0)", lambda x: torch.diff(x, n=0) * x, S),
    C("sum_to_size(()) of 0-d", lambda x: x.sum_to_size(()) * 2, ()),
    C("to(copy=True)", lambda x: x.to(torch.float64, copy=True) * x, S),
    # -- torch.special and friends --------------------------------------------------------------
    C("special.entr", torch.special.entr, S, domain="positive"),
    C("special.erfcx", torch.special.erfcx, S),
    C("special.ndtr", torch.special.ndtr, S),
    C("special.log_ndtr", torch.special.log_ndtr, In(S, "real")),
    C("special.ndtri", torch.special.ndtri, S, domain="unit"),
    C("i0", torch.i0, S),
    C("special.i0e", torch.special.i0e, S, domain="away0"),
    C("special.i1", torch.special.i1, S),
    C("special.i1e", torch.special.i1e, S, domain="away0"),
    C("special.xlog1py", torch.special.xlog1py, In(S, "real"), In((4,), "positive")),
    C("ldexp", torch.ldexp, S, S),
    C("nextafter", lambda a, b: torch.nextafter(a, b) * a, In(S, "offgrid"), In(S, "grid")),
    C("frexp", lambda x: torch.frexp(x).mantissa, S, domain="offgrid"),
    C("softmax(dtype)", lambda x: torch.softmax(x, 1, dtype=torch.float64), S),
    C("log_softmax", lambda x: torch.log_softmax(x, 0), S),
    # -- scatter_reduce / index_reduce ---------------------------------------------------------
    *(
        C(
            f"scatter_reduce({reduce}, include_self={include})",
            lambda x, s, r=reduce, i=include: x.scatter_reduce(
                0, SCATTER_IDX, s, r, include_self=i
            ),
            (4, 3),
            (2, 3),
            domain="away0" if reduce == "prod" else "distinct",
        )
        for reduce in ("sum", "prod", "mean", "amax", "amin")
        for include in (True, False)
    ),
    *(
        C(
            f"index_reduce({reduce})",
            lambda x, s, r=reduce: x.index_reduce(1, REDUCE_IDX, s, r),
            (2, 4),
            (2, 3),
            domain="away0" if reduce == "prod" else "distinct",
        )
        for reduce in ("prod", "mean", "amax", "amin")
    ),
    C(
        "index_reduce(0-d, mean, exclude self)",
        lambda x, s: x.index_reduce(0, torch.tensor([0]), s, "mean", include_self=False),
        (),
        (),
    ),
    C("mode(dim, keepdim)", lambda x: torch.mode(x, 0, keepdim=True).values, S, domain="distinct"),
    C("mode of repeats", lambda x: torch.mode(x.repeat(1, 2)).values, S, domain="distinct"),
    # distinct positions: with a repeat, torch's formula still gives the overwritten source a
    # gradient (grad.take(index)), which finite differences do not
    C("put", lambda x, s: torch.put(x, torch.tensor([5, -1, 0]), s), S, (3,)),
    C("put(accumulate)", lambda x, s: x.put(PUT_IDX, s, accumulate=True), S, (3,)),
    C("cov", torch.cov, S),
    C(
        "cov(weights, correction 2)",
        lambda x, a: torch.cov(x, correction=2, fweights=torch.tensor([1, 2, 1, 3]), aweights=a),
        S,
        In((4,), "positive"),
    ),
    C("cov(1-D)", torch.cov, (5,)),
    C("corrcoef", torch.corrcoef, (3, 5)),
    C("combinations", lambda x: torch.combinations(x, 3), (4,)),
    C("combinations(with replacement)", lambda x: torch.combinations(x, 2, True), (3,)),
    C(
        "quantile(q list, dim)",
        lambda x: torch.quantile(x, torch.tensor([0.2, 0.7]), 1),
        S,
        domain="distinct",
    ),
    C(
        "quantile(midpoint, keepdim)",
        lambda x: x.quantile(0.5, 0, True, interpolation="midpoint"),
        S,
        domain="distinct",
    ),
    C(
        "nanquantile(nearest)",
        lambda x: torch.nanquantile(x, 0.4, interpolation="nearest"),
        S,
        domain="distinct",
    ),
    # -- torch.linalg ---------------------------------------------------------------------------
    C("linalg.inv", torch.linalg.inv, WELL),
    C("linalg.inv_ex(batch)", lambda a: torch.linalg.inv_ex(a).inverse, WELL_BATCH),
    C("linalg.det", torch.linalg.det, WELL_BATCH),
    C("linalg.slogdet", lambda a: torch.linalg.slogdet(a).logabsdet, WELL),
    C("logdet", torch.logdet, WELL),
    C("linalg.solve(vector)", torch.linalg.solve, WELL, (3,)),
    C("linalg.solve(matrix)", torch.linalg.solve, WELL_BATCH, (2, 3, 4)),
    C("linalg.matrix_power(5)", lambda a: torch.linalg.matrix_power(a, 5), WELL * 0.6),
    C("linalg.matrix_power(-2)", lambda a: torch.linalg.matrix_power(a, -2), WELL),
    C("linalg.matrix_power(0)", lambda a: torch.linalg.matrix_power(a, 0) * a, WELL),
    C("linalg.cholesky", lambda a: torch.linalg.cholesky(_spd(a)), (3, 3)),
    C("linalg.cholesky(upper)", lambda a: torch.linalg.cholesky_ex(_spd(a), upper=True).L, (3, 3)),
    C("cholesky(batch)", lambda a: torch.cholesky(_spd(a)), (2, 3, 3)),
    C("cholesky_inverse", lambda a: torch.cholesky_inverse(_factor(a)), (3, 3)),
    C(
        "cholesky_inverse(upper)",
        lambda a: torch.cholesky_inverse(_factor(a).mT, upper=True),
        (3, 3),
    ),
    C("cholesky_solve", lambda b, a: torch.cholesky_solve(b, _factor(a)), (3, 2), (3, 3)),
    C(
        "cholesky_solve(upper)",
        lambda b, a: torch.cholesky_solve(b, _factor(a).mT, upper=True),
        (3, 2),
        (3, 3),
    ),
    C("linalg.matrix_norm(fro)", lambda a: torch.linalg.matrix_norm(a, dim=(0, 2)), (2, 3, 4)),
    C("linalg.multi_dot(4)", lambda *m: torch.linalg.multi_dot(m), (5,), (5, 2), (2, 6), (6, 3)),
    C("linalg.vander", lambda x: torch.linalg.vander(x, N=4), (3,)),
    C("linalg.vecdot", lambda a, b: torch.linalg.vecdot(a, b, dim=0), S, S),
    C("linalg.diagonal", lambda a: torch.linalg.diagonal(a, offset=1), (2, 3, 4)),
]


def _ids(cases: list[OpCase]) -> list[str]:
    return [c.name for c in cases]


def test_breadth3_case_names_are_unique() -> None:
    names = _ids(BREADTH3_CASES)
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("case", BREADTH3_CASES, ids=_ids(BREADTH3_CASES))
def test_first_order_matches_finite_differences(case: OpCase) -> None:
    inputs = case.make_inputs()
    outs = case.fn(*inputs)
    for out in outs if isinstance(outs, tuple) else (outs,):
        assert out.requires_grad, f"{case.name}: output does not require grad"
    assert gradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", BREADTH3_CASES, ids=_ids(BREADTH3_CASES))
def test_second_order_matches_finite_differences(case: OpCase) -> None:
    inputs = case.make_inputs()
    assert gradgradcheck(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


# -- the node names torch 2.13 records (probed on torch; the spec for these forms) -------------


def _leaf(shape: tuple[int, ...] = S) -> Any:
    rng = np.random.default_rng(3)
    return torch.tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize(
    ("fn", "want"),
    [
        (lambda x: torch.rsub(x, x * 2), ["RsubBackward0"]),
        (lambda x: torch.clamp_min(x, x.detach()[0]), ["ClampMinBackward1"]),
        (lambda x: torch.clamp_max(x, x.detach()[0]), ["ClampMaxBackward1"]),
        (lambda x: torch.fill(x, 1.0), ["FillBackward0"]),
        (lambda x: torch.fill(x, torch.tensor(1.0)), ["FillBackward1"]),
        (lambda x: x.masked_fill(MASK, torch.tensor(0.5)), ["MaskedFillBackward1"]),
        (lambda x: x.index_fill(1, IDX, torch.tensor(0.5)), ["IndexFillBackward1"]),
        (lambda x: x.round(decimals=0), ["RoundBackward1"]),
        (lambda x: x.round(), ["RoundBackward0"]),
        (lambda x: torch.sort(x, stable=None)[0], ["SortBackward1"]),
        (lambda x: torch.sort(x)[0], ["SortBackward0"]),
        (lambda x: torch.aminmax(x), ["AminmaxBackward0", "AminmaxBackward0"]),
        (lambda x: torch.std_mean(x, 0), ["StdMeanBackward0", "StdMeanBackward0"]),
        (lambda x: torch.unsafe_chunk(x, 2, 1), ["UnsafeSplitBackward0"] * 2),
        (lambda x: torch.diag(x), ["DiagonalBackward0_copy"]),
        (lambda x: torch.view_copy(x, -1), ["ViewBackward0_copy"]),
        (lambda x: torch.narrow_copy(x, 0, 0, 1), ["NarrowCopyBackward0"]),
        (lambda x: torch.alias_copy(x), ["AliasBackward0_copy"]),
        (lambda x: torch.as_strided(x, (2, 2), (1, 2)), ["AsStridedBackward0"]),
        (lambda x: torch.dist(x, x * 3), ["DistBackward0"]),
        (lambda x: x.renorm(2, 0, 1.0), ["RenormBackward0"]),
        (lambda x: torch.kron(x, x), ["UnsafeViewBackward0"]),
        (lambda x: torch.trapezoid(x, x), ["DivBackward1"]),
        (lambda x: torch.trapezoid(x), ["MulBackward1"]),
        (lambda x: torch.cumulative_trapezoid(x, x), ["DivBackward1"]),
        (lambda x: x.repeat_interleave(2), ["ViewBackward0"]),
        (lambda x: torch.diff(x, n=0), ["CopyBackwards"]),
        (lambda x: torch.addmm(x, x @ x.t(), x, beta=2), ["AddmmBackward0"]),
        (lambda x: F.pairwise_distance(x, x * 2), ["NormBackward1"]),
        (lambda x: torch.special.ndtr(x), ["MulBackward1"]),
        (lambda x: torch.frexp(x), ["FrexpBackward0", "NoneType"]),
        (lambda x: torch.linalg.matrix_power(x[:, :3], 0), ["CopyBackwards"]),
        (lambda x: torch.linalg.matrix_power(x[:, :3], 1), ["CloneBackward0"]),
        (lambda x: torch.linalg.slogdet(x[:, :3]), ["LinalgSlogdetBackward0"] * 2),
        (lambda x: torch.logdet(x[:, :3]), ["WhereBackward0"]),
        (lambda x: torch.linalg.vecdot(x[0], x[1]), ["VdotBackward0"]),
        (lambda x: torch.linalg.multi_dot([x, x.t()]), ["ViewBackward0"]),
    ],
)
def test_node_names(fn: Any, want: list[str]) -> None:
    assert _names(fn(_leaf())) == want


def test_identity_forms_return_the_input() -> None:
    """conj_physical of a real tensor, sum_to_size to its own (non-0-d) shape and to() with
    nothing to change are the input itself, as in torch."""
    x = _leaf()
    assert torch.conj_physical(x) is x
    assert x.sum_to_size(3, 4) is x
    assert x.to(torch.float64) is x
    assert x.to(torch.float64, False, True) is not x  # positional (non_blocking, copy)


def test_zero_norm_has_no_gradient() -> None:
    """torch's norm_backward computes nothing for the 0-"norm": the gradient is None."""
    x = _leaf()
    (g,) = torch.autograd.grad(torch.linalg.vector_norm(x, 0), [x], allow_unused=True)
    assert g is None
    assert torch.linalg.vector_norm(x, 0).item() == 12.0


def test_as_strided_out_of_storage_raises_torchs_error() -> None:
    with pytest.raises(RuntimeError, match="requiring a storage size of 112 are out of bounds"):
        torch.as_strided(_leaf((10,)), (2, 2), (1, 2), 10)


def test_copy_variants_do_not_alias() -> None:
    """A *_copy result is fresh memory: writing to it leaves the input alone."""
    x = _leaf().detach()
    before = x.numpy().copy()
    torch.view_copy(x, -1).add_(1.0)
    torch.unbind_copy(x, 0)[0].add_(1.0)
    np.testing.assert_array_equal(x.numpy(), before)


def test_tensordot_sums_size_one_dims_like_aten() -> None:
    a = np.arange(2.0).reshape(1, 1, 2)
    b = np.arange(12.0).reshape(2, 3, 2)
    got = torch.tensordot(torch.tensor(a), torch.tensor(b), ([0, 1], [2, 0])).numpy()
    want = np.outer(a[0, 0], b.sum(axis=(0, 2)))  # a's size-1 dims meet b's dims summed
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("case", BREADTH3_CASES, ids=_ids(BREADTH3_CASES))
def test_forward_mode_matches_finite_differences_and_vjp(case: OpCase) -> None:
    """Every form here has a JVP rule: its tangent agrees with central differences and with the
    VJP (``<jvp(v), u> == <v, vjp(u)>``), as ``test_forward_ad`` checks the main table."""
    from .test_forward_ad import check_jvp

    check_jvp(case)


def test_special_values_at_known_points() -> None:
    """The series and asymptotic branches of the Bessel functions and erfcx, the quantile's
    tails: values from the closed forms and tables (what the derivatives rest on)."""
    x = torch.tensor(np.array([0.0, 1.0, 40.0]))
    np.testing.assert_allclose(torch.i0(x).numpy()[:2], [1.0, 1.2660658777520082], rtol=1e-14)
    np.testing.assert_allclose(
        torch.special.i1(x).numpy()[:2], [0.0, 0.5651591039924851], rtol=1e-14
    )
    # i0e(40) by Hankel's series (the power series stops at 30)
    np.testing.assert_allclose(torch.special.i0e(x).numpy()[2], 0.06327827987523532, rtol=1e-12)
    np.testing.assert_allclose(
        torch.special.erfcx(torch.tensor(np.array([0.0, 30.0]))).numpy(),
        [1.0, 0.018795888861416751],
        rtol=1e-12,
    )
    p = torch.tensor(np.array([0.5, 0.975, 1e-10]))
    np.testing.assert_allclose(
        torch.special.ndtri(p).numpy(), [0.0, 1.959963984540054, -6.361340902404056], atol=1e-12
    )
    assert torch.special.log_ndtr(torch.tensor(np.array([10.0]))).item() == pytest.approx(
        -7.619853024160498e-24, rel=1e-10
    )


def test_frexp_and_ldexp_invert_each_other() -> None:
    x = torch.tensor(np.array([0.75, -3.0, 1024.5, 0.0]))
    mantissa, exponent = torch.frexp(x)
    assert exponent.dtype is torch.int32
    np.testing.assert_array_equal(torch.ldexp(mantissa, exponent).numpy(), x.numpy())


def test_linalg_against_numpy() -> None:
    a = torch.tensor(WELL_BATCH)
    np.testing.assert_allclose(torch.linalg.det(a).numpy(), np.linalg.det(WELL_BATCH))
    np.testing.assert_allclose(
        torch.linalg.matrix_power(a, 5).numpy(), np.linalg.matrix_power(WELL_BATCH, 5)
    )
    np.testing.assert_allclose(
        torch.linalg.matrix_power(a, -3).numpy(), np.linalg.matrix_power(WELL_BATCH, -3)
    )
    mats = [np.arange(1.0, 1 + n * m).reshape(n, m) for n, m in ((2, 3), (3, 4), (4, 2), (2, 5))]
    got = torch.linalg.multi_dot([torch.tensor(m) for m in mats]).numpy()
    np.testing.assert_allclose(got, np.linalg.multi_dot(mats))
    np.testing.assert_allclose(
        torch.linalg.vander(torch.tensor(np.array([2.0, 3.0]))).numpy(), [[1, 2], [1, 3]]
    )


def test_mode_picks_the_smallest_most_frequent_value_at_its_last_position() -> None:
    """torch 2.13: ties in frequency go to the smaller value; the index is its last place."""
    out = torch.mode(torch.tensor(np.array([[1.0, 2.0, 2.0, 3.0, 3.0, 0.0]])), 1)
    assert out.values.tolist() == [2.0]
    assert out.indices.tolist() == [2]


def test_put_without_accumulate_keeps_the_last_write() -> None:
    x = torch.zeros(5)
    out = x.put(torch.tensor([1, 1, 2]), torch.tensor(np.array([1.0, 2.0, 3.0])))
    assert out.tolist() == [0.0, 2.0, 3.0, 0.0, 0.0]


def test_cholesky_factors_reproduce_the_matrix() -> None:
    a = torch.tensor(WELL @ WELL.T + np.eye(3))
    lower = torch.linalg.cholesky(a)
    upper = torch.linalg.cholesky(a, upper=True)
    np.testing.assert_allclose((lower @ lower.mT).numpy(), a.numpy())
    np.testing.assert_allclose(upper.numpy(), lower.mT.numpy())
    np.testing.assert_allclose(torch.cholesky_inverse(lower).numpy(), np.linalg.inv(a.numpy()))
    b = torch.tensor(np.arange(6.0).reshape(3, 2))
    np.testing.assert_allclose(
        torch.cholesky_solve(b, upper, upper=True).numpy(), np.linalg.solve(a.numpy(), b.numpy())
    )
    assert torch.linalg.cholesky_ex(-a).info.item() == 1


def test_cov_and_combinations_against_numpy() -> None:
    x = np.array([[0.3, -1.2, 2.0, 0.5], [1.1, 0.4, -0.7, 0.9]])
    fw, aw = np.array([1, 2, 1, 3]), np.array([0.5, 1.0, 2.0, 0.25])
    got = torch.cov(torch.tensor(x), fweights=torch.tensor(fw), aweights=torch.tensor(aw))
    np.testing.assert_allclose(got.numpy(), np.cov(x, fweights=fw, aweights=aw))
    np.testing.assert_allclose(torch.corrcoef(torch.tensor(x)).numpy(), np.corrcoef(x))
    pairs = torch.combinations(torch.tensor(np.array([1.0, 2.0, 3.0])), 2).tolist()
    assert pairs == [[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]]


def test_quantile_against_numpy() -> None:
    """numpy.quantile's methods are torch's interpolations; nanquantile skips the nans."""
    x = np.array([[0.3, -1.2, 2.0, 0.5, 0.1], [1.1, np.nan, -0.7, 0.9, 4.0]])
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        got = torch.nanquantile(torch.tensor(x), 0.35, 1, interpolation=method).numpy()
        np.testing.assert_allclose(got, np.nanquantile(x, 0.35, axis=1, method=method))
    assert np.isnan(torch.quantile(torch.tensor(x), 0.5, 1).numpy()[1])
