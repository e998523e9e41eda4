"""Seeded case inputs, identical on every backend.

Inputs that both sides must share are made here from NumPy's generator seeded by the case seed,
never by either library's RNG, then handed to each backend as plain Python data. Every value
made is also recorded (with the source position of the call) so ``conformance show`` can print
it back as a literal.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from types import CodeType, ModuleType
from typing import Any

import numpy as np

from conformance.errors import CaseDefinitionError

#: dtype names the harness knows, with the NumPy type used to generate their values.
DTYPES: dict[str, str] = {
    "float16": "float16",
    "bfloat16": "float32",
    "float32": "float32",
    "float64": "float64",
    "complex64": "complex64",
    "complex128": "complex128",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "uint8": "uint8",
    "bool": "bool",
}
ALIASES: dict[str, str] = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "cfloat": "complex64",
    "cdouble": "complex128",
    "long": "int64",
    "int": "int32",
    "short": "int16",
}
FLOATING = ("float16", "bfloat16", "float32", "float64")
COMPLEX = ("complex64", "complex128")


def case_seed(run_seed: int, case_id: str) -> int:
    """The seed of one case: a hash of the run seed and the case id, stable across processes."""
    digest = hashlib.sha256(f"{run_seed}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


#: Names already worked out, by (type, dtype): every tensor observed asks for its dtype's name.
_NAMES: dict[tuple[type, Any], str] = {}


def dtype_name(dtype: Any) -> str:
    """Canonical name of a dtype given as a string or as a backend dtype (``torch.float32``)."""
    key = (type(dtype), dtype)
    try:
        name = _NAMES.get(key)
    except TypeError:  # not hashable
        return _dtype_name(dtype)
    if name is None:
        name = _NAMES[key] = _dtype_name(dtype)
    return name


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, str):
        text = dtype
    elif isinstance(dtype, np.dtype) or (isinstance(dtype, type) and issubclass(dtype, np.generic)):
        text = np.dtype(dtype).name
    else:
        text = str(dtype)
    text = text.rsplit(".", 1)[-1]
    text = ALIASES.get(text, text)
    if text not in DTYPES:
        raise CaseDefinitionError(f"unknown dtype {dtype!r}")
    return text


def _round_to_bfloat16(values: np.ndarray) -> np.ndarray:
    """Round float32 values to the nearest bfloat16 (ties to even), kept as float32."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    rounded = ((bits + rounding) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32)


@dataclass(frozen=True)
class Made:
    """One value an ``Inputs`` call produced, kept to print it back as a literal.

    ``position`` is ``(lineno, end_lineno, col, end_col)`` of the call in ``filename``.
    """

    method: str
    values: np.ndarray
    dtype: str
    requires_grad: bool
    is_array: bool
    filename: str | None
    position: tuple[int, int, int, int] | None


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], list | tuple):
        shape = tuple(shape[0])
    try:
        dims = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise CaseDefinitionError(f"shape must be integers, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise CaseDefinitionError(f"shape must not be negative, got {dims}")
    return dims


#: Each code object's instruction positions, listed once (by id, kept with the code object so
#: the id cannot be reused): listing them on every call cost a case's ``make`` tens of us.
_POSITIONS: dict[int, tuple[CodeType, list[Any]]] = {}


def _positions(code: CodeType) -> list[Any]:
    kept = _POSITIONS.get(id(code))
    if kept is None or kept[0] is not code:
        if len(_POSITIONS) >= 4096:
            _POSITIONS.clear()
        kept = _POSITIONS[id(code)] = (code, list(code.co_positions()))
    return kept[1]


def _call_site(depth: int = 2) -> tuple[str | None, tuple[int, int, int, int] | None]:
    frame = sys._getframe(depth)
    try:
        pos = _positions(frame.f_code)[frame.f_lasti // 2]
    except (IndexError, AttributeError):
        return frame.f_code.co_filename, None
    if None in pos:
        return frame.f_code.co_filename, None
    return frame.f_code.co_filename, (int(pos[0]), int(pos[1]), int(pos[2]), int(pos[3]))


class Inputs:
    """Builds a case's inputs for one backend from the case seed.

    ``module`` is the backend's torch-like module; ``device`` (optional) is passed to its
    ``tensor`` factory. Two ``Inputs`` with the same seed make the same values whatever the
    module, as long as the calls come in the same order.
    """

    def __init__(self, module: ModuleType | Any, seed: int, device: str | None = None) -> None:
        self.module = module
        self.seed = seed
        self.device = device
        self._rng: np.random.Generator | None = None
        self.made: list[Made] = []

    @property
    def rng(self) -> np.random.Generator:
        """The case's generator, seeded on first use: seeding costs more than most cases draw,
        and generated programs (whose leaves carry their own seeds) draw nothing here."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    # -- dtype handling -------------------------------------------------------------------

    def _default_float(self) -> str:
        get_default = getattr(self.module, "get_default_dtype", None)
        if get_default is None:
            return "float32"
        return dtype_name(get_default())

    def _backend_dtype(self, name: str) -> Any:
        try:
            return getattr(self.module, name)
        except AttributeError:
            module_name = getattr(self.module, "__name__", type(self.module).__name__)
            raise NotImplementedError(f"{module_name} has no dtype {name}") from None

    def _tensor(
        self, method: str, values: np.ndarray, name: str, requires_grad: bool, depth: int = 3
    ) -> Any:
        filename, position = _call_site(depth)
        self.made.append(Made(method, values, name, requires_grad, False, filename, position))
        kwargs: dict[str, Any] = {"dtype": self._backend_dtype(name)}
        if requires_grad:
            kwargs["requires_grad"] = True
        if self.device is not None:
            kwargs["device"] = self.device
        return self.module.tensor(values.tolist(), **kwargs)

    def _float_dtype(self, dtype: Any, method: str) -> str:
        name = self._default_float() if dtype is None else dtype_name(dtype)
        if name not in FLOATING + COMPLEX:
            raise CaseDefinitionError(f"make.{method} needs a floating dtype, got {name}")
        return name

    def _cast(self, values: np.ndarray, name: str) -> np.ndarray:
        if name == "bfloat16":
            return _round_to_bfloat16(values)
        return values.astype(DTYPES[name])

    def _normal(self, dims: tuple[int, ...], name: str) -> np.ndarray:
        if name in COMPLEX:
            real = self.rng.standard_normal(dims)
            imag = self.rng.standard_normal(dims)
            return (real + 1j * imag) / np.sqrt(2.0)
        return self.rng.standard_normal(dims)

    # -- public API -----------------------------------------------------------------------

    def tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        """A backend tensor with exactly the values given (``dtype=None`` lets it infer)."""
        filename, position = _call_site()
        if isinstance(data, np.ndarray) and dtype is None:
            dtype = data.dtype.name
        if hasattr(data, "tolist") and not isinstance(data, list | tuple):
            data = data.tolist()
        kwargs: dict[str, Any] = {}
        if dtype is not None:
            kwargs["dtype"] = self._backend_dtype(dtype_name(dtype))
        if requires_grad:
            kwargs["requires_grad"] = True
        if self.device is not None:
            kwargs["device"] = self.device
        result = self.module.tensor(data, **kwargs)
        name = dtype_name(dtype) if dtype is not None else dtype_name(result.dtype)
        try:
            values = self._cast(np.asarray(data), name)
        except (TypeError, ValueError) as exc:
            raise CaseDefinitionError(f"make.tensor: cannot read {data!r}: {exc}") from None
        self.made.append(Made("tensor", values, name, requires_grad, False, filename, position))
        return result

    def randn(self, *shape: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        """Standard normal values of ``shape``."""
        name = self._float_dtype(dtype, "randn")
        values = self._cast(self._normal(_shape(shape), name), name)
        return self._tensor("randn", values, name, requires_grad)

    def rand(self, *shape: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        """Uniform values in [0, 1) of ``shape``."""
        name = self._float_dtype(dtype, "rand")
        values = self._cast(self.rng.random(_shape(shape)), name)
        return self._tensor("rand", values, name, requires_grad)

    def uniform(
        self,
        *shape: Any,
        low: float = -1.0,
        high: float = 1.0,
        dtype: Any = None,
        requires_grad: bool = False,
    ) -> Any:
        """Uniform values in [low, high) of ``shape`` (default [-1, 1))."""
        if not low < high:
            raise CaseDefinitionError(f"make.uniform needs low < high, got {low}, {high}")
        name = self._float_dtype(dtype, "uniform")
        values = self._cast(self.rng.uniform(low, high, _shape(shape)), name)
        return self._tensor("uniform", values, name, requires_grad)

    def randint(self, low: int, high: int, shape: Any = (), dtype: Any = "int64") -> Any:
        """Integers in [low, high) of ``shape`` (default dtype int64)."""
        if not low < high:
            raise CaseDefinitionError(f"make.randint needs low < high, got {low}, {high}")
        name = dtype_name(dtype)
        dims = _shape((shape,) if isinstance(shape, int) else tuple(shape))
        values = self._cast(self.rng.integers(low, high, dims), name)
        return self._tensor("randint", values, name, False)

    def array(
        self,
        *shape: Any,
        data: Any = None,
        dist: str = "normal",
        low: float = 0.0,
        high: float = 1.0,
        dtype: Any = "float64",
    ) -> np.ndarray:
        """A plain NumPy array (not a backend tensor): ``data`` as given, or seeded values.

        ``dist`` is ``"normal"``, ``"uniform"`` (in [low, high)) or ``"integers"`` (in
        [low, high)).
        """
        filename, position = _call_site()
        name = dtype_name(dtype)
        if data is not None:
            values = np.array(data, dtype=DTYPES[name])
        else:
            dims = _shape(shape)
            raw: np.ndarray
            if dist == "normal":
                raw = self.rng.standard_normal(dims)
            elif dist == "uniform":
                raw = self.rng.uniform(low, high, dims)
            elif dist == "integers":
                raw = self.rng.integers(int(low), int(high), dims)
            else:
                raise CaseDefinitionError(f"make.array: unknown dist {dist!r}")
            values = self._cast(np.asarray(raw), name)
        self.made.append(Made("array", values, name, False, True, filename, position))
        return values.copy()
