"""Result records and their JSON Lines file.

A run file holds one ``run`` header line per (re)start, then one ``case`` line per finished case,
each written and flushed as soon as the case finishes, so an interrupted run keeps every case it
finished and ``--resume`` can skip them. ``load_results`` reads a file as a pandas DataFrame.

One process writes a file at a time (``ResultWriter`` holds an advisory lock on it), and every
reader checks every line: a line that is not UTF-8, not JSON or not a record of ours is an input
error naming the file and line, unless the reader runs inside ``skipping_bad_lines``, which
counts and skips it. Only an unfinished last line (no newline: the writer was killed mid-line)
is skipped silently, and the next writer cuts it off.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import errno
import json
import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import orjson

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: no lock there
    fcntl = None  # type: ignore[assignment]

from conformance.compare import ObservationComparison
from conformance.errors import ConformanceInputError
from conformance.observe import clip_text
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
#: Longest string a record keeps (a message, a reason, a traceback); longer ones are clipped
#: with their length and hash, so one record stays under a few MB whatever a case produced.
RECORD_TEXT_KEPT = 65536


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
    #: The pair's comparison policy: name and what it ignores (``conformance.policies``).
    policy: dict[str, Any] = field(default_factory=dict)
    #: What generated programs depend on (``environment.generator``): draw and Hypothesis versions.
    generator: dict[str, Any] = field(default_factory=dict)
    #: On-disk compile caches the backends read and their fullness at the start
    #: (``environment.compile_caches``): an inductor verdict can depend on them.
    compile_caches: dict[str, Any] = field(default_factory=dict)
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
    #: The facets that differed (``conformance.facets``), and those that differed only where
    #: the pair's comparison policy ignores them.
    facets: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    #: What each backend measured about its run, by backend name (e.g. compiled graphs).
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    record: str = RECORD_CASE

    def __reduce_ex__(self, protocol: Any) -> Any:
        """An encoded result crosses a process boundary as its JSON line and its small fields:
        the process writing the stream reads only those, and rebuilding every comparison there
        cost more than judging the case. The rest is read back from the line when asked for."""
        if _LINE not in self.__dict__:
            return super().__reduce_ex__(protocol)
        light = {k: v for k, v in self.__dict__.items() if k not in _FROM_LINE}
        return (_result_from_line, (light,))

    if not TYPE_CHECKING:  # for mypy, a result has its declared fields and nothing else

        def __getattr__(self, name: str) -> Any:
            """The fields left behind when the result crossed a process (``__reduce_ex__``)."""
            line = self.__dict__.get(_LINE)
            if name not in _FROM_LINE or line is None:
                raise AttributeError(name)
            full = CaseResult.from_dict(json.loads(line))
            for field_name in _FROM_LINE:
                self.__dict__[field_name] = getattr(full, field_name)
            return self.__dict__[name]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        """Rebuild a result from its JSON form (nested records become dataclasses again)."""
        from conformance.compare import ValueDiff

        values = dict(data)
        comparisons = []
        for item in values.get("comparisons", []):
            item = dict(item)
            if item.pop("same", False):  # the candidate read exactly what the baseline did
                item["candidate"] = item.get("baseline")
            if item.get("diff") is not None:
                item["diff"] = _known(ValueDiff, item["diff"])
            comparisons.append(_known(ObservationComparison, item))
        values["comparisons"] = comparisons
        values["expectations"] = [
            _known(ExpectationCheck, e) for e in values.get("expectations", [])
        ]
        values["finite_differences"] = [
            _known(FiniteDifferenceCheck, f) for f in values.get("finite_differences", [])
        ]
        return _known(cls, values)


#: The bulky fields of a result, left behind when it crosses a process (kept in its JSON line).
_FROM_LINE = frozenset({"comparisons", "expectations", "finite_differences"})


def _result_from_line(light: dict[str, Any]) -> CaseResult:
    """A result that crossed a process: its small fields now, the rest from its line later."""
    result = CaseResult.__new__(CaseResult)
    result.__dict__.update(light)
    return result


def _known(kind: type, data: dict[str, Any]) -> Any:
    """``kind(**data)`` with the fields ``kind`` does not have left out (a newer writer's)."""
    names = _field_names(kind)
    return kind(**{k: v for k, v in data.items() if k in names})


def _field_names(kind: type) -> tuple[str, ...]:
    """The field names of the record class ``kind``, looked up once per class."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


#: Field names per record class: ``plain`` walks records without ``dataclasses.asdict``, whose
#: deep copies made serialising a result cost as much as judging it.
_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data in one pass: records become dicts, tuples lists, keys strings,
    non-finite floats the strings 'nan', 'inf', '-inf', and strings longer than
    ``RECORD_TEXT_KEPT`` a clipped start with their length and hash."""
    kind = type(value)
    if kind is float:
        if value - value == 0.0:  # finite
            return value
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if kind is str:
        return value if len(value) <= RECORD_TEXT_KEPT else clip_text(value, RECORD_TEXT_KEPT)
    if kind is int or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _field_names(kind)
    if names is not None:
        if kind is ObservationComparison and _reads_alike(value):
            return plain(_written_once({name: getattr(value, name) for name in names}))
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, float):
        return plain(float(value))
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


_LINE = "_json_line"


def _fields(value: Any) -> dict[str, Any]:
    """A record's fields as a dict (``json.dumps``'s ``default``, called for nested records)."""
    kind = type(value)
    if kind not in _FIELDS and not dataclasses.is_dataclass(value):
        raise TypeError(f"{kind.__name__} is not JSON-ready")
    return {name: getattr(value, name) for name in _field_names(kind)}


def _nested_fields(value: Any) -> dict[str, Any]:
    """``_fields`` for a record nested in the one being written, read-only: its ``__dict__``
    itself where that holds exactly its fields in order (it does, unless something was added),
    as copying every comparison and diff was a good part of writing a record. Raises
    ``_NotFinite`` for a record holding a non-finite number (see ``to_json``)."""
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:  # the first record of its kind this process writes
        names = tuple(_fields(value))
    found = getattr(value, "__dict__", None)
    if found is None or tuple(found) != names:
        found = {name: getattr(value, name) for name in names}
    _check_finite(kind, found)
    if kind is ObservationComparison and _reads_alike(value):
        return _written_once(found)
    return found


class _NotFinite(ValueError):
    """A record holding a NaN or an infinity, which the fast encoder would write as null."""


#: Fields of an observation comparison that ``conformance.observe`` builds JSON-safe (a
#: reading's summary writes non-finite values as text), so they are not searched again.
_SAFE_FIELDS = frozenset({"baseline", "candidate"})
#: Per record class, the fields whose type admits a float (``float``, ``Any``).
_NUMBER_FIELDS: dict[type, tuple[str, ...]] = {}


def _number_fields(kind: type) -> tuple[str, ...]:
    names = _NUMBER_FIELDS.get(kind)
    if names is None:
        names = _NUMBER_FIELDS[kind] = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in _SAFE_FIELDS and ("float" in str(f.type) or "Any" in str(f.type))
        )
    return names


def _check_finite(kind: type, fields: dict[str, Any]) -> None:
    """Raise ``_NotFinite`` when a field of a ``kind`` record that may hold a float holds a
    non-finite one, at any depth of lists and dicts."""
    for name in _number_fields(kind):
        if not _all_finite(fields[name]):
            raise _NotFinite(name)


def _all_finite(value: Any) -> bool:
    """No NaN or infinity in ``value``'s floats. A record nested in it is checked when orjson
    writes it; numbers of other types (NumPy scalars) orjson refuses, which also sends the
    record the slow way."""
    kind = type(value)
    if kind is float:
        return value - value == 0.0
    if kind is list or kind is tuple:
        return all(map(_all_finite, value))
    if kind is dict:
        return all(map(_all_finite, value.values()))
    return True


def _reads_alike(comparison: ObservationComparison) -> bool:
    """Whether a comparison's candidate reading is its baseline's own (the summary both sides
    share when they read exactly alike: most comparisons of a passing run)."""
    return comparison.candidate is comparison.baseline and comparison.baseline is not None


def _written_once(fields: dict[str, Any]) -> dict[str, Any]:
    """A comparison's fields with the candidate's reading written as ``"same": true`` instead of
    a second copy of the baseline's (``CaseResult.from_dict`` puts it back): a sixth of a
    generated program's record and of the time spent writing it."""
    return {**fields, "candidate": None, "same": True}


def to_json(record: RunHeader | CaseResult) -> str:
    """One line of strict JSON (non-finite floats written as 'nan', 'inf', '-inf').

    Most records are JSON-ready but for being dataclasses, so orjson writes them directly (a
    sixth of the time the standard library's encoder took: 37 of 119 us for a generated
    program's record); a record with a non-finite number (orjson would write it as null), a
    value of another type, or one long enough to hold a string past ``RECORD_TEXT_KEPT`` goes
    through ``plain`` and the standard library, which the fast path must equal as JSON."""
    cached = record.__dict__.get(_LINE)
    if cached is not None:
        return str(cached)
    fields = _fields(record)
    try:
        _check_finite(type(record), fields)
        line = orjson.dumps(
            {"record": fields.pop("record"), **fields},
            default=_nested_fields,
            option=orjson.OPT_PASSTHROUGH_DATACLASS,
        ).decode()
    except (ValueError, TypeError):  # _NotFinite, or a value orjson refuses (JSONEncodeError)
        line = ""
    if line and (len(line) <= RECORD_TEXT_KEPT or not _may_hold_long_text(line)):
        return line
    data = plain(record)
    ordered = {"record": data.pop("record"), **data}
    return json.dumps(ordered, allow_nan=False, separators=(",", ":"))


#: How every case line of a results file starts (``to_json`` writes ``record`` first, compactly).
CASE_LINE_START = f'{{"record":"{RECORD_CASE}"'


def _may_hold_long_text(line: str) -> bool:
    """Whether the JSON ``line`` may hold a string longer than ``RECORD_TEXT_KEPT`` (characters
    past ASCII counted as their escapes, which only lengthens runs):
    some run between two quotes that delimit strings is that long. A quote after a backslash
    is taken for an escaped one, so runs only merge and a string's run is never shorter than
    the string; a long run outside strings (a long list of numbers) only sends the record the
    slow way. A long record of short strings - two hundred comparisons - then no longer goes
    through ``plain``, which cost it 4.7 ms; this costs it 0.1."""
    chars = np.frombuffer(line.encode("ascii", "backslashreplace"), dtype=np.uint8)
    quotes = np.flatnonzero(chars == ord('"'))
    delimiters = quotes[chars[quotes - 1] != ord("\\")] if quotes.size else quotes
    edges = np.concatenate(([-1], delimiters, [chars.size]))
    return int(np.diff(edges).max()) - 1 > RECORD_TEXT_KEPT


def encode(result: CaseResult) -> CaseResult:
    """Compute ``result``'s JSON line now and keep it with the record (results are never changed
    once made). Workers call this, so the one process writing the stream only copies lines:
    serialising in the parent made it the bottleneck of a two-worker run."""
    result.__dict__[_LINE] = to_json(result)
    return result


class ResultWriter:
    """Appends records to a JSON Lines file, flushing each one to the OS at once.

    The writer holds an advisory lock on the file from the moment it opens it (before anything
    is truncated), so a second run on the same file stops with an error naming the holder
    instead of interleaving lines with the first. ``append=True`` (``--resume``) first cuts off
    an unfinished last line, so the finished file holds whole lines only.
    """

    def __init__(self, path: str | os.PathLike[str], *, append: bool = False) -> None:
        self.path = Path(path)
        #: Bytes of an unfinished last line cut off when appending (0: none).
        self.cut_bytes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise ConformanceInputError(
                f"cannot write results to {self.path}: {_why_unwritable(self.path, exc)}"
            ) from None
        try:
            _lock(self._file, self.path)
            if _is_regular(self._file):
                if not append:
                    self._file.truncate(0)
                else:
                    self.cut_bytes = _cut_unfinished_line(self._file)
        except BaseException:
            self._file.close()
            raise

    def write(self, record: RunHeader | CaseResult) -> None:
        self.write_line(to_json(record))

    def write_line(self, line: str) -> None:
        """Append one record already serialised by ``to_json`` (e.g. sent by a worker)."""
        try:
            self._file.write(line + "\n")
            self._file.flush()
        except OSError as exc:
            raise ConformanceInputError(
                f"cannot write results to {self.path}: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        try:
            self._file.close()  # also releases the lock
        except OSError as exc:
            raise ConformanceInputError(
                f"cannot write results to {self.path}: {exc.strerror or exc}"
            ) from None

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _why_unwritable(path: Path, exc: OSError) -> str:
    """Why ``path`` cannot be created, in words: a file standing where a folder must be is
    named, rather than reported as 'File exists'."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return f"{parent} is a file, not a folder"
    return str(exc.strerror or exc)


def _is_regular(handle: IO[str]) -> bool:
    return stat.S_ISREG(os.fstat(handle.fileno()).st_mode)


def _lock(handle: IO[str], path: Path) -> None:
    """Take the advisory write lock on ``handle`` without waiting; held until it is closed."""
    if fcntl is None:  # pragma: no cover
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return  # a file system without flock: run unlocked rather than not at all
        holder = lock_holder(path)
        who = f"process {holder}" if holder else "another process"
        raise ConformanceInputError(
            f"{path} is being written by {who}; wait for it or choose another --out"
        ) from None


def lock_holder(path: str | os.PathLike[str]) -> int | None:
    """The pid holding the lock on ``path``, from ``/proc/locks`` (None where not known)."""
    try:
        info = os.stat(path)
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in lines:
        fields = line.split()
        if "FLOCK" in fields and device in fields and "->" not in fields:
            pid = fields[fields.index(device) - 1]
            if pid.isdigit():
                return int(pid)
    return None


def _cut_unfinished_line(handle: IO[str]) -> int:
    """Truncate the file after its last newline; returns the number of bytes cut."""
    fd = handle.fileno()
    size = os.fstat(fd).st_size
    end = size
    while end > 0:
        start = max(0, end - 65536)
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            end = start + newline + 1
            break
        end = start
    if end < size:
        os.ftruncate(fd, end)
    return size - end


# -- reading ------------------------------------------------------------------------------


@dataclass
class BadLines:
    """Lines the readers skipped inside ``skipping_bad_lines``: how many per file, and the
    first problem met in each, for one warning line per file."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, problem: str) -> None:
        self.counts[path] += 1
        self.first.setdefault(path, problem)

    def warnings(self) -> list[str]:
        return [
            f"warning: skipped {count} bad line(s) in {path} (first: {self.first[path]})"
            for path, count in self.counts.items()
        ]


_SKIPPING: contextvars.ContextVar[BadLines | None] = contextvars.ContextVar(
    "skipping_bad_lines", default=None
)


@contextlib.contextmanager
def skipping_bad_lines() -> Iterator[BadLines]:
    """Inside this block, readers count and skip bad lines instead of raising
    (``--skip-bad-lines``); the yielded ``BadLines`` says how many and where."""
    tally = BadLines()
    token = _SKIPPING.set(tally)
    try:
        yield tally
    finally:
        _SKIPPING.reset(token)


_NUMBER_WORDS = ("nan", "inf", "-inf")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or value in _NUMBER_WORDS


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _optional(check: Any) -> Any:
    return lambda value: value is None or check(value)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


#: Per record part: field -> (required, check). Fields not listed are ignored by readers.
_RUN_SHAPE = {
    "seed": (True, _is_int),
    "backends": (True, _is_strings),
    "versions": (False, _is_dict),
    "selection": (False, _is_dict),
}
_CASE_SHAPE = {
    "case_id": (True, _is_str),
    "area": (True, _is_str),
    "name": (True, _is_str),
    "outcome": (True, _is_str),
    "seed": (True, _is_int),
    "backends": (True, lambda v: _is_strings(v) and len(v) == 2),
    "tags": (False, _is_strings),
    "reason": (False, _is_str),
    "message": (False, _is_str),
    "doc": (False, _is_str),
    "durations": (False, lambda v: _is_dict(v) and all(_is_number(x) for x in v.values())),
    "comparisons": (False, lambda v: isinstance(v, list)),
    "expectations": (False, lambda v: isinstance(v, list)),
    "finite_differences": (False, lambda v: isinstance(v, list)),
}
_COMPARISON_SHAPE = {
    "name": (True, _is_str),
    "status": (True, _is_str),
    "kind": (True, _is_str),
    "reasons": (False, _is_strings),
    "message": (False, _is_str),
    "diff": (False, _optional(_is_dict)),
    "baseline": (False, _optional(_is_dict)),
    "candidate": (False, _optional(_is_dict)),
    "same": (False, lambda v: isinstance(v, bool)),
}
_DIFF_NUMBERS = (
    "numel",
    "mismatched",
    "mismatched_fraction",
    "rtol",
    "atol",
    "max_abs_diff",
    "max_rel_diff",
    "max_ulp",
    "nan_mismatched",
    "inf_mismatched",
    "max_tolerance_ratio",
)
_DIFF_REQUIRED = ("numel", "mismatched", "mismatched_fraction", "rtol", "atol")
_DIFF_SHAPE = {
    # max_ulp is None for integer values, the maxima None when nothing could be measured
    key: (True, _is_number) if key in _DIFF_REQUIRED else (False, _optional(_is_number))
    for key in _DIFF_NUMBERS
}
_EXPECTATION_SHAPE = {
    "backend": (True, _is_str),
    "name": (True, _is_str),
    "ok": (True, lambda v: isinstance(v, bool)),
    "detail": (False, _is_str),
}
_FD_SHAPE = {
    "name": (True, _is_str),
    "baseline_error": (False, _optional(_is_number)),
    "candidate_error": (False, _optional(_is_number)),
    "pair_error": (False, _optional(_is_number)),
    "wrong_side": (False, _optional(_is_str)),
}


def _shape_problem(data: Any, shape: dict[str, tuple[bool, Any]], what: str) -> str | None:
    if not isinstance(data, dict):
        return f"{what} is a JSON {type(data).__name__}, not an object"
    for key, (required, check) in shape.items():
        if key not in data:
            if required:
                return f"{what} lacks {key!r}"
        elif not check(data[key]):
            return f"{what} has a bad {key!r}: {json.dumps(data[key])[:60]}"
    return None


def record_problem(record: Any) -> str | None:
    """What is wrong with the shape of one parsed results line (None: nothing)."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not a record object"
    kind = record.get("record")
    if kind == RECORD_RUN:
        return _shape_problem(record, _RUN_SHAPE, "run header")
    if kind != RECORD_CASE:
        return f"not a results record (record: {json.dumps(kind)[:40]})"
    problem = _shape_problem(record, _CASE_SHAPE, "case record")
    for index, item in enumerate(record.get("comparisons", []) if not problem else []):
        problem = _shape_problem(item, _COMPARISON_SHAPE, f"comparison {index}")
        if not problem and item.get("diff") is not None:
            problem = _shape_problem(item["diff"], _DIFF_SHAPE, f"comparison {index} diff")
        if problem:
            break
    for index, item in enumerate(record.get("expectations", []) if not problem else []):
        problem = problem or _shape_problem(item, _EXPECTATION_SHAPE, f"expectation {index}")
    for index, item in enumerate(record.get("finite_differences", []) if not problem else []):
        problem = problem or _shape_problem(item, _FD_SHAPE, f"finite difference {index}")
    return problem


def _line_problem(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The record on one raw line, or what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (byte {exc.start + 1})"
    if not text.strip():
        return None, None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not JSON ({exc.msg} at column {exc.colno})"
    problem = record_problem(record)
    return (None, problem) if problem else (record, None)


def read_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every record in a results file, each checked: a bad line raises
    ``ConformanceInputError`` naming the file and line (inside ``skipping_bad_lines`` it is
    counted and skipped). An unfinished last line, left by a killed writer, is skipped."""
    try:
        handle = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ConformanceInputError(f"cannot read results {path}: {exc.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            record, problem = _line_problem(raw)
            if record is not None:
                yield record
            elif problem is not None and raw.endswith(b"\n"):
                skipped = _SKIPPING.get()
                if skipped is None:
                    raise ConformanceInputError(
                        f"{path}: line {number}: {problem} (--skip-bad-lines skips such lines)"
                    )
                skipped.add(str(path), f"line {number}: {problem}")


def failures_folder(results_path: str | os.PathLike[str]) -> Path:
    """Where a run saves its failing generated programs: next to its results file and named
    after it (``results/run.jsonl`` -> ``results/run.generated/``), so two runs writing to one
    folder keep their programs apart."""
    path = Path(results_path)
    return path.parent / f"{path.stem}.generated"


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


def load_results(
    path: str | os.PathLike[str], level: str = "case", *, skip_bad_lines: bool = False
) -> Any:
    """A results file as a pandas DataFrame, sorted by case id.

    ``level="case"``: one row per case (outcome, reason, worst numeric differences, durations);
    ``level="observation"``: one row per compared observation, with its numeric differences.
    The run headers are in ``df.attrs["runs"]``. A bad line raises ``ConformanceInputError``
    naming it; ``skip_bad_lines=True`` skips such lines and counts them in
    ``df.attrs["skipped_lines"]``.
    """
    if level not in ("case", "observation"):
        raise ValueError(f"level must be 'case' or 'observation', got {level!r}")
    if not skip_bad_lines:
        return _load_results(path, level)
    with skipping_bad_lines() as skipped:
        frame = _load_results(path, level)
    frame.attrs["skipped_lines"] = sum(skipped.counts.values())
    return frame


def _load_results(path: str | os.PathLike[str], level: str) -> Any:
    import pandas as pd

    headers: list[dict[str, Any]] = []
    latest: dict[str, dict[str, Any]] = {}
    for record in read_records(path):
        if record.get("record") == RECORD_CASE:
            latest[record["case_id"]] = record
        else:
            headers.append(record)
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
    frame.attrs["runs"] = headers
    return frame
