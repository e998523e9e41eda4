"""Results files: one JSON line per finished case, flushed at once; resumable; loadable as a
pandas DataFrame."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from conformance import case, load_results
from conformance.errors import ConformanceInputError
from conformance.results import (
    CaseResult,
    ResultWriter,
    RunHeader,
    finished_case_ids,
    read_case_results,
    read_records,
)
from conformance.runner import execute_case


@pytest.fixture
def two_results(registry, torch_pair, broken_tanh_backend):
    @case(area="r", tags=("x",))
    def passes(torch, make):
        return {"y": make.randn(2) * 2}

    @case(area="r")
    def fails(torch, make):
        x = make.randn(2, requires_grad=True)
        torch.tanh(x).sum().backward()
        return {"y": x.grad}

    good = execute_case(registry["r/passes"], torch_pair, 0)
    bad = execute_case(registry["r/fails"], (torch_pair[0], broken_tanh_backend), 0)
    return good, bad


def header() -> RunHeader:
    return RunHeader(
        seed=0,
        backends=["torch", "reference"],
        versions={},
        selection={},
        started="2025-01-01T00:00:00+00:00",
    )


def test_each_record_is_on_disk_as_soon_as_it_is_written(tmp_path, two_results):
    path = tmp_path / "run.jsonl"
    writer = ResultWriter(path)
    writer.write(header())
    writer.write(two_results[0])
    lines = path.read_text().splitlines()  # read while the writer is still open
    assert [json.loads(line)["record"] for line in lines] == ["run", "case"]
    writer.close()


def test_records_are_strict_json_with_non_finite_numbers_as_strings(tmp_path, registry, torch_pair):
    @case(area="r")
    def nan_values(torch, make):
        return {"y": torch.tensor([float("nan"), float("inf")])}

    result = execute_case(registry["r/nan_values"], torch_pair, 0)
    path = tmp_path / "run.jsonl"
    with ResultWriter(path) as writer:
        writer.write(result)
    text = path.read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert json.loads(text)["comparisons"][0]["baseline"]["values"] == ["nan", "inf"]


def test_a_line_cut_short_by_a_crash_is_skipped_and_the_rest_is_kept(tmp_path, two_results):
    path = tmp_path / "run.jsonl"
    with ResultWriter(path) as writer:
        writer.write(header())
        writer.write(two_results[0])
    with open(path, "a") as handle:
        handle.write('{"record": "case", "case_id": "r/fai')  # the crash
    assert finished_case_ids(path) == {"r/passes"}
    with ResultWriter(path, append=True) as writer:  # a resumed run starts on a fresh line
        writer.write(two_results[1])
    assert [r["case_id"] for r in read_records(path) if r["record"] == "case"] == [
        "r/passes",
        "r/fails",
    ]


def test_results_round_trip_into_dataclasses(tmp_path, two_results):
    path = tmp_path / "run.jsonl"
    with ResultWriter(path) as writer:
        for result in two_results:
            writer.write(result)
    loaded = read_case_results(path)
    assert [r.case_id for r in loaded] == ["r/fails", "r/passes"]
    assert (
        loaded[0].comparisons[0].diff.max_abs_diff
        == two_results[1].comparisons[0].diff.max_abs_diff
    )
    assert loaded[0].message == two_results[1].message


def test_load_results_gives_one_row_per_case_sorted_by_id(tmp_path, two_results):
    path = tmp_path / "run.jsonl"
    with ResultWriter(path) as writer:
        writer.write(header())
        for result in two_results:
            writer.write(result)
    frame = load_results(path)
    assert list(frame["case_id"]) == ["r/fails", "r/passes"]
    assert list(frame["outcome"]) == ["fail", "pass"]
    assert frame.loc[0, "max_abs_diff"] > 0 and frame.loc[1, "max_abs_diff"] == 0
    assert frame.loc[1, "tags"] == ("x",)
    assert frame.attrs["runs"][0]["backends"] == ["torch", "reference"]


def test_load_results_by_observation_keeps_every_numeric_diff(tmp_path, two_results):
    path = tmp_path / "run.jsonl"
    with ResultWriter(path) as writer:
        for result in two_results:
            writer.write(result)
    frame = load_results(path, level="observation")
    row = frame[frame["case_id"] == "r/fails"].iloc[0]
    assert (row["observation"], row["status"], row["reasons"]) == ("y", "mismatch", ("values",))
    assert row["max_ulp"] > 0 and row["numel"] == 2


def test_load_results_of_an_empty_file_is_an_empty_frame_with_columns(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    frame = load_results(path)
    assert frame.empty and "outcome" in frame.columns


def test_an_unwritable_results_path_is_bad_input(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConformanceInputError, match="cannot write results"):
        ResultWriter(blocker / "run.jsonl")


def test_the_direct_encoding_equals_the_field_by_field_one_whatever_the_record_holds() -> None:
    """``to_json`` hands JSON-ready records to orjson; one with a non-finite number, a text past
    the record limit or a value of another type takes the field-by-field way, and either way
    gives the same JSON."""
    import dataclasses

    from conformance.results import RECORD_TEXT_KEPT, to_json

    from .synthetic import case as synthetic_case

    plain_result = synthetic_case("alpha/one", ulp=3)
    non_finite = dataclasses.replace(plain_result, durations={"torch": float("nan")})
    long_text = dataclasses.replace(plain_result, message="x" * (RECORD_TEXT_KEPT + 10))
    other_type = dataclasses.replace(plain_result, stats={"n": {"count": Counter(a=1)}})
    # a line past the limit made of short strings, and a long text whose escaped quotes cut it
    # into short runs
    many_short = dataclasses.replace(plain_result, tags=["t" * 100] * (RECORD_TEXT_KEPT // 50))
    quoted = dataclasses.replace(plain_result, doc='say "x"' * (RECORD_TEXT_KEPT // 6))
    huge_number = dataclasses.replace(plain_result, stats={"n": {"count": 2**70}})
    lone_surrogate = dataclasses.replace(plain_result, message="bad \udce9 byte")
    cases = (
        plain_result,
        non_finite,
        long_text,
        other_type,
        many_short,
        quoted,
        huge_number,
        lone_surrogate,
    )
    for record in cases:
        assert json.loads(to_json(record)) == _field_by_field(record)
    assert json.loads(to_json(non_finite))["durations"] == {"torch": "nan"}
    assert "[clipped:" in to_json(long_text)
    assert "[clipped:" in to_json(quoted)
    assert len(to_json(many_short)) > RECORD_TEXT_KEPT
    assert json.loads(to_json(huge_number))["stats"]["n"]["count"] == 2**70


def _field_by_field(record: Any) -> Any:
    from conformance.results import plain

    data = plain(record)
    return json.loads(json.dumps({"record": data.pop("record"), **data}, allow_nan=False))


def _number_slots(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every field of every record in ``value`` whose type admits a float, as a path (but for
    the readings' summaries, which ``observe`` writes JSON-safe: see the test above)."""
    import dataclasses

    from conformance.results import _SAFE_FIELDS

    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            if f.name in _SAFE_FIELDS:
                continue
            if "float" in str(f.type) or "Any" in str(f.type):
                yield (*path, f.name)
            yield from _number_slots(getattr(value, f.name), (*path, f.name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _number_slots(item, (*path, index))


def _planted(record: Any, path: tuple[Any, ...], value: Any) -> Any:
    import copy

    planted = copy.deepcopy(record)
    owner = planted
    for step in path[:-1]:
        owner = owner[step] if isinstance(step, int) else getattr(owner, step)
    setattr(owner, path[-1], value)
    return planted


@pytest.mark.parametrize(
    "non_finite", [float("nan"), float("inf"), [1.0, [float("-inf")]], {"k": float("nan")}]
)
def test_a_non_finite_number_wherever_a_record_may_hold_one_is_written_as_text(non_finite) -> None:
    """orjson would write NaN and the infinities as null: every field that may hold a float,
    in the record or any record nested in it, at any depth of lists and dicts, sends the
    record the field-by-field way instead ('nan', 'inf', '-inf')."""
    from conformance.observe import RAISED_NAME
    from conformance.results import FiniteDifferenceCheck, RunHeader, to_json

    from .synthetic import case as synthetic_case

    result = synthetic_case("alpha/one", ulp=3)
    result.finite_differences = [FiniteDifferenceCheck("x.grad", [1.0, 2.0], 0.1, 0.2, 0.3, None)]
    header = RunHeader(0, ["torch", "reference"], {}, {"area": RAISED_NAME}, "now")
    slots = [(record, path) for record in (result, header) for path in _number_slots(record)]
    assert len(slots) > 10  # durations, the diffs' figures, the FD check's, stats, ...
    for record, path in slots:
        planted = _planted(record, path, non_finite)
        line = to_json(planted)
        assert "null" not in line.replace('":null', ""), (path, line)  # no NaN turned null
        assert json.loads(line) == _field_by_field(planted), path


def test_a_result_crosses_processes_as_its_line_and_reads_the_rest_back_when_asked() -> None:
    """Workers send each encoded result as its JSON line plus its small fields; whatever reads
    a comparison in the parent gets it rebuilt from the line, equal to what was sent."""
    import pickle

    from conformance.results import encode, to_json

    from .synthetic import case as synthetic_case

    sent = encode(synthetic_case("alpha/one", ulp=3))
    blob = pickle.dumps(sent)
    assert len(blob) < len(pickle.dumps(synthetic_case("alpha/one", ulp=3))) + len(to_json(sent))
    received = pickle.loads(blob)
    assert "comparisons" not in received.__dict__  # left behind until asked for
    assert (received.case_id, received.outcome) == (sent.case_id, sent.outcome)
    assert received.comparisons == sent.comparisons
    assert to_json(received) == to_json(sent)
    unencoded = pickle.loads(pickle.dumps(synthetic_case("alpha/two")))
    assert unencoded.comparisons[0].name == "x.grad"


def test_a_reading_alike_on_both_sides_is_written_once_and_read_back_for_both(
    monkeypatch,
) -> None:
    """A comparison whose sides read exactly alike shares one summary; the record writes it
    once (``"same": true``), by either encoding - also as the first comparison a process
    (a fresh worker) writes - and reading the record gives both sides it. A record written
    with both readings (before this form) still reads."""
    import dataclasses

    from conformance import results
    from conformance.results import record_problem, to_json

    monkeypatch.setattr(results, "_FIELDS", {})  # as in a worker that has written nothing yet

    from .synthetic import case as synthetic_case

    result = synthetic_case("alpha/one")
    shared = {"kind": "value", "type": "int", "value": 3}
    alike = dataclasses.replace(
        result.comparisons[0], name="n", kind="value", diff=None, baseline=shared, candidate=shared
    )
    first = dataclasses.replace(result, comparisons=[alike])  # before anything is written
    assert json.loads(to_json(first))["comparisons"][0].get("same") is True
    result.comparisons.append(alike)
    line = to_json(result)
    written = json.loads(line)
    assert written == _field_by_field(result)
    assert record_problem(written) is None
    assert written["comparisons"][1]["same"] is True
    assert written["comparisons"][1]["candidate"] is None
    assert "same" not in written["comparisons"][0]  # sides that differ are both written
    back = CaseResult.from_dict(written)
    assert back.comparisons[1].candidate == back.comparisons[1].baseline == shared
    assert back.comparisons[0].candidate == result.comparisons[0].candidate
    both = json.loads(line)
    both["comparisons"][1]["candidate"] = shared
    del both["comparisons"][1]["same"]
    assert CaseResult.from_dict(both).comparisons[1].candidate == shared
