"""PyTorch's own OpInfo database as a case source: ``conformance run --area opinfo``.

Breadth measured by torch's test suite rather than by the catalogue's authors: for every entry of
``torch.testing._internal.common_methods_invocations.op_db`` (needs ``expecttest``) whose
backward supports float64 and that has a name to call (a function of that dotted name, or a
Tensor method), one case ``opinfo/<name>`` runs its first float64 sample inputs on each backend
- forward values, the vector-Jacobian product for a seeded cotangent, and where torch's entry
supports forward-mode AD the Jacobian-vector product for seeded tangents - and one case
``opinfo/<name>.float32`` does the same with its float32 samples where its backward supports
float32 (float32 tolerances). A backend lacking the name is unsupported; random ops are never
listed (their values cannot agree). The samples are
drawn from op_db in each process under a fixed torch seed and carried to the backends as NumPy
arrays, aliasing kept. Importing op_db takes seconds, so the source is opt-in: only a selection
naming the area lists it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from conformance.capture import Raised, capture
from conformance.case import Case
from conformance.catalogue import id_matches
from conformance.errors import ConformanceInputError

if TYPE_CHECKING:
    from conformance.sources import Selection

AREA = "opinfo"
#: Sample inputs per entry: enough to cover its argument forms, few enough for a campaign.
MAX_SAMPLES = 4
#: The torch seed sample inputs are drawn under (they are the same in every process).
SAMPLE_SEED = 0

#: Ops whose values are drawn at random: no two runs agree, so they are never listed.
RANDOM_OPS = frozenset(
    {
        "bernoulli",
        "cauchy",
        "exponential",
        "geometric",
        "log_normal",
        "multinomial",
        "normal",
        "uniform",
        "rand_like",
        "randn_like",
        "randint_like",
        "randint",
        "nn.functional.dropout",
        "nn.functional.dropout2d",
        "nn.functional.dropout3d",
        "nn.functional.alpha_dropout",
        "nn.functional.feature_alpha_dropout",
        "nn.functional.rrelu",
        "nn.functional.gumbel_softmax",
        "nn.functional.multi_head_attention_forward",
        "nn.functional.scaled_dot_product_attention",
    }
)


@dataclass(frozen=True)
class TensorInput:
    """A sample's tensor, carried as NumPy: its values, dtype name, and whether the backward
    differentiates it; ``key`` keeps two arguments that are one tensor one tensor."""

    values: np.ndarray
    dtype: str
    requires_grad: bool
    key: int


#: The suffix of an entry's float32 case (``opinfo/add.float32``).
FLOAT32 = ".float32"


@dataclass(frozen=True)
class Entry:
    """One listed OpInfo entry: its name, how it is called, and its encoded samples' source."""

    name: str
    form: str  #: "function" (``torch.<name>(...)``) or "method" (``input.<name>(...)``)
    op: Any = None
    dtype: str = "float64"

    @property
    def forward_ad(self) -> bool:
        """Whether torch's entry says it supports forward-mode AD (then the JVP is compared)."""
        return bool(getattr(self.op, "supports_forward_ad", False))


def _path(module: Any, name: str) -> Any:
    target = module
    for part in name.split("."):
        target = getattr(target, part)
    return target


def _form(torch: Any, op: Any) -> str | None:
    """How OpInfo calls the entry: a function of its name, a Tensor method, or neither (a
    lambda reordering arguments has no name to call on another library)."""
    try:
        function = _path(torch, op.name)
    except AttributeError:
        function = None
    if function is op.op:
        return "function"
    if op.method_variant is not None:
        return "method"
    return None


def case_name(op: Any) -> str:
    variant = getattr(op, "variant_test_name", "")
    return f"{op.name}.{variant}" if variant else op.name


@functools.cache
def entries() -> dict[str, Entry]:
    """Every callable, non-random OpInfo entry with float64 backward, by case name, and its
    float32 case where its backward supports float32."""
    try:
        import torch
        from torch.testing._internal.common_methods_invocations import op_db
    except ImportError as exc:
        raise ConformanceInputError(
            f"--area opinfo needs torch and expecttest ({exc}); pip install expecttest"
        ) from None
    found: dict[str, Entry] = {}
    for op in op_db:
        if op.name in RANDOM_OPS or not op.supports_autograd:
            continue
        if torch.float64 not in op.supported_backward_dtypes("cpu"):
            continue
        form = _form(torch, op)
        if form is not None:
            found.setdefault(case_name(op), Entry(op.name, form, op))
            if torch.float32 in op.supported_backward_dtypes("cpu"):
                found.setdefault(case_name(op) + FLOAT32, Entry(op.name, form, op, "float32"))
    return found


def _encode(value: Any, torch: Any, memo: dict[int, TensorInput]) -> Any:
    if isinstance(value, torch.Tensor):
        if id(value) not in memo:
            array = value.detach().resolve_neg().resolve_conj().numpy().copy()
            dtype = str(value.dtype).removeprefix("torch.")
            memo[id(value)] = TensorInput(array, dtype, bool(value.requires_grad), len(memo))
        return memo[id(value)]
    if isinstance(value, torch.dtype):
        return ("dtype", str(value).removeprefix("torch."))
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, tuple | list):
        return type(value)(_encode(v, torch, memo) for v in value)
    if isinstance(value, dict):
        return {k: _encode(v, torch, memo) for k, v in value.items()}
    return value


def samples(entry: Entry) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The entry's first samples of its dtype as (args, kwargs), the input first, encoded."""
    import torch

    torch.manual_seed(SAMPLE_SEED)
    found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    dtype = getattr(torch, entry.dtype)
    for sample in islice(entry.op.sample_inputs("cpu", dtype, requires_grad=True), 64):
        if len(found) == MAX_SAMPLES:
            break
        memo: dict[int, TensorInput] = {}
        try:
            args = _encode((sample.input, *sample.args), torch, memo)
        except TypeError:  # a sparse or otherwise non-strided input: not carried as NumPy
            continue
        if any(t.dtype.startswith("complex") for t in memo.values()):
            continue
        found.append((args, _encode(dict(sample.kwargs), torch, memo)))
    return found


def _decode(value: Any, module: Any, made: dict[int, Any]) -> Any:
    if isinstance(value, TensorInput):
        if value.key not in made:
            tensor = module.tensor(value.values, dtype=getattr(module, value.dtype))
            made[value.key] = tensor.requires_grad_(True) if value.requires_grad else tensor
        return made[value.key]
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "dtype":
        return getattr(module, value[1])
    if isinstance(value, tuple | list):
        return type(value)(_decode(v, module, made) for v in value)
    if isinstance(value, dict):
        return {k: _decode(v, module, made) for k, v in value.items()}
    return value


def _tensor_inputs(value: Any) -> list[TensorInput]:
    if isinstance(value, TensorInput):
        return [value]
    if isinstance(value, tuple | list):
        return [t for v in value for t in _tensor_inputs(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensor_inputs(v)]
    return []


def _tensors(value: Any, module: Any) -> list[Any]:
    if isinstance(value, module.Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [t for v in value for t in _tensors(v, module)]
    return []


def _call(module: Any, entry: Entry, inputs: Any, options: Any) -> Any:
    if entry.form == "function":
        return functools.partial(_path(module, entry.name), *inputs, **options)
    return functools.partial(getattr(inputs[0], entry.name), *inputs[1:], **options)


def _jvp(module: Any, entry: Entry, args: Any, kwargs: Any, seed: int) -> list[Any]:
    """The tangents of the sample's outputs, every differentiable input given a seeded tangent
    (forward-mode AD: ``dual_level``, ``make_dual``, ``unpack_dual``)."""
    forward_ad = module.autograd.forward_ad
    rng = np.random.default_rng(seed)
    with forward_ad.dual_level():
        made: dict[int, Any] = {}
        for one in _tensor_inputs((args, kwargs)):
            if one.requires_grad and one.key not in made:
                primal = module.tensor(one.values, dtype=getattr(module, one.dtype))
                tangent = module.tensor(rng.standard_normal(one.values.shape), dtype=primal.dtype)
                made[one.key] = forward_ad.make_dual(primal, tangent)
        out = _call(module, entry, _decode(args, module, made), _decode(kwargs, module, made))()
        return [forward_ad.unpack_dual(t).tangent for t in _tensors(out, module)]


def run_samples(module: Any, entry: Entry, encoded: list[Any], seed: int) -> dict[str, Any]:
    """Each sample on ``module``: its output, the gradients of every differentiable input for a
    cotangent drawn from ``seed`` (the same numbers on every backend), and - where torch's entry
    supports forward AD - the outputs' tangents for seeded input tangents."""
    observed: dict[str, Any] = {}
    for index, (args, kwargs) in enumerate(encoded):
        if entry.forward_ad:
            observed[f"s{index}.jvp"] = capture(
                functools.partial(_jvp, module, entry, args, kwargs, seed + 1000 + index)
            )
        made: dict[int, Any] = {}
        inputs, options = _decode(args, module, made), _decode(kwargs, module, made)
        out = capture(_call(module, entry, inputs, options))
        observed[f"s{index}.out"] = out
        if isinstance(out, Raised):
            continue
        outputs = [t for t in _tensors(out, module) if t.requires_grad]
        leaves = [t for t in made.values() if t.requires_grad]
        if not outputs or not leaves:
            continue
        rng = np.random.default_rng(seed + index)
        weights = [
            module.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype) for o in outputs
        ]
        grads = functools.partial(module.autograd.grad, outputs, leaves, weights, allow_unused=True)
        observed[f"s{index}.grads"] = capture(grads)
    return observed


def case_for(name: str, run_seed: int) -> Case:
    """The case ``opinfo/<name>``."""
    entry = entries().get(name)
    if entry is None:
        raise ConformanceInputError(f"no OpInfo entry {name!r} (see --area opinfo)")
    encoded = samples(entry)

    def run(module: Any, make: Any) -> dict[str, Any]:
        return run_samples(module, entry, encoded, run_seed)

    return Case(
        id=f"{AREA}/{name}",
        area=AREA,
        name=name,
        tags=("opinfo", entry.form, entry.dtype),
        func=run,
        doc=(
            f"OpInfo entry {entry.name}: its first {len(encoded)} {entry.dtype} sample(s), "
            f"forward, VJP{' and JVP' if entry.forward_ad else ''}."
        ),
        source_text="",
        module=__name__,
        filename=None,
        lineno=None,
    )


class OpInfoSource:
    """OpInfo entries as a case source (``conformance.sources.CaseSource``), listed only when a
    selection names the ``opinfo`` area."""

    shrinkable = False

    def prepare(self) -> None:
        return None  # op_db is imported when an id is first resolved

    def ids(self, selection: Selection) -> Iterator[str]:
        if AREA not in selection.areas:
            return
        for name in sorted(entries()):
            if self.selects(f"{AREA}/{name}", selection):
                yield f"{AREA}/{name}"

    def selects(self, case_id: str, selection: Selection) -> bool:
        return (
            self.owns(case_id)
            and AREA in selection.areas
            and (not selection.patterns or any(id_matches(case_id, p) for p in selection.patterns))
        )

    def owns(self, case_id: str) -> bool:
        return case_id.startswith(f"{AREA}/")

    def resolve(self, case_id: str, run_seed: int) -> Case:
        return case_for(case_id.removeprefix(f"{AREA}/"), run_seed)

    def keywords(self, case_id: str) -> tuple[str, tuple[str, ...]]:
        return AREA, ("opinfo",)

    def save_failure(self, case_id: str, run_seed: int, results_path: str | Path) -> Path | None:
        return None
