"""pytest plugin: ``pytest --conformance`` makes every catalogue case a test item.

Inert unless ``--conformance`` is given, so a plain ``pytest`` never runs the catalogue twice.
Items are ``conformance::<area>::<name>``, carry their area and tags as keywords (``-k``), fail
with the assert_close-style message of the comparison, and are skipped when a backend lacks a
feature. Settings: ``--conformance-backends``, ``--conformance-seed``, ``--conformance-cases``,
``--conformance-timeout``, ``--conformance-generated N`` (also the first N generated programs),
``--conformance-out`` (also stream a JSON Lines results file), or the ini keys
``conformance_backends``, ``conformance_seed``, ``conformance_cases``.

Under pytest-xdist each worker runs its share of the items and attaches each result to its test
report; only the controller writes the results file, so ``-n 2`` yields one stream holding the
same records as a serial run.
"""

from __future__ import annotations

from typing import Any

import pytest

_STATE = pytest.StashKey[dict[str, Any]]()
_RESULT = "conformance_result"
_STREAM = "conformance-result-stream"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "autograd conformance catalogue")
    group.addoption("--conformance", action="store_true", help="collect the case catalogue")
    group.addoption("--conformance-backends", default=None, help="baseline,candidate")
    group.addoption("--conformance-seed", type=int, default=None, help="run seed")
    group.addoption("--conformance-cases", default=None, help="catalogue package")
    group.addoption("--conformance-timeout", type=float, default=60.0, help="seconds per case")
    group.addoption("--conformance-out", default=None, help="also write JSON Lines results here")
    group.addoption(
        "--conformance-generated",
        type=int,
        default=0,
        metavar="N",
        help="also collect the first N generated programs of the seed",
    )
    parser.addini("conformance_backends", "baseline,candidate backends", default="torch,reference")
    parser.addini("conformance_seed", "run seed", default="0")
    parser.addini("conformance_cases", "catalogue package", default="cases")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("conformance"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a conformance catalogue case")
    if not _enabled(config):
        return
    from conformance.errors import ConformanceInputError
    from conformance.runner import load_pair

    backends = config.getoption("conformance_backends") or config.getini("conformance_backends")
    names = [n.strip() for n in str(backends).split(",") if n.strip()]
    seed = config.getoption("conformance_seed")
    try:
        pair = load_pair(names)
        seed = int(config.getini("conformance_seed")) if seed is None else seed
    except (ConformanceInputError, ValueError) as exc:
        raise pytest.UsageError(f"conformance: {exc}") from None
    package = config.getoption("conformance_cases") or config.getini("conformance_cases")
    config.stash[_STATE] = {
        "pair": pair,
        "seed": seed,
        "package": package,
        "timeout": config.getoption("conformance_timeout"),
        "generated": config.getoption("conformance_generated"),
    }
    out = config.getoption("conformance_out")
    if out and not hasattr(config, "workerinput"):  # xdist workers report to the controller
        from conformance.results import ResultWriter

        try:
            writer = ResultWriter(out)
        except ConformanceInputError as exc:
            raise pytest.UsageError(f"conformance: {exc}") from None
        config.pluginmanager.register(_ResultStream(writer, pair, seed, package), _STREAM)


class ConformanceFailure(Exception):
    """A case whose outcome was fail or error; carries its result record."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.reason)
        self.result = result


class CaseItem(pytest.Item):
    """One case, known by its id, run on the configured backend pair."""

    def __init__(
        self, *, case_id: str, keywords: tuple[str, tuple[str, ...]], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.case_id = case_id
        self._case: Any = None
        area, tags = keywords
        self.extra_keyword_matches.update({area, *tags})
        self.add_marker("conformance")

    @property
    def case(self) -> Any:
        """The case, built from its id by its source when first asked for (a generated
        program is drawn only then)."""
        if self._case is None:
            from conformance.sources import resolve_case

            self._case = resolve_case(self.case_id, self.config.stash[_STATE]["seed"])
        return self._case

    def runtest(self) -> None:
        from conformance.results import to_json
        from conformance.runner import alarm, execute_case

        state = self.config.stash[_STATE]
        with alarm(state["timeout"]):
            result = execute_case(self.case, state["pair"], state["seed"])
        self.user_properties.append(("outcome", result.outcome))
        self.user_properties.append((_RESULT, to_json(result)))
        if result.outcome == "unsupported":
            pytest.skip(f"unsupported: {result.reason}")
        if result.outcome in ("fail", "error"):
            raise ConformanceFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConformanceFailure):
            result = excinfo.value.result
            lines = [
                f"{result.case_id} [{result.outcome}]: {self.case.doc.splitlines()[0]}"
                if self.case.doc
                else f"{result.case_id} [{result.outcome}]"
            ]
            lines.append(result.message or result.reason)
            seed = self.config.stash[_STATE]["seed"]
            lines.append(f"reproduce: conformance show {result.case_id} --seed {seed}")
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        case = self.case
        if case.filename is None:  # a generated program: its reproducer is its source
            return ("", None, case.id)
        return (case.filename, (case.lineno or 1) - 1, case.id)


class _ResultStream:
    """Writes each case's result as its report arrives, from this process or an xdist worker
    (the result rides in the report's user properties); registered where the stream is kept."""

    def __init__(self, writer: Any, pair: Any, seed: int, package: str) -> None:
        self.writer, self.pair, self.seed, self.package = writer, pair, seed, package
        self.header_written = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":  # user properties ride on every phase's report
            return
        for key, value in report.user_properties:
            if key == _RESULT:
                self._write(str(value))

    def pytest_unconfigure(self) -> None:
        self.writer.close()

    def _write(self, line: str) -> None:
        if not self.header_written:
            import datetime

            from conformance.results import RunHeader

            self.writer.write(
                RunHeader(
                    seed=self.seed,
                    backends=[b.name for b in self.pair],
                    versions={b.name: b.version for b in self.pair},
                    selection={"cases": self.package, "via": "pytest"},
                    started=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                )
            )
            self.header_written = True
        self.writer.write_line(line)


class AreaCollector(pytest.Collector):
    """The cases of one area."""

    def __init__(self, *, cases: list[tuple[str, tuple[str, ...]]], **kwargs: Any) -> None:
        """``cases``: the id and the tags of each case (built when its item runs)."""
        super().__init__(**kwargs)
        self.cases = cases

    def collect(self) -> list[pytest.Item]:
        return [
            CaseItem.from_parent(
                self, name=case_id.split("/", 1)[1], case_id=case_id, keywords=(self.name, tags)
            )
            for case_id, tags in self.cases
        ]


class CatalogueCollector(pytest.Collector):
    """The whole catalogue, one child per area."""

    def collect(self) -> list[pytest.Collector]:
        from conformance.errors import ConformanceInputError
        from conformance.sources import Selection, case_sources

        state = self.config.stash[_STATE]
        # No criterion: every source's default selection (opt-in cases, which crash a backend,
        # are run by `conformance run --area ...` only), plus N generated programs.
        selection = Selection(generated=state["generated"] or 0)
        areas: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        try:
            for source in case_sources(state["package"]):
                for case_id in source.ids(selection):
                    area, tags = source.keywords(case_id)
                    areas.setdefault(area, []).append((case_id, tags))
        except ConformanceInputError as exc:
            raise pytest.UsageError(f"conformance: {exc}") from None
        return [
            AreaCollector.from_parent(self, name=area, cases=found)
            for area, found in sorted(areas.items())
        ]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not _enabled(config):
        return
    root = CatalogueCollector.from_parent(session, name="conformance", nodeid="conformance")
    items.extend(session.genitems(root))
