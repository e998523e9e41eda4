"""Backends that change how a case runs (compiled torch), stand in for a recorded run (replay),
or kill their process (crash), and the comparison policies and facets that judge them."""

from __future__ import annotations

import json

import pytest

from conformance.capture import capture
from conformance.case import case
from conformance.catalogue import load_catalogue
from conformance.cli import main
from conformance.compare import compare_observations
from conformance.errors import ConformanceInputError
from conformance.observe import RaisedObservation
from conformance.policies import COMPILED, STRICT, ComparisonPolicy, policy_for
from conformance.registry import load_backend
from conformance.results import CASE_LINE_START
from conformance.runner import RunOptions, execute_case, run_cases

from .conftest import run_cli, write_package


@pytest.fixture(scope="module")
def compiled():
    return load_backend("torch-compile")


def test_policies_are_declared_per_pair_and_never_ignore_values_flags_or_errors():
    assert policy_for("torch", "torch-compile:inductor") is COMPILED
    assert policy_for("torch-compiled-autograd", "torch") is COMPILED
    assert policy_for("torch", "reference") is STRICT
    for facet in ("values", "flags", "meta", "error", "version"):
        with pytest.raises(ConformanceInputError, match="never hides"):
            ComparisonPolicy("lenient", ignore=(facet,))


def test_a_compiled_case_differs_only_in_graph_names_which_its_policy_ignores(
    registry, torch_backend, compiled
):
    @case(area="t")
    def sin_twice(torch, make):
        x = make.randn(3, requires_grad=True)
        y = torch.sin(x) * 2
        y.sum().backward()
        return {"y": y, "x.grad": x.grad}

    result = execute_case(registry["t/sin_twice"], (torch_backend, compiled), 0)
    assert result.outcome == "pass", result.message
    assert result.ignored == ["graph"]
    (graph,) = [c for c in result.comparisons if c.name == "y"]
    assert graph.status == "ignored"
    assert graph.candidate["grad_fn"] == "CompiledFunctionBackward"
    stats = result.stats["torch-compile"]
    assert stats["compiled_grad_results"] == stats["grad_results"] == 1
    assert stats["graphs"] >= 1


def test_a_value_difference_is_never_hidden_by_the_compiled_policy(registry, torch_backend):
    import torch

    broken = load_backend("torch-compile")
    real_call = broken.call

    def call(found_case, module, make):  # a compiler that gets the value wrong
        returned = real_call(found_case, module, make)
        with torch.no_grad():
            returned["y"].add_(1)
        return returned

    broken.call = call

    @case(area="t")
    def doubled(torch, make):
        x = make.randn(2, requires_grad=True)
        return {"y": x * 2}

    result = execute_case(registry["t/doubled"], (torch_backend, broken), 0)
    assert result.outcome == "fail", result.reason
    assert result.facets == ["values"]
    assert result.ignored == ["graph"]


def test_dynamos_wrapped_error_is_compared_as_the_error_it_wraps():
    import torch

    def write_leaf(x):
        x.add_(1)
        return x

    leaf = torch.ones(2, requires_grad=True)
    wrapped = capture(lambda: torch.compile(write_leaf, backend="aot_eager")(leaf))
    plain = capture(lambda: write_leaf(leaf))
    assert (wrapped.type_name, wrapped.cause_type) == ("TorchRuntimeError", "RuntimeError")
    assert wrapped.cause_message == plain.message
    eager = RaisedObservation("err", plain.type_name, plain.message)
    compiled = RaisedObservation(
        "err",
        wrapped.type_name,
        wrapped.message,
        cause_type="RuntimeError",
        cause_message=wrapped.cause_message,
    )
    assert compare_observations("err", eager, compiled, unwrap_errors=True).status == "match"
    strict = compare_observations("err", eager, compiled)
    assert strict.reasons == ["type", "message"]


def test_an_error_dynamo_rewraps_as_its_own_is_compared_as_the_error_it_was():
    """Dynamo raises an unexpected error of its tracing again as ``InternalTorchDynamoError``
    ("RuntimeError: <message>") from None; the original is its suppressed context."""
    from torch._dynamo.exc import InternalTorchDynamoError

    def rewrap(error):
        try:
            raise error
        except RuntimeError as exc:
            raise InternalTorchDynamoError(f"{type(exc).__qualname__}: {exc}") from None

    where = '\n\nfrom user code:\n   File "case.py", line 3, in f\n    x.add_(1)\n\nSet TORCH...'
    rewrapped = capture(lambda: rewrap(RuntimeError("a leaf Variable that requires grad" + where)))
    assert (rewrapped.type_name, rewrapped.cause_type, rewrapped.cause_message) == (
        "InternalTorchDynamoError",
        "RuntimeError",
        "a leaf Variable that requires grad",
    )

    def unrelated():  # its own message, raised while handling another error: no cause
        try:
            raise RuntimeError("inner")
        except RuntimeError:
            raise InternalTorchDynamoError("guard failed") from None

    assert capture(unrelated).cause_type is None


def test_an_error_captured_inside_a_compiled_case_escapes_it(registry, torch_backend, compiled):
    """torch.compile raises an op's error from the compiled frame, past the case's own
    ``try``/``except``: recorded as the candidate raising where eager torch captured."""

    @case(area="t")
    def leaf_written_in_place(torch, make):
        x = make.randn(2, requires_grad=True)
        return {"err": capture(lambda: x.add_(1))}

    result = execute_case(registry["t/leaf_written_in_place"], (torch_backend, compiled), 0)
    assert result.outcome == "fail", result.reason
    assert result.reason.startswith("only torch-compile raised TorchRuntimeError")
    assert result.facets == ["error"]


def test_compiled_autograd_runs_backward_passes_compiled(registry, torch_backend):
    cab = load_backend("torch-compiled-autograd")

    @case(area="t")
    def hooked(torch, make):
        x = make.randn(3, requires_grad=True)
        y = x.exp()
        y.register_hook(lambda g: g * 2)
        y.sum().backward()
        return {"x.grad": x.grad}

    result = execute_case(registry["t/hooked"], (torch_backend, cab), 0)
    assert result.outcome == "pass", result.message
    assert result.stats["torch-compiled-autograd"]["backward_graphs"] == 1


def test_compiled_backends_skip_only_the_guard_latency_timing_not_the_guards(compiled):
    """Loading a compiled backend replaces Dynamo's post-compile guard timing (a cache flush
    per compiled frame, logged and never used) with a stub; the guards themselves still decide
    when a compiled function is reused and when it is recompiled."""
    import torch
    from torch._dynamo import guards
    from torch._dynamo.utils import counters

    assert guards.profile_guard_manager(None, None, 1) == 0.0
    compiled_sin = torch.compile(lambda t: t.sin(), backend="aot_eager")
    before = counters["stats"]["unique_graphs"]
    for dtype in (torch.float32, torch.float64, torch.float32):
        x = torch.ones(2, dtype=dtype)
        assert torch.equal(compiled_sin(x), x.sin())
    assert counters["stats"]["unique_graphs"] - before == 2  # one per dtype, reused after


def test_compile_ops_compiles_each_signature_statically_and_never_falls_back_to_eager(
    registry, torch_backend, monkeypatch
):
    """torch-compile-ops compiles one static graph per op signature (so no earlier case's
    sizes make a later one symbolic), and an op past the recompile limit is an error the
    case records, not an op run eagerly under a compiled backend's name."""
    import torch

    from conformance import torch_compiled
    from conformance.expressions import call_expression

    ops = load_backend("torch-compile-ops")

    @case(area="t")
    def three_sizes(torch, make):
        return {f"n{n}": call_expression("x.cos() * 3.25", {"x": make.randn(n)}) for n in (2, 3, 4)}

    @case(area="t")
    def two_dtypes(torch, make):
        x = make.randn(2)
        return {
            f"{d}": call_expression("x.cos() * 4.25", {"x": x.to(getattr(torch, d))})
            for d in ("float32", "float64")
        }

    result = execute_case(registry["t/three_sizes"], (torch_backend, ops), 0)
    assert result.outcome == "pass", result.message
    assert result.stats["torch-compile-ops"]["graphs"] == 3  # automatic dynamic would make 2
    monkeypatch.setattr(torch_compiled, "RECOMPILE_LIMIT", 1)
    with torch._dynamo.config.patch(recompile_limit=1):
        result = execute_case(registry["t/two_dtypes"], (torch_backend, ops), 0)
    assert result.outcome == "fail", result.reason
    assert "only torch-compile-ops raised FailOnRecompileLimitHit" in result.reason


def test_a_function_recompiled_more_than_dynamos_default_8_times_in_a_case_stays_compiled(
    registry, torch_backend, compiled
):
    """Past Dynamo's default recompile limit (8) a function runs eagerly with only a warning;
    the compiled backends raise the limit while a case runs, so all ten ops here (one code
    object recompiled per expression, as the program interpreter's op step was when all ops
    shared its frame) come from compiled graphs."""
    from conformance.expressions import call_expression

    def step(torch, expr, x):
        torch._dynamo.graph_break()  # compiled on its own, once per expression
        return call_expression(expr, {"x": x})

    exprs = ("x.sin()", "x.cos()", "x.exp()", "x.tanh()", "x.sigmoid()", "x * 2", "x + 1")
    exprs += ("x.abs()", "x.square()", "x.neg()")

    @case(area="t")
    def ten_ops(torch, make):
        x = make.randn(3, requires_grad=True)
        return {f"y{i}": step(torch, expr, x) for i, expr in enumerate(exprs)}

    result = execute_case(registry["t/ten_ops"], (torch_backend, compiled), 0)
    assert result.outcome == "pass", result.message
    stats = result.stats["torch-compile"]
    assert stats["compiled_grad_results"] == stats["grad_results"] == 10


def test_an_unknown_compile_mode_is_one_input_error():
    with pytest.raises(ConformanceInputError, match="unknown mode 'fast'"):
        load_backend("torch-compile:fast")


CRASHES = """
    import os
    import signal

    from conformance import case


    @case(area="c")
    def segfaults_off_torch(torch, make):
        x = make.randn(2)
        if torch.__name__ != "torch":
            os.kill(os.getpid(), signal.SIGSEGV)
        return {"x": x}
"""


def test_a_backend_killing_its_process_is_a_crash_naming_backend_and_signal(
    tmp_path, monkeypatch, registry
):
    write_package(tmp_path, "crashcases", {"cases": CRASHES})
    monkeypatch.syspath_prepend(str(tmp_path))
    options = RunOptions(backends=("torch", "reference"), jobs=1, cases_package="crashcases")
    (result,) = run_cases(load_catalogue("crashcases"), options).results
    assert (result.outcome, result.reason) == (
        "crash",
        "reference crashed: signal 11 (SIGSEGV)",
    )
    assert result.facets == ["crash"]


def test_a_crash_fails_the_run_and_saves_the_cases_script(tmp_path):
    write_package(tmp_path, "crashcases", {"cases": CRASHES})
    done = run_cli(
        *("run", "--cases", "crashcases", "--out", "r.jsonl", "--jobs", "1"),
        cwd=tmp_path,
        extra_path=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == "FAILED: no case passed; 1 crash"
    assert "CRASH c/segfaults_off_torch: reference crashed: signal 11 (SIGSEGV)" in done.stdout
    script = tmp_path / "r.crashes" / "c.segfaults_off_torch.py"
    assert "def segfaults_off_torch(torch, make):" in script.read_text()


CRASHES_TORCH = """
    import os
    import signal

    from conformance import case


    @case(area="c")
    def segfaults_on_torch(torch, make):
        x = make.tensor([1.5, -2.25])
        if torch.__name__ == "torch":
            os.kill(os.getpid(), signal.SIGSEGV)
        return {"x": x}
"""


def test_a_case_crashing_torch_under_a_compiled_pair_is_saved_without_crashing_the_run(tmp_path):
    """Under ``torch,torch-compile`` the backend that survived shares torch with the one that
    crashed: recording the case's inputs for its script ran the case again in the run's own
    process, which died (signal 11) with the results unwritten. They are recorded apart, and
    on reference_impl when the case kills that process too."""
    write_package(tmp_path, "crashcases", {"cases": CRASHES_TORCH})
    done = run_cli(
        *("run", "--cases", "crashcases", "--backends", "torch,torch-compile"),
        *("--out", "r.jsonl", "--jobs", "1"),
        cwd=tmp_path,
        extra_path=tmp_path,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "CRASH c/segfaults_on_torch: torch crashed: signal 11 (SIGSEGV)" in done.stdout
    assert (tmp_path / "r.jsonl").read_text().count(CASE_LINE_START) == 1
    script = (tmp_path / "r.crashes" / "c.segfaults_on_torch.py").read_text()
    assert "def segfaults_on_torch(torch, make):" in script
    assert "torch.tensor([1.5, -2.25]" in script  # the input, recorded on reference_impl


def test_a_backend_that_supports_nothing_fails_the_run(tmp_path):
    (tmp_path / "nothing_lib.py").write_text("class Tensor:\n    pass\n")
    write_package(tmp_path, "fewcases", {"cases": FEW})
    done = run_cli(
        *("run", "--cases", "fewcases", "--backends", "torch,module:nothing_lib", "--jobs", "0"),
        cwd=tmp_path,
        extra_path=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == (
        "FAILED: no case passed; 2 of 2 unsupported (100% > 50% allowed)"
    )


FEW = """
    from conformance import case


    @case(area="f")
    def exp(torch, make):
        return {"y": torch.exp(make.randn(2))}


    @case(area="f")
    def grad(torch, make):
        x = make.randn(2, requires_grad=True)
        (x * x).sum().backward()
        return {"g": x.grad}
"""


@pytest.fixture
def recorded(tmp_path):
    write_package(tmp_path, "fewcases", {"cases": FEW})
    done = run_cli(
        *("run", "--cases", "fewcases", "--out", "old.jsonl", "--jobs", "0"),
        cwd=tmp_path,
        extra_path=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp_path


def test_a_replayed_recording_agrees_with_the_torch_it_was_recorded_with(recorded):
    done = run_cli(
        *("run", "--cases", "fewcases", "--backends", "torch,replay:old.jsonl", "--jobs", "0"),
        *("--out", "replayed.jsonl"),
        cwd=recorded,
        extra_path=recorded,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "PASSED: 2 of 2 cases passed"
    header = json.loads((recorded / "replayed.jsonl").read_text().splitlines()[0])
    assert header["versions"]["replay:old.jsonl"].startswith("torch 2.")


def _doctor(path, case_id, change):
    lines = path.read_text().splitlines()
    out = []
    for line in lines:
        record = json.loads(line)
        if record.get("case_id") == case_id:
            change(record)
        out.append(json.dumps(record))
    path.write_text("\n".join(out) + "\n")


def test_a_doctored_recording_is_named_case_by_case_by_run_and_diff(recorded):
    doctored = recorded / "doctored.jsonl"
    doctored.write_text((recorded / "old.jsonl").read_text())

    def grad_off_by_one(record):
        for comparison in record["comparisons"]:
            comparison["baseline"]["values"] = [v + 1 for v in comparison["baseline"]["values"]]

    _doctor(doctored, "f/grad", grad_off_by_one)
    done = run_cli(
        *("run", "--cases", "fewcases", "--backends", "torch,replay:doctored.jsonl"),
        *("--jobs", "0", "--out", "replayed.jsonl"),
        cwd=recorded,
        extra_path=recorded,
    )
    assert done.returncode == 1
    assert "FAIL  f/grad: g: mismatch (values)" in done.stdout
    assert "f/exp" not in done.stdout.split("results:")[0].split("FAIL", 1)[-1]

    done = run_cli("diff", "old.jsonl", "doctored.jsonl", cwd=recorded, extra_path=recorded)
    assert done.returncode == 1
    assert "f/grad: torch g: values" in done.stdout
    assert "diff: 2 case(s) in both runs, 1 changed, 0 only in B, 0 only in A" in done.stdout


def test_diff_of_a_run_with_itself_is_empty_and_exits_0(recorded, capsys):
    old = str(recorded / "old.jsonl")
    assert main(["diff", old, old]) == 0
    assert "0 changed" in capsys.readouterr().out


def test_a_case_missing_from_the_recording_is_unsupported_not_failed(recorded):
    _doctor(recorded / "old.jsonl", "f/exp", lambda r: r.update(case_id="f/renamed"))
    done = run_cli(
        *("run", "--cases", "fewcases", "--backends", "torch,replay:old.jsonl", "--jobs", "0"),
        *("--out", "replayed.jsonl", "--max-unsupported", "0.5", "--fail-on", "fail,error"),
        cwd=recorded,
        extra_path=recorded,
    )
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[3].split()[:4] == ["f", "1", "0", "1"]


def test_graph_names_returned_as_strings_are_graph_differences_not_values():
    from conformance.facets import facets_of_difference

    eager = {"kind": "value", "type": "str", "value": "MulBackward0"}
    compiled = {"kind": "value", "type": "str", "value": "CompiledFunctionBackward"}
    for name in ("grad_fn", "y.grad_fn.next", "mm(x,x).edges.0.1", "node_names.1"):
        assert facets_of_difference(name, ["value"], eager, compiled) == ["graph"], name
    assert facets_of_difference("events.0", ["value"], eager, compiled) == ["values"]
    one, two = ({"kind": "value", "type": "int", "value": v} for v in (1, 2))
    assert facets_of_difference("grad_fn_count", ["value"], one, two) == ["values"]


def test_how_many_tensors_a_graph_saves_is_the_saved_facet_which_compiled_code_may_change():
    from conformance.facets import facets_of_difference

    eager, compiled = ({"kind": "value", "type": "int", "value": v} for v in (4, 2))
    assert facets_of_difference("packed.3", ["value"], eager, compiled) == ["saved"]
    assert "saved" in COMPILED.ignore and "saved" not in STRICT.ignore
