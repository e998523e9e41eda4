"""The report: an HTML page whose numbers are the results file's, that escapes every string
from a case, stays small and quick for 20,000 cases, and machine-readable exports beside it."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.results import load_results
from reports.exports import SUMMARY_SCHEMA_VERSION, cases_csv, junit_xml, markdown_summary
from reports.html import render_html, write_html
from reports.rows import build_report

from .conftest import BROKEN_TANH, run_cli, write_package
from .synthetic import case, many, write_results

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
    assert summary["totals"] == {"total": 2, "pass": 1, "fail": 1, "unsupported": 0, "error": 0}
    assert summary["areas"]["alpha"]["fail"] == 1
    assert [f["case_id"] for f in summary["failures"]] == ["alpha/tanh_gradient"]
    assert summary["environment"]["backends"] == ["torch", "module:reportcases.broken"]


def test_every_string_from_a_case_renders_as_text(tmp_path):
    evil = "<script>alert(1)</script>"
    result = case(f"alpha/{evil}", "fail", ulp=500, reason=f"{evil} & </script><b>")
    result.doc = evil
    result.tags = [evil]
    result.comparisons[0].name = evil
    page = render_html(build_report(write_results(tmp_path / "r.jsonl", [result])))
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
    assert totals_in(page) == {"total": 20_000, "error": 0, **outcomes}
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
    assert "| **TOTAL** | 51 | 6 | 3 | 0 | 60 |" in markdown
    assert "`alpha/case_00003`" in markdown


def test_parquet_holds_one_row_per_case(tmp_path):
    pytest.importorskip("pyarrow", reason="parquet export needs pyarrow")
    import pyarrow.parquet as pq

    results_file = write_results(tmp_path / "r.jsonl", many(30))
    assert main(["report", str(results_file), "-o", str(tmp_path / "c.parquet")]) == 1
    assert pq.read_table(tmp_path / "c.parquet").num_rows == 30


def test_report_command_exits_2_on_an_unknown_suffix_or_unwritable_path(tmp_path, capsys):
    results_file = write_results(tmp_path / "r.jsonl", [case("alpha/a")])
    assert main(["report", str(results_file), "-o", str(tmp_path / "r.pdf")]) == 2
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", str(results_file), "-o", str(blocker / "r.html")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(e.startswith("conformance: error: ") for e in errors)
    assert main(["report", str(tmp_path / "absent.jsonl"), "-o", str(tmp_path / "r.html")]) == 2


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
    report = write_html(build_report(results_file, reproducers="none"), tmp_path / "report.html")
    url = report.as_uri() + "#outcome=fail&case=" + "alpha/case_00003"
    dom = headless(browser, tmp_path / "profile", "--dump-dom", url).stdout
    assert 'data-ready="true"' in dom, "the page's script did not finish"
    assert totals_in(dom) == {
        "total": 2000,
        "pass": 1720,
        "fail": 200,
        "unsupported": 80,
        "error": 0,
    }
    assert "200 of 2000 cases" in dom  # filtered to failures
    rows = re.findall(r'<tr data-index="\d+"[^>]*><td class="o-(\w+)">', dom)
    assert len(rows) == 100 and set(rows) == {"fail"}  # one page of rows, failures only
    assert 'data-case-id="alpha/case_00003"' in dom  # the case's detail is open
    assert "conformance show alpha/case_00003 --seed 0" in dom
    shot = tmp_path / "report.png"
    headless(browser, tmp_path / "profile", "--window-size=1400,1800", f"--screenshot={shot}", url)
    assert shot.exists() and shot.stat().st_size > 10_000
