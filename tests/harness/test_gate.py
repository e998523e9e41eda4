"""The gate: an unchanged run passes; a new failure, a grown error or a missing case fails with
the case named; a corrupt or foreign baseline is bad input; updating keeps other entries."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main

from .conftest import run_cli
from .synthetic import case, write_results


@pytest.fixture
def run_and_baseline(tmp_path):
    results = [case("alpha/steady", ulp=2), case("alpha/drifting", ulp=1), case("beta/other")]
    results_file = write_results(tmp_path / "run.jsonl", results)
    baseline = tmp_path / "baseline.json"
    assert main(["gate", "--baseline", str(baseline), str(results_file), "--update-baseline"]) == 0
    return results_file, baseline


def gate(baseline, results_file, *extra):
    return main(["gate", "--baseline", str(baseline), str(results_file), *extra])


def doctor(baseline, change):
    data = json.loads(baseline.read_text())
    (environment,) = data["environments"].values()
    change(environment["cases"])
    baseline.write_text(json.dumps(data))


def test_an_unchanged_run_passes(run_and_baseline, capsys):
    results_file, baseline = run_and_baseline
    assert gate(baseline, results_file) == 0
    assert "0 regression(s)" in capsys.readouterr().out


def test_a_case_that_passed_in_the_baseline_and_fails_now_fails_the_gate_by_name(
    run_and_baseline, capsys
):
    results_file, baseline = run_and_baseline
    write_results(results_file, [case("alpha/steady", "fail", ulp=2, reason="x.grad: mismatch")])
    doctor(baseline, lambda cases: [cases.pop("alpha/drifting"), cases.pop("beta/other")])
    assert gate(baseline, results_file) == 1
    assert "NEW FAILURE: alpha/steady: was pass, now fail" in capsys.readouterr().out


def test_a_doctored_baseline_with_a_smaller_error_fails_naming_case_and_observation(
    run_and_baseline, capsys
):
    results_file, baseline = run_and_baseline
    write_results(results_file, [case("alpha/steady", ulp=2), case("alpha/drifting", ulp=90)])
    doctor(baseline, lambda cases: cases.pop("beta/other"))
    assert gate(baseline, results_file) == 1
    out = capsys.readouterr().out
    assert "GREW: alpha/drifting [x.grad]: max_ulp 1 -> 90" in out
    assert "alpha/steady" not in out  # 2 ULP then and now


def test_growth_under_the_floor_or_the_factor_passes(run_and_baseline):
    results_file, baseline = run_and_baseline
    write_results(results_file, [case("alpha/steady", ulp=2), case("alpha/drifting", ulp=90)])
    doctor(baseline, lambda cases: cases.pop("beta/other"))
    floors = ("--ulp-floor", "100", "--rel-floor", "1", "--abs-floor", "1")
    assert gate(baseline, results_file, *floors) == 0
    assert gate(baseline, results_file, "--factor", "100") == 0


def test_a_baseline_case_missing_from_the_run_fails_by_name(run_and_baseline, capsys):
    results_file, baseline = run_and_baseline
    write_results(results_file, [case("alpha/steady", ulp=2), case("alpha/drifting", ulp=1)])
    assert gate(baseline, results_file) == 1
    assert "MISSING FROM RUN: beta/other" in capsys.readouterr().out


def test_fixed_cases_are_reported_and_do_not_fail(run_and_baseline, capsys):
    results_file, baseline = run_and_baseline
    doctor(baseline, lambda cases: cases["beta/other"].update(outcome="fail"))
    assert gate(baseline, results_file) == 0
    out = capsys.readouterr().out
    assert "FIXED: beta/other: was fail, now pass" in out
    assert "--update-baseline" in out


def test_an_unchanged_run_against_a_baseline_doctored_to_a_smaller_error_fails_by_name(
    tmp_path, capsys
):
    results_file = write_results(tmp_path / "run.jsonl", [case("alpha/a"), case("beta/b", ulp=90)])
    baseline = tmp_path / "baseline.json"
    assert gate(baseline, results_file, "--update-baseline") == 0
    assert gate(baseline, results_file) == 0
    doctor(baseline, lambda cases: cases["beta/b"]["observations"]["x.grad"].update(max_ulp=1))
    assert gate(baseline, results_file) == 1
    out = capsys.readouterr().out
    assert "GREW: beta/b [x.grad]: max_ulp 1 -> 90 (more than 4x, floor 16)" in out
    assert "alpha/a" not in out


def test_an_unchanged_failing_run_against_a_baseline_doctored_to_pass_fails_by_name(
    tmp_path, capsys
):
    results_file = write_results(
        tmp_path / "run.jsonl", [case("alpha/a"), case("beta/b", "fail", reason="x.grad: no")]
    )
    baseline = tmp_path / "baseline.json"
    assert gate(baseline, results_file, "--update-baseline") == 0
    assert gate(baseline, results_file) == 0  # failing before and now is no regression
    doctor(baseline, lambda cases: cases["beta/b"].update(outcome="pass"))
    assert gate(baseline, results_file) == 1
    assert "NEW FAILURE: beta/b: was pass, now fail: x.grad: no" in capsys.readouterr().out


def test_the_command_line_exits_0_unchanged_1_doctored_2_corrupt(run_and_baseline):
    results_file, baseline = run_and_baseline
    args = ("gate", "--baseline", str(baseline), str(results_file))
    unchanged = run_cli(*args, cwd=baseline.parent)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    doctor(baseline, lambda cases: cases.update({"gamma/ghost": {"outcome": "pass"}}))
    doctored = run_cli(*args, cwd=baseline.parent)
    assert doctored.returncode == 1, doctored.stdout + doctored.stderr
    assert "MISSING FROM RUN: gamma/ghost: in the baseline but not in this run" in doctored.stdout
    baseline.write_text("{")
    corrupt = run_cli(*args, cwd=baseline.parent)
    assert corrupt.returncode == 2 and "not valid JSON" in corrupt.stderr


NOT_OURS = "is not an autograd-conformance baseline"
MALFORMED = "is malformed: bad 'environments'"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"schema": "autograd-conformance-base', "is not valid JSON"),
        ('{"something": "else"}', NOT_OURS),
        ("[1, 2]", NOT_OURS),
        ("\xff\xfe", "is not valid JSON"),
        (
            '{"schema": "autograd-conformance-baseline", "schema_version": 99, "environments": {}}',
            "has schema version 99; this harness reads version 1",
        ),
        (
            '{"schema": "autograd-conformance-baseline", "schema_version": 1, "environments": []}',
            MALFORMED,
        ),
        (
            '{"schema": "autograd-conformance-baseline", "schema_version": 1, '
            '"environments": {"f": {"cases": 3}}}',
            MALFORMED,
        ),
    ],
    ids=[
        "truncated",
        "foreign",
        "not an object",
        "not text",
        "future version",
        "environments not a mapping",
        "cases not a mapping",
    ],
)
def test_a_corrupt_or_foreign_baseline_is_one_error_line_and_exit_2(
    run_and_baseline, content, says, capsys
):
    results_file, baseline = run_and_baseline
    baseline.write_bytes(content.encode("latin-1"))
    assert gate(baseline, results_file) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("conformance: error: ")
    assert str(baseline) in err[0] and says in err[0]


def test_a_baseline_for_another_environment_is_exit_2(run_and_baseline, capsys):
    results_file, baseline = run_and_baseline
    other_seed = write_results(results_file.with_name("seed7.jsonl"), [case("alpha/steady")], 7)
    assert gate(baseline, other_seed) == 2
    assert "has no entries for these backends" in capsys.readouterr().err


def test_a_missing_baseline_is_exit_2(tmp_path):
    results_file = write_results(tmp_path / "run.jsonl", [case("alpha/a")])
    assert gate(tmp_path / "absent.json", results_file) == 2


def test_update_baseline_rewrites_the_cases_that_ran_and_keeps_the_others(run_and_baseline):
    results_file, baseline = run_and_baseline
    write_results(results_file, [case("alpha/drifting", "fail", ulp=500, reason="values")])
    assert gate(baseline, results_file, "--update-baseline", "--accept-failures") == 0
    (environment,) = json.loads(baseline.read_text())["environments"].values()
    assert sorted(environment["cases"]) == ["alpha/drifting", "alpha/steady", "beta/other"]
    assert environment["cases"]["alpha/drifting"]["outcome"] == "fail"
    assert environment["cases"]["alpha/drifting"]["observations"]["x.grad"]["max_ulp"] == 500
    assert environment["cases"]["alpha/steady"]["observations"]["x.grad"]["max_ulp"] == 2
    assert environment["versions"] == {"torch": "2.13.0+cpu", "reference": "2.13.0+reference"}


def test_committed_baseline_is_a_valid_baseline_of_the_catalogue():
    from pathlib import Path

    from conformance.gate import load_baseline

    baseline = load_baseline(Path(__file__).resolve().parents[2] / "baselines/torch-reference.json")
    (environment,) = baseline["environments"].values()
    assert environment["backends"] == ["torch", "reference"]
    assert len(environment["cases"]) > 900


def test_update_baseline_refuses_to_record_a_case_that_passed_as_failing(run_and_baseline, capsys):
    results_file, baseline = run_and_baseline
    before = baseline.read_text()
    write_results(results_file, [case("alpha/drifting", "fail", ulp=500, reason="values")])
    assert gate(baseline, results_file, "--update-baseline") == 1
    out = capsys.readouterr().out
    assert "newly failing: alpha/drifting: pass -> fail (values)" in out
    assert "not updated" in out
    assert baseline.read_text() == before


def test_a_baseline_of_another_torch_version_is_compared_across_versions(run_and_baseline, capsys):
    results_file, baseline = run_and_baseline
    data = json.loads(baseline.read_text())
    (environment,) = data["environments"].values()
    environment["versions"]["torch"] = "2.12.0+cpu"  # as recorded under the previous release
    data["environments"] = {"fingerprint-of-2.12": environment}
    environment["cases"]["alpha/steady"]["outcome"] = "fail"  # fixed by the upgrade
    baseline.write_text(json.dumps(data))
    write_results(results_file, [case("alpha/drifting", "fail", ulp=500, reason="values")])
    assert gate(baseline, results_file) == 1
    out = capsys.readouterr().out
    assert "compared across versions (torch 2.12.0+cpu -> 2.13.0+cpu)" in out
    assert "alpha/drifting" in out
