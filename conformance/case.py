"""The case model: a named function of a torch-like module returning named observations.

``@case(area=..., tags=...)`` registers the function in ``REGISTRY`` under ``"{area}/{name}"``
together with its source (for reproducers), its expectations and its tolerances. The same
function later runs once per backend with that backend's module and an ``Inputs``.
"""

from __future__ import annotations

import functools
import inspect
import os
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.errors import CaseDefinitionError
from conformance.inputs import Inputs

__all__ = ["REGISTRY", "Case", "CaseFunction", "Inputs", "Tolerance", "case", "register"]

CaseFunction = Callable[[Any, Inputs], Mapping[str, Any]]
#: One tolerance for every observation, or per observation name (``fnmatch`` patterns allowed).
Tolerance = float | Mapping[str, float] | None

DEFAULT_EXPECT_ATOL = 5e-5

#: A third opinion on a case: given the two backends' runs, the finite-difference checks
#: (``conformance.results.FiniteDifferenceCheck``) of the gradients it can estimate.
Oracle = Callable[[Any, Any], list[Any]]


@dataclass(frozen=True)
class Case:
    """A registered case: what it pins down, where it lives, and how to judge it."""

    id: str
    area: str
    name: str
    tags: tuple[str, ...]
    func: CaseFunction = field(repr=False, compare=False)
    doc: str
    module: str
    filename: str | None
    lineno: int | None
    #: The case function's text, when it is not the function's own source (generated and OpInfo
    #: cases); ``None`` reads the function's source when first asked (``source``).
    source_text: str | None = field(default=None, repr=False)
    expect: Mapping[str, Any] | None = None
    expect_atol: float = DEFAULT_EXPECT_ATOL
    rtol: Tolerance = None
    atol: Tolerance = None
    oracle: Oracle | None = field(default=None, repr=False, compare=False)
    #: Renders a ready standalone torch script, for cases whose source is not a case function
    #: (generated programs render their own); ``conformance show`` prints it as it is. A
    #: function, not the text, because most runs never ask for it and rendering costs more than
    #: judging a small program.
    reproducer: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    #: Run only when a selection names it (its area, a tag of it, or a pattern matching it):
    #: for cases that are expected to crash or hang a backend, such as known PyTorch bugs.
    opt_in: bool = False

    @functools.cached_property
    def source(self) -> str:
        """The case function's text, read on first use: a run reads it only for a reproducer,
        and reading a thousand functions' source costs a third of a second of every start."""
        if self.source_text is not None:
            return self.source_text
        return _source_of(self.func)


#: Every registered case by id, in registration order.
REGISTRY: dict[str, Case] = {}


def _check_tolerance(case_id: str, label: str, value: Any) -> Tolerance:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise CaseDefinitionError(f"{case_id}: {label} must not be negative")
        return float(value)
    if isinstance(value, Mapping):
        for key, tol in value.items():
            if not isinstance(key, str) or not isinstance(tol, int | float) or tol < 0:
                raise CaseDefinitionError(
                    f"{case_id}: {label} must map observation names to non-negative numbers"
                )
        return {str(k): float(v) for k, v in value.items()}
    raise CaseDefinitionError(f"{case_id}: {label} must be a number or a dict, got {value!r}")


def _source_of(func: Callable[..., Any]) -> str:
    try:
        lines, _ = inspect.getsourcelines(func)
    except (OSError, TypeError):
        return ""
    return textwrap.dedent("".join(lines))


def _place_of(func: Callable[..., Any]) -> tuple[str | None, int | None]:
    """Where ``func`` is defined (its first decorator's line), without reading the file."""
    code = getattr(func, "__code__", None)
    if code is None or code.co_filename.startswith("<"):
        return None, None
    return os.path.abspath(code.co_filename), code.co_firstlineno


def register(
    func: CaseFunction,
    *,
    area: str,
    tags: tuple[str, ...] | list[str] = (),
    expect: Mapping[str, Any] | None = None,
    expect_atol: float = DEFAULT_EXPECT_ATOL,
    rtol: Tolerance = None,
    atol: Tolerance = None,
    name: str | None = None,
    opt_in: bool = False,
) -> Case:
    """Register ``func`` as a case; the functional form of ``@case``."""
    case_name = str(name or getattr(func, "__name__", ""))
    if not isinstance(area, str) or not area or "/" in area:
        raise CaseDefinitionError(f"{case_name}: area must be a non-empty name without '/'")
    if not case_name.isidentifier():
        raise CaseDefinitionError(f"{area}/{case_name}: case name must be an identifier")
    case_id = f"{area}/{case_name}"
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
        raise CaseDefinitionError(f"{case_id}: tags must be a tuple of strings, got {tags!r}")
    if not callable(func):
        raise CaseDefinitionError(f"{case_id}: a case must be a function")
    try:
        count: int | None = len(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        count = None
    if count is not None and count != 2:
        raise CaseDefinitionError(f"{case_id}: a case takes exactly (torch, make), got {count}")
    if expect is not None and (
        not isinstance(expect, Mapping) or not all(isinstance(k, str) for k in expect)
    ):
        raise CaseDefinitionError(f"{case_id}: expect must map observation names to values")
    if case_id in REGISTRY:
        other = REGISTRY[case_id]
        same_origin = (other.module, getattr(other.func, "__qualname__", None)) == (
            getattr(func, "__module__", ""),
            getattr(func, "__qualname__", None),
        )
        if not same_origin:  # re-importing a module re-registers its cases; that is fine
            raise CaseDefinitionError(f"duplicate case id {case_id} (also in {other.module})")
    filename, lineno = _place_of(func)
    registered = Case(
        id=case_id,
        area=area,
        name=case_name,
        tags=tuple(tags),
        func=func,
        doc=inspect.cleandoc(func.__doc__ or ""),
        module=getattr(func, "__module__", ""),
        filename=filename,
        lineno=lineno,
        expect=dict(expect) if expect is not None else None,
        expect_atol=float(expect_atol),
        rtol=_check_tolerance(case_id, "rtol", rtol),
        atol=_check_tolerance(case_id, "atol", atol),
        opt_in=bool(opt_in),
    )
    REGISTRY[case_id] = registered
    return registered


def case(
    area: str,
    tags: tuple[str, ...] | list[str] = (),
    expect: Mapping[str, Any] | None = None,
    rtol: Tolerance = None,
    atol: Tolerance = None,
    *,
    expect_atol: float = DEFAULT_EXPECT_ATOL,
    name: str | None = None,
    opt_in: bool = False,
) -> Callable[[CaseFunction], CaseFunction]:
    """Register the decorated ``(torch, make) -> dict`` function as case ``{area}/{name}``.

    ``expect`` maps observation names to plain expected values checked on every backend
    separately (within ``expect_atol``); ``rtol``/``atol`` override the dtype's default
    tolerances, for all observations or per observation name. The function is returned
    unchanged.
    """

    def decorate(func: CaseFunction) -> CaseFunction:
        register(
            func,
            area=area,
            tags=tags,
            expect=expect,
            expect_atol=expect_atol,
            rtol=rtol,
            atol=atol,
            name=name,
            opt_in=opt_in,
        )
        return func

    return decorate
