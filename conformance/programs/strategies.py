"""The Hypothesis strategy for programs, and the settings profiles of the pytest search.

``programs()`` answers the grammar's choices (``grammar.py``, shared with the seeded drawer of
``draw.py`` that names the programs a run checks) through Hypothesis, so pytest gets its search,
example database, ``target()`` and shrinking over the same kinds of programs. Choices shrink
towards the lowest integer and the first option. Profiles: ``dev`` (default), ``ci`` (when CI is
set) and ``nightly``; ``HYPOTHESIS_PROFILE`` picks one explicitly.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from conformance.programs.grammar import draw_one
from conformance.programs.known_crashes import crashes_torch
from conformance.programs.program import Program, hits_quirk

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=_SLOW)
settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_SLOW,
)
settings.register_profile("nightly", max_examples=2000, deadline=None, suppress_health_check=_SLOW)


def profile_name() -> str:
    """The active profile: HYPOTHESIS_PROFILE, else ``ci`` when CI is set, else ``dev``."""
    explicit = os.environ.get("HYPOTHESIS_PROFILE")
    if explicit in ("dev", "ci", "nightly"):
        return explicit
    return "ci" if os.environ.get("CI") else "dev"


def profile() -> settings:
    """The active profile's settings (use as ``@settings(profile())``)."""
    return settings.get_profile(profile_name())


T = TypeVar("T")

_BOOLS = st.booleans()


# Strategies are cached by their arguments: a search then reuses validated strategy objects
# instead of building and validating new ones at every choice.
@functools.lru_cache(maxsize=1024)
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


@functools.lru_cache(maxsize=4096)
def _sampled(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(options)


@dataclass(frozen=True)
class HypothesisChooser:
    """A ``grammar.Chooser`` drawing through Hypothesis (so its shrinker sees every choice)."""

    draw: st.DrawFn

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(_ints(lo, hi))

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(_sampled(tuple(options)))

    def boolean(self) -> bool:
        return self.draw(_BOOLS)


@st.composite
def _any_program(draw: st.DrawFn) -> Program:
    return draw_one(HypothesisChooser(draw))


@functools.cache
def programs() -> st.SearchStrategy[Program]:
    """A whole program: leaves, steps, schedule; never one that hits the section 11 quirk or
    crashes torch. (Built once: each example reuses the validated strategy.)"""
    return _any_program().filter(lambda p: not hits_quirk(p) and not crashes_torch(p))
