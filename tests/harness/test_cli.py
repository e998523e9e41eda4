"""The ``conformance`` command: exit statuses, the summary table, listing, and reproducers
that run on plain torch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance.cli import main

from .conftest import BROKEN_TANH, REPO, cli_env, run_cli, write_package

CATALOGUE = """
    from conformance import Inputs, capture, case


    @case(area="alpha", tags=("grad",))
    def tanh_gradient(torch, make: Inputs):
        \"\"\"The derivative of tanh is 1 - tanh**2.\"\"\"
        x = make.randn(2, 3, requires_grad=True)
        torch.tanh(x).sum().backward()
        return {"x.grad": x.grad}


    @case(area="beta", tags=("errors",))
    def second_backward(torch, make: Inputs):
        x = make.uniform(3, low=0.5, high=1.5, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        return {"x.grad": x.grad, "again": capture(y.backward)}
"""


@pytest.fixture
def project(tmp_path):
    """A working directory with a two-area catalogue and a broken torch-like backend."""
    write_package(tmp_path, "mycases", {"cases": CATALOGUE, "broken": BROKEN_TANH})
    return tmp_path


def test_run_exits_0_and_prints_a_summary_per_area_when_nothing_fails(project):
    done = run_cli(
        "run",
        "--cases",
        "mycases",
        "--backends",
        "torch,torch",
        "--out",
        "r.jsonl",
        cwd=project,
        extra_path=project,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "PASSED: 2 of 2 cases passed"
    assert lines[1].split() == [
        *("area", "pass", "fail", "unsupported", "error", "crash", "known", "total")
    ]
    assert lines[3].split() == ["alpha", "1", "0", "0", "0", "0", "0", "1"]
    assert lines[4].split() == ["beta", "1", "0", "0", "0", "0", "0", "1"]
    assert lines[6].split() == ["TOTAL", "2", "0", "0", "0", "0", "0", "2"]
    records = [json.loads(line) for line in (project / "r.jsonl").read_text().splitlines()]
    assert [r["record"] for r in records] == ["run", "case", "case"]
    assert records[0]["versions"]["torch"].startswith("2.")


def test_run_exits_1_and_names_the_failing_case_when_something_fails(project):
    done = run_cli(
        "run",
        "--cases",
        "mycases",
        "--backends",
        "torch,module:mycases.broken",
        "--out",
        "r.jsonl",
        "--jobs",
        "2",
        cwd=project,
        extra_path=project,
    )
    assert done.returncode == 1, done.stderr
    assert "FAIL  alpha/tanh_gradient: x.grad: mismatch (values)" in done.stdout


def test_selection_by_area_tag_and_pattern(project):
    def listed(*args: str) -> list[str]:
        done = run_cli("list", "--cases", "mycases", *args, cwd=project, extra_path=project)
        assert done.returncode == 0, done.stderr
        return [line.split()[0] for line in done.stdout.splitlines()]

    assert listed() == ["alpha/tanh_gradient", "beta/second_backward"]
    assert listed("--area", "beta") == ["beta/second_backward"]
    assert listed("--tag", "grad") == ["alpha/tanh_gradient"]
    assert listed("-k", "*_backward") == ["beta/second_backward"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--backends", "torch,nonesuch"], "unknown backend 'nonesuch'"),
        (["run", "--backends", "torch"], "--backends needs two names"),
        (["run", "--backends", "torch,torch", "-k", "nothing"], "no case matches the selection"),
        (["run", "--backends", "torch,torch", "--out", "blocker/r.jsonl"], "cannot write results"),
        (["run", "--jobs", "many"], "argument --jobs: invalid int value"),
        (["show", "alpha/nonesuch"], "no case 'alpha/nonesuch'"),
        (["run", "--config", "missing.toml"], "config file missing.toml does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_clear_error_line(project, args, message):
    (project / "blocker").write_text("")
    done = run_cli(*args, "--cases", "mycases", cwd=project, extra_path=project)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("conformance: error: ")
    assert message in done.stderr


def test_a_malformed_catalogue_exits_2_naming_the_problem(tmp_path):
    write_package(
        tmp_path,
        "badcases",
        {
            "cases": """
        from conformance import case

        @case(area="a", tags="not-a-tuple")
        def bad(torch, make):
            return {}
    """
        },
    )
    done = run_cli("list", "--cases", "badcases", cwd=tmp_path, extra_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "conformance: error: catalogue badcases: a/bad: tags must be a tuple of strings, "
        "got 'not-a-tuple'\n"
    )


def test_resume_with_a_different_seed_is_refused(project):
    first = run_cli(
        "run",
        "--cases",
        "mycases",
        "--backends",
        "torch,torch",
        "--out",
        "r.jsonl",
        "--area",
        "beta",
        cwd=project,
        extra_path=project,
    )
    assert first.returncode == 0
    again = run_cli(
        "run",
        "--cases",
        "mycases",
        "--backends",
        "torch,torch",
        "--out",
        "r.jsonl",
        "--seed",
        "5",
        "--resume",
        cwd=project,
        extra_path=project,
    )
    assert again.returncode == 2 and "was run with backends torch,torch and seed 0" in again.stderr


def test_show_prints_a_reproducer_that_runs_on_plain_torch(project):
    shown = run_cli(
        "show",
        "alpha/tanh_gradient",
        "--cases",
        "mycases",
        "--seed",
        "3",
        cwd=project,
        extra_path=project,
    )
    assert shown.returncode == 0, shown.stderr
    script = shown.stdout
    assert "make.randn" not in script.split('if __name__ == "__main__":')[0].split("def ")[-1]
    assert "requires_grad=True" in script and "from conformance" not in script
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=project, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("x.grad = tensor [[")
    assert "shape=[2, 3] requires_grad=False is_leaf=True grad_fn=None" in ran.stdout


def test_the_reproducer_prints_the_same_values_the_harness_observed(project, tmp_path):
    out = tmp_path / "r.jsonl"
    done = run_cli(
        "run",
        "--cases",
        "mycases",
        "--backends",
        "torch,torch",
        "--out",
        str(out),
        "--seed",
        "3",
        "-k",
        "tanh",
        cwd=project,
        extra_path=project,
    )
    assert done.returncode == 0, done.stderr
    observed = json.loads(out.read_text().splitlines()[1])["comparisons"][0]["baseline"]["values"]
    shown = run_cli(
        "show",
        "alpha/tanh_gradient",
        "--cases",
        "mycases",
        "--seed",
        "3",
        cwd=project,
        extra_path=project,
    )
    ran = subprocess.run(
        [sys.executable, "-c", shown.stdout], capture_output=True, text=True, timeout=60
    )
    printed = ran.stdout.split("x.grad = tensor ", 1)[1].split(" dtype=")[0]
    assert json.loads(printed) == observed


def test_main_returns_the_status_instead_of_exiting(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PYTHONPATH", cli_env()["PYTHONPATH"])
    assert main(["list", "--area", "smoke"]) == 0
    assert "smoke/scaled_sum_gradient" in capsys.readouterr().out


def test_report_shows_two_runs_side_by_side_with_a_baseline_delta(project):
    def run(backends: str, out: str) -> None:
        args = ("run", "--cases", "mycases", "--backends", backends, "--out", out, "-q")
        run_cli(*args, cwd=project, extra_path=project)

    run("torch,torch", "same.jsonl")
    run("torch,module:mycases.broken", "broken.jsonl")
    approve = ("gate", "same.jsonl", "--baseline", "base.json", "--update-baseline")
    assert run_cli(*approve, cwd=project, extra_path=project).returncode == 0
    done = run_cli(
        *("report", "same.jsonl", "broken.jsonl", "-o", "both.html", "-o", "both.json"),
        *("--baseline", "base.json"),
        cwd=project,
        extra_path=project,
    )
    assert done.returncode == 1, done.stderr  # the broken run failed a case
    summary = json.loads((project / "both.json").read_text())
    assert {row["pair"] for row in summary["pairs"]} == {
        "torch vs torch",
        "torch vs module:mycases.broken",
    }
    delta = summary["baseline_delta"]
    assert delta["baseline"] == "base.json" and delta["compared"] == 2
    assert delta["regressions"] == []  # the broken pair has no baseline entries: noted, not judged
    assert any("module:mycases.broken" in note for note in delta["notes"])
    assert "tanh_gradient" in (project / "both.html").read_text()
    missing = run_cli("report", "nothing.jsonl", "-o", "x.html", cwd=project)
    assert missing.returncode == 2 and "nothing.jsonl" in missing.stderr


def test_a_bare_conformance_prints_help_listing_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: conformance")
    for command in ("run", "list", "show", "report", "gate", "mutation-score"):
        assert f"\n    {command}" in out, command


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("conformance ")


@pytest.mark.parametrize("command", ["report", "gate"])
def test_report_and_gate_help_name_the_default_results_file(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "default results/run.jsonl" in " ".join(capsys.readouterr().out.split())


def test_the_command_exits_with_mains_status_and_freezes_the_heap_only_on_the_way_out(
    monkeypatch,
):
    import atexit
    import gc
    import threading

    from conformance import cli, process_settings

    def leave(code):
        events.append("_exit")
        raise SystemExit(code)

    events = []
    monkeypatch.setattr(cli, "main", lambda: events.append("main") or 3)
    monkeypatch.setattr(gc, "freeze", lambda: events.append("freeze"))
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: events.append("handlers"))
    monkeypatch.setattr(process_settings.os, "_exit", leave)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    with pytest.raises(SystemExit) as leaving:
        cli.command()
    assert leaving.value.code == 3
    # main alone (tests, the bench) never freezes; the handlers run before the fast exit
    assert events == ["main", "freeze", "handlers", "_exit"]

    events.clear()  # another thread still running: Python's own exit, which waits for it
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    with pytest.raises(SystemExit) as leaving:
        cli.command()
    assert leaving.value.code == 3 and events == ["main", "freeze"]


def test_the_fast_exit_runs_the_cleanup_handlers_and_loses_no_buffered_output():
    script = (
        "import atexit, sys\n"
        "from conformance.process_settings import exit_now\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "sys.stdout.write('buffered, no newline; ')\n"
        "sys.stderr.write('on stderr')\n"
        "exit_now(3)\n"
        "print('not reached')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=cli_env(), timeout=60
    )
    assert done.returncode == 3
    assert done.stdout == "buffered, no newline; handler ran\n"
    assert done.stderr == "on stderr"
