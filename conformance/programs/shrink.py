"""Shrinking a failing generated program to a small one that fails the same way.

Hypothesis shrinks a failure inside its own test, but ``conformance run --generated N`` draws
each program on its own stream, so a failure found there is shrunk here: a greedy
delta-debugging loop that tries structural simplifications (delete a call, delete a step,
unwrap a region, delete an unused leaf, simplify a call's flags or a leaf) and keeps
every candidate that is still a well-formed program and still fails, until none applies. Every
move makes the program smaller in a well-founded order, so the loop ends.

"Fails the same way" (``failure_predicate``) is: the same outcome, and a reason with the same
*reason class* as the original's first clause. The class of ``calls.1.grads.0.value: mismatch
(values)`` is ``calls.#.grads.#.value: mismatch (values)`` (slot, call and step numbers move
when a program shrinks, the kind of observation and how it differs must not); the class of
``only torch raised RuntimeError: <message>`` is ``only torch raised RuntimeError``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from conformance.backends import Backend
from conformance.programs.grammar import operands_fit, result_shape
from conformance.programs.program import (
    FUNCTIONS,
    INPLACE,
    OPS,
    REGIONS,
    SAVED_HOOKS,
    Backward,
    Call,
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
    Step,
    call_concern,
    hits_quirk,
    step_concern,
    to_json,
    walk,
)
from conformance.programs.render import render
from conformance.programs.signature import (
    FailureSignature,
    crash_predicate,
    reason_class,
    reason_classes,
)
from conformance.programs.vocabulary import AUX, aux_layout

Predicate = Callable[[Program], bool]
#: A pass: the candidates one kind of simplification offers, each built only when tried.
Moves = Callable[[Program], Iterator[Callable[[], Program]]]
StepPath = tuple[int, ...]  # where a step sits: indices into nested region bodies

DEFAULT_MAX_ATTEMPTS = 2000


# -- size -------------------------------------------------------------------------------------


def program_size(program: Program) -> int:
    """Leaves + steps + calls; a region counts as one step besides its body."""
    return len(program.leaves) + len(walk(program.steps)) + len(program.schedule)


def reproducer_lines(program: Program) -> int:
    """Lines of the rendered reproducer script (prelude and helpers included)."""
    return len(render(program).splitlines())


def program_lines(program: Program) -> int:
    """Lines of the reproducer's ``def program():`` function: the part that is the program."""
    lines = render(program).splitlines()
    start = lines.index("def program():")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("    return {"))
    return end - start + 1


# -- validity ---------------------------------------------------------------------------------


class InvalidProgram(ValueError):
    """A candidate that breaks an invariant the generator keeps."""


def check(program: Program) -> None:
    """Raise ``InvalidProgram`` unless ``program`` is one the generator could have drawn.

    Slot references in range, each op's operands of the rank and broadcastable shapes it
    needs, in-place ops never on a leaf, no section 11 quirk, and a reproducer that renders.
    """
    if not program.leaves:
        raise InvalidProgram("no leaves")
    shapes: list[tuple[int, ...]] = []
    for leaf in program.leaves:
        if leaf.dtype not in ("float32", "float64") or any(side < 1 for side in leaf.shape):
            raise InvalidProgram(f"bad leaf {leaf}")
        shapes.append(tuple(leaf.shape))

    def ref(slot: int) -> tuple[int, ...]:
        if not 0 <= slot < len(shapes):
            raise InvalidProgram(f"slot {slot} does not exist yet")
        return shapes[slot]

    consts: dict[int, Const] = {}
    for step, _ in walk(program.steps):
        shape = step_shape(step, [ref(slot) for slot in operands(step)])
        if isinstance(step, Const):
            consts[len(shapes)] = step
        elif isinstance(step, Op):
            check_aux(step, shapes, consts)
        if shape is not None:  # the steps that produce a slot
            shapes.append(shape)
    for call in program.schedule:
        for slot in call_slots(call):
            ref(slot)
        check_call(call)
    if hits_quirk(program):
        raise InvalidProgram("hits the section 11 quirk")
    render(program)


@step_concern
def step_shape(step: Step, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    """The shape ``step`` produces from its operands' ``shapes`` (None: it makes no tensor).

    Raises ``InvalidProgram`` when the generator could not have drawn ``step`` on them.
    """
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@step_shape.register
def _(step: Op, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    spec = OPS[step.op]
    if len(step.args) != len(spec.names):
        raise InvalidProgram(f"{step.op} takes {len(spec.names)} tensor(s)")
    if not operands_fit(spec, shapes[: spec.arity]):
        raise InvalidProgram(f"{step.op} does not take shapes {shapes[: spec.arity]}")
    return result_shape(step.op, shapes[: spec.arity])


def check_aux(step: Op, shapes: list[tuple[int, ...]], consts: dict[int, Const]) -> None:
    """Raise ``InvalidProgram`` unless each aux tensor of ``step`` is a ``Const`` of the kind,
    shape and bound the grammar draws for its operands (``shapes``: of every slot so far)."""
    spec = OPS[step.op]
    operand_shapes = [shapes[a] for a in step.args[: spec.arity]]
    for kind, slot in zip(spec.aux, step.args[spec.arity :], strict=True):
        const = consts.get(slot)
        if const is None or const.aux != kind:
            raise InvalidProgram(f"{step.op} needs a {kind} tensor at slot {slot}")
        if (const.shape, const.high) != aux_layout(kind, operand_shapes):
            raise InvalidProgram(f"the {kind} tensor at slot {slot} does not fit {step.op}")


@step_shape.register
def _(step: Const, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    if step.aux not in AUX:
        raise InvalidProgram(f"unknown aux tensor {step.aux}")
    return step.shape


@step_shape.register
def _(step: Custom, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    if step.function not in FUNCTIONS:
        raise InvalidProgram(f"unknown Function {step.function}")
    if step.function == "WrongShape" and not shapes[0]:
        raise InvalidProgram("WrongShape needs a tensor of rank >= 1")
    return shapes[0]


@step_shape.register
def _(step: Detach, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    return shapes[0]


@step_shape.register
def _(step: InPlace, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    if step.op not in INPLACE:
        raise InvalidProgram(f"unknown in-place op {step.op}")
    return None


@step_shape.register
def _(step: SavedHooks, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    if step.hooks not in SAVED_HOOKS:
        raise InvalidProgram(f"unknown saved-tensor hooks {step.hooks}")
    return None


@step_shape.register(RequiresGrad)
@step_shape.register(RetainGrad)
@step_shape.register(Hook)
@step_shape.register(GradMode)
def _(step: Step, shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    return None


@call_concern
def check_call(call: Call) -> None:
    """Raise ``InvalidProgram`` unless ``call``'s own arguments are well formed."""
    raise NotImplementedError  # never run: call_concern dispatches on the call's type


@check_call.register
def _(call: Backward) -> None:
    if call.inputs is not None and (not call.inputs or len(set(call.inputs)) != len(call.inputs)):
        raise InvalidProgram("inputs= must be distinct and not empty")


@check_call.register
def _(call: ResetGrads) -> None:
    return None


def is_valid(program: Program) -> bool:
    try:
        check(program)
    except Exception:  # noqa: BLE001 - any failure to build or check means "not a candidate"
        return False
    return True


# -- editing steps by path ----------------------------------------------------------------------


def step_paths(steps: tuple[Step, ...], prefix: StepPath = ()) -> list[StepPath]:
    """The path of every step in execution order (a region before its body)."""
    found: list[StepPath] = []
    for index, step in enumerate(steps):
        found.append((*prefix, index))
        if isinstance(step, REGIONS):
            found += step_paths(step.body, (*prefix, index))
    return found


def step_at(steps: tuple[Step, ...], path: StepPath) -> Step:
    step = steps[path[0]]
    if len(path) == 1:
        return step
    assert isinstance(step, REGIONS)
    return step_at(step.body, path[1:])


def splice(steps: tuple[Step, ...], path: StepPath, items: tuple[Step, ...]) -> tuple[Step, ...]:
    """``steps`` with the step at ``path`` replaced by ``items`` (none: deleted)."""
    head, rest = path[0], path[1:]
    if not rest:
        return steps[:head] + items + steps[head + 1 :]
    region = steps[head]
    assert isinstance(region, REGIONS)
    inner = dataclasses.replace(region, body=splice(region.body, rest, items))
    return steps[:head] + (inner,) + steps[head + 1 :]


def produced_slot(program: Program, path: StepPath) -> int | None:
    """The slot the step at ``path`` produces, or None."""
    slot = len(program.leaves)
    for where in step_paths(program.steps):
        step = step_at(program.steps, where)
        if where == path:
            return slot if step.produces else None
        if step.produces:
            slot += 1
    raise KeyError(path)


def first_operand(step: Step) -> int:
    return operands(step)[0]


@step_concern
def operands(step: Step) -> tuple[int, ...]:
    """The slots ``step`` names itself (a region: none; its body's steps name theirs)."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@operands.register
def _(step: Op) -> tuple[int, ...]:
    return step.args


@operands.register(Detach)
@operands.register(Custom)
@operands.register(InPlace)
@operands.register(RequiresGrad)
@operands.register(RetainGrad)
@operands.register(Hook)
def _(step: Detach | Custom | InPlace | RequiresGrad | RetainGrad | Hook) -> tuple[int, ...]:
    return (step.arg,)


@operands.register(Const)
@operands.register(GradMode)
@operands.register(SavedHooks)
def _(step: Const | GradMode | SavedHooks) -> tuple[int, ...]:
    return ()


@call_concern
def call_slots(call: Call) -> tuple[int, ...]:
    """The slots ``call`` names: its root, then its ``inputs=``."""
    raise NotImplementedError  # never run: call_concern dispatches on the call's type


@call_slots.register
def _(call: Backward) -> tuple[int, ...]:
    return (call.root, *(call.inputs or ()))


@call_slots.register
def _(call: ResetGrads) -> tuple[int, ...]:
    return ()


@step_concern
def remap_step(step: Step, mapping: Callable[[int], int]) -> Step:
    """``step`` with every slot it names (a region: its body's) passed through ``mapping``."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@remap_step.register
def _(step: Op, mapping: Callable[[int], int]) -> Step:
    return dataclasses.replace(step, args=tuple(mapping(a) for a in step.args))


@remap_step.register(Detach)
@remap_step.register(Custom)
@remap_step.register(InPlace)
@remap_step.register(RequiresGrad)
@remap_step.register(RetainGrad)
@remap_step.register(Hook)
def _(
    step: Detach | Custom | InPlace | RequiresGrad | RetainGrad | Hook,
    mapping: Callable[[int], int],
) -> Step:
    return dataclasses.replace(step, arg=mapping(step.arg))


@remap_step.register
def _(step: Const, mapping: Callable[[int], int]) -> Step:
    return step


@remap_step.register(GradMode)
@remap_step.register(SavedHooks)
def _(step: GradMode | SavedHooks, mapping: Callable[[int], int]) -> Step:
    return dataclasses.replace(step, body=tuple(remap_step(s, mapping) for s in step.body))


@call_concern
def remap_call(call: Call, mapping: Callable[[int], int]) -> Call:
    """``call`` with its root and inputs passed through ``mapping`` (inputs kept distinct)."""
    raise NotImplementedError  # never run: call_concern dispatches on the call's type


@remap_call.register
def _(call: Backward, mapping: Callable[[int], int]) -> Call:
    inputs = None
    if call.inputs is not None:
        inputs = tuple(dict.fromkeys(mapping(i) for i in call.inputs))
    return dataclasses.replace(call, root=mapping(call.root), inputs=inputs)


@remap_call.register
def _(call: ResetGrads, mapping: Callable[[int], int]) -> Call:
    return call


def remap(program: Program, mapping: Callable[[int], int]) -> Program:
    """Every slot reference ``r`` in steps and calls replaced by ``mapping(r)``."""
    return dataclasses.replace(
        program,
        steps=tuple(remap_step(s, mapping) for s in program.steps),
        schedule=tuple(remap_call(c, mapping) for c in program.schedule),
    )


def delete_step(program: Program, path: StepPath) -> Program:
    """``program`` without the step at ``path`` (a region goes with its whole body).

    References to the slot the step produced now name its first operand; later slots move
    down by one. The result may be invalid (``check`` says).
    """
    step = step_at(program.steps, path)
    if isinstance(step, REGIONS):
        for index in reversed(range(len(step.body))):
            program = delete_step(program, (*path, index))
        return dataclasses.replace(program, steps=splice(program.steps, path, ()))
    slot = produced_slot(program, path)
    if slot is not None and not operands(step) and slot in used_slots(program):
        raise InvalidProgram(f"slot {slot} is used")  # a Const goes only after its op
    program = dataclasses.replace(program, steps=splice(program.steps, path, ()))
    if slot is None:
        return program
    replacement = first_operand(step) if operands(step) else slot
    return remap(program, lambda r: replacement if r == slot else (r - 1 if r > slot else r))


def unwrap_region(program: Program, path: StepPath) -> Program:
    """The region at ``path`` replaced by its body (it runs in the surrounding grad mode,
    without the region's saved-tensor hooks)."""
    region = step_at(program.steps, path)
    assert isinstance(region, REGIONS)
    return dataclasses.replace(program, steps=splice(program.steps, path, region.body))


def used_slots(program: Program) -> set[int]:
    """Slots some step or call names explicitly."""
    found: set[int] = set()
    for step, _ in walk(program.steps):
        found.update(operands(step))
    for call in program.schedule:
        found.update(call_slots(call))
    return found


def delete_leaf(program: Program, index: int) -> Program:
    """``program`` without leaf ``index``, which no step or call may name."""
    if index in used_slots(program):
        raise InvalidProgram(f"leaf {index} is used")
    leaves = program.leaves[:index] + program.leaves[index + 1 :]
    shifted = remap(program, lambda r: r - 1 if r > index else r)
    return dataclasses.replace(shifted, leaves=leaves)


# -- candidates ---------------------------------------------------------------------------------


def _delete_calls(program: Program) -> Iterator[Callable[[], Program]]:
    for index in reversed(range(len(program.schedule))):
        schedule = program.schedule[:index] + program.schedule[index + 1 :]
        yield functools.partial(dataclasses.replace, program, schedule=schedule)


def _delete_steps(program: Program) -> Iterator[Callable[[], Program]]:
    # Outermost regions first (one move removes a whole block), then single steps, last first.
    paths = step_paths(program.steps)
    regions = [p for p in paths if isinstance(step_at(program.steps, p), REGIONS)]
    for path in sorted(regions, key=len) + list(reversed(paths)):
        yield functools.partial(delete_step, program, path)


def _unwrap_regions(program: Program) -> Iterator[Callable[[], Program]]:
    for path in step_paths(program.steps):
        if isinstance(step_at(program.steps, path), REGIONS):
            yield functools.partial(unwrap_region, program, path)


def _delete_leaves(program: Program) -> Iterator[Callable[[], Program]]:
    used = used_slots(program)
    for index in reversed(range(len(program.leaves))):
        if index not in used:
            yield functools.partial(delete_leaf, program, index)


def _simpler_shapes(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Shapes smaller than ``shape`` (fewer elements, or as many in fewer dimensions)."""
    options: list[tuple[int, ...]] = [(), (1,), (2,)]
    for axis in range(len(shape)):
        options.append(shape[:axis] + shape[axis + 1 :])
        for side in (1, 2):
            options.append(shape[:axis] + (side,) + shape[axis + 1 :])

    def order(s: tuple[int, ...]) -> tuple[int, int]:
        return int(np.prod(s)), len(s)

    smaller = [s for s in dict.fromkeys(options) if order(s) < order(shape)]
    return sorted(smaller, key=order)


def _simplify_leaves(program: Program) -> Iterator[Callable[[], Program]]:
    def with_leaves(leaves: tuple[Leaf, ...]) -> Program:
        return dataclasses.replace(program, leaves=leaves)

    leaves = program.leaves
    if len(leaves) > 1:
        for shape in ((), (1,), (2,)):
            if any(leaf.shape != shape for leaf in leaves):
                same = tuple(dataclasses.replace(leaf, shape=shape) for leaf in leaves)
                yield functools.partial(with_leaves, same)
    for index, leaf in enumerate(leaves):
        changes: list[Leaf] = [
            dataclasses.replace(leaf, shape=s) for s in _simpler_shapes(leaf.shape)
        ]
        if leaf.dtype != "float32":
            changes.append(dataclasses.replace(leaf, dtype="float32"))
        if leaf.seed != 0:
            changes.append(dataclasses.replace(leaf, seed=0))
        for changed in changes:
            yield functools.partial(with_leaves, leaves[:index] + (changed,) + leaves[index + 1 :])


def _simplify_calls(program: Program) -> Iterator[Callable[[], Program]]:
    for index, call in enumerate(program.schedule):
        for changed in simpler_calls(call):
            schedule = program.schedule[:index] + (changed,) + program.schedule[index + 1 :]
            yield functools.partial(dataclasses.replace, program, schedule=schedule)


@call_concern
def simpler_calls(call: Call) -> list[Call]:
    """``call`` with one of its arguments simpler, one candidate per argument."""
    raise NotImplementedError  # never run: call_concern dispatches on the call's type


@simpler_calls.register
def _(call: ResetGrads) -> list[Call]:
    return [ResetGrads("none")] if call.mode != "none" else []


@simpler_calls.register
def _(call: Backward) -> list[Call]:
    changes: list[Call] = []
    if call.inputs is not None:
        changes.append(dataclasses.replace(call, inputs=None))
        if len(call.inputs) > 1:
            changes += [dataclasses.replace(call, inputs=(i,)) for i in call.inputs]
    if call.create_graph:
        changes.append(dataclasses.replace(call, create_graph=False))
    if call.retain_graph is not None:
        changes.append(dataclasses.replace(call, retain_graph=None))
    if call.use_grad:
        changes.append(dataclasses.replace(call, use_grad=False))
    if call.weight_seed is not None:
        changes.append(dataclasses.replace(call, weight_seed=None))  # implicit ones
        if call.weight_seed != 0:
            changes.append(dataclasses.replace(call, weight_seed=0))
    return changes


#: The passes, biggest reductions first.
PASSES: tuple[Moves, ...] = (
    _delete_calls,
    _delete_steps,
    _unwrap_regions,
    _delete_leaves,
    _simplify_calls,
    _simplify_leaves,
)


# -- the loop -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shrunk:
    """A shrinking's outcome: the smallest failing program found and what it took."""

    program: Program
    original_size: int
    size: int
    attempts: int
    accepted: int
    seconds: float
    #: False when ``max_attempts`` ran out before a fixpoint.
    complete: bool
    #: False when the recorded failure did not happen again with the program run on its own:
    #: it depended on what its process ran before (a backend that reuses compiled artefacts
    #: across programs), so nothing was shrunk and there is no reproducer to save.
    reproduced: bool = True


def shrink_report(
    program: Program, still_fails: Predicate, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> Shrunk:
    """Shrink ``program`` greedily to a fixpoint of ``PASSES`` (see the module docstring).

    ``still_fails`` is called only on valid candidates; an exception from it counts as "no".
    """
    start = time.perf_counter()
    current, attempts, accepted = program, 0, 0
    seen: set[Program] = {program}
    complete = True
    changed = True
    while changed:
        changed = False
        for moves in PASSES:
            progress = True
            while progress:
                progress = False
                for candidate in _candidates(moves, current):
                    if candidate in seen:
                        continue
                    seen.add(candidate)
                    if not is_valid(candidate):
                        continue
                    if attempts >= max_attempts:
                        complete = False
                        return _report(program, current, attempts, accepted, start, complete)
                    attempts += 1
                    if _holds(still_fails, candidate):
                        current, accepted = candidate, accepted + 1
                        progress = changed = True
                        break
    return _report(program, current, attempts, accepted, start, complete)


def shrink(
    program: Program, still_fails: Predicate, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> Program:
    """The smallest program ``shrink_report`` reaches from ``program``."""
    return shrink_report(program, still_fails, max_attempts).program


def _candidates(moves: Moves, program: Program) -> Iterator[Program]:
    for build in moves(program):
        try:
            yield build()
        except Exception:  # noqa: BLE001,S112 - a candidate that cannot be built is skipped
            continue


def _holds(still_fails: Predicate, candidate: Program) -> bool:
    try:
        return bool(still_fails(candidate))
    except Exception:  # noqa: BLE001 - a predicate that breaks on a candidate rejects it
        return False


def _report(
    original: Program, current: Program, attempts: int, accepted: int, start: float, done: bool
) -> Shrunk:
    return Shrunk(
        program=current,
        original_size=program_size(original),
        size=program_size(current),
        attempts=attempts,
        accepted=accepted,
        seconds=time.perf_counter() - start,
        complete=done,
    )


# -- "fails the same way" -----------------------------------------------------------------------


def failure_predicate(
    pair: tuple[Backend, Backend],
    run_seed: int,
    outcome: str,
    reason: str,
    *,
    within: Callable[[], contextlib.AbstractContextManager[None]] | None = None,
    control: tuple[Backend, Backend] | None = None,
    signature: FailureSignature | None = None,
) -> Predicate:
    """``still_fails`` for a program whose case gave ``outcome`` with ``reason`` on ``pair``.

    With a ``signature`` (``conformance.programs.signature``), a candidate still fails when its
    result shows that signature: outcome, facet, backend and reason class.

    A candidate still fails when, run as generated program 0 of ``run_seed`` on ``pair`` (the
    finite-difference oracle left out: it never decides an outcome), it has the same outcome
    and one of its reason's clauses has the class of ``reason``'s first clause
    (``reason_class``). ``within`` (e.g. ``Mutation.apply``) is entered around that run.
    With ``control``, the candidate must also *not* fail that way on the ``control`` pair (run
    outside ``within``), so shrinking under a planted bug cannot drift to a divergence the
    unbroken backend has too.
    """
    from conformance.execution import execute_case
    from conformance.programs.generated import as_case

    wanted = reason_class(reason)

    def same(candidate: Program, backends: tuple[Backend, Backend]) -> bool:
        case = dataclasses.replace(as_case(0, candidate, run_seed), oracle=None)
        result = execute_case(case, backends, run_seed)
        if signature is not None:
            return signature.matches(result)
        return result.outcome == outcome and wanted in reason_classes(result.reason)

    def still_fails(candidate: Program) -> bool:
        with within() if within is not None else contextlib.nullcontext():
            if not same(candidate, pair):
                return False
        return control is None or not same(candidate, control)

    return still_fails


# -- for the CLI --------------------------------------------------------------------------------


def shrink_failure(
    case_id: str,
    run_seed: int,
    pair: tuple[Backend, Backend],
    outcome: str,
    reason: str,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    *,
    within: Callable[[], contextlib.AbstractContextManager[None]] | None = None,
    control: tuple[Backend, Backend] | None = None,
    signature: FailureSignature | None = None,
) -> Shrunk:
    """Shrink the generated case ``case_id`` of ``run_seed`` that gave ``outcome``/``reason``
    on ``pair`` (``within``, ``control`` and ``signature`` as in ``failure_predicate``). A crash
    is shrunk to a program that still kills the same backend the same way, each candidate in a
    child process. The program is first run as it was drawn: when it does not fail that way on
    its own, the report says so (``reproduced=False``) and nothing is shrunk."""
    from conformance.programs.generated import draw_program, index_of

    program = draw_program(run_seed, index_of(case_id))
    if outcome == "crash":
        backend, _, how = reason.partition(" crashed: ")
        predicate = crash_predicate(backend, run_seed, how)
    else:
        predicate = failure_predicate(
            pair, run_seed, outcome, reason, within=within, control=control, signature=signature
        )
    start = time.perf_counter()
    if not _holds(predicate, program):  # a "reproducer" that passes would be a lie
        return dataclasses.replace(_report(program, program, 1, 0, start, True), reproduced=False)
    return shrink_report(program, predicate, max_attempts)


def save_shrunk(shrunk: Shrunk, case_id: str, run_seed: int, results_path: str | Path) -> Path:
    """Write ``<name>.min.json`` and ``.min.py`` into the results file's folder of failures
    (``results/run.generated/``); return the script."""
    from conformance.results import failures_folder

    folder = failures_folder(results_path)
    folder.mkdir(parents=True, exist_ok=True)
    name = case_id.split("/", 1)[1]
    title = (
        f"{case_id} (run seed {run_seed}), shrunk from {shrunk.original_size} to "
        f"{shrunk.size} leaves+steps+calls"
    )
    (folder / f"{name}.min.json").write_text(to_json(shrunk.program) + "\n")
    script = folder / f"{name}.min.py"
    script.write_text(render(shrunk.program, title))
    return script


#: The exit status of a shrinking process whose failure did not happen again on its own.
NOT_REPRODUCED = 3


def _shrink_and_save(
    case_id: str,
    run_seed: int,
    backends: tuple[str, str],
    outcome: str,
    reason: str,
    out: str,
    signature: FailureSignature | None = None,
) -> None:
    from conformance.execution import load_pair

    shrunk = shrink_failure(
        case_id, run_seed, load_pair(backends), outcome, reason, signature=signature
    )
    if not shrunk.reproduced:
        raise SystemExit(NOT_REPRODUCED)
    save_shrunk(shrunk, case_id, run_seed, out)


def shrink_isolated(
    case_id: str,
    run_seed: int,
    backends: tuple[str, str],
    outcome: str,
    reason: str,
    results_path: str | Path,
    timeout: float = 120.0,
    signature: FailureSignature | None = None,
) -> str:
    """Shrink one failing generated case in a child process and save ``.min.json``/``.min.py``
    next to the results; returns a line saying where, or why not.

    In a child because shrinking reruns variants of a failing program, and a variant may crash
    the backend itself (torch 2.13 segfaults on one generated program): that costs this shrink,
    never the run.
    """
    from conformance.pool import process_context

    args = (case_id, run_seed, tuple(backends), outcome, reason, str(results_path), signature)
    child = process_context().Process(target=_shrink_and_save, args=args, daemon=True)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return f"{case_id}: not shrunk (still shrinking after {timeout:g}s)"
    if child.exitcode == NOT_REPRODUCED:
        return (
            f"{case_id}: not shrunk (it passes when run on its own: the failure depended on "
            "what its worker ran before it)"
        )
    if child.exitcode != 0:
        return f"{case_id}: not shrunk (the shrinking process exited with {child.exitcode})"
    from conformance.results import failures_folder

    name = case_id.split("/", 1)[1]
    return f"{case_id}: shrunk reproducer {failures_folder(results_path) / name}.min.py"
