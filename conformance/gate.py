"""The regression gate: a run compared with a committed baseline of outcomes and error figures.

The baseline is plain JSON, reviewed like code: per environment fingerprint (backends, their
versions, the run seed), one entry per case with its outcome and, per observation, its status
and error figures. The gate fails on a new failure, on an error that grew past ``factor`` times
its baseline value and above an absolute floor, on a baseline case missing from the run, and
on a failing case failing worse (more NaN or infinity misplaced, a larger share of elements
mismatched); it lists improvements and fixed cases so the baseline gets refreshed
(``update_baseline``, which rewrites only the cases that ran and never deletes the others).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceInputError
from conformance.results import CaseResult, read_run

BASELINE_SCHEMA = "autograd-conformance-baseline"
BASELINE_SCHEMA_VERSION = 1
#: Error figures kept per observation, with the floor below which growth is ignored.
DEFAULT_FLOORS = {"max_ulp": 16.0, "max_rel_diff": 1e-5, "max_abs_diff": 1e-5}
DEFAULT_FACTOR = 4.0
#: Mismatch figures kept per observation: any growth of one is a regression, as it can only
#: grow in a case that already fails (a passing case has none).
MISMATCH_COUNTS = ("nan_mismatched", "inf_mismatched", "mismatched_fraction")
#: Outcomes a case must not newly reach, and those that count as working.
BAD_OUTCOMES = ("fail", "error", "crash")

NEW_FAILURE, GREW, MISSING = "new failure", "grew", "missing from run"
FIXED, IMPROVED, NEW_CASE = "fixed", "improved", "new case"
REGRESSIONS = (NEW_FAILURE, GREW, MISSING)


@dataclass
class GateConfig:
    factor: float = DEFAULT_FACTOR
    floors: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FLOORS))


@dataclass
class Finding:
    """One difference between the run and the baseline."""

    kind: str
    case_id: str
    detail: str
    observation: str = ""

    @property
    def regression(self) -> bool:
        return self.kind in REGRESSIONS

    def line(self) -> str:
        where = f"{self.case_id} [{self.observation}]" if self.observation else self.case_id
        return f"{self.kind.upper()}: {where}: {self.detail}"


@dataclass
class GateResult:
    fingerprint: str
    compared: int
    findings: list[Finding]
    #: When the baseline had no entries for the run's environment and another version of the
    #: same backends stood in: what changed, e.g. "torch 2.12.0 -> 2.13.0".
    across: str | None = None

    @property
    def regressions(self) -> list[Finding]:
        return [f for f in self.findings if f.regression]

    @property
    def passed(self) -> bool:
        return not self.regressions


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


def _plain(value: float | None) -> float | int | str | None:
    if value is None:
        return None
    if not math.isfinite(value):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def environment_of(header: dict[str, Any]) -> dict[str, Any]:
    """The parts of a run header that make results comparable, and their fingerprint."""
    backends = list(header.get("backends", []))
    versions = {b: header.get("versions", {}).get(b) for b in backends}
    env = {"backends": backends, "versions": versions, "seed": header.get("seed")}
    draw = (header.get("generator") or {}).get("draw_version")
    if draw is not None:  # generated/pNNNN names another program under another draw version
        env["draw_version"] = draw
    digest = hashlib.sha256(json.dumps(env, sort_keys=True).encode()).hexdigest()[:16]
    return {"fingerprint": digest, **env}


def case_entry(result: CaseResult) -> dict[str, Any]:
    """A case as the baseline keeps it: outcome, and per observation status and error figures."""
    observations: dict[str, Any] = {}
    for comparison in result.comparisons:
        entry: dict[str, Any] = {"status": comparison.status}
        if comparison.diff is not None:
            for key in DEFAULT_FLOORS:
                entry[key] = _plain(_number(getattr(comparison.diff, key)))
            for key in MISMATCH_COUNTS:
                entry[key] = _plain(_number(getattr(comparison.diff, key)))
        observations[comparison.name] = entry
    return {"outcome": result.outcome, "observations": observations}


def empty_baseline() -> dict[str, Any]:
    return {
        "schema": BASELINE_SCHEMA,
        "schema_version": BASELINE_SCHEMA_VERSION,
        "environments": {},
    }


def load_baseline(path: str | os.PathLike[str], missing_ok: bool = False) -> dict[str, Any]:
    """Read and check a baseline; anything but one of ours is an input error (exit 2)."""
    target = Path(path)
    if not target.exists():
        if missing_ok:
            return empty_baseline()
        raise ConformanceInputError(
            f"baseline {target} does not exist (create it with --update-baseline)"
        )
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConformanceInputError(f"cannot read baseline {target}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConformanceInputError(f"baseline {target} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise ConformanceInputError(
            f"{target} is not an autograd-conformance baseline (no schema {BASELINE_SCHEMA!r})"
        )
    if data.get("schema_version") != BASELINE_SCHEMA_VERSION:
        raise ConformanceInputError(
            f"baseline {target} has schema version {data.get('schema_version')!r}; "
            f"this harness reads version {BASELINE_SCHEMA_VERSION}"
        )
    environments = data.get("environments")
    if not isinstance(environments, dict) or not all(
        isinstance(e, dict) and isinstance(e.get("cases"), dict) for e in environments.values()
    ):
        raise ConformanceInputError(f"baseline {target} is malformed: bad 'environments'")
    for environment in environments.values():
        for case_id, entry in environment["cases"].items():
            problem = _entry_problem(entry)
            if problem:
                raise ConformanceInputError(f"baseline {target} is malformed: {case_id}: {problem}")
    return data


def _entry_problem(entry: Any) -> str | None:
    """What is wrong with one case entry of a baseline (None: nothing)."""
    if not isinstance(entry, dict):
        return f"a JSON {type(entry).__name__} where an object belongs"
    if not isinstance(entry.get("outcome"), str):
        return "no 'outcome' string"
    observations = entry.get("observations", {})
    if not isinstance(observations, dict):
        return "'observations' is not an object"
    for name, figures in observations.items():
        if not isinstance(figures, dict):
            return f"observation {name!r} is not an object"
        for key in (*DEFAULT_FLOORS, *MISMATCH_COUNTS):
            value = figures.get(key)
            if value is not None and not _is_number(value):
                return f"observation {name!r} has a bad {key!r}: {json.dumps(value)[:40]}"
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or value in ("nan", "inf", "-inf")


def load_run(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[CaseResult]]:
    headers, results = read_run(path)
    if not headers or not results:
        raise ConformanceInputError(f"{path} holds no run (no header or no case records)")
    return environment_of(headers[-1]), results


def _compare_figures(
    case_id: str, name: str, before: dict[str, Any], after: dict[str, Any], config: GateConfig
) -> list[Finding]:
    findings = []
    for key, floor in config.floors.items():
        old, new = _number(before.get(key)), _number(after.get(key))
        if old is None or new is None:
            continue
        if math.isnan(new) and not math.isnan(old):
            findings.append(Finding(GREW, case_id, f"{key} {old:g} -> nan", name))
            continue
        if math.isnan(old) or math.isnan(new):
            continue
        if new > floor and new > config.factor * old:
            findings.append(
                Finding(
                    GREW,
                    case_id,
                    f"{key} {old:g} -> {new:g} (more than {config.factor:g}x, floor {floor:g})",
                    name,
                )
            )
        elif old > floor and old > config.factor * new:
            findings.append(Finding(IMPROVED, case_id, f"{key} {old:g} -> {new:g}", name))
    for key in MISMATCH_COUNTS:
        old, new = _number(before.get(key)), _number(after.get(key))
        if old is None or new is None or old == new:
            continue
        kind = GREW if new > old else IMPROVED
        findings.append(Finding(kind, case_id, f"{key} {old:g} -> {new:g}", name))
    return findings


def compare(
    baseline_cases: dict[str, Any], results: Sequence[CaseResult], config: GateConfig
) -> list[Finding]:
    """Findings of a run against the baseline entries of its environment."""
    findings: list[Finding] = []
    ran = {r.case_id: r for r in results}
    for case_id in sorted(set(baseline_cases) - set(ran)):
        findings.append(Finding(MISSING, case_id, "in the baseline but not in this run"))
    for case_id, result in sorted(ran.items()):
        before = baseline_cases.get(case_id)
        if before is None:
            kind = NEW_FAILURE if result.outcome in BAD_OUTCOMES else NEW_CASE
            findings.append(Finding(kind, case_id, f"not in the baseline; {result.outcome}"))
            continue
        was, now = before.get("outcome"), result.outcome
        if now in BAD_OUTCOMES and was not in BAD_OUTCOMES:
            findings.append(Finding(NEW_FAILURE, case_id, f"was {was}, now {now}: {result.reason}"))
            continue
        if now == "unsupported" and was == "pass":
            findings.append(
                Finding(NEW_FAILURE, case_id, f"was pass, now unsupported: {result.reason}")
            )
            continue
        recovered = was in BAD_OUTCOMES and now not in BAD_OUTCOMES
        if recovered or (was, now) == ("unsupported", "pass"):
            findings.append(Finding(FIXED, case_id, f"was {was}, now {now}"))
        after = case_entry(result)["observations"]
        for name, figures in after.items():
            old = before.get("observations", {}).get(name)
            if isinstance(old, dict):
                findings.extend(_compare_figures(case_id, name, old, figures, config))
    return findings


def summary_lines(findings: Sequence[Finding], verbose: bool = False) -> list[str]:
    """One line per finding, except new cases that do not fail: one line per area listing how
    many (a run of 200 generated programs adds one line, not 200); ``verbose`` lists each."""
    ordered = sorted(findings, key=lambda f: (not f.regression, f.kind, f.case_id))
    if verbose:
        return [finding.line() for finding in ordered]
    lines = [finding.line() for finding in ordered if finding.kind != NEW_CASE]
    outcomes: dict[str, Counter[str]] = {}
    for finding in ordered:
        if finding.kind == NEW_CASE:
            area = finding.case_id.split("/", 1)[0]
            outcomes.setdefault(area, Counter())[finding.detail.rsplit("; ", 1)[-1]] += 1
    for area, counts in sorted(outcomes.items()):
        split = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        lines.append(
            f"NEW CASES: {area}: {counts.total()} not in the baseline ({split}); "
            "--verbose lists them"
        )
    return lines


def run_gate(
    baseline_path: str | os.PathLike[str],
    results_path: str | os.PathLike[str],
    config: GateConfig | None = None,
) -> GateResult:
    """Compare a results file with a baseline file."""
    baseline = load_baseline(baseline_path)
    env, results = load_run(results_path)
    section = baseline["environments"].get(env["fingerprint"])
    across = None
    if section is None:
        section, across = _other_versions(baseline["environments"], env)
    if section is None:
        known = "; ".join(
            f"{fp}: {', '.join(f'{b} {v}' for b, v in e.get('versions', {}).items())}"
            for fp, e in baseline["environments"].items()
        )
        versions = ", ".join(f"{b} {v}" for b, v in env["versions"].items())
        raise ConformanceInputError(
            f"baseline {baseline_path} has no entries for these backends "
            f"({versions}, seed {env['seed']}; fingerprint {env['fingerprint']}); "
            f"it has: {known or 'none'} (record one with --update-baseline)"
        )
    findings = compare(section["cases"], results, config or GateConfig())
    return GateResult(env["fingerprint"], len(results), findings, across)


def _other_versions(
    environments: dict[str, Any], env: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """The newest recorded section for the same backends and seed under other versions (an
    upgrade: the run is gated against what the previous release did), and what changed."""
    for section in reversed(list(environments.values())):
        if section.get("backends") == env["backends"] and section.get("seed") == env["seed"]:
            before = section.get("versions", {})
            changed = [
                f"{b} {before.get(b)} -> {v}"
                for b, v in env["versions"].items()
                if before.get(b) != v
            ]
            if section.get("draw_version") != env.get("draw_version"):
                old, new = section.get("draw_version"), env.get("draw_version")
                changed.append(f"draw version {old} -> {new}")
            return section, ", ".join(changed) or "same versions"
    return None, None


def newly_failing(
    baseline_path: str | os.PathLike[str], results_path: str | os.PathLike[str]
) -> list[str]:
    """Cases that passed in the baseline's entries for this environment and do not now: what
    ``--update-baseline`` would silently accept."""
    baseline = load_baseline(baseline_path, missing_ok=True)
    env, results = load_run(results_path)
    section = baseline["environments"].get(env["fingerprint"], {"cases": {}})
    found = []
    for result in results:
        before = section["cases"].get(result.case_id, {}).get("outcome")
        if before == "pass" and result.outcome != "pass":
            found.append(f"{result.case_id}: {before} -> {result.outcome} ({result.reason})")
    return found


def update_baseline(
    baseline_path: str | os.PathLike[str], results_path: str | os.PathLike[str]
) -> tuple[int, int]:
    """Rewrite the entries of the cases that ran, keep all others; returns (written, kept)."""
    baseline = load_baseline(baseline_path, missing_ok=True)
    env, results = load_run(results_path)
    section = baseline["environments"].setdefault(env["fingerprint"], {"cases": {}})
    section.update({k: v for k, v in env.items() if k != "fingerprint"})
    cases = section.setdefault("cases", {})
    for result in results:
        cases[result.case_id] = case_entry(result)
    section["cases"] = dict(sorted(cases.items()))
    target = Path(baseline_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(baseline, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConformanceInputError(f"cannot write baseline {target}: {exc.strerror}") from None
    return len(results), len(cases) - len(results)
