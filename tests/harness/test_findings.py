"""The findings stay honest: every reproducer says what differs and why, is documented, and runs.

``findings/NN_name.py`` scripts are standalone torch programs printing an eager answer and a
compiled answer; ``docs/findings.md`` lists each with its output. The known-issue cases each cite
the PyTorch issue they pin down, and the crashing one only runs when asked for.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.case import REGISTRY

REPO = Path(__file__).resolve().parents[2]
FINDINGS = sorted((REPO / "findings").glob("[0-9][0-9]_*.py"))
DOC = REPO / "docs" / "findings.md"
FIELDS = ("Backend:", "Torch:", "Differs:", "Right side:", "Issue:")
TRACKER = re.compile(r"https://github\.com/pytorch/pytorch/(issues|pull)/\d+")
ISSUE_NUMBER = re.compile(r"#(\d{5,6})\b")
EAGER_LINE = re.compile(r"^eager\b[^:\n]*:", re.MULTILINE)
COMPILED_LINE = re.compile(r"^compiled\b[^:\n]*:", re.MULTILINE)
#: ``Case: <case id> (<backend>, ...)``: the catalogue case that pins a finding, and the backends
#: (each judged against eager torch) under which it differs.
CASE_LINE = re.compile(r"^Case: ([\w/]+)\s+\(([^)]*)\)", re.MULTILINE)
NO_CASE = "Case: none under the harness's backends:"


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text())) or ""


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_at_least_ten_findings() -> None:
    assert len(FINDINGS) >= 10, [p.name for p in FINDINGS]


@pytest.mark.parametrize("script", FINDINGS, ids=_ids(FINDINGS))
def test_finding_docstring_has_every_field(script: Path) -> None:
    doc = _docstring(script)
    missing = [field for field in FIELDS if field not in doc]
    assert not missing, f"{script.name} docstring lacks {missing}"
    issue = doc.split("Issue:", 1)[1]
    assert TRACKER.search(issue) or "not found in the tracker" in issue, (
        f"{script.name}: Issue: must link pytorch/pytorch or say 'not found in the tracker'"
    )


@pytest.mark.parametrize("script", FINDINGS, ids=_ids(FINDINGS))
def test_finding_is_listed_in_docs(script: Path) -> None:
    assert f"`findings/{script.name}`" in DOC.read_text()


def test_docs_count_matches_the_scripts() -> None:
    head = DOC.read_text().split("\n## ", 1)[0]
    match = re.search(r"\*\*(\d+) genuine discrepancies\*\*", head)
    assert match, "docs/findings.md must state '**N genuine discrepancies**' before its entries"
    assert int(match.group(1)) == len(FINDINGS)


def _catalogue() -> dict:
    import cases  # noqa: F401 - registers the catalogue

    return REGISTRY


@pytest.mark.parametrize("script", FINDINGS, ids=_ids(FINDINGS))
def test_finding_names_the_case_that_pins_it_and_the_known_lists_that_hold_it(
    script: Path,
) -> None:
    """A finding is a regression test too: its case differs under the backends it names, and
    each of those pairs' known-differences lists holds it, so a torch that fixes the finding
    fails the run with "no longer differs"."""
    from conformance.known import load_known

    doc = _docstring(script)
    if NO_CASE in doc:  # then it says why, and which case pins the behaviour in eager
        reason = re.split(r"\n(?=\S)", doc.split(NO_CASE, 1)[1])[0]  # up to the next field
        named = re.findall(r"\b([a-z_]+/[a-z0-9_]+)\b", reason)
        assert named and all(n in _catalogue() for n in named), reason
        return
    found = CASE_LINE.search(doc)
    assert found, f"{script.name}: docstring needs 'Case: <id> (<backends>)' or {NO_CASE!r}"
    case_id, backends = found.group(1), [b.strip() for b in found.group(2).split(",")]
    assert case_id in _catalogue(), f"{script.name}: no catalogue case {case_id}"
    for backend in backends:
        listed = {d.case for d in load_known(str(REPO / "known"), "torch", backend).differences}
        assert case_id in listed, f"{case_id} is not in the known list of torch vs {backend}"


def test_every_findings_case_is_named_by_its_finding() -> None:
    named = {m.group(1) for s in FINDINGS for m in CASE_LINE.finditer(_docstring(s))}
    pinned = {c.id for c in _catalogue().values() if c.area == "findings"}
    assert pinned, "cases/findings.py registers no case"
    assert pinned <= named, sorted(pinned - named)


def _known_issue_cases() -> list:
    return [c for c in _catalogue().values() if c.area == "known_issues"]


def test_known_issue_cases_each_cite_an_issue_listed_in_docs() -> None:
    known = _known_issue_cases()
    assert len(known) >= 15
    doc = DOC.read_text()
    for case in known:
        numbers = ISSUE_NUMBER.findall(case.doc.splitlines()[0] if case.doc else "")
        assert numbers, f"{case.id}: first docstring line must name the PyTorch issue (#NNNNNN)"
        assert f"`{case.name}`" in doc, f"{case.id} is missing from docs/findings.md"
        assert "2.13.0" in case.doc, f"{case.id}: docstring must say how torch 2.13.0 behaves"


def test_crashing_known_issue_runs_only_when_asked_for() -> None:
    crashing = [c for c in _known_issue_cases() if "crash" in c.tags]
    assert crashing, "the #196459 segfault must be a case tagged 'crash'"
    assert all(c.opt_in for c in crashing)


@pytest.mark.slow
@pytest.mark.parametrize("script", FINDINGS, ids=_ids(FINDINGS))
def test_finding_runs_and_prints_both_answers(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert EAGER_LINE.search(done.stdout), done.stdout
    assert COMPILED_LINE.search(done.stdout), done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["reference", "torch-compile", "torch-compiled-autograd", "torch-compile:inductor"]
)
def test_findings_cases_differ_exactly_as_the_known_lists_say(backend: str, tmp_path: Path) -> None:
    """The findings area judged against eager torch: every case passes or is a known difference
    (all its differing facets listed), and nothing listed passes - on the torch installed, so
    a torch that fixes a finding fails here with "no longer differs"."""
    import os

    from conformance.results import read_case_results

    out = tmp_path / "findings.jsonl"
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor-cache")}
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--backends", f"torch,{backend}"]
        + ["--area", "findings", "--jobs", "0", "-q", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env=env,
    )
    results = read_case_results(out)
    outcomes = {r.case_id: r.outcome for r in results}
    assert done.returncode == 0, (outcomes, done.stdout[-3000:])
    assert set(outcomes.values()) <= {"pass", "known"}, outcomes
    assert "known" in outcomes.values(), f"no finding differs under {backend}: {outcomes}"
