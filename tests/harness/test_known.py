"""Known-differences lists: reviewed, per backend pair, strict."""

from __future__ import annotations

import textwrap

import pytest

from conformance.errors import ConformanceInputError
from conformance.known import load_known
from conformance.verdict import Outcome, Verdict

LIST = """
    pair = ["torch", "torch-compile*"]

    [[difference]]
    case = "hooks/order"
    facet = "values"
    reason = "compiled graphs fire hooks in another order"
    link = "docs/findings.md#hook-order"

    [[difference]]
    case = "inplace_version/*"
    facet = "version"
    reason = "aot_eager bumps _version twice"
    link = "docs/findings.md#version"
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "compile.toml").write_text(textwrap.dedent(LIST))
    load_known.cache_clear()
    yield str(tmp_path)
    load_known.cache_clear()


def failing(*facets: str) -> Verdict:
    return Verdict(Outcome.FAIL, "x: mismatch", "", [], [], list(facets))


def test_a_failure_whose_every_facet_is_listed_is_known_and_says_why(folder):
    known = load_known(folder, "torch", "torch-compile:inductor")
    verdict = known.apply("hooks/order", failing("values"))
    assert verdict.outcome == Outcome.KNOWN
    assert verdict.reason == (
        "known difference: compiled graphs fire hooks in another order "
        "(docs/findings.md#hook-order)"
    )


def test_a_failure_with_an_unlisted_facet_still_fails(folder):
    known = load_known(folder, "torch", "torch-compile")
    assert known.apply("hooks/order", failing("values", "error")).outcome == Outcome.FAIL
    assert known.apply("hooks/other", failing("values")).outcome == Outcome.FAIL


def test_a_listed_case_that_passes_is_reported_so_the_list_stays_true(folder):
    known = load_known(folder, "torch", "torch-compile")
    passed = Verdict(Outcome.PASS, "", "", [], [])
    stale = known.apply("hooks/order", passed)
    assert stale.outcome == Outcome.FAIL
    assert stale.reason.startswith("listed known difference no longer happens (compile.toml")
    # a pattern lists a family: members that pass are fine
    assert known.apply("inplace_version/x", passed).outcome == Outcome.PASS


def test_a_list_applies_only_to_its_pair(folder):
    assert load_known(folder, "torch", "reference").differences == ()


def test_a_malformed_list_is_one_input_error(tmp_path):
    (tmp_path / "bad.toml").write_text('pair = ["torch", "x"]\n[[difference]]\ncase = "a/b"\n')
    load_known.cache_clear()
    with pytest.raises(ConformanceInputError, match="difference 1 lacks facet, reason, link"):
        load_known(str(tmp_path), "torch", "x")
    (tmp_path / "bad.toml").write_text(
        'pair = ["torch", "x"]\n[[difference]]\ncase = "a"\nfacet = "vibes"\nreason = "r"\n'
        'link = "l"\n'
    )
    load_known.cache_clear()
    with pytest.raises(ConformanceInputError, match="unknown facet 'vibes'"):
        load_known(str(tmp_path), "torch", "x")


def _heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped, each
    space a hyphen."""
    import re

    headings = re.findall(r"^#+ (.+)$", markdown, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_heading_anchors_are_githubs():
    assert _heading_anchors("## 12. Two `a.b(x=True)` outputs, a - b\n") == {
        "12-two-abxtrue-outputs-a---b"
    }


def test_the_committed_lists_load_and_every_entry_links_its_evidence():
    """Every list under ``known/``: it loads for its own pair, lists catalogue cases by exact
    id, and links a tracker entry or a heading of ``docs/findings.md`` that exists."""
    import tomllib
    from pathlib import Path

    import cases  # noqa: F401 - registers the catalogue
    from conformance.case import REGISTRY

    root = Path(__file__).resolve().parents[2]
    anchors = _heading_anchors((root / "docs" / "findings.md").read_text())
    lists = sorted((root / "known").glob("*.toml"))
    assert len(lists) >= 4
    load_known.cache_clear()
    for path in lists:
        pair = tomllib.loads(path.read_text())["pair"]
        known = load_known(str(root / "known"), *pair)
        assert known.differences, path.name
        for entry in known.differences:
            assert entry.exact, entry.case  # reviewed case by case, so the list stays strict
            assert entry.case in REGISTRY, f"{path.name}: no catalogue case {entry.case}"
            assert entry.link.startswith(
                ("https://github.com/pytorch/pytorch/", "docs/findings.md#")
            )
            if entry.link.startswith("docs/"):
                assert entry.link.split("#")[1] in anchors, f"{path.name}: {entry.link}"
    load_known.cache_clear()
