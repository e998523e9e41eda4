"""Generated autograd programs: data that round-trips, runs alike on torch and the reference,
renders to a torch script, and never contains the views quirk of docs/semantics.md §5.6."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch
from hypothesis import given, settings, target

import reference_impl
from conformance.capture import Raised
from conformance.mutations import get_mutation
from conformance.observe import TensorObservation, observe
from conformance.programs.generated import as_case, draw_program, generate, tolerances
from conformance.programs.interpreter import interpret, weights
from conformance.programs.known_crashes import crashes_torch
from conformance.programs.oracle import relative_error
from conformance.programs.program import (
    Backward,
    Const,
    Custom,
    Detach,
    GradMode,
    Hook,
    InPlace,
    Leaf,
    Op,
    Program,
    RequiresGrad,
    ResetGrads,
    RetainGrad,
    SavedHooks,
    from_json,
    hits_quirk,
    to_json,
    walk,
)
from conformance.programs.render import render
from conformance.programs.strategies import profile, programs
from conformance.registry import load_backend
from conformance.runner import execute_case
from conformance.verdict import BackendRun, judge

PAIR = (load_backend("torch"), load_backend("reference"))

#: A tensor used twice, detached, written in place, backwarded twice with different weights.
MIXED = Program(
    leaves=(Leaf((2, 3), seed=1), Leaf((3,), "float64", seed=2)),
    steps=(
        Op("mul", (0, 1)),
        RetainGrad(2),
        Op("tanh", (2,)),
        Detach(2),
        GradMode(False, (Op("exp", (4,)), RequiresGrad(1, True))),
        Hook(3, 0.5),
        Op("add", (3, 0)),
        InPlace("mul_", 6),
        Op("sum", (6,)),
    ),
    schedule=(
        Backward(7, weight_seed=3, retain_graph=True),
        Backward(7, weight_seed=4),
        ResetGrads("zero"),
        Backward(6, weight_seed=5, inputs=(1,)),
        Backward(2, weight_seed=6, create_graph=True, use_grad=True),
    ),
)
SMOOTH = Program(
    leaves=(Leaf((2, 2), "float64", seed=7), Leaf((2,), "float64", seed=8)),
    steps=(Op("div", (0, 1)), Op("sigmoid", (2,)), Op("log", (3,)), Op("gram", (4,))),
    schedule=(Backward(5, weight_seed=9),),
)
#: Saved-tensor hooks of every kind around ops, a Function given one tensor twice, and a nested
#: no_grad region (where nothing is saved), backwarded twice.
HOOKED = Program(
    leaves=(Leaf((2, 3), seed=11), Leaf((3,), "float64", seed=12)),
    steps=(
        SavedHooks(
            "clone",
            (
                Op("exp", (0,)),
                Custom("Mul2", 2),
                SavedHooks("times_one", (Op("mul", (3, 1)),)),
                GradMode(False, (Op("sin", (4,)),)),
            ),
        ),
        SavedHooks("keep", (Op("tanh", (4,)), InPlace("mul_", 6))),
        Op("sum", (6,)),
    ),
    schedule=(Backward(7, retain_graph=True), Backward(6, weight_seed=3, use_grad=True)),
)
PLANTED = {
    "MissingNone": "function MissingNoneBackward returned an incorrect number of gradients "
    "(expected 2, got 1)",
    "TooMany": "function TooManyBackward returned an incorrect number of gradients "
    "(expected 1, got 2)",
    "WrongShape": "Function WrongShapeBackward returned an invalid gradient at index 0 - got [3] "
    "but expected shape compatible with [2, 3]",
}


def outcome(program: Program) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return execute_case(as_case(0, program), PAIR, 0).outcome


def test_a_program_round_trips_through_json() -> None:
    assert from_json(to_json(MIXED)) == MIXED
    assert from_json(to_json(SMOOTH)) == SMOOTH
    assert from_json(to_json(HOOKED)) == HOOKED


@pytest.mark.parametrize("program", [MIXED, SMOOTH, HOOKED], ids=["mixed", "smooth", "hooked"])
def test_fixed_programs_give_the_same_observations_on_torch_and_reference(
    program: Program,
) -> None:
    assert outcome(program) == "pass"


def test_observations_name_every_slot_call_and_leaf_grad() -> None:
    observed = interpret(MIXED, torch)
    assert sorted(observed["slots"]) == list(range(8))
    assert sorted(observed["calls"]) == list(range(5))
    assert observed["calls"][0]["grads"][0]["value"].shape == (2, 3)
    assert "retained" in observed["calls"][0]


@pytest.mark.parametrize("module", [torch, reference_impl], ids=["torch", "reference"])
def test_each_saved_hooks_region_reports_how_many_tensors_it_packed(module) -> None:
    # Keyed by the region's step. Outer region 0: exp saves its result (1), Mul2 both inputs
    # (2), sin under no_grad nothing; inner region 3: mul both operands (2); region 7: tanh
    # its result (1), mul_ by a number nothing.
    observed = interpret(HOOKED, module)
    assert observed["packed"] == {"0": 3, "3": 2, "7": 1}
    assert "packed" not in interpret(MIXED, module)


@pytest.mark.parametrize("module", [torch, reference_impl], ids=["torch", "reference"])
def test_a_function_given_one_tensor_twice_gets_both_gradients(module) -> None:
    program = Program(
        leaves=(Leaf((3,), "float64", seed=5),),
        steps=(Custom("Mul2", 0),),
        schedule=(Backward(1, weight_seed=2),),
    )
    observed = interpret(program, module)
    x = observed["slots"][0].detach()
    grad = observed["calls"][0]["grads"][0]["value"]
    assert module.allclose(grad, 2 * x * weights(2, x, module))  # x * x: twice x, not once


@pytest.mark.parametrize("function", sorted(PLANTED))
def test_a_planted_mistake_in_a_function_raises_the_same_error_on_both(function: str) -> None:
    program = Program(
        leaves=(Leaf((2, 3), seed=3),),
        steps=(Custom(function, 0),),
        schedule=(Backward(1, weight_seed=1),),
    )
    for module in (torch, reference_impl):
        result = interpret(program, module)["calls"][0]["result"]
        assert result == Raised("RuntimeError", PLANTED[function])


@pytest.mark.parametrize("program", [MIXED, HOOKED], ids=["mixed", "hooked"])
def test_the_reproducer_runs_on_torch_and_prints_the_interpreters_observations(
    program: Program,
) -> None:
    script = render(program)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    namespace: dict[str, object] = {"__name__": "reproducer"}
    exec(script, namespace)  # noqa: S102 - the script under test
    namespace["Raised"] = Raised  # the script's own record type, read back as the harness's
    from_script = observe(namespace["program"](), PAIR[0])  # type: ignore[operator]
    from_interpreter = observe(interpret(program, torch), PAIR[0])
    case = as_case(0, program)
    verdict = judge(case, BackendRun("script", from_script), BackendRun("interp", from_interpreter))
    assert verdict.outcome == "pass", verdict.message
    assert "calls.0.grads.0.value" in done.stdout


def test_a_generated_case_renders_its_reproducer_only_when_asked(monkeypatch) -> None:
    """Judging a program must not pay for its script: most programs pass and nobody reads it."""
    from conformance.programs import generated
    from conformance.reproducer import build_reproducer

    rendered: list[str] = []

    def counting_render(program: Program, title: str = "") -> str:
        rendered.append(title)
        return render(program, title)

    monkeypatch.setattr(generated, "render", counting_render)
    case = as_case(3, MIXED, run_seed=5)
    execute_case(case, PAIR, 5)
    assert rendered == []
    script = build_reproducer(case, 5)
    assert rendered == ["generated program 3 of run seed 5"]
    assert script == render(MIXED, "generated program 3 of run seed 5")


def test_a_smooth_programs_result_carries_finite_difference_checks_that_agree() -> None:
    result = execute_case(as_case(0, SMOOTH), PAIR, 0)
    assert result.outcome == "pass"
    checks = result.finite_differences
    assert [c.name for c in checks] == ["calls.0.grads.0.value", "calls.0.grads.1.value"]
    for check in checks:
        assert check.baseline_error is not None and check.baseline_error < 1e-6
        assert check.candidate_error is not None and check.candidate_error < 1e-6
        assert check.pair_error is not None and check.pair_error < 1e-9
        assert check.wrong_side is None


def test_finite_differences_name_the_side_with_a_wrong_derivative() -> None:
    tanh = Program(
        leaves=(Leaf((3,), "float64", seed=4),),
        steps=(Op("tanh", (0,)), Op("sum", (1,))),
        schedule=(Backward(2),),
    )
    with get_mutation("wrong_derivative").apply():
        result = execute_case(as_case(0, tanh), PAIR, 0)
    assert result.outcome == "fail"
    (check,) = result.finite_differences
    assert check.wrong_side == "candidate"
    assert check.baseline_error is not None and check.baseline_error < 1e-6


def test_finite_differences_give_no_opinion_where_autograd_differs_from_the_math() -> None:
    assert execute_case(as_case(0, MIXED), PAIR, 0).finite_differences == []


def test_tolerances_follow_the_lowest_precision_in_the_program() -> None:
    assert tolerances(MIXED) == (1.3e-6, 1e-5)  # one float32 leaf: float32 everywhere
    assert tolerances(SMOOTH) == (None, None)  # all float64: each observation's own dtype


def test_generation_is_deterministic_per_seed() -> None:
    assert generate(5, 20) == generate(5, 20)
    assert generate(5, 20) != generate(6, 20)


def test_each_program_depends_only_on_its_seed_and_index_and_they_are_not_near_copies() -> None:
    assert draw_program(9, 37) == generate(9, 40)[37]
    drawn = generate(0, 200)
    assert len(set(drawn)) == 200
    assert len({p.steps for p in drawn}) >= 190


def test_the_section_11_quirk_family_is_never_generated() -> None:
    view_under_no_grad = Program((Leaf((2,)),), (GradMode(False, (Op("select", (0,)),)),))
    view_before_requires_grad = Program(
        (Leaf((2,), requires_grad=False),), (Op("unsqueeze", (0,)), RequiresGrad(0, True))
    )
    view_then_detach_flag = Program(
        (Leaf((2,), requires_grad=False),), (Op("unsqueeze", (0,)), RequiresGrad(0, False))
    )
    # program 254 of seed 24 at draw version 5: the base flagged through double(), which
    # returns its float64 input itself
    base_flagged_through_an_alias = Program(
        (Leaf((2,), dtype="float64", requires_grad=False),),
        (Op("unsqueeze", (0,)), Op("double", (0,)), RequiresGrad(2, True)),
    )
    assert hits_quirk(view_under_no_grad)
    assert hits_quirk(view_before_requires_grad)
    assert hits_quirk(base_flagged_through_an_alias)
    assert not hits_quirk(view_then_detach_flag)
    assert not any(hits_quirk(p) for p in generate(0, 200))


def _largest_relative_error(program: Program) -> float:
    runs = []
    for backend in PAIR:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs.append({o.name: o for o in observe(interpret(program, backend.module), backend)})
    errors = []
    for name, left in runs[0].items():
        right = runs[1].get(name)
        if isinstance(left, TensorObservation) and isinstance(right, TensorObservation):
            errors.append(relative_error(left.values, right.values))
    finite = [e for e in errors if e != float("inf")]
    return max(finite, default=0.0)


@settings(profile())
@given(programs())
def test_torch_and_the_reference_agree_on_every_generated_program(
    program: Program,
) -> None:
    """Torch and the reference agree on every generated program (the quirk family and the known
    torch crashes excluded)."""
    assert not hits_quirk(program) and not crashes_torch(program)
    target(_largest_relative_error(program), label="largest relative error")
    assert outcome(program) == "pass"


MUTANT_REFERENCE = """
import sys

import reference_impl
from conformance.mutations import get_mutation

planted = get_mutation("retain_graph_never_frees").apply()
planted.__enter__()
reference_impl._planted = planted  # kept alive: collecting it would undo the patch
sys.modules[__name__] = reference_impl
"""


def test_a_failing_generated_program_is_saved_shrunk_and_its_reproducer_runs_on_torch(tmp_path):
    from .conftest import cli_env

    (tmp_path / "mutant_reference.py").write_text(MUTANT_REFERENCE)
    out = tmp_path / "results" / "run.jsonl"
    command = [sys.executable, "-m", "conformance", "run", "--out", str(out), "-q"]
    command += ["--backends", "torch,module:mutant_reference", "--area", "generated"]
    done = subprocess.run(
        [*command, "--generated", "12", "--shrink", "1"],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "shrunk reproducer" not in done.stdout  # -q: no shrink lines, the files are saved
    saved = sorted((tmp_path / "results" / "run.generated").glob("*.min.py"))
    assert len(saved) == 1
    name = saved[0].name.removesuffix(".min.py")
    full, shrunk = (
        (tmp_path / "results" / "run.generated" / f"{name}{suffix}.json").read_text().count("\n")
        for suffix in ("", ".min")
    )
    assert shrunk < full  # one JSON line per leaf, step and call
    ran = subprocess.run(
        [sys.executable, str(saved[0])], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert "calls.0.result" in ran.stdout


def test_show_prints_a_generated_programs_script_for_the_seed_asked(tmp_path):
    from .conftest import cli_env

    def show(seed: int) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "conformance", "show", "generated/p0003", "--seed", str(seed)],
            capture_output=True,
            text=True,
            env=cli_env(),
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    script = show(5)
    assert script == render(draw_program(5, 3), "generated program 3 of run seed 5")
    assert script != show(6)
    (tmp_path / "p3.py").write_text(script)
    ran = subprocess.run([sys.executable, "p3.py"], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0 and "slots.0" in ran.stdout, ran.stderr


def test_the_census_counts_a_program_in_every_area_it_touches():
    from conformance.programs.census import areas_of

    program = Program(
        (Leaf((2,)),),
        (
            GradMode(False, (Op("exp", (0,)),)),
            Hook(0, 2.0),
            InPlace("mul_", 1),
        ),
        (Backward(0, weight_seed=3, retain_graph=True), ResetGrads("zero"), Backward(0)),
    )
    assert areas_of(program) == {
        "accumulation",
        "gradient_weights",
        "retain_graph",
        "detach_no_grad",
        "hooks",
        "inplace_version",
        "reset .grad between calls",
    }


# -- tensors that take no gradient: masks, indices, targets ---------------------------------

VERSION_ERROR = "one of the variables needed for gradient computation has been modified"
#: One op of each aux kind on a (2, 3) leaf (slot 0), its aux tensor made by a Const step
#: (slot 1) and, in ``_written_aux(op, True)``, written in place before the backward call.
AUX_OPS = {
    "where": (("mask", "bool", (2, 3), 0), "zero_"),
    "gather": (("index", "int64", (2, 3), 2), "fill_0_"),
    "index_select": (("rows", "int64", (2,), 2), "zero_"),
    "nll_loss": (("classes", "int64", (2,), 3), "zero_"),
    "mse_loss": (("target", "float32", (2, 3), 0), "mul_"),
    "bce_with_logits": (("probs", "float32", (2, 3), 0), "neg_"),
}


def _written_aux(op: str, write: bool) -> Program:
    (aux, dtype, shape, high), inplace = AUX_OPS[op]
    operands = (0, 0) if op == "where" else (0,)
    steps: tuple = (Const(aux, dtype, shape, high, seed=5), Op(op, (*operands, 1)))
    if write:
        steps += (InPlace(inplace, 1),)
    return Program(leaves=(Leaf((2, 3), seed=4),), steps=steps, schedule=(Backward(2, 1),))


@pytest.mark.parametrize("op", sorted(AUX_OPS))
def test_an_op_takes_a_tensor_without_grad_and_a_write_to_it_before_backward_raises_alike(
    op: str,
) -> None:
    for module in (torch, reference_impl):
        assert interpret(_written_aux(op, write=False), module)["calls"][0]["result"] is None
    modules = (torch, reference_impl)
    raised = [interpret(_written_aux(op, True), m)["calls"][0]["result"] for m in modules]
    assert isinstance(raised[0], Raised) and VERSION_ERROR in raised[0].message
    assert raised[0] == raised[1]  # the same type and text, version numbers included
    assert outcome(_written_aux(op, write=True)) == "pass"


def test_the_reproducer_makes_the_aux_tensor_and_writes_it_before_backward() -> None:
    script = render(_written_aux("gather", write=True))
    body = script[script.index("def program") :]
    made = body.index("torch.tensor([[")
    gathered = body.index(".gather(0, t1)")
    written = body.index("t1.fill_(0)")
    backward = body.index(".backward(")
    assert made < gathered < written < backward
    assert "torch.int64" in body[made:gathered]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert VERSION_ERROR in done.stdout


def test_generated_programs_hold_masks_indices_and_targets_and_write_some_of_them() -> None:
    dtypes, written = set(), 0
    for index in range(300):
        consts: set[int] = set()
        program = draw_program(0, index)
        slot = len(program.leaves)
        for step, _ in walk(program.steps):
            if isinstance(step, Const):
                dtypes.add(step.dtype)
                consts.add(slot)
            if isinstance(step, InPlace) and step.arg in consts:
                written += 1
            slot += step.produces
    assert {"bool", "int64", "float32"} <= dtypes
    assert written >= 10
