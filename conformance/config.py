"""Run settings from a TOML file: defaults a project keeps next to its code.

Read from ``--config FILE`` or, when absent, from ``[tool.conformance]`` of ``pyproject.toml``
in the working directory. Command-line options override the file. Example::

    [tool.conformance]
    backends = ["torch", "reference"]
    seed = 0
    jobs = 2
    timeout = 60
    cases = "cases"
    [tool.conformance.tolerances]
    float32 = { rtol = 1e-5, atol = 1e-6 }
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceInputError
from conformance.inputs import DTYPES
from conformance.tolerances import ToleranceTable

KEYS = {"backends", "seed", "jobs", "timeout", "cases", "tolerances"}


@dataclass(frozen=True)
class Config:
    """Settings found in a configuration file (None: not set there)."""

    backends: tuple[str, ...] | None = None
    seed: int | None = None
    jobs: int | None = None
    timeout: float | None = None
    cases: str | None = None
    tolerances: ToleranceTable = field(default_factory=ToleranceTable)
    source: str | None = None


def _tolerances(raw: Any, where: str) -> ToleranceTable:
    if not isinstance(raw, dict):
        raise ConformanceInputError(f"{where}: tolerances must be a table")
    table: dict[str, tuple[float, float]] = {}
    for dtype, entry in raw.items():
        if dtype not in DTYPES and dtype != "python_float":
            raise ConformanceInputError(f"{where}: tolerances for unknown dtype {dtype!r}")
        if not isinstance(entry, dict) or set(entry) - {"rtol", "atol"}:
            raise ConformanceInputError(f"{where}: tolerances.{dtype} takes rtol and atol")
        defaults = ToleranceTable().for_dtype(dtype)
        try:
            table[dtype] = (
                float(entry.get("rtol", defaults[0])),
                float(entry.get("atol", defaults[1])),
            )
        except (TypeError, ValueError):
            raise ConformanceInputError(f"{where}: tolerances.{dtype} must be numbers") from None
    return ToleranceTable(table)


def parse_config(raw: dict[str, Any], where: str) -> Config:
    """Validate one ``[tool.conformance]`` table."""
    unknown = set(raw) - KEYS
    if unknown:
        raise ConformanceInputError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    backends = raw.get("backends")
    if backends is not None and (
        not isinstance(backends, list) or not all(isinstance(b, str) for b in backends)
    ):
        raise ConformanceInputError(f"{where}: backends must be a list of names")
    for key, kind in (("seed", int), ("jobs", int), ("timeout", (int, float)), ("cases", str)):
        if key in raw and not isinstance(raw[key], kind):
            raise ConformanceInputError(f"{where}: {key} has the wrong type")
    return Config(
        backends=tuple(backends) if backends is not None else None,
        seed=raw.get("seed"),
        jobs=raw.get("jobs"),
        timeout=float(raw["timeout"]) if "timeout" in raw else None,
        cases=raw.get("cases"),
        tolerances=_tolerances(raw.get("tolerances", {}), where),
        source=where,
    )


def load_config(path: str | None = None) -> Config:
    """The configuration from ``path``, else from ./pyproject.toml, else empty."""
    file = Path(path) if path else Path("pyproject.toml")
    if not file.exists():
        if path:
            raise ConformanceInputError(f"config file {path} does not exist")
        return Config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConformanceInputError(f"cannot read config {file}: {exc}") from None
    section = data.get("tool", {}).get("conformance")
    if section is None:
        if path and "tool" not in data:
            section = data  # a dedicated file may hold the settings at top level
        else:
            return Config()
    return parse_config(section, str(file))
