"""Configuration files and the progress bar."""

from __future__ import annotations

import io

import pytest

from conformance.config import load_config
from conformance.errors import ConformanceInputError
from conformance.progress import Progress


def test_settings_are_read_from_tool_conformance_in_pyproject(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.conformance]\n"
        'backends = ["torch", "reference"]\nseed = 4\njobs = 2\ntimeout = 30\n'
        "[tool.conformance.tolerances]\nfloat32 = { rtol = 1e-4 }\n"
    )
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert (config.backends, config.seed, config.jobs, config.timeout) == (
        ("torch", "reference"),
        4,
        2,
        30.0,
    )
    assert config.tolerances.for_dtype("float32") == (1e-4, 1e-5)
    assert config.tolerances.for_dtype("float64") == (1e-7, 1e-7)


def test_a_dedicated_config_file_may_hold_settings_at_top_level(tmp_path):
    path = tmp_path / "conformance.toml"
    path.write_text("seed = 9\n")
    assert load_config(str(path)).seed == 9


def test_no_config_means_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config().seed is None and load_config().tolerances.for_dtype("int64") == (0, 0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[tool.conformance]\nspeed = 1\n", "unknown setting(s) speed"),
        ("[tool.conformance]\nseed = 'x'\n", "seed has the wrong type"),
        ("[tool.conformance.tolerances]\nfloat33 = { rtol = 1 }\n", "unknown dtype 'float33'"),
        ("[tool.conformance\n", "cannot read config"),
    ],
)
def test_a_bad_config_is_bad_input(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(
        ConformanceInputError, match=problem.replace("(", r"\(").replace(")", r"\)")
    ):
        load_config(str(path))


def test_the_progress_bar_counts_cases_and_failures_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(4, stream=stream, enabled=True)
    progress.start("a/one")
    progress.finish("pass")
    progress.start("a/two")
    progress.finish("fail")
    assert "[############            ] 2/4 failed 1 a/two" in stream.getvalue()


def test_the_progress_bar_stays_silent_when_not_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(2, stream=stream)
    progress.start("a/one")
    progress.finish("pass")
    progress.close()
    assert stream.getvalue() == ""
