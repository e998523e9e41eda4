"""The shrinker turns a failing generated program into a small one that fails the same way, and
generated programs find every planted bug within 200 programs."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import pytest

from conformance.mutations import MUTATIONS, get_mutation
from conformance.programs import mutation_score
from conformance.programs.generated import as_case, draw_program, generate
from conformance.programs.program import (
    Backward,
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
    to_dict,
)
from conformance.programs.render import render
from conformance.programs.shrink import (
    InvalidProgram,
    check,
    delete_leaf,
    delete_step,
    failure_predicate,
    is_valid,
    program_lines,
    program_size,
    reason_class,
    reproducer_lines,
    save_shrunk,
    shrink,
    shrink_failure,
    shrink_isolated,
    shrink_report,
    unwrap_region,
)
from conformance.registry import load_backend
from conformance.runner import execute_case

TORCH = load_backend("torch")
REFERENCE = load_backend("reference")
WRONG_TANH = get_mutation("wrong_derivative")
BROKEN = (TORCH, dataclasses.replace(REFERENCE, name="reference+wrong_derivative"))

#: One tanh whose gradient the planted bug gets wrong, padded with leaves, steps, regions,
#: hooks, a retained grad and calls that have nothing to do with it.
PADDED = Program(
    leaves=(Leaf((2, 3), seed=3), Leaf((3,), seed=4), Leaf((), "float64", seed=5)),
    steps=(
        Op("mul", (1, 2)),
        Op("exp", (3,)),
        Hook(4, 2.0),
        GradMode(False, (Op("sin", (1,)), Detach(5))),
        Op("tanh", (0,)),
        RetainGrad(7),
        Op("add", (4, 1)),
        GradMode(True, (Op("sum", (8,)), Hook(9, 0.5))),
        Op("cos", (8,)),
    ),
    schedule=(
        Backward(10, weight_seed=11, retain_graph=True),
        ResetGrads("zero"),
        Backward(7, weight_seed=12, retain_graph=True, inputs=(0, 1)),
        Backward(9, use_grad=True, create_graph=True),
    ),
)


def run(program: Program, pair=(TORCH, REFERENCE), mutation=None):
    case = dataclasses.replace(as_case(0, program), oracle=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mutation is None:
            return execute_case(case, pair, 0)
        with mutation.apply():
            return execute_case(case, pair, 0)


def padded_predicate():
    failed = run(PADDED, BROKEN, WRONG_TANH)
    assert failed.outcome == "fail"
    return failure_predicate(
        BROKEN,
        0,
        failed.outcome,
        failed.reason,
        within=WRONG_TANH.apply,
        control=(TORCH, REFERENCE),
    )


@pytest.fixture(scope="module")
def padded_shrunk():
    return shrink_report(PADDED, padded_predicate())


# -- shrinking --------------------------------------------------------------------------------


def test_a_padded_failing_program_shrinks_to_one_tanh_and_one_backward(padded_shrunk) -> None:
    assert run(PADDED).outcome == "pass"
    shrunk = padded_shrunk
    assert shrunk.complete
    assert (shrunk.original_size, shrunk.size) == (20, 3)
    assert shrunk.program == Program(
        leaves=(Leaf(()),), steps=(Op("tanh", (0,)),), schedule=(Backward(1),)
    )


def test_the_shrunk_program_still_fails_the_same_way_only_under_the_bug(padded_shrunk) -> None:
    small = padded_shrunk.program
    assert run(small).outcome == "pass"
    failed = run(small, BROKEN, WRONG_TANH)
    assert failed.outcome == "fail"
    assert reason_class(failed.reason) == "calls.#.grads.#.value: mismatch (values)"


def test_the_shrunk_program_is_valid_and_its_reproducer_runs(padded_shrunk) -> None:
    small = padded_shrunk.program
    check(small)
    assert from_json(json.dumps(to_dict(small))) == small
    script = render(small)
    namespace: dict[str, object] = {"__name__": "reproducer"}
    exec(compile(script, "<reproducer>", "exec"), namespace)  # noqa: S102 - the script under test
    observed = namespace["program"]()  # type: ignore[operator]
    assert sorted(observed) == ["calls", "errors", "slots"]
    assert program_lines(small) < 15 < reproducer_lines(small)


def test_a_program_that_does_not_fail_is_returned_unchanged() -> None:
    shrunk = shrink_report(PADDED, lambda program: False)
    assert shrunk.program == PADDED and shrunk.accepted == 0 and shrunk.complete


def test_shrinking_stops_after_max_attempts_and_says_so() -> None:
    shrunk = shrink_report(PADDED, lambda program: True, max_attempts=5)
    assert shrunk.attempts == 5 and not shrunk.complete
    assert shrunk.size < shrunk.original_size


def test_a_predicate_that_raises_rejects_the_candidate() -> None:
    def broken(program: Program) -> bool:
        raise RuntimeError("boom")

    assert shrink(PADDED, broken) == PADDED


def test_every_candidate_the_predicate_sees_is_valid() -> None:
    seen: list[Program] = []

    def record(program: Program) -> bool:
        seen.append(program)
        return len(program.schedule) > 1  # something arbitrary to aim at

    shrink(PADDED, record)
    assert seen and all(is_valid(p) for p in seen)


# -- structural edits ---------------------------------------------------------------------------


def test_deleting_a_step_points_its_users_at_its_first_operand_and_renumbers_later_slots() -> None:
    # PADDED's step 1 is exp(slot 3) -> slot 4; slot 4 is hooked and added to slot 1.
    smaller = delete_step(PADDED, (1,))
    assert smaller.steps[0] == Op("mul", (1, 2))
    assert smaller.steps[1] == Hook(3, 2.0)  # was slot 4, now exp's operand
    assert smaller.steps[2] == GradMode(False, (Op("sin", (1,)), Detach(4)))  # 5 -> 4
    assert smaller.steps[3] == Op("tanh", (0,))
    assert smaller.steps[4] == RetainGrad(6)  # 7 -> 6
    assert smaller.steps[5] == Op("add", (3, 1))  # 4 -> 3
    assert smaller.schedule[0] == Backward(9, weight_seed=11, retain_graph=True)
    assert smaller.schedule[2].inputs == (0, 1)
    assert program_size(smaller) == program_size(PADDED) - 1
    check(smaller)


def test_deleting_a_step_inside_a_region_renumbers_across_the_region() -> None:
    smaller = delete_step(PADDED, (3, 0))  # sin(slot 1) -> slot 5; detach(5) becomes detach(1)
    assert smaller.steps[3] == GradMode(False, (Detach(1),))
    assert smaller.steps[4] == Op("tanh", (0,))
    assert smaller.schedule[2] == Backward(6, weight_seed=12, retain_graph=True, inputs=(0, 1))


def test_deleting_a_region_deletes_its_body() -> None:
    smaller = delete_step(PADDED, (7,))  # sum(slot 8) -> slot 9 and its hook
    assert all(not isinstance(s, GradMode) or not s.enabled for s in smaller.steps)
    assert smaller.schedule[3] == Backward(8, use_grad=True, create_graph=True)  # 9 -> its operand
    assert program_size(smaller) == program_size(PADDED) - 3


def test_references_merged_by_a_deletion_leave_inputs_distinct() -> None:
    program = Program(
        leaves=(Leaf((2,)),),
        steps=(Op("exp", (0,)), Op("sin", (1,))),
        schedule=(Backward(2, weight_seed=1, inputs=(0, 1)),),
    )
    smaller = delete_step(program, (0,))
    assert smaller.steps == (Op("sin", (0,)),)
    assert smaller.schedule == (Backward(1, weight_seed=1, inputs=(0,)),)


def test_unwrapping_a_region_keeps_every_slot_number() -> None:
    flat = unwrap_region(PADDED, (3,))
    assert flat.steps[3:5] == (Op("sin", (1,)), Detach(5))
    assert flat.schedule == PADDED.schedule
    assert program_size(flat) == program_size(PADDED) - 1


#: Two saved-tensor hook regions, one inside the other.
HOOKED = Program(
    leaves=(Leaf((2,), seed=1),),
    steps=(
        SavedHooks("clone", (Op("exp", (0,)), SavedHooks("keep", (Op("sin", (1,)),)))),
        Op("mul", (2, 0)),
    ),
    schedule=(Backward(3, weight_seed=1),),
)


def test_a_saved_hooks_region_is_unwrapped_or_deleted_like_a_grad_mode_region() -> None:
    inner_unwrapped = unwrap_region(HOOKED, (0,))
    assert inner_unwrapped.steps[:2] == (Op("exp", (0,)), SavedHooks("keep", (Op("sin", (1,)),)))
    assert delete_step(HOOKED, (0, 1)).steps == (
        SavedHooks("clone", (Op("exp", (0,)),)),
        Op("mul", (1, 0)),  # sin's slot now names its operand, exp's
    )
    assert delete_step(HOOKED, (0,)).steps == (Op("mul", (0, 0)),)
    assert program_size(HOOKED) == 1 + 5 + 1  # a leaf, two regions and three ops, a call
    check(inner_unwrapped)


def test_an_unused_leaf_can_be_deleted_and_a_used_one_cannot() -> None:
    program = Program(
        leaves=(Leaf((2,)), Leaf((3,)), Leaf((2,))),
        steps=(Op("add", (0, 2)),),
        schedule=(Backward(3, weight_seed=1),),
    )
    smaller = delete_leaf(program, 1)
    assert smaller.leaves == (Leaf((2,)), Leaf((2,)))
    assert smaller.steps == (Op("add", (0, 1)),)
    assert smaller.schedule == (Backward(2, weight_seed=1),)
    with pytest.raises(InvalidProgram):
        delete_leaf(program, 2)


@pytest.mark.parametrize(
    "program",
    [
        Program((Leaf((2,)),), (Op("exp", (1,)),)),  # slot 1 does not exist yet
        Program((Leaf((2,)),), (Op("t", (0,)),)),  # t needs rank 2
        Program((Leaf((2,)), Leaf((3,))), (Op("add", (0, 1)),)),  # shapes do not broadcast
        Program((Leaf((1,)),), (Op("slice", (0,)),)),  # nothing left to slice
        Program((Leaf((2,)),), (InPlace("pow_", 0),)),  # no such in-place op
        Program((Leaf((2,)),), (GradMode(False, (Op("select", (0,)),)),)),  # section 11 quirk
        Program((Leaf((2,)),), (SavedHooks("lose", (Op("exp", (0,)),)),)),  # no such hooks
        Program((Leaf((2,)),), (RequiresGrad(0, False),), (Backward(0, inputs=(0, 0)),)),
        Program(()),
    ],
    ids=[
        "dangling",
        "rank",
        "broadcast",
        "slice",
        "inplace-op",
        "quirk",
        "hooks",
        "inputs",
        "empty",
    ],
)
def test_invalid_programs_are_rejected(program: Program) -> None:
    with pytest.raises(InvalidProgram):
        check(program)


def test_every_generated_program_is_valid() -> None:
    for program in generate(0, 100):
        check(program)


def test_reason_class_forgets_numbers_and_messages_but_keeps_the_kind_of_difference() -> None:
    assert reason_class("calls.1.grads.0.value: mismatch (values); slots.3: mismatch (values)") == (
        "calls.#.grads.#.value: mismatch (values)"
    )
    assert reason_class("only torch raised RuntimeError: got [3] but expected [2, 3]") == (
        "only torch raised RuntimeError"
    )


# -- for the CLI --------------------------------------------------------------------------------


def test_a_generated_failure_is_shrunk_by_id_and_saved_next_to_the_results(tmp_path: Path) -> None:
    index = next(
        i for i in range(200) if run(draw_program(0, i), BROKEN, WRONG_TANH).outcome == "fail"
    )
    failed = run(draw_program(0, index), BROKEN, WRONG_TANH)
    shrunk = shrink_failure(
        f"generated/p{index:04d}", 0, BROKEN, "fail", failed.reason, within=WRONG_TANH.apply
    )
    assert shrunk.size <= 4 and shrunk.size < shrunk.original_size  # leaf, (op,) tanh, call
    script = save_shrunk(shrunk, f"generated/p{index:04d}", 0, tmp_path / "run.jsonl")
    assert script == tmp_path / "run.generated" / f"p{index:04d}.min.py"
    assert from_json(script.with_suffix(".json").read_text()) == shrunk.program
    assert f"shrunk from {shrunk.original_size} to {shrunk.size}" in script.read_text()


def test_a_failure_that_does_not_happen_again_on_its_own_is_not_shrunk_and_says_so() -> None:
    """A backend that reuses compiled ops across programs (``torch-compile-ops``) can fail a
    program only after others ran in its worker; shrinking it alone must not pass off the
    unshrunk, passing program as its reproducer."""
    index = next(
        i for i in range(200) if run(draw_program(0, i), BROKEN, WRONG_TANH).outcome == "fail"
    )
    failed = run(draw_program(0, index), BROKEN, WRONG_TANH)
    # the same failure, but the planted bug gone when the program runs again
    shrunk = shrink_failure(f"generated/p{index:04d}", 0, BROKEN, "fail", failed.reason)
    assert not shrunk.reproduced
    assert shrunk.program == draw_program(0, index) and shrunk.attempts == 1
    # with the bug in place it reproduces and shrinks as before
    assert shrink_failure(
        f"generated/p{index:04d}", 0, BROKEN, "fail", failed.reason, within=WRONG_TANH.apply
    ).reproduced


def test_shrinking_in_a_child_reports_a_failure_that_passes_alone_and_saves_nothing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run.jsonl"
    reason = "calls.0.grads.0.value: mismatch (values)"  # program 0 of seed 0 passes
    line = shrink_isolated("generated/p0000", 0, ("torch", "reference"), "fail", reason, out)
    assert line == (
        "generated/p0000: not shrunk (it passes when run on its own: the failure depended on "
        "what its worker ran before it)"
    )
    assert not (tmp_path / "run.generated").exists()


# -- mutation score ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed0_scores() -> list[mutation_score.MutationScore]:
    return mutation_score.scores(seed=0, limit=200)


def test_every_planted_bug_is_found_within_200_generated_programs(seed0_scores) -> None:
    assert [r.mutation for r in seed0_scores] == [m.name for m in MUTATIONS]
    missing = [r.mutation for r in seed0_scores if not r.found]
    assert not missing, f"not found in 200 programs of seed 0: {missing}"
    for r in seed0_scores:
        assert r.programs_until_found is not None and r.programs_until_found <= 200
        assert r.shrunk_size is not None and r.size is not None
        assert r.shrunk_size <= min(r.size, 5), (r.mutation, r.shrunk_program)
        assert reason_class(r.reason or "") in {
            reason_class(c) for c in r.shrunk_reason.split("; ")
        }


def test_the_mutation_table_has_a_row_per_bug_and_the_records_are_json(seed0_scores) -> None:
    table = mutation_score.format_table(seed0_scores).splitlines()
    assert table[0].startswith("| bug | programs until found |")
    assert len(table) == 2 + len(MUTATIONS)
    assert table[2].startswith(f"| {MUTATIONS[0].name} | ")
    records = json.loads(json.dumps([dataclasses.asdict(r) for r in seed0_scores]))
    shrunk = [r["shrunk_program"] for r in records if r["programs_until_found"] is not None]
    assert shrunk
    for program in shrunk:
        check(from_json(json.dumps(program)))


def test_a_bug_not_found_reads_as_such_and_fails_the_command(tmp_path: Path, capsys) -> None:
    assert mutation_score.main(["--seed", "0", "--limit", "1", "--json", str(tmp_path / "s.json")])
    out = capsys.readouterr().out
    assert "| detach_copies | not found in 1 |" in out
    records = json.loads((tmp_path / "s.json").read_text())
    assert [r["programs_until_found"] for r in records if r["mutation"] == "detach_copies"] == [
        None
    ]
