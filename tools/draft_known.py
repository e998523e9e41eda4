"""Draft a known-differences list from a results file: one entry per failing case whose reason
matches a triaged rule, for a reviewer to check before it is committed to ``known/``.

    python tools/draft_known.py results.jsonl --pair torch torch-compile > known/x.toml

The rules below are the triage of the torch vs torch-compile catalogue run (docs/findings.md):
each names a reason pattern, the facet it accounts for, why, and a link. Cases no rule
explains are left out and printed to stderr: they are the untriaged differences.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from conformance.results import read_run


@dataclass(frozen=True)
class Rule:
    pattern: str  #: searched in the case's reason
    facet: str
    reason: str
    link: str


RULES = (
    Rule(
        r"does not currently support double backward",
        "error",
        "aot_autograd refuses double backward through a compiled region (documented limitation)",
        "https://github.com/pytorch/pytorch/pull/92348",
    ),
    Rule(
        r"appears to not have been used in the graph",
        "error",
        "autograd.grad of an intermediate of a compiled region: compiled graphs only "
        "differentiate their outputs with respect to their inputs",
        "https://github.com/pytorch/pytorch/issues/132929",
    ),
    Rule(
        r"Trying to backward through the graph a second time",
        "error",
        "outputs of one compiled region share one CompiledFunctionBackward, freed by the first "
        "backward (finding 12)",
        "docs/findings.md#12-two-outputs-of-one-compiled-function-fail-when-backwarded-one-after-the-other",
    ),
    Rule(
        r"raised TorchRuntimeError",
        "error",
        "an op's error inside the case's own try/except escapes it as TorchRuntimeError "
        "(finding 11)",
        "docs/findings.md#11-an-ops-error-escapes-the-compiled-functions-own-tryexcept",
    ),
    Rule(
        r"raised BackendCompilerFailed",
        "error",
        "aot_eager refuses what eager refuses, but raises BackendCompilerFailed at compile time "
        "instead of the eager error",
        "docs/findings.md#seen-but-not-counted",
    ),
    Rule(
        r"version: mismatch",
        "version",
        "aot_eager bumps _version twice for one in-place op (finding 03)",
        "docs/findings.md#03-one-in-place-add_-bumps-_version-by-2",
    ),
)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--pair", nargs=2, required=True, metavar=("BASELINE", "CANDIDATE"))
    args = parser.parse_args(argv)
    _, results = read_run(args.results)
    lines = [f"pair = [{_quote(args.pair[0])}, {_quote(args.pair[1])}]", ""]
    untriaged = []
    for result in sorted(results, key=lambda r: r.case_id):
        if result.outcome not in ("fail", "crash"):
            continue
        matched = [rule for rule in RULES if re.search(rule.pattern, result.reason)]
        covered = {rule.facet for rule in matched}
        if not matched or not set(result.facets) <= covered:
            untriaged.append(f"{result.case_id}: {result.facets} {result.reason[:100]}")
            continue
        for rule in {r.facet: r for r in matched}.values():
            lines += [
                "[[difference]]",
                f"case = {_quote(result.case_id)}",
                f"facet = {_quote(rule.facet)}",
                f"reason = {_quote(rule.reason)}",
                f"link = {_quote(rule.link)}",
                "",
            ]
    sys.stdout.write("\n".join(lines))
    print(f"{len(untriaged)} failing case(s) no rule explains:", file=sys.stderr)
    for line in untriaged:
        print(f"  {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
