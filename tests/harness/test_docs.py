"""The project explains itself from its own files: docs/semantics.md has the sections the repo
cites, every numbered statement on it has a probe that still holds on the installed torch, and
reference_impl holds every statement but the documented divergences."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import semantics_probe
from conformance.semantics_probe import DIVERGENCES, SECTIONS, STATEMENTS, Statement

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "semantics.md"

#: Where the project cites the page: the code, the tests, the docs and the README.
CITING = ("conformance", "reference_impl", "cases", "tests", "reports", "bench", "examples", "docs")

#: A citation: ``semantics §5``, ``docs/semantics.md §5.6``, and the ``, §1`` / `` and §5.7`` that
#: continue it.
CITATION = re.compile(r"semantics(?:\.md)? (§[\d.]*\d(?:(?:, | and |/)§[\d.]*\d)*)")
#: Documents that are not in the repository, which the code once cited.
OUTSIDE = re.compile(
    "|".join(
        [
            "[Ss]pec" + " §",
            "spec" + " section",
            "spec" + " page",
            "torch" + "_probe",
            "probe" + " notes",
            "probe" + " §",
        ]
    )
)


def page_sections() -> dict[int, str]:
    headings = re.findall(r"^## (\d+)\. (.+)$", PAGE.read_text(), flags=re.MULTILINE)
    return {int(number): title for number, title in headings}


def page_statements() -> list[str]:
    return re.findall(r"^- \*\*(\d+\.\d+)\*\*", PAGE.read_text(), flags=re.MULTILINE)


def repo_texts() -> dict[Path, str]:
    files = [REPO / "README.md"]
    for folder in CITING:
        files += [p for p in (REPO / folder).rglob("*") if p.suffix in {".py", ".md"}]
    return {path: path.read_text(encoding="utf-8") for path in files if path.is_file()}


def citations() -> list[tuple[Path, str]]:
    found = []
    for path, text in repo_texts().items():
        for match in CITATION.finditer(text):
            found += [(path, ref) for ref in re.findall(r"§([\d.]*\d)", match.group(1))]
    return found


def test_the_page_headings_are_the_sections_the_probe_reports():
    assert page_sections() == SECTIONS


def test_every_numbered_statement_has_exactly_one_probe_and_every_probe_a_statement():
    numbered = page_statements()
    assert len(numbered) == len(set(numbered)), "a statement number is used twice on the page"
    assert sorted(numbered) == sorted(s.id for s in STATEMENTS)


def test_every_section_cited_in_the_repository_exists_on_the_page():
    cited = citations()
    assert len(cited) > 100, "the citation pattern no longer finds the tests' citations"
    existing = {str(n) for n in page_sections()} | set(page_statements())
    missing = sorted(
        {f"{path.relative_to(REPO)}: §{ref}" for path, ref in cited if ref not in existing}
    )
    assert not missing


def test_no_file_cites_a_document_outside_the_repository():
    this_file = Path(__file__).resolve()
    offending = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path, text in repo_texts().items()
        if path.resolve() != this_file
        for number, line in enumerate(text.splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not offending


def test_the_documented_divergences_are_statements_of_the_views_section():
    assert set(page_statements()) >= DIVERGENCES
    assert {int(d.split(".")[0]) for d in DIVERGENCES} == {5}


def test_every_statement_holds_on_the_installed_torch():
    torch = pytest.importorskip("torch")
    failing = {v.statement.id: v.detail for v in semantics_probe.probe(torch) if not v.holds}
    assert failing == {}


def test_reference_impl_holds_every_statement_but_the_documented_divergences():
    import reference_impl

    failing = {v.statement.id for v in semantics_probe.probe(reference_impl) if not v.holds}
    assert failing == DIVERGENCES


@pytest.mark.slow
def test_the_probe_command_exits_0_on_torch_and_names_the_version():
    done = subprocess.run(
        [sys.executable, "-m", "conformance.semantics_probe"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("docs/semantics.md against torch 2.")
    assert f"{len(STATEMENTS)} of {len(STATEMENTS)} statements hold" in done.stdout


def test_a_statement_that_no_longer_holds_is_reported_and_fails_the_command(monkeypatch, capsys):
    def check(torch: object) -> None:
        raise AssertionError("torch changed")

    changed = Statement("7.99", "a hook runs twice", check)
    monkeypatch.setattr(semantics_probe, "STATEMENTS", [*STATEMENTS, changed])
    assert semantics_probe.main(["--module", "reference_impl"]) == 1
    out = capsys.readouterr().out
    assert "7.99 DOES NOT HOLD: a hook runs twice" in out
    assert "AssertionError: torch changed" in out


# -- the README ---------------------------------------------------------------------------------


def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_layout_table_names_every_tracked_top_level_folder():
    tracked = subprocess.run(
        ["git", "ls-files"], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.splitlines()
    folders = {path.split("/")[0] for path in tracked if "/" in path}
    layout = readme().split("## What is here", 1)[1].split("\n\n")[1]
    listed = set(re.findall(r"^\| `([^`/]+)/`", layout, flags=re.MULTILINE))
    assert folders - listed == set()
    assert listed - folders == set()


def test_the_readme_run_example_with_a_selection_selects_cases():
    import shlex

    from conformance.catalogue import load_catalogue, select
    from conformance.cli import build_parser

    examples = [
        line.split("#")[0]
        for line in readme().splitlines()
        if line.startswith("conformance run ") and " -k " in line and "--area generated" not in line
    ]
    assert examples, "the README shows a run with a -k selection"
    for example in examples:
        args = build_parser().parse_args(shlex.split(example)[1:])
        chosen = select(load_catalogue(), areas=args.area, tags=args.tag, patterns=args.patterns)
        assert chosen, example


def test_the_readme_benchmark_table_appears_once():
    assert readme().count("engine small (64 el): torch") == 1


# -- docs/architecture.md -----------------------------------------------------------------------


def test_every_file_the_architecture_page_names_exists():
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = {
        path
        for path in re.findall(r"`([\w./-]+)`", page)
        if "/" in path and re.search(r"\.(py|md|toml|html|css|js)$|/$", path)
    }
    assert len(named) > 40, "the pattern no longer finds the page's paths"
    roots = [REPO, REPO / "conformance", REPO / "reference_impl", REPO / "reports"]
    missing = sorted(p for p in named if not any((root / p).exists() for root in roots))
    assert not missing


def test_the_architecture_page_has_a_paragraph_for_every_harness_module():
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = [
        p.name
        for folder in ("conformance", "conformance/programs", "reports")
        for p in sorted((REPO / folder).glob("*.py"))
        if p.name != "__init__.py" or folder == "conformance"
    ]
    assert [m for m in modules if f"`{m}`" not in page] == []


def test_the_evidence_page_refers_to_code_not_to_work_items():
    page = (REPO / "docs" / "evidence.md").read_text(encoding="utf-8")
    assert re.findall(r"\b(?:issues?|session) \d", page) == []
