"""The run header says which on-disk compile caches an inductor run read and how full they were
at its start, and the report shows it: an inductor verdict can depend on what earlier runs
compiled (finding 24), and a reader must be able to tell a verdict made from an empty cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conformance import environment
from conformance.results import ResultWriter
from reports.html import render_html
from reports.rows import build_report

from .synthetic import case, header


def fill(folder: Path, keys: int) -> None:
    """``keys`` compiled graphs in inductor's layout: ``fxgraph/<prefix>/<key>/<entry>``."""
    for index in range(keys):
        entry = folder / "fxgraph" / f"p{index % 2}" / f"key{index}"
        entry.mkdir(parents=True)
        (entry / "graph").write_text("compiled")


def test_an_inductor_run_records_its_cache_folder_and_the_graphs_it_held(tmp_path, monkeypatch):
    fill(tmp_path, 3)
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path))
    caches = environment.compile_caches(["torch", "torch-compile:inductor"])
    assert caches == {"inductor": {"dir": str(tmp_path), "fx_graphs": 3}}


def test_an_empty_or_absent_cache_holds_nothing_and_other_backends_read_none(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "not made yet"))
    assert environment.compile_caches(["torch", "torch-compile-ops:inductor"]) == {
        "inductor": {"dir": str(tmp_path / "not made yet"), "fx_graphs": 0}
    }
    assert environment.compile_caches(["torch", "torch-compile", "reference"]) == {}


@pytest.mark.parametrize(
    ("graphs", "shown"),
    [(0, "empty at the start"), (7, "7 compiled graphs at the start (verdicts may depend")],
)
def test_the_report_says_whether_the_cache_was_empty(tmp_path, graphs, shown):
    run = dataclasses.replace(
        header(0, ["torch", "torch-compile:inductor"]),
        compile_caches={"inductor": {"dir": "/cache", "fx_graphs": graphs}},
    )
    path = tmp_path / "r.jsonl"
    with ResultWriter(path) as writer:
        writer.write(run)
        writer.write(case("alpha/one"))
    page = render_html(build_report(path))
    assert f"<dt>inductor cache</dt><dd>/cache: {shown}" in page


def test_the_default_cache_folder_is_the_one_the_installed_torch_uses(monkeypatch):
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    assert environment.default_inductor_cache() == default_cache_dir()
    assert environment.compile_caches(["torch-compile:inductor"])["inductor"]["dir"] == (
        default_cache_dir()
    )
