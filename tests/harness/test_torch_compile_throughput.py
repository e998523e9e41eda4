"""What Dynamo compiles when ``torch-compile`` runs a generated program (issue 16).

Every frame Dynamo traces costs 5-40 ms under aot_eager, and each program is compiled from
scratch, so the program interpreter keeps its bookkeeping (NumPy values, the op tables' lookup,
the frame around ``backward()``) out of Dynamo's sight: Dynamo compiles each op step as the op's
own function and nothing of the harness. These tests pin that down by the code objects that
hold compiled entries after a program ran, and that it changes nothing that is compared.
"""

from __future__ import annotations

from types import CodeType

import pytest

from conformance.execution import execute_case, run_on_backend
from conformance.expressions import call_expression, expression_function
from conformance.programs import interpreter, vocabulary
from conformance.programs import program as program_module
from conformance.programs.draw import draw_program
from conformance.programs.generated import case_for
from conformance.programs.program import APPLY, INPLACE, OPS, Backward, Custom, InPlace, Op, walk
from conformance.registry import load_backend

#: Programs of seed 0 with op steps, a constant and backward calls with ``gradient=`` weights
#: (73: with an in-place step and a custom Function too).
PROGRAMS = (9, 35, 73)


@pytest.fixture(scope="module")
def compiled():
    return load_backend("torch-compile")


def compiled_entries(code: CodeType) -> int:
    """How many compiled variants Dynamo holds for ``code`` (since its last reset)."""
    from torch._dynamo.eval_frame import _debug_get_cache_entry_list

    return len(_debug_get_cache_entry_list(code))


def step_codes(index: int) -> list[CodeType]:
    """The code of each expression step's own function in program ``index`` of seed 0: its
    ops, in-place ops and custom Functions."""
    codes = []
    for step, _ in walk(draw_program(0, index).steps):
        if isinstance(step, Op):
            spec = OPS[step.op]
            codes.append(expression_function(spec.program_expr, ("torch", *spec.names)))
        elif isinstance(step, InPlace):
            codes.append(expression_function(INPLACE[step.op], ("a",)))
        elif isinstance(step, Custom):
            codes.append(expression_function(APPLY[step.function], ("F", "a")))
    return [function.__code__ for function in codes]


#: The harness's own frames a program passes through: none may be compiled.
BOOKKEEPING = {
    "the case function": interpreter.case_function(None).__code__,  # type: ignore[arg-type]
    "interpret": interpreter.interpret.__code__,
    "an expression step": interpreter._expression_step.__code__,
    "evaluate": interpreter.evaluate.__code__,
    "call_expression": call_expression.__code__,
    "_backward": interpreter._backward.__code__,
    "snapshot": interpreter.snapshot.__code__,
    "cached_weights": interpreter.cached_weights.__code__,
    "_weight_values": interpreter._weight_values.__wrapped__.__code__,
    "_const_list": interpreter._const_list.__wrapped__.__code__,
    "aux_values": vocabulary.aux_values.__code__,
    "leaf_values": program_module.leaf_values.__wrapped__.__code__,
}


@pytest.fixture
def cold_caches():
    """The NumPy helpers' caches emptied, as in a process that has run nothing eagerly yet."""
    for function in interpreter.NUMPY_HELPERS:
        if hasattr(function, "cache_clear"):
            function.cache_clear()


@pytest.mark.parametrize("index", PROGRAMS)
def test_dynamo_compiles_each_op_as_its_own_function_and_none_of_the_bookkeeping(
    compiled, cold_caches, index
):
    program = draw_program(0, index)
    assert any(isinstance(c, Backward) and c.weight_seed is not None for c in program.schedule)
    run = run_on_backend(case_for(f"generated/p{index:04d}", 0), compiled, 0)

    codes = step_codes(index)
    assert codes and all(compiled_entries(code) >= 1 for code in codes)
    assert {name: compiled_entries(code) for name, code in BOOKKEEPING.items()} == dict.fromkeys(
        BOOKKEEPING, 0
    )
    # every op a graph of its own; Dynamo never traced a backward call to break on it
    from torch._dynamo.utils import counters

    assert run.stats["graphs"] >= len(set(codes))
    breaks = " ".join(counters["graph_break"])
    assert "backward" not in breaks and "autograd.grad" not in breaks, breaks
    # nor the case's own function: traced, it broke at the first NumPy helper, every program
    assert "numpy" not in breaks, breaks
    assert run.stats["compiled_grad_results"] >= 1


@pytest.mark.parametrize("index", PROGRAMS)
def test_a_program_compiled_before_any_eager_run_agrees_with_eager_torch(
    torch_backend, compiled, cold_caches, index
):
    """Compiled first, on empty caches, the NumPy helpers run (eagerly) under the compiled
    call: traced, they ended the program in a TorchRuntimeError (``ndarray.setflags``)."""
    result = execute_case(case_for(f"generated/p{index:04d}", 0), (compiled, torch_backend), 0)
    assert result.outcome == "pass", result.message
    stats = result.stats["torch-compile"]
    assert stats["compiled_grad_results"] >= 1


def test_a_catalogue_case_has_its_ops_compiled_and_none_of_makes_frames(compiled, torch_backend):
    """``make`` draws a case's data with NumPy; traced, Dynamo broke inside it and compiled its
    pieces (``rng``, ``_normal``, ``_tensor``, ``_cast`` and their resumptions) as frames of
    their own. Now it runs eagerly, and the case's verdict and compiled share are as before."""
    import cases  # noqa: F401 - registers the catalogue
    from conformance import inputs
    from conformance.case import REGISTRY
    from conformance.torch_compiled import _codes_defined_in

    case = REGISTRY["op_derivatives/sin_float32"]
    run = run_on_backend(case, compiled, 0)

    made = {code.co_name: compiled_entries(code) for code in _codes_defined_in(inputs)}
    assert {"randn", "rng", "_normal", "_tensor", "_cast", "tensor"} <= set(made)
    assert made == dict.fromkeys(made, 0)
    assert compiled_entries(case.func.__code__) >= 1  # the case's own code is compiled
    assert run.stats["compiled_grad_results"] >= 1
    result = execute_case(case, (torch_backend, compiled), 0)
    assert result.outcome == "pass", result.message


def test_the_rng_tracker_state_is_made_of_plain_tensors_unless_rng_ops_are_functionalized(
    compiled,
):
    """Made under a compile's fake mode, each of its empty tensors was a real one converted to
    a fake one: 6 ms of every aot_autograd compile, for state nothing reads on CPU."""
    from torch._decomp.decompositions_for_rng import PhiloxState
    from torch._functorch import config
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

    with FakeTensorMode():
        unread = PhiloxState()
        with config.patch(functionalize_rng_ops=True):
            functionalized = PhiloxState()
    assert not isinstance(unread.seed, FakeTensor) and unread.seed.numel() == 0
    assert not isinstance(unread.base_offset, FakeTensor)
    assert isinstance(functionalized.seed, FakeTensor)  # where it is read, made as before


def seen_by_dynamo() -> set[CodeType]:
    """The codes whose frames Dynamo's callback decided on since its last reset."""
    from torch._dynamo import convert_frame

    return {code for ref in convert_frame.input_codes.seen if (code := ref()) is not None}


def test_after_a_reset_dynamo_decides_again_on_every_frame_but_those_it_skips_by_rule(compiled):
    """Between cases ``torch-compile`` resets Dynamo, and every frame a program passes through is
    decided again - compiled again, or skipped for want of tensors - except the frames of skip
    files (torch's own, ``re``, NumPy): those are skipped by a rule that reads the code alone,
    so deciding it again told nothing new and cost 5-8% of a program."""
    from torch._dynamo import trace_rules

    from conformance.torch_compiled import _fresh_dynamo

    case = case_for(f"generated/p{PROGRAMS[0]:04d}", 0)
    run_on_backend(case, compiled, 0)  # (the backend resets Dynamo before running it)
    first = seen_by_dynamo()
    by_rule = {code for code in first if trace_rules.check(code) and not compiled_entries(code)}
    assert by_rule and any("/torch/" in code.co_filename for code in by_rule)

    _fresh_dynamo()
    codes = step_codes(PROGRAMS[0])
    assert all(compiled_entries(code) == 0 for code in codes)  # nothing compiled survives
    run_on_backend(case, compiled, 0)
    again = seen_by_dynamo()
    assert set(codes) <= again and all(compiled_entries(code) >= 1 for code in codes)
    assert interpreter.interpret.__code__ in again  # harness frames: decided again
    # skip-file frames: never sent to Dynamo again (by identity: aot_autograd generates equal
    # code objects for every compile, and each new one is decided once)
    assert not {id(code) for code in by_rule} & {id(code) for code in again}


def test_a_forward_is_decided_again_after_a_reset_as_hooks_may_have_made_it_traceable():
    """Dynamo traces an inbuilt module's ``forward`` frame when the module has hooks, and skips
    it by rule otherwise: its skip depends on the frame, so a reset must not keep it."""
    import torch
    from torch._dynamo import convert_frame, trace_rules

    from conformance.torch_compiled import _keep_rule_skips

    forward = torch.nn.Linear.forward.__code__
    backward = torch.Tensor.backward.__code__
    assert trace_rules.check(forward) and trace_rules.check(backward)  # both skip files
    convert_frame.input_codes.add(forward)
    convert_frame.input_codes.add(backward)
    _keep_rule_skips()
    assert forward in seen_by_dynamo() and backward not in seen_by_dynamo()


def test_a_code_holding_compiled_entries_is_reset_whatever_the_trace_rules_say(monkeypatch):
    """What is kept across a reset is a skip and nothing else: a code Dynamo compiled (say, one
    the rules skipped only after a config change) loses its entries as before."""
    import torch
    from torch._dynamo import convert_frame

    from conformance import torch_compiled

    def double(x):
        return x * 2

    torch.compile(double, backend="eager")(torch.ones(2))
    code = double.__code__
    assert compiled_entries(code) == 1 and code in seen_by_dynamo()
    rules = {(code.co_filename, code.co_name): True}  # the rules now call its file a skip file
    monkeypatch.setattr(torch_compiled, "_SKIPPED_BY_RULE", rules)
    torch_compiled._keep_rule_skips()
    assert code in seen_by_dynamo()
    torch._dynamo.reset()
    assert compiled_entries(code) == 0
    assert convert_frame.input_codes.seen == []


def test_a_compile_builds_no_telemetry_record_and_its_graphs_are_still_counted(compiled):
    """Dynamo's end-of-compile record (every config serialised, 9-15 ms of a program) is
    logging only; the run's statistics come from its counters."""
    from torch._dynamo import utils

    utils._compilation_metrics.clear()
    run = run_on_backend(case_for(f"generated/p{PROGRAMS[0]:04d}", 0), compiled, 0)
    assert run.stats["graphs"] >= 1
    assert list(utils._compilation_metrics) == []


def test_while_a_case_runs_no_collection_is_forced_after_each_compile(compiled):
    """The collector's own schedule collects what compiles leave; a forced young collection
    after each compile made every tenth compile pay for a full one."""
    from torch._dynamo import config

    from conformance.torch_compiled import _case_config

    before = config.run_gc_after_compile
    with _case_config():
        assert config.run_gc_after_compile is False
        assert config.fail_on_recompile_limit_hit is True
    assert config.run_gc_after_compile == before
