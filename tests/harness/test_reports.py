"""The report: an HTML page whose numbers are the results file's, that escapes every string
from a case, stays small and quick for 20,000 cases, and machine-readable exports beside it."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.errors import ConformanceInputError
from conformance.gate import run_gate, update_baseline
from conformance.results import load_results
from conformance.summary import OUTCOMES
from reports.exports import (
    SUMMARY_SCHEMA_VERSION,
    case_record,
    cases_csv,
    junit_xml,
    markdown_summary,
    summary,
)
from reports.html import render_html, worst_cases, write_html
from reports.rows import build_report

from .conftest import BROKEN_TANH, run_cli, write_package
from .synthetic import case, finite_difference, many, tensor_comparison, write_results

CATALOGUE = """
    from conformance import Inputs, case


    @case(area="alpha", tags=("grad",))
    def tanh_gradient(torch, make: Inputs):
        \"\"\"The derivative of tanh is 1 - tanh**2.\"\"\"
        x = make.randn(2, 3, requires_grad=True)
        torch.tanh(x).sum().backward()
        return {"x.grad": x.grad}


    @case(area="beta")
    def square_gradient(torch, make: Inputs):
        x = make.randn(3, requires_grad=True)
        (x * x).sum().backward()
        return {"x.grad": x.grad}
"""


def totals_in(page: str) -> dict[str, int]:
    """The totals boxes of a rendered report, as numbers."""
    found = re.findall(r'id="total-(\w+)"><b>(\d+)</b>', page)
    return {name: int(count) for name, count in found}


def embedded_data(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """A two-case run of torch against torch with a wrong tanh derivative, with its report."""
    root = tmp_path_factory.mktemp("real")
    write_package(root, "reportcases", {"cases": CATALOGUE, "broken": BROKEN_TANH})
    done = run_cli(
        "run",
        "--cases",
        "reportcases",
        "--backends",
        "torch,module:reportcases.broken",
        "--out",
        "run.jsonl",
        "--report",
        "report.html",
        "--report",
        "summary.json",
        cwd=root,
        extra_path=root,
    )
    assert done.returncode == 1, done.stderr  # tanh_gradient fails on the broken backend
    return root


def test_run_with_report_writes_a_page_whose_totals_are_the_results_file(real_run):
    page = (real_run / "report.html").read_text()
    frame = load_results(real_run / "run.jsonl")
    counts = frame["outcome"].value_counts().to_dict()
    assert totals_in(page) == {
        "total": len(frame),
        "pass": counts.get("pass", 0),
        "fail": counts.get("fail", 0),
        "unsupported": counts.get("unsupported", 0),
        "error": counts.get("error", 0),
        "crash": counts.get("crash", 0),
        "known": counts.get("known", 0),
    }
    assert totals_in(page)["fail"] == 1


def test_a_failing_case_carries_its_reproducer_observations_and_seeds(real_run):
    data = embedded_data((real_run / "report.html").read_text())
    failing = next(c for c in data["cases"] if c["outcome"] == "fail")
    assert failing["case_id"] == "alpha/tanh_gradient"
    assert "Reproducer for conformance case alpha/tanh_gradient" in failing["reproducer"]
    assert failing["run_seed"] == 0 and failing["seed"] > 0
    grad = next(o for o in failing["observations"] if o["name"] == "x.grad")
    assert grad["status"] == "mismatch"
    assert grad["rtol"] > 0 and grad["max_abs_diff"] > grad["atol"]
    assert grad["baseline"].startswith("tensor dtype=float32")
    passing = next(c for c in data["cases"] if c["outcome"] == "pass")
    assert passing["reproducer"] == ""  # generated for cases that did not pass only


def test_summary_json_has_a_schema_version_and_the_run_totals(real_run):
    summary = json.loads((real_run / "summary.json").read_text())
    assert summary["schema_version"] == SUMMARY_SCHEMA_VERSION
    assert summary["totals"] == {
        "total": 2,
        "pass": 1,
        "fail": 1,
        "unsupported": 0,
        "error": 0,
        "crash": 0,
        "known": 0,
    }
    assert summary["status"] == "FAILED: 1 fail"
    assert summary["facets"]["alpha"]["values"] == 1
    assert summary["areas"]["alpha"]["fail"] == 1
    assert [f["case_id"] for f in summary["failures"]] == ["alpha/tanh_gradient"]
    assert summary["environment"]["backends"] == ["torch", "module:reportcases.broken"]


def test_every_string_from_a_case_renders_as_text(tmp_path):
    evil = "<script>alert(1)</script>"
    result = case(f"alpha/{evil}", "fail", ulp=500, reason=f"{evil} & </script><b>")
    result.doc = evil
    result.tags = [evil]
    result.comparisons[0].name = evil
    result.finite_differences = [finite_difference(evil, "candidate")]
    results_file = write_results(tmp_path / "r.jsonl", [result], backends=["torch", evil])
    baseline = tmp_path / "baseline.json"
    update_baseline(baseline, results_file)
    page = render_html(build_report(results_file, baseline=baseline))
    assert evil not in page
    assert "</script><b>" not in page
    assert page.count("<script") == 2  # the JSON data and the page's own code
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # worst-cases table, as text
    data = embedded_data(page)
    assert data["cases"][0]["name"] == evil
    assert data["cases"][0]["observations"][0]["name"] == evil


def test_twenty_thousand_cases_render_small_and_fast(tmp_path):
    path = write_results(tmp_path / "big.jsonl", many(20_000))
    started = time.perf_counter()
    data = build_report(path, reproducers="none")
    out = write_html(data, tmp_path / "big.html")
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    assert seconds < 20, f"{seconds:.1f} s to render 20,000 cases"
    assert size < 40_000_000, f"{size / 1e6:.1f} MB for 20,000 cases"
    page = out.read_text()
    assert page.count('id="report-data"') == 1  # the data is embedded once
    outcomes = Counter(r.outcome for r in many(20_000))
    assert totals_in(page) == {"total": 20_000, "error": 0, "crash": 0, "known": 0, **outcomes}
    assert "<tr data-index" not in page  # rows are drawn by the browser, not written out


def test_area_summary_and_heat_map_follow_the_rows(tmp_path):
    results = [case("alpha/a", ulp=3), case("alpha/b", "fail", ulp=900), case("beta/c", ulp=0)]
    data = build_report(write_results(tmp_path / "r.jsonl", results), reproducers="none")
    assert [(a.area, a.counts["pass"], a.counts["fail"]) for a in data.areas] == [
        ("alpha", 1, 1),
        ("beta", 1, 0),
    ]
    heat = {(c.area, c.dtype): c.max_ulp for c in data.heat}
    assert heat == {("alpha", "float32"): 900, ("beta", "float32"): 0}
    assert data.histogram["alpha"] == [0, 0, 1, 0, 0, 1, 0]  # 3 ULP in 2-4, 900 in 257-65536


def test_csv_junit_and_markdown_exports_count_the_same_cases(tmp_path):
    results = many(60)
    data = build_report(write_results(tmp_path / "r.jsonl", results), reproducers="none")
    rows = list(csv.DictReader(cases_csv(data).splitlines()))
    assert len(rows) == 60 and {r["outcome"] for r in rows} == {"pass", "fail", "unsupported"}
    suites = ET.fromstring(junit_xml(data))
    assert suites.get("tests") == "60"
    assert suites.get("failures") == str(sum(r.outcome == "fail" for r in results))
    assert suites.get("skipped") == str(sum(r.outcome == "unsupported" for r in results))
    markdown = markdown_summary(data)
    assert markdown.splitlines()[0] == (
        "**FAILED: 6 fail; 3 unsupported; 3 of 60 unsupported (5% > 0% allowed)**"
    )
    assert junit_xml(data).splitlines()[1] == (
        "<!-- FAILED: 6 fail; 3 unsupported; 3 of 60 unsupported (5% > 0% allowed) -->"
    )
    assert "| **TOTAL** | 51 | 6 | 3 | 0 | 0 | 0 | 60 |" in markdown
    assert "`alpha/case_00003`" in markdown


def test_parquet_reads_back_the_csv_rows_one_per_case(tmp_path):
    pytest.importorskip("pyarrow", reason="parquet export needs pyarrow")
    import pyarrow.parquet as pq

    results = many(30)
    results[0].comparisons[0].diff.max_rel_diff = float("nan")  # type: ignore[union-attr]
    results_file = write_results(tmp_path / "r.jsonl", results)
    assert main(["report", str(results_file), "-o", str(tmp_path / "c.parquet")]) == 1
    read = pq.read_table(tmp_path / "c.parquet").to_pylist()
    expected = [case_record(r) for r in build_report(results_file, reproducers="none").cases]
    assert len(read) == 30 and list(read[0]) == list(expected[0])
    assert math.isnan(read[0].pop("max_rel_diff")) and math.isnan(expected[0].pop("max_rel_diff"))
    assert read == expected
    row = next(r for r in read if r["case_id"] == "alpha/case_00003")
    assert (row["fd_checks"], row["fd_wrong_side"], row["pair"]) == (
        1,
        "candidate",
        "torch vs reference",
    )


def test_report_command_exits_2_on_an_unknown_suffix_or_unwritable_path(tmp_path, capsys):
    results_file = write_results(tmp_path / "r.jsonl", [case("alpha/a")])
    assert main(["report", str(results_file), "-o", str(tmp_path / "r.pdf")]) == 2
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", str(results_file), "-o", str(blocker / "r.html")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(e.startswith("conformance: error: ") for e in errors)
    assert main(["report", str(tmp_path / "absent.jsonl"), "-o", str(tmp_path / "r.html")]) == 2


def test_tolerance_heat_map_ranks_a_near_zero_value_passing_on_atol_below_a_real_mismatch(
    tmp_path,
):
    near_zero = case("higher_order/tiny", ulp=863737467)
    near_zero.comparisons = [tensor_comparison("x.grad", 863737467, ratio=0.2)]
    near_zero.comparisons[0].status = "match"
    real = case("higher_order/wrong", "fail", ulp=400)
    real.comparisons = [tensor_comparison("x.grad", 400, ratio=3.5)]
    results_file = write_results(tmp_path / "r.jsonl", [near_zero, real])
    data = build_report(results_file, reproducers="none")
    (cell,) = data.heat
    assert (cell.max_tolerance_ratio, cell.max_ulp) == (3.5, 863737467)
    assert [c.case_id for c in worst_cases(data.cases)] == [
        "higher_order/wrong",
        "higher_order/tiny",
    ]
    page = render_html(data)
    ratio_map = re.search(r'<table class="heat" id="heat-ratio">.*?</table>', page, re.S)
    assert ratio_map is not None and "3.5\u00d7" in ratio_map.group(0)
    assert "863737467" not in ratio_map.group(0)
    assert 'id="heat-ulp"' in page  # the ULP / relative map stays beside it
    worst = summary(data)["worst_error"]
    assert worst == [
        {
            "area": "higher_order",
            "dtype": "float32",
            "observations": 2,
            "max_ulp": 863737467,
            "max_rel_diff": pytest.approx(863737467 * 6e-8),
            "max_tolerance_ratio": 3.5,
        }
    ]


def test_results_written_before_the_tolerance_ratio_render_with_none_and_say_so(tmp_path):
    results_file = write_results(tmp_path / "r.jsonl", many(20))
    lines = results_file.read_text().splitlines()
    old = []
    for line in lines:
        record = json.loads(line)
        for comparison in record.get("comparisons", []):
            del comparison["diff"]["max_tolerance_ratio"]
        record.pop("finite_differences", None)
        old.append(json.dumps(record))
    results_file.write_text("\n".join(old) + "\n")
    data = build_report(results_file, reproducers="none")
    assert all(c.max_tolerance_ratio is None for c in data.heat)
    assert all(c.max_tolerance_ratio is None for c in data.cases)
    assert data.finite_differences.checks == 0
    page = render_html(data)
    assert 'id="no-ratio"' in page and 'id="heat-ulp"' in page
    assert summary(data)["worst_error"][0]["max_tolerance_ratio"] is None
    assert worst_cases(data.cases)[0].max_ulp == max(c.max_ulp or 0 for c in data.cases)


def test_a_report_of_two_results_files_counts_each_area_and_backend_pair(tmp_path):
    first = write_results(
        tmp_path / "a.jsonl", [case("alpha/a"), case("alpha/b", "fail", ulp=900), case("beta/c")]
    )
    other = ["torch", "mylib"]
    second = write_results(
        tmp_path / "b.jsonl",
        [case("alpha/a", "fail", ulp=500, backends=other), case("beta/c", backends=other)],
        backends=other,
    )
    data = build_report([first, second], reproducers="none")
    assert data.totals.total == 5 and data.totals.counts["fail"] == 2
    counts = {(p.area, p.pair): (p.counts["pass"], p.counts["fail"]) for p in data.pairs}
    assert counts == {
        ("alpha", "torch vs mylib"): (0, 1),
        ("alpha", "torch vs reference"): (1, 1),
        ("beta", "torch vs mylib"): (1, 0),
        ("beta", "torch vs reference"): (1, 0),
        ("TOTAL", "torch vs mylib"): (1, 1),
        ("TOTAL", "torch vs reference"): (2, 1),
    }
    page = render_html(data)
    assert '<tr data-area="alpha" data-pair="torch vs mylib"><th>alpha</th>' in page
    assert '<tr data-area="TOTAL" data-pair="every pair">' in page
    assert embedded_data(page)["pairs"] == ["torch vs mylib", "torch vs reference"]
    assert "| alpha | torch vs mylib | 0 | 1 | 0 | 0 | 0 | 0 | 1 |" in markdown_summary(data)
    exported = summary(data)["pairs"]
    assert {"area": "TOTAL", "pair": "torch vs mylib", "total": 2} | {
        "pass": 1,
        "fail": 1,
        "unsupported": 0,
        "error": 0,
        "crash": 0,
        "known": 0,
    } in exported
    assert [e["backends"] for e in summary(data)["environments"]] == [
        ["torch", "reference"],
        other,
    ]


def test_a_report_of_two_runs_of_one_pair_keeps_each_files_rows_and_versions(tmp_path):
    before = write_results(tmp_path / "old.jsonl", [case("alpha/a"), case("alpha/b")])
    after = write_results(
        tmp_path / "new.jsonl", [case("alpha/a", "fail", ulp=500), case("alpha/b")]
    )
    data = build_report([before, after], reproducers="none")
    assert data.totals.total == 4
    outcomes = {(c.case_id, c.pair): c.outcome for c in data.cases}
    assert outcomes[("alpha/a", "torch vs reference [old.jsonl]")] == "pass"
    assert outcomes[("alpha/a", "torch vs reference [new.jsonl]")] == "fail"
    assert [os.path.basename(e.source) for e in data.environments] == ["old.jsonl", "new.jsonl"]


def test_a_run_has_one_pair_whose_counts_are_the_area_counts(tmp_path):
    data = build_report(write_results(tmp_path / "r.jsonl", many(40)), reproducers="none")
    by_area = {a.area: a.counts for a in data.areas} | {"TOTAL": data.totals.counts}
    assert {p.area: p.counts for p in data.pairs} == by_area
    assert {p.pair for p in data.pairs} == {"torch vs reference"}


@pytest.fixture
def moved_run(tmp_path):
    """A baseline of four cases, and a run where one grew, one newly fails, one is fixed, one
    improved, one is missing and one is new."""
    before = [
        case("alpha/grows", ulp=2),
        case("alpha/breaks", ulp=1),
        case("alpha/fixed", "fail", ulp=700),
        case("beta/improves", ulp=250),
        case("beta/missing"),
    ]
    baseline = tmp_path / "baseline.json"
    update_baseline(baseline, write_results(tmp_path / "before.jsonl", before))
    after = [
        case("alpha/grows", ulp=90),
        case("alpha/breaks", "fail", ulp=300, reason="x.grad: mismatch"),
        case("alpha/fixed", ulp=3),
        case("beta/improves", ulp=20),
        case("gamma/new"),
    ]
    return write_results(tmp_path / "after.jsonl", after), baseline


def test_baseline_delta_counts_the_gates_findings_and_plots_each_observation(moved_run):
    results_file, baseline = moved_run
    data = build_report(results_file, reproducers="none", baseline=baseline)
    delta = data.delta
    assert delta is not None
    assert delta.counts == {
        "new failure": 1,
        "grew": 1,
        "missing from run": 1,
        "fixed": 1,
        "improved": 2,  # beta/improves, and alpha/fixed's error shrank too
        "new case": 1,
    }
    gate = run_gate(baseline, results_file)
    assert {(f.kind, f.case_id, f.observation) for f in gate.findings} == {
        (f.kind, f.case_id, f.observation) for f in delta.findings
    }
    points = {p.case_id: (p.before, p.after, p.movement) for p in delta.points}
    assert points == {
        "alpha/grows": (2, 90, "grew"),
        "alpha/breaks": (1, 300, "new failure"),
        "alpha/fixed": (700, 3, "improved"),
        "beta/improves": (250, 20, "improved"),
    }
    page = render_html(data)
    assert 'id="delta-scatter"' in page and page.count("<circle") == 4
    assert re.search(r'id="delta-grew"><b>1</b>', page)
    assert "GREW: alpha/grows [x.grad]: max_ulp 2 -&gt; 90" in page
    exported = summary(data)["baseline_delta"]
    assert exported["counts"] == delta.counts
    assert {r["case_id"] for r in exported["regressions"]} == {
        "alpha/grows",
        "alpha/breaks",
        "beta/missing",
    }
    assert "grew 1" in markdown_summary(data)


def test_without_a_baseline_the_report_says_how_to_get_the_delta(tmp_path):
    data = build_report(write_results(tmp_path / "r.jsonl", many(5)), reproducers="none")
    assert data.delta is None and summary(data)["baseline_delta"] is None
    assert "No baseline given" in render_html(data)


def test_a_baseline_for_another_environment_is_a_note_a_foreign_file_an_input_error(moved_run):
    results_file, baseline = moved_run
    other_seed = write_results(results_file.with_name("seed7.jsonl"), [case("alpha/grows")], 7)
    data = build_report(other_seed, reproducers="none", baseline=baseline)
    assert data.delta is not None and data.delta.compared == 0
    assert "no entries for torch 2.13.0+cpu" in data.delta.notes[0]
    assert "no entries for torch 2.13.0+cpu" in render_html(data)
    baseline.write_text('{"something": "else"}')
    with pytest.raises(ConformanceInputError, match="not an autograd-conformance baseline"):
        build_report(results_file, reproducers="none", baseline=baseline)


def test_finite_difference_opinions_reach_the_case_detail_summary_json_and_markdown(tmp_path):
    data = build_report(write_results(tmp_path / "r.jsonl", many(100)), reproducers="none")
    fd = summary(data)["finite_differences"]
    assert fd == {
        "cases": 4,  # cases 3, 28, 53, 78
        "checks": 4,
        "wrong_side": {"baseline": 0, "candidate": 2, "both": 0},  # the failing 3 and 53
    }
    assert (
        "Finite differences: 4 gradient check(s) on 4 case(s); the estimate called wrong: "
        "baseline 0, candidate 2, both 0." in markdown_summary(data)
    )
    page = render_html(data)
    assert "candidate (reference) 2" in page
    detail = next(c for c in embedded_data(page)["cases"] if c["case_id"] == "alpha/case_00003")
    assert detail["finite_differences"] == [
        {
            "name": "x.grad",
            "estimate": "[1.0, 2.0]",
            "baseline_error": 1e-9,
            "candidate_error": 0.5,
            "pair_error": pytest.approx(0.5),
            "wrong_side": "candidate",
        }
    ]


def chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.mark.browser
@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (/usr/bin/chromium)")
def test_report_in_headless_chromium_shows_the_totals_filters_failures_and_opens_a_case(
    tmp_path,
):
    browser = chromium()
    assert browser is not None
    results_file = write_results(tmp_path / "r.jsonl", many(2_000))
    baseline = tmp_path / "baseline.json"
    update_baseline(baseline, results_file)
    data = json.loads(baseline.read_text())
    (environment,) = data["environments"].values()
    environment["cases"]["alpha/case_00003"]["outcome"] = "pass"  # so it newly fails
    baseline.write_text(json.dumps(data))
    report = write_html(
        build_report(results_file, reproducers="none", baseline=baseline),
        tmp_path / "report.html",
    )
    url = report.as_uri() + "#outcome=fail&case=" + "alpha/case_00003"
    dom = headless(browser, tmp_path / "profile", "--dump-dom", url).stdout
    assert 'data-ready="true"' in dom, "the page's script did not finish"
    frame = load_results(results_file)
    counts = frame["outcome"].value_counts().to_dict()
    assert totals_in(dom) == {"total": len(frame)} | {
        outcome: counts.get(outcome, 0) for outcome in OUTCOMES
    }
    failing = counts["fail"]
    assert f"{failing} of {len(frame)} cases" in dom  # filtered to failures
    rows = re.findall(r'<tr data-index="\d+"[^>]*><td class="o-(\w+)">', dom)
    assert len(rows) == 100 and set(rows) == {"fail"}  # one page of rows, failures only
    assert 'data-case-id="alpha/case_00003"' in dom  # the case's detail is open
    assert "conformance show alpha/case_00003 --seed 0" in dom
    fd = re.search(r'<div id="finite-differences">.*?</table>', dom, re.S)
    assert fd is not None, "the case's finite-difference table is missing"
    assert '<td class="o-fail wrong-side">reference</td>' in fd.group(0)
    assert re.search(r'id="delta-new-failure"><b>1</b>', dom)
    shot = tmp_path / "report.png"
    headless(browser, tmp_path / "profile", "--window-size=1400,1800", f"--screenshot={shot}", url)
    # a blank page of this size is ~11 kB of PNG; the drawn report is several times that
    assert shot.exists() and shot.stat().st_size > 40_000, "the screenshot looks blank"
