"""Forward-mode AD (``torch.autograd.forward_ad``) of reference_impl, without torch.

Every op form of ``test_op_gradients.CASES`` is run with dual inputs in float64, and its output
tangent must agree with

1. central finite differences along the input tangents: ``(f(x + h v) - f(x - h v)) / 2h``;
2. the op's VJP: ``<jvp(v), u> == <v, vjp(u)>`` for a random cotangent ``u``.

Forms whose ops have no JVP rule yet are listed by name in ``WITHOUT_RULE``; the list must stay
true both ways. Then the API itself: what ``unpack_dual`` returns inside and outside a level,
torch's error texts (behaviour probed on torch 2.13), tangents through views and in-place ops,
and a planted wrong JVP rule that the checks above catch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.autograd.forward_ad as fwAD
from reference_impl._ops.pointwise import MulBackward0

from .test_op_gradients import CASES, OpCase

#: Case forms some of whose ops have no JVP rule yet (they raise torch's NotImplementedError):
#: none now (the losses got theirs in issue 13's third round); a new op without one is listed
#: here by the test below.
WITHOUT_RULE: frozenset[str] = frozenset()


def _floats(out: Any) -> list[Any]:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, torch.Tensor) and o.dtype.is_floating_point]


def _tangents(case: OpCase, inputs: tuple[Any, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(len(case.name))
    return [rng.standard_normal(tuple(x.shape)) for x in inputs]


def _evaluate(case: OpCase, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """fn at plain (no-grad, no-tangent) inputs, as arrays."""
    with torch.no_grad():
        out = case.fn(*[torch.tensor(a.copy()) for a in arrays])
    return [np.array(o.detach()._data, dtype=np.float64) for o in _floats(out)]


def forward_jvp(case: OpCase, fn: Callable[..., Any] | None = None) -> Any:
    """(inputs, tangents, outputs, output tangents) of the case run on dual inputs."""
    inputs = case.make_inputs()
    vs = _tangents(case, inputs)
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, torch.tensor(v)) for x, v in zip(inputs, vs, strict=True)]
        outs = _floats((fn or case.fn)(*duals))
        tangents = [fwAD.unpack_dual(o).tangent for o in outs]
    return inputs, vs, outs, tangents


def has_rule(case: OpCase) -> bool:
    try:
        _, _, outs, tangents = forward_jvp(case)
    except NotImplementedError as error:
        assert str(error).startswith("Trying to use forward AD with "), error
        return False
    return bool(outs) and all(t is not None for t in tangents)


def check_jvp(case: OpCase, fn: Callable[..., Any] | None = None) -> None:
    """Both checks of the module docstring; raises AssertionError on a wrong tangent."""
    inputs, vs, outs, tangents = forward_jvp(case, fn)
    got = [np.array(t._data, dtype=np.float64) for t in tangents]
    # 1. finite differences along v
    h = case.eps
    xs = [np.array(x._data) for x in inputs]
    plus = _evaluate(case, [x + h * v for x, v in zip(xs, vs, strict=True)])
    minus = _evaluate(case, [x - h * v for x, v in zip(xs, vs, strict=True)])
    for g, p, m in zip(got, plus, minus, strict=True):
        np.testing.assert_allclose(g, (p - m) / (2 * h), rtol=case.rtol, atol=case.atol)
    # 2. <jvp(v), u> == <v, vjp(u)>
    rng = np.random.default_rng(7)
    us = [rng.standard_normal(tuple(o.shape)) for o in outs]
    differentiable = [o for o in outs if o.requires_grad]
    grads = torch.autograd.grad(
        differentiable,
        inputs,
        [torch.tensor(u) for u, o in zip(us, outs, strict=True) if o.requires_grad],
        allow_unused=True,
    )
    lhs = sum(
        float(np.sum(g * u)) for g, u, o in zip(got, us, outs, strict=True) if o.requires_grad
    )
    rhs = sum(float(np.sum(v * g._data)) for v, g in zip(vs, grads, strict=True) if g is not None)
    assert lhs == pytest.approx(rhs, rel=1e-6, abs=1e-8), (lhs, rhs)  # float32 round trips


RULED = [c for c in CASES if c.name not in WITHOUT_RULE]


@pytest.mark.parametrize("case", RULED, ids=[c.name for c in RULED])
def test_jvp_matches_finite_differences_and_vjp(case: OpCase) -> None:
    check_jvp(case)


def _breadth_cases() -> list[OpCase]:
    from .test_op_breadth import ALL_CASES  # issue 13's op-breadth tables, rounds 1 and 2

    return ALL_CASES


BREADTH = _breadth_cases()


@pytest.mark.parametrize("case", BREADTH, ids=[c.name for c in BREADTH])
def test_breadth_forms_jvp_matches_finite_differences_and_vjp(case: OpCase) -> None:
    """The breadth tables' forms (binary math, cumulative ops, activations, losses, ...) all
    have JVP rules, held to the same two checks as the main table."""
    check_jvp(case)


def test_forms_without_rule_are_exactly_the_listed_ones() -> None:
    lacking = {c.name for c in CASES if not has_rule(c)}
    assert sorted(lacking - WITHOUT_RULE) == [], "forms newly without a JVP rule"
    assert sorted(WITHOUT_RULE - lacking) == [], "listed forms that now have a rule"


def test_rules_cover_most_forms() -> None:
    assert len(RULED) >= 0.75 * len(CASES), (len(RULED), len(CASES))


# -- a planted wrong rule is caught ---------------------------------------------------------------


@contextmanager
def planted(cls: type, jvp: Callable[..., Any]) -> Iterator[None]:
    original = cls.__dict__["jvp"]
    setattr(cls, "jvp", jvp)  # noqa: B010
    try:
        yield
    finally:
        setattr(cls, "jvp", original)  # noqa: B010


def test_a_wrong_product_rule_fails_both_checks() -> None:
    case = OpCase("mul planted", lambda a, b: a * b, ((3, 4), (3, 4)))
    check_jvp(case)  # the real rule passes

    def forgets_second_term(self: Any, ta: Any, tb: Any) -> Any:
        return ta * self.fw_input(1)  # d(ab) = da b + a db: the a db term is missing

    with planted(MulBackward0, forgets_second_term), pytest.raises(AssertionError):
        check_jvp(case)


# -- the API ------------------------------------------------------------------------------------


def tangent_of(t: Any) -> Any:
    tangent = fwAD.unpack_dual(t).tangent
    assert tangent is not None
    return tangent


def _x() -> Any:
    return torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)


def test_unpack_dual_outside_a_level_returns_the_tensor_itself_and_no_tangent() -> None:
    x = _x()
    unpacked = fwAD.unpack_dual(x)
    assert isinstance(unpacked, fwAD.UnpackedDualTensor) and isinstance(unpacked, tuple)
    assert fwAD.UnpackedDualTensor._fields == ("primal", "tangent")
    assert unpacked.primal is x and unpacked.tangent is None


def test_unpack_dual_inside_a_level_gives_a_view_and_the_tangent_itself() -> None:
    x, t = _x(), _x() * 10
    with fwAD.dual_level() as level:
        assert level == 0
        plain = fwAD.unpack_dual(x)
        assert plain.primal is not x and id(plain.primal._base) == id(x) and plain.tangent is None
        dual = fwAD.make_dual(x, t)
        assert dual is not x and id(dual._base) == id(x)
        primal, tangent = fwAD.unpack_dual(dual)
        assert tangent is t
        assert fwAD.unpack_dual(primal).tangent is None
        assert np.array_equal(primal._data, x._data)


def test_tangents_propagate_and_vanish_when_the_level_exits() -> None:
    x, t = _x(), torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
    with fwAD.dual_level():
        y = (fwAD.make_dual(x, t) ** 2).sum()
        assert tangent_of(y).item() == pytest.approx(2 * 1 - 2 * 3)
    assert fwAD.unpack_dual(y).tangent is None
    with fwAD.dual_level():  # a new level does not see the old tangents
        assert fwAD.unpack_dual(y).tangent is None


def test_make_dual_errors_have_torchs_texts() -> None:
    x = _x()
    with pytest.raises(RuntimeError) as no_level:
        fwAD.make_dual(x, x)
    assert str(no_level.value) == (
        "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
        "enter_dual_level() first."
    )
    with fwAD.dual_level():
        with pytest.raises(RuntimeError) as shape:
            fwAD.make_dual(x, torch.zeros(4, dtype=torch.float64))
        assert str(shape.value) == (
            "Trying to set a forward gradient that has a different size than that of the "
            "original Tensor, this is not supported. Tensor is of size [3] while the given "
            "forward gradient is of size [4]."
        )
        with pytest.raises(ValueError, match=r"^Expected primal to be floating point or "):
            fwAD.make_dual(torch.arange(3), x)
        with pytest.raises(ValueError, match=r"^Expected tangent to be floating point or "):
            fwAD.make_dual(x, torch.arange(3))
        dual = fwAD.make_dual(x, x)
        with pytest.raises(
            RuntimeError, match="already has a forward gradient at the same level 0"
        ):
            fwAD.make_dual(dual, x)
        with pytest.raises(RuntimeError, match="^Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match="^Invalid level given to _fw_primal$"):
            fwAD.unpack_dual(dual, level=1)
        # torch keeps a tangent of another floating dtype as it is
        t32 = torch.ones(3, dtype=torch.float32)
        assert fwAD.unpack_dual(fwAD.make_dual(x.clone(), t32)).tangent is t32
    with pytest.raises(RuntimeError, match="^Dual level must be a positive number.$"):
        fwAD.exit_dual_level()


def test_an_op_without_a_rule_raises_torchs_not_implemented_error() -> None:
    with fwAD.dual_level():
        dual = fwAD.make_dual(_x(), _x())
        with pytest.raises(NotImplementedError) as floor:
            _ = dual // 2
    assert str(floor.value) == (
        "Trying to use forward AD with aten::floor_divide that does not support it."
    )


def test_in_place_ops_update_the_tangent_in_place_through_views() -> None:
    t = torch.tensor([10.0, 20.0, 30.0], dtype=torch.float64)
    with fwAD.dual_level():
        dual = fwAD.make_dual(_x(), t)
        dual.mul_(2)
        assert t.tolist() == [20.0, 40.0, 60.0]  # the tangent object itself was written
        view = dual[1:]
        view.mul_(3)
        assert tangent_of(dual).tolist() == [20.0, 120.0, 180.0]
        plain = torch.zeros(3, dtype=torch.float64)
        plain[0] = dual[2]  # a write into a view of a tensor without tangent gives it one
        assert tangent_of(plain).tolist() == [180.0, 0.0, 0.0]
        accumulated = torch.zeros(3, dtype=torch.float64)
        accumulated.add_(dual)
        assert tangent_of(accumulated).tolist() == [20.0, 120.0, 180.0]


def test_tangents_have_backward_history_when_their_inputs_require_grad() -> None:
    x = _x()
    t = torch.ones(3, dtype=torch.float64, requires_grad=True)
    with fwAD.dual_level():
        y = (fwAD.make_dual(x, t) * x).sum()  # tangent: sum(t * x)
        tangent = tangent_of(y)
        assert tangent.grad_fn is not None
        (grad,) = torch.autograd.grad(tangent, t)
    assert grad is not None and grad.tolist() == [1.0, 2.0, 3.0]


def test_ties_and_kinks_follow_torchs_conventions() -> None:
    t = torch.tensor([20.0, 120.0, 180.0], dtype=torch.float64)
    with fwAD.dual_level():
        tied = fwAD.make_dual(torch.tensor([1.0, 3.0, 3.0], dtype=torch.float64), t)
        assert tangent_of(tied.max()).item() == 150.0  # mean over the ties
        other = torch.tensor([3.0, 3.0, 3.0], dtype=torch.float64)
        assert tangent_of(torch.maximum(tied, other)).tolist() == [0.0, 60.0, 90.0]
        kinks = fwAD.make_dual(torch.tensor([0.0, -1.0, 3.0], dtype=torch.float64), t)
        assert tangent_of(kinks.abs()).tolist() == [0.0, -120.0, 180.0]
        assert tangent_of(kinks.relu()).tolist() == [0.0, 0.0, 180.0]
        assert tangent_of(kinks.clamp(0, 3)).tolist() == [20.0, 0.0, 180.0]
