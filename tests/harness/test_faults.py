"""The fault matrix of issue 14: results that cannot be corrupted, and one clear line (exit 2)
for every bad input. One test per row; each failed on the code before the change."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.results import CASE_LINE_START, CaseResult, ResultWriter, to_json

from .conftest import write_package
from .synthetic import case, header, write_results

CATALOGUE = """
    from conformance import case


    @case(area="faults")
    def doubled(torch, make):
        return {"y": make.randn(3) * 2}


    @case(area="faults")
    def summed(torch, make):
        x = make.randn(3, requires_grad=True)
        x.sum().backward()
        return {"x.grad": x.grad}
"""

#: torch under another module name, so a case can tell its two sides apart.
OTHER_TORCH = """
    import torch
    from torch import *  # noqa: F403

    Tensor = torch.Tensor
    tensor = torch.tensor
    __version__ = "other"
"""

#: A case returning 50 MB of text that differs between the two sides.
LONG_TEXT = """
    from conformance import case


    @case(area="big")
    def long_text(torch, make):
        return {"text": ("a" if torch.__name__ == "torch" else "b") * 50_000_000}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A two-case catalogue importable in this process, run in ``tmp_path``."""
    write_package(tmp_path, "faultcases", {"cases": CATALOGUE})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> int:
    """``conformance run`` in this process, on the catalogue's own area unless told otherwise
    (other tests may have registered cases of other packages in this process)."""
    area = [] if "--area" in args else ["--area", "faults"]
    return main(["run", "--cases", "faultcases", "--jobs", "0", "-q", *area, *args])


def one_error_line(capsys) -> str:
    """The command's stderr, which must be exactly one ``conformance: error:`` line."""
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("conformance: error: "), err
    return err


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]  # every line parses


# -- results files -----------------------------------------------------------------------


@pytest.mark.parametrize("resume", [[], ["--resume"]])
def test_a_second_run_on_the_same_results_file_exits_2_naming_the_holder(project, capsys, resume):
    out = project / "run.jsonl"
    write_results(out, [case("alpha/doubled")])
    before = out.read_text()
    with ResultWriter(out, append=True):  # another run, still writing
        assert run("--out", str(out), *resume) == 2
    assert f"being written by process {os.getpid()}" in one_error_line(capsys)
    assert out.read_text() == before  # not truncated, nothing interleaved


def test_two_runs_in_one_folder_keep_their_failing_programs_apart(tmp_path):
    from conformance.programs.generated import save_failure

    first = save_failure("generated/p0000", 1, tmp_path / "first.jsonl")
    second = save_failure("generated/p0000", 2, tmp_path / "second.jsonl")
    assert first.parent.name == "first.generated" and second.parent.name == "second.generated"
    assert first.read_text() != second.read_text()  # neither overwrote the other


def test_resume_cuts_off_a_torn_last_line_so_the_finished_file_parses(tmp_path):
    out = write_results(tmp_path / "run.jsonl", [case("alpha/one")])
    with open(out, "a") as handle:
        handle.write('{"record": "case", "case_id": "alpha/tw')  # killed mid-line
    with ResultWriter(out, append=True) as writer:
        writer.write(case("alpha/two"))
    assert [r.get("case_id") for r in records(out)] == [None, "alpha/one", "alpha/two"]


def test_resume_of_a_results_file_that_does_not_exist_yet_starts_the_run(project):
    out = project / "fresh" / "run.jsonl"
    assert run("--out", str(out), "--resume") == 0
    assert sorted(r["case_id"] for r in records(out) if r["record"] == "case") == [
        "faults/doubled",
        "faults/summed",
    ]


BAD_LINES = {
    "not JSON": (b'{"record": "case", oops}\n', "not JSON"),
    "a list": (b"[1, 2, 3]\n", "a JSON list, not a record object"),
    "a case lacking fields": (b'{"record": "case", "case_id": "a/b"}\n', "lacks 'area'"),
    "a figure that is no number": (
        to_json(case("alpha/x")).replace('"max_ulp":0', '"max_ulp":"lots"').encode() + b"\n",
        "bad 'max_ulp'",
    ),
    "not UTF-8": (b'{"record": "case", "case_id": "\xff\xfe"}\n', "not UTF-8"),
}


def corrupt(path: Path, bad: bytes) -> Path:
    """Write a run of three cases with ``bad`` as its third line."""
    write_results(path, [case("alpha/a", "fail", ulp=200), case("alpha/b"), case("beta/c")])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2] + [bad] + lines[2:]))
    return path


@pytest.mark.parametrize("kind", BAD_LINES)
def test_report_of_a_file_with_a_bad_line_exits_2_naming_file_and_line(tmp_path, capsys, kind):
    bad, problem = BAD_LINES[kind]
    results = corrupt(tmp_path / "run.jsonl", bad)
    status = main(["report", str(results), "-o", str(tmp_path / "r.md"), "--reproducers", "none"])
    assert status == 2
    line = one_error_line(capsys)
    assert f"{results}: line 3: " in line and problem in line


def test_skip_bad_lines_reports_the_rest_and_counts_what_it_skipped(tmp_path, capsys):
    results = corrupt(tmp_path / "run.jsonl", BAD_LINES["not JSON"][0])
    output = tmp_path / "r.md"
    args = ["report", str(results), "-o", str(output), "--reproducers", "none"]
    assert main([*args, "--skip-bad-lines"]) == 1  # alpha/a fails
    assert "skipped 1 bad line(s)" in capsys.readouterr().err
    assert "alpha/a" in output.read_text()


def test_gate_and_load_results_refuse_a_bad_line_too(tmp_path, capsys):
    from conformance import load_results
    from conformance.errors import ConformanceInputError

    results = corrupt(tmp_path / "run.jsonl", BAD_LINES["a case lacking fields"][0])
    baseline = tmp_path / "baseline.json"
    assert main(["gate", "--baseline", str(baseline), str(results), "--update-baseline"]) == 2
    assert "line 3" in one_error_line(capsys)
    with pytest.raises(ConformanceInputError, match="line 3"):
        load_results(results)
    assert list(load_results(results, skip_bad_lines=True)["case_id"]) == [
        "alpha/a",
        "alpha/b",
        "beta/c",
    ]


def test_a_baseline_case_entry_that_is_a_string_is_one_error_line(tmp_path, capsys):
    results = write_results(tmp_path / "run.jsonl", [case("alpha/a")])
    baseline = tmp_path / "baseline.json"
    assert main(["gate", "--baseline", str(baseline), str(results), "--update-baseline"]) == 0
    data = json.loads(baseline.read_text())
    (section,) = data["environments"].values()
    section["cases"]["alpha/a"] = "pass"
    baseline.write_text(json.dumps(data))
    assert main(["gate", "--baseline", str(baseline), str(results)]) == 2
    assert "alpha/a: a JSON str where an object belongs" in one_error_line(capsys)


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--timeout", "nan"], "--timeout"),
        (["--timeout", "inf"], "--timeout"),
        (["--seed", "-1"], "--seed"),
        (["--shrink", "-1"], "--shrink"),
    ],
)
def test_every_numeric_run_option_is_range_checked_by_name(project, capsys, args, option):
    """(Negative --jobs, --threads and --generated and a zero --timeout were refused already.)"""
    assert run("--out", str(project / "run.jsonl"), *args) == 2
    assert option in one_error_line(capsys)
    assert not (project / "run.jsonl").exists()  # refused before the run


@pytest.mark.parametrize(
    ("args", "option"),
    [(["--factor", "nan"], "--factor"), (["--ulp-floor", "-1"], "--ulp-floor")],
)
def test_every_numeric_gate_option_is_range_checked_by_name(tmp_path, capsys, args, option):
    results = write_results(tmp_path / "run.jsonl", [case("alpha/a")])
    assert main(["gate", "--baseline", str(tmp_path / "b.json"), str(results), *args]) == 2
    assert option in one_error_line(capsys)


def test_an_in_process_timeout_that_fires_at_once_is_an_error_record_not_a_traceback(project):
    out = project / "run.jsonl"
    assert run("--out", str(out), "--timeout", "1e-9") == 1
    cases = [r for r in records(out) if r["record"] == "case"]
    assert [(r["outcome"], r["reason"]) for r in cases] == [("error", "timed out after 1e-09s")] * 2


def test_a_results_path_under_a_file_names_the_file(project, capsys):
    (project / "plain").write_text("")
    assert run("--out", str(project / "plain" / "run.jsonl")) == 2
    assert f"{project / 'plain'} is a file, not a folder" in one_error_line(capsys)


@pytest.mark.skipif(not os.access("/dev/full", os.W_OK), reason="needs a writable /dev/full")
def test_a_full_disk_is_one_error_line(project, capsys):
    assert run("--out", "/dev/full") == 2
    assert "No space left on device" in one_error_line(capsys)


def test_a_report_of_unknown_format_is_refused_before_the_run(project, capsys):
    out = project / "run.jsonl"
    assert run("--out", str(out), "--report", str(project / "x.pdf")) == 2
    assert "x.pdf" in one_error_line(capsys)
    assert not out.exists()  # nothing ran


def test_an_unreadable_baseline_is_refused_before_the_run(project, capsys):
    out = project / "run.jsonl"
    (project / "baseline.json").write_text("{not json")
    assert run("--out", str(out), "--baseline", str(project / "baseline.json")) == 2
    assert "not valid JSON" in one_error_line(capsys)
    assert not out.exists()


def test_programs_stopped_by_the_harness_are_not_shrunk_and_q_prints_no_shrink_lines(
    project, capsys, monkeypatch
):
    import conformance.cli

    shrunk: list[str] = []

    def fake_shrink(case_id, *args, **kwargs):
        shrunk.append(case_id)
        return f"{case_id}: SHRUNK"

    monkeypatch.setattr(conformance.cli, "shrink_isolated", fake_shrink)
    out = str(project / "run.jsonl")
    args = ["--area", "generated", "--generated", "2", "--out", out]
    assert run(*args, "--timeout", "1e-9") == 1  # every program stopped by its timeout
    assert shrunk == []
    first = [r for r in records(Path(out)) if r["record"] == "case"][0]
    fail = CaseResult.from_dict(first | {"outcome": "fail", "comparisons": []})
    monkeypatch.setattr(conformance.cli.Tally, "failures", lambda self: [fail])
    capsys.readouterr()
    run(*args)  # now with a genuine failure: shrunk, quietly
    assert shrunk == [fail.case_id] and "SHRUNK" not in capsys.readouterr().out


# -- the gate ------------------------------------------------------------------------------


def with_nan_mismatches(result: CaseResult, count: int) -> CaseResult:
    assert result.comparisons[0].diff is not None
    result.comparisons[0].diff.nan_mismatched = count
    result.comparisons[0].diff.mismatched = count
    return result


def test_a_failing_case_failing_worse_is_a_regression(tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    before = write_results(
        tmp_path / "before.jsonl", [with_nan_mismatches(case("alpha/a", "fail"), 1)]
    )
    assert main(["gate", "--baseline", str(baseline), str(before), "--update-baseline"]) == 0
    after = write_results(
        tmp_path / "after.jsonl", [with_nan_mismatches(case("alpha/a", "fail"), 3)]
    )
    capsys.readouterr()
    assert main(["gate", "--baseline", str(baseline), str(after)]) == 1
    assert "GREW: alpha/a [x.grad]: nan_mismatched 1 -> 3" in capsys.readouterr().out


def test_new_cases_are_one_line_per_area_unless_verbose(tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    known = write_results(tmp_path / "known.jsonl", [case("alpha/a")])
    assert main(["gate", "--baseline", str(baseline), str(known), "--update-baseline"]) == 0
    grown = [case("alpha/a")] + [case(f"generated/p{i:04d}") for i in range(200)]
    results = write_results(tmp_path / "grown.jsonl", grown)
    capsys.readouterr()
    assert main(["gate", "--baseline", str(baseline), str(results)]) == 0
    out = capsys.readouterr().out
    assert out.count("NEW CASE") == 1 and "generated: 200 not in the baseline" in out
    assert main(["gate", "--baseline", str(baseline), str(results), "--verbose"]) == 0
    assert capsys.readouterr().out.count("NEW CASE: generated/") == 200


# -- size limits ---------------------------------------------------------------------------


def test_a_long_list_of_numbers_is_one_array_observation_and_other_long_lists_are_capped(
    registry, torch_pair
):
    from conformance import case as define
    from conformance.runner import execute_case

    @define(area="big")
    def long_lists(torch, make):
        return {"numbers": list(range(5000)), "words": ["w"] * 5000}

    result = execute_case(registry["big/long_lists"], torch_pair, 0)
    names = [c.name for c in result.comparisons]
    assert names[:3] == ["numbers", "words.<length>", "words.0"] and len(names) == 1002
    assert result.comparisons[0].baseline == result.comparisons[0].candidate
    assert result.comparisons[0].baseline["container"] == "list"


@pytest.mark.slow
def test_a_ten_million_element_list_is_compared_as_an_array_in_bounded_time_and_memory(
    registry, torch_pair
):
    from conformance import case as define
    from conformance.runner import execute_case

    numbers = [float(i) for i in range(10_000_000)]

    @define(area="big")
    def long_list(torch, make):
        return {"numbers": numbers}

    tracemalloc.start()
    start = time.perf_counter()
    result = execute_case(registry["big/long_list"], torch_pair, 0)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.outcome == "pass" and [c.name for c in result.comparisons] == ["numbers"]
    assert seconds < 30 and peak < 1_000_000_000  # before: 5.3 GB and a timeout
    assert len(to_json(result)) < 10_000


def test_fifty_megabytes_of_differing_text_give_a_small_record_report_and_junit(
    tmp_path, monkeypatch
):
    write_package(tmp_path, "bigcases", {"cases": LONG_TEXT})
    (tmp_path / "other_torch.py").write_text(OTHER_TORCH.replace("\n    ", "\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    out, html, junit = tmp_path / "run.jsonl", tmp_path / "r.html", tmp_path / "r.xml"
    args = ["run", "--cases", "bigcases", "--area", "big", "--jobs", "0", "-q", "--out", str(out)]
    args += ["--backends", "torch,module:other_torch", "--report", str(html)]
    args += ["--report", str(junit)]
    assert main(args) == 1
    (line,) = [r for r in out.read_text().splitlines() if r.startswith(CASE_LINE_START)]
    assert len(line) < 100_000 and "clipped: 50,000,000 characters" in line
    assert html.stat().st_size < 2_000_000 and junit.stat().st_size < 200_000


def test_any_string_in_a_record_is_clipped_with_its_length_and_hash(tmp_path):
    result = case("alpha/a", "fail", reason="short")
    result.message = "m" * 10_000_000
    path = tmp_path / "run.jsonl"
    with ResultWriter(path) as writer:
        writer.write(header())
        writer.write(result)
    assert path.stat().st_size < 200_000
    assert "clipped: 10,000,000 characters, sha256 " in path.read_text()


def test_a_syntax_error_in_a_cases_package_names_the_file_and_line_that_do_not_parse(
    tmp_path, monkeypatch, capsys
):
    write_package(tmp_path, "typocases", {"cases": "def broken(torch, make)\n    return {}\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["list", "--cases", "typocases"]) == 2
    err = capsys.readouterr().err
    assert f"({tmp_path / 'typocases' / 'cases.py'}:1)" in err  # before: importlib's frame
    assert err.count("\n") == 1


BROKEN_LIBRARY = """
    class Tensor:
        pass


    float32 = "float32"


    def tensor(*args, **kwargs):
        raise RuntimeError("broken factory")
"""


def test_a_malformed_third_party_module_is_blamed_not_the_harness(tmp_path, monkeypatch, capsys):
    write_package(tmp_path, "faultcases", {"cases": CATALOGUE, "brokenlib": BROKEN_LIBRARY})
    monkeypatch.syspath_prepend(str(tmp_path))
    out = str(tmp_path / "r.jsonl")
    argv = ["run", "--cases", "faultcases", "--area", "faults", "--jobs", "0", "--out", out]
    assert main([*argv, "--backends", "torch,module:faultcases.brokenlib"]) == 1
    records = [json.loads(line) for line in Path(out).read_text().splitlines()[1:]]
    assert {r["outcome"] for r in records} == {"fail"}  # before: "error", harness error
    assert all(
        r["reason"].startswith("only module:faultcases.brokenlib raised RuntimeError: broken")
        for r in records
    )
    assert all(r["facets"] == ["error"] for r in records)
