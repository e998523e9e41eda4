"""Result records and their JSON Lines file.

A run file holds one ``run`` header line per (re)start, then one ``case`` line per finished case,
each written and flushed as soon as the case finishes, so an interrupted run keeps every case it
finished and ``--resume`` can skip them. ``load_results`` reads a file as a pandas DataFrame.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conformance.compare import ObservationComparison
from conformance.errors import ConformanceInputError
from conformance.verdict import ExpectationCheck

#: Columns of ``load_results`` per level, in order.
CASE_COLUMNS = [
    "case_id",
    "area",
    "name",
    "tags",
    "outcome",
    "baseline",
    "candidate",
    "seed",
    "reason",
    "observations",
    "differing",
    "max_abs_diff",
    "max_rel_diff",
    "max_ulp",
    "baseline_seconds",
    "candidate_seconds",
    "message",
]
OBSERVATION_COLUMNS = [
    "case_id",
    "area",
    "name",
    "tags",
    "outcome",
    "baseline",
    "candidate",
    "seed",
    "observation",
    "kind",
    "status",
    "reasons",
    "numel",
    "mismatched",
    "max_abs_diff",
    "max_rel_diff",
    "max_ulp",
    "rtol",
    "atol",
    "nan_mismatched",
    "message",
]

RECORD_RUN = "run"
RECORD_CASE = "case"


@dataclass
class RunHeader:
    """Who compared what: written first, and again on every resume."""

    seed: int
    backends: list[str]
    versions: dict[str, str | None]
    selection: dict[str, Any]
    started: str
    argv: list[str] = field(default_factory=list)
    python: str = ""
    platform: str = ""
    harness_version: str = ""
    numpy: str = ""
    git_commit: str = ""
    device: str = ""
    dtype_policy: str = ""
    record: str = RECORD_RUN


@dataclass
class FiniteDifferenceCheck:
    """A third opinion on one gradient observation: a float64 central-difference estimate.

    When the two backends disagree, the errors against the estimate say which one is wrong.
    Errors are ``max |a - b| / max(1, max |b|)`` with ``b`` the estimate (None: no value).
    """

    name: str  #: the observation, as named in ``CaseResult.comparisons``
    estimate: Any  #: nested lists of float64
    baseline_error: float | None
    candidate_error: float | None
    pair_error: float | None  #: baseline vs candidate, same measure
    wrong_side: str | None = None  #: "baseline", "candidate", "both" or None (both agree)


@dataclass
class CaseResult:
    """Everything learnt about one case on one backend pair."""

    case_id: str
    area: str
    name: str
    tags: list[str]
    seed: int
    backends: list[str]
    outcome: str
    reason: str = ""
    message: str = ""
    doc: str = ""
    comparisons: list[ObservationComparison] = field(default_factory=list)
    expectations: list[ExpectationCheck] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    #: Finite-difference opinions, for generated programs whose gradient is plain calculus.
    finite_differences: list[FiniteDifferenceCheck] = field(default_factory=list)
    record: str = RECORD_CASE

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        """Rebuild a result from its JSON form (nested records become dataclasses again)."""
        from conformance.compare import ValueDiff

        values = dict(data)
        comparisons = []
        for item in values.get("comparisons", []):
            item = dict(item)
            if item.get("diff") is not None:
                item["diff"] = ValueDiff(**item["diff"])
            comparisons.append(ObservationComparison(**item))
        values["comparisons"] = comparisons
        values["expectations"] = [ExpectationCheck(**e) for e in values.get("expectations", [])]
        values["finite_differences"] = [
            FiniteDifferenceCheck(**f) for f in values.get("finite_differences", [])
        ]
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


#: Field names per record class: ``plain`` walks records without ``dataclasses.asdict``, whose
#: deep copies made serialising a result cost as much as judging it.
_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data in one pass: records become dicts, tuples lists, keys strings,
    and non-finite floats the strings 'nan', 'inf', '-inf'."""
    kind = type(value)
    if kind is float:
        if value - value == 0.0:  # finite
            return value
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, float):
        return plain(float(value))
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


_LINE = "_json_line"


def to_json(record: RunHeader | CaseResult) -> str:
    """One line of strict JSON (non-finite floats written as 'nan', 'inf', '-inf')."""
    cached = record.__dict__.get(_LINE)
    if cached is not None:
        return str(cached)
    data = plain(record)
    ordered = {"record": data.pop("record"), **data}
    return json.dumps(ordered, allow_nan=False)


def encode(result: CaseResult) -> CaseResult:
    """Compute ``result``'s JSON line now and keep it with the record (results are never changed
    once made). Workers call this, so the one process writing the stream only copies lines:
    serialising in the parent made it the bottleneck of a two-worker run."""
    result.__dict__[_LINE] = to_json(result)
    return result


class ResultWriter:
    """Appends records to a JSON Lines file, flushing each one to the OS at once."""

    def __init__(self, path: str | os.PathLike[str], *, append: bool = False) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] = open(self.path, "a" if append else "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise ConformanceInputError(
                f"cannot write results to {self.path}: {exc.strerror}"
            ) from None
        if append and self._file.tell() > 0 and not _ends_with_newline(self.path):
            self._file.write("\n")  # a line cut short by a crash stays a separate, bad line

    def write(self, record: RunHeader | CaseResult) -> None:
        self.write_line(to_json(record))

    def write_line(self, line: str) -> None:
        """Append one record already serialised by ``to_json`` (e.g. sent by a worker)."""
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def read_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every complete record in a results file; a line cut short by a crash is skipped."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise ConformanceInputError(f"cannot read results {path}: {exc.strerror}") from None
    with handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


def read_case_results(path: str | os.PathLike[str]) -> list[CaseResult]:
    """The case records of a file, the latest one per case id, sorted by case id."""
    latest: dict[str, dict[str, Any]] = {}
    for record in read_records(path):
        if record.get("record") == RECORD_CASE:
            latest[record["case_id"]] = record
    return [CaseResult.from_dict(latest[k]) for k in sorted(latest)]


def read_headers(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    return [r for r in read_records(path) if r.get("record") == RECORD_RUN]


def read_run(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[CaseResult]]:
    """``read_headers`` and ``read_case_results`` of a file in one pass over its records."""
    headers: list[dict[str, Any]] = []
    latest: dict[str, dict[str, Any]] = {}
    for record in read_records(path):
        kind = record.get("record")
        if kind == RECORD_RUN:
            headers.append(record)
        elif kind == RECORD_CASE:
            latest[record["case_id"]] = record
    return headers, [CaseResult.from_dict(latest[k]) for k in sorted(latest)]


def finished_case_ids(path: str | os.PathLike[str]) -> set[str]:
    """Ids of the cases a (possibly interrupted) run file already holds."""
    if not Path(path).exists():
        return set()
    return {r["case_id"] for r in read_records(path) if r.get("record") == RECORD_CASE}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return float(value)  # 'nan', 'inf', '-inf'
    return float(value)


def _worst(comparisons: Iterable[dict[str, Any]], key: str) -> float | None:
    values = [
        _number(c["diff"][key])
        for c in comparisons
        if c.get("diff") and c["diff"].get(key) is not None
    ]
    return max(values) if values else None  # type: ignore[type-var]


def load_results(path: str | os.PathLike[str], level: str = "case") -> Any:
    """A results file as a pandas DataFrame, sorted by case id.

    ``level="case"``: one row per case (outcome, reason, worst numeric differences, durations);
    ``level="observation"``: one row per compared observation, with its numeric differences.
    The run headers are in ``df.attrs["runs"]``.
    """
    import pandas as pd

    if level not in ("case", "observation"):
        raise ValueError(f"level must be 'case' or 'observation', got {level!r}")
    latest: dict[str, dict[str, Any]] = {}
    for record in read_records(path):
        if record.get("record") == RECORD_CASE:
            latest[record["case_id"]] = record
    rows: list[dict[str, Any]] = []
    for case_id in sorted(latest):
        record = latest[case_id]
        base = {
            "case_id": case_id,
            "area": record["area"],
            "name": record["name"],
            "tags": tuple(record.get("tags", ())),
            "outcome": record["outcome"],
            "baseline": record["backends"][0],
            "candidate": record["backends"][1],
            "seed": record["seed"],
        }
        comparisons = record.get("comparisons", [])
        if level == "case":
            durations = record.get("durations", {})
            rows.append(
                base
                | {
                    "reason": record.get("reason", ""),
                    "observations": len(comparisons),
                    "differing": sum(c["status"] != "match" for c in comparisons),
                    "max_abs_diff": _worst(comparisons, "max_abs_diff"),
                    "max_rel_diff": _worst(comparisons, "max_rel_diff"),
                    "max_ulp": _worst(comparisons, "max_ulp"),
                    "baseline_seconds": durations.get(base["baseline"]),
                    "candidate_seconds": durations.get(base["candidate"]),
                    "message": record.get("message", ""),
                }
            )
        else:
            for comparison in comparisons:
                diff = comparison.get("diff") or {}
                rows.append(
                    base
                    | {
                        "observation": comparison["name"],
                        "kind": comparison["kind"],
                        "status": comparison["status"],
                        "reasons": tuple(comparison.get("reasons", ())),
                        "numel": diff.get("numel"),
                        "mismatched": diff.get("mismatched"),
                        "max_abs_diff": _number(diff.get("max_abs_diff")),
                        "max_rel_diff": _number(diff.get("max_rel_diff")),
                        "max_ulp": diff.get("max_ulp"),
                        "rtol": diff.get("rtol"),
                        "atol": diff.get("atol"),
                        "nan_mismatched": diff.get("nan_mismatched"),
                        "message": comparison.get("message", ""),
                    }
                )
    frame = pd.DataFrame(rows, columns=CASE_COLUMNS if level == "case" else OBSERVATION_COLUMNS)
    frame.attrs["runs"] = read_headers(path)
    return frame
