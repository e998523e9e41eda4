"""Case sources: a run, its workers and the pytest plugin know cases by id, and each id's source
lists it, owns it, rebuilds it from the run seed and says what to keep when it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.catalogue import CatalogueSource
from conformance.errors import ConformanceInputError
from conformance.programs.generated import GeneratedSource
from conformance.sources import (
    CaseSource,
    Selection,
    case_sources,
    get_case,
    resolve_case,
    save_failure,
    selected_ids,
    selects,
    shrinkable,
    source_of,
)

from .conftest import write_package

CATALOGUE = """
    from conformance import case

    @case(area="alpha", tags=("fast",))
    def one(torch, make):
        return {"x": torch.ones(2)}

    @case(area="beta")
    def two(torch, make):
        return {"x": torch.ones(3)}

    @case(area="beta", opt_in=True)
    def crashes(torch, make):
        return {"x": torch.ones(1)}
"""


@pytest.fixture
def package(tmp_path: Path, registry: dict, monkeypatch: pytest.MonkeyPatch) -> str:
    write_package(tmp_path, "sourcecases", {"cases": CATALOGUE})
    monkeypatch.syspath_prepend(str(tmp_path))
    return "sourcecases"


def test_a_run_takes_the_catalogue_in_id_order_then_the_generated_programs(package: str) -> None:
    sources = case_sources(package)
    assert list(selected_ids(sources, Selection(generated=2))) == [
        "alpha/one",
        "beta/two",
        "generated/p0000",
        "generated/p0001",
    ]


def test_a_criterion_selects_within_every_source_and_names_opt_in_cases(package: str) -> None:
    sources = case_sources(package)
    beta = Selection.of(areas=["beta"], generated=3)
    assert list(selected_ids(sources, beta)) == ["beta/crashes", "beta/two"]
    generated_only = Selection.of(tags=["generated"], patterns=["*p0001"], generated=3)
    assert list(selected_ids(sources, generated_only)) == ["generated/p0001"]
    assert selects(sources, "beta/two", beta) and not selects(sources, "alpha/one", beta)
    assert not selects(sources, "generated/p0003", Selection(generated=3))  # beyond the count


def test_each_id_belongs_to_the_source_that_rebuilds_it(package: str) -> None:
    sources = case_sources(package)
    list(selected_ids(sources, Selection()))  # loads the catalogue, as a worker does
    assert isinstance(source_of("alpha/one", sources), CatalogueSource)
    assert isinstance(source_of("generated/p0042", sources), GeneratedSource)
    assert source_of("nowhere/none", sources) is None
    assert resolve_case("alpha/one", 0).area == "alpha"
    drawn = resolve_case("generated/p0042", 7)
    assert drawn.id == "generated/p0042" and "run seed 7" in drawn.doc
    with pytest.raises(ConformanceInputError, match="no case 'nowhere/none'"):
        resolve_case("nowhere/none", 0)


def test_a_case_is_found_by_unique_name_and_a_generated_id_without_loading(package: str) -> None:
    assert get_case("generated/p0001", package, run_seed=3).area == "generated"
    assert get_case("two", package).id == "beta/two"
    with pytest.raises(ConformanceInputError, match="no case 'three'"):
        get_case("three", package)


def test_only_generated_programs_are_saved_and_shrunk(package: str, tmp_path: Path) -> None:
    list(selected_ids(case_sources(package), Selection()))
    out = tmp_path / "run.jsonl"
    assert save_failure("alpha/one", 0, out) is None
    saved = save_failure("generated/p0000", 0, out)
    assert saved is not None and saved.parent.name == "run.generated"
    assert saved.with_suffix(".json").exists()
    assert shrinkable("generated/p0000") and not shrinkable("alpha/one")


def test_a_source_gives_pytest_its_area_and_tags_without_building_the_case(package: str) -> None:
    catalogue, generated, opinfo = case_sources(package)
    list(catalogue.ids(Selection()))
    assert catalogue.keywords("alpha/one") == ("alpha", ("fast",))
    assert generated.keywords("generated/p9999") == ("generated", ("generated",))
    assert opinfo.keywords("opinfo/acos") == ("opinfo", ("opinfo",))  # op_db not imported


def test_every_source_has_every_method_of_the_protocol() -> None:
    wanted = [n for n in dir(CaseSource) if not n.startswith("_")] + ["shrinkable"]
    for source in case_sources():
        assert [n for n in wanted if not hasattr(source, n)] == []
