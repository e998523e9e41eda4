"""How much of PyTorch's own OpInfo database reference_impl agrees with, op by op.

Why: "reference_impl covers torch's breadth" needs a number that torch itself defines. For every
OpInfo entry (``torch.testing._internal.common_methods_invocations.op_db``, needs ``expecttest``)
whose backward supports float64, the same name is resolved on reference_impl (a module function,
including ``nn.functional.*`` and ``linalg.*``, else a Tensor method), each float64 sample input
is converted through NumPy, and the forward values and the vector-Jacobian product for a seeded
random cotangent are compared. Each entry is counted once as

- ``agree``: every sample agrees (forward values, shapes, dtypes and every input's gradient),
- ``unsupported``: reference_impl lacks the name,
- ``failing``: some sample differs or raises (the first reason is kept),
- ``skipped``: a random op (drawn values cannot agree), an entry OpInfo runs through a lambda
  that has no name to resolve, or one with no float64 sample.

    python tools/opinfo_agreement.py              # every entry -> results/opinfo_agreement.json
    python tools/opinfo_agreement.py --ops acos,addmm -v
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conformance.opinfo import RANDOM_OPS

#: Ops whose values are drawn at random: no two libraries can agree on them.

RTOL, ATOL = 1e-7, 1e-7
#: Seconds one OpInfo entry (all its samples) may take before it is recorded as failing.
ENTRY_TIMEOUT_S = 30


@dataclass
class Row:
    """One OpInfo entry's outcome."""

    name: str
    variant: str
    status: str  # agree | unsupported | failing | skipped
    samples: int = 0
    agreed: int = 0
    reason: str = ""
    seconds: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.name}.{self.variant}" if self.variant else self.name


class _Mismatch(Exception):
    """A sample where reference_impl differs from torch (the message says how)."""


class _EntryTimeout(Exception):
    pass


# -- resolving a name on reference_impl --------------------------------------------------------


def _torch_path(torch: Any, name: str) -> Any:
    target: Any = torch
    for part in name.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def resolve_reference(torch: Any, ref: Any, op: Any) -> tuple[Any, str]:
    """The reference callable for an OpInfo entry (or None) and how it was resolved.

    When OpInfo calls torch's function of that name, the reference function of the same dotted
    name (``nn.functional.relu``, ``linalg.norm``) is used, else the Tensor method of that name.
    When OpInfo wraps the call in a lambda (``where``, ``polygamma`` reorder arguments), only the
    method form has the sample's argument order; a lambda with no method form cannot be named.
    """
    name = op.name
    if name in ("T", "H", "mT", "mH"):
        return _reference_method(ref, name), "property"
    if _torch_path(torch, name) is op.op or (
        getattr(op.op, "__name__", "") != "<lambda>" and op.method_variant is None
    ):
        target = _reference_path(ref, name)
        if target is not None:
            return target, "function"
        if "." in name:
            return None, "function"
        return _reference_method(ref, name), "method"
    if op.method_variant is not None:
        return _reference_method(ref, name), "method"
    return None, "lambda"


def _reference_path(ref: Any, name: str) -> Any:
    target: Any = ref
    for part in name.split("."):
        try:
            target = getattr(target, part)
        except (AttributeError, NotImplementedError):
            return None
    return target if callable(target) else None


def _reference_method(ref: Any, name: str) -> Any:
    try:
        attr = getattr(ref.Tensor, name)
    except (AttributeError, NotImplementedError):
        return None
    if isinstance(attr, property):
        return lambda self, *a, **k: getattr(self, name)
    return lambda self, *a, **k: getattr(self, name)(*a, **k)


# -- converting torch values to reference values ---------------------------------------------


class Converter:
    """torch values -> reference values, keeping aliasing (one tensor converts once)."""

    def __init__(self, torch: Any, ref: Any) -> None:
        self.torch, self.ref = torch, ref
        self.memo: dict[int, Any] = {}
        self.grad_pairs: list[tuple[Any, Any]] = []  # (torch tensor, reference tensor)

    def __call__(self, value: Any) -> Any:
        torch = self.torch
        if isinstance(value, torch.Tensor):
            return self._tensor(value)
        if isinstance(value, torch.dtype):
            return getattr(self.ref, str(value).removeprefix("torch."))
        if isinstance(value, torch.Size):
            return tuple(value)
        if isinstance(value, (torch.device, torch.memory_format, torch.layout)):
            return value  # reference_impl sees torch's object and must cope or fail
        if isinstance(value, tuple):
            return tuple(self(v) for v in value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value

    def _tensor(self, t: Any) -> Any:
        if id(t) in self.memo:
            return self.memo[id(t)]
        if t.is_complex() or t.layout != self.torch.strided:
            raise _Mismatch(f"input is {t.dtype}/{t.layout}: not representable")
        array = t.detach().cpu().resolve_neg().resolve_conj().numpy().copy()
        out = self.ref.tensor(array, dtype=self(t.dtype))
        if t.requires_grad:
            out.requires_grad_(True)
            self.grad_pairs.append((t, out))
        self.memo[id(t)] = out
        return out


# -- comparing ----------------------------------------------------------------------------------


def _flatten(value: Any, is_tensor: Any) -> list[Any]:
    if is_tensor(value):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten(v, is_tensor)]
    return []


def _to_numpy(t: Any) -> np.ndarray:
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's lazily-zero gradient
        return np.zeros(tuple(t.shape))
    return np.asarray(t.detach().numpy())


def _compare(what: str, want: np.ndarray, got: np.ndarray) -> None:
    if want.shape != got.shape:
        raise _Mismatch(f"{what}: shape {got.shape} != torch {want.shape}")
    if want.dtype.kind in "fc" or got.dtype.kind in "fc":
        ok = np.allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)
    else:
        ok = np.array_equal(got, want)
    if not ok:
        with np.errstate(all="ignore"):
            err = np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64)))
        raise _Mismatch(f"{what}: values differ (max abs error {err:.3g})")


def check_sample(torch: Any, ref: Any, op: Any, ref_fn: Any, sample: Any, seed: int) -> None:
    """Run one sample on both; raise ``_Mismatch`` (or reference's error) when they differ."""
    convert = Converter(torch, ref)
    r_input = convert(sample.input)
    r_args, r_kwargs = convert(tuple(sample.args)), convert(dict(sample.kwargs))
    t_out = sample.output_process_fn_grad(op.op(sample.input, *sample.args, **sample.kwargs))
    try:
        r_raw = ref_fn(r_input, *r_args, **r_kwargs)
    except NotImplementedError as exc:
        raise _Mismatch(f"NotImplementedError: {exc}") from None
    try:
        r_out = sample.output_process_fn_grad(r_raw)
    except Exception as exc:  # noqa: BLE001 - torch's post-processing lambda on our output
        raise _Mismatch(f"output_process_fn_grad: {type(exc).__name__}: {exc}") from None
    t_flat = _flatten(t_out, lambda v: isinstance(v, torch.Tensor))
    r_flat = _flatten(r_out, lambda v: isinstance(v, ref.Tensor))
    if not t_flat and not isinstance(t_out, (tuple, list)):
        _compare("output", np.asarray(t_out), np.asarray(r_out))
        return
    if len(t_flat) != len(r_flat):
        raise _Mismatch(f"{len(r_flat)} output tensors != torch {len(t_flat)}")
    for i, (t, r) in enumerate(zip(t_flat, r_flat, strict=True)):
        if str(t.dtype).removeprefix("torch.") != str(r.dtype).removeprefix("torch."):
            raise _Mismatch(f"output {i}: dtype {r.dtype} != torch {t.dtype}")
        _compare(f"output {i}", _to_numpy(t), _to_numpy(r))
    _check_vjp(torch, ref, convert.grad_pairs, t_flat, r_flat, seed)


def _check_vjp(
    torch: Any,
    ref: Any,
    pairs: list[tuple[Any, Any]],
    t_flat: list[Any],
    r_flat: list[Any],
    seed: int,
) -> None:
    diff = [i for i, t in enumerate(t_flat) if t.requires_grad and t.dtype.is_floating_point]
    if not diff or not pairs:
        return
    for i in diff:
        if not r_flat[i].requires_grad:
            raise _Mismatch(f"output {i} does not require grad")
    rng = np.random.default_rng(seed)
    cotangents = [rng.standard_normal(tuple(t_flat[i].shape)) for i in diff]
    t_grads = torch.autograd.grad(
        [t_flat[i] for i in diff],
        [t for t, _ in pairs],
        [torch.from_numpy(c).to(t_flat[i].dtype) for c, i in zip(cotangents, diff, strict=True)],
        allow_unused=True,
    )
    r_grads = ref.autograd.grad(
        [r_flat[i] for i in diff],
        [r for _, r in pairs],
        [ref.tensor(c, dtype=r_flat[i].dtype) for c, i in zip(cotangents, diff, strict=True)],
        allow_unused=True,
    )
    for k, ((t_in, _), tg, rg) in enumerate(zip(pairs, t_grads, r_grads, strict=True)):
        want = np.zeros(tuple(t_in.shape)) if tg is None else _to_numpy(tg)
        got = np.zeros(tuple(t_in.shape)) if rg is None else _to_numpy(rg)
        _compare(f"grad of input {k}", want, got)


# -- the run --------------------------------------------------------------------------------


def _alarm(_signum: int, _frame: Any) -> None:
    raise _EntryTimeout


def _samples(op: Any, torch: Any) -> Iterator[Any]:
    yield from op.sample_inputs("cpu", torch.float64, requires_grad=True)


def run_entry(torch: Any, ref: Any, op: Any) -> Row:
    row = Row(op.name, op.variant_test_name, "agree")
    if op.name in RANDOM_OPS:
        row.status, row.reason = "skipped", "random op"
        return row
    ref_fn, how = resolve_reference(torch, ref, op)
    if how == "lambda":
        row.status, row.reason = "skipped", "OpInfo calls a lambda with no method form"
        return row
    if ref_fn is None:
        row.status, row.reason = "unsupported", f"reference_impl has no {op.name}"
        return row
    seed = zlib.crc32(row.key.encode())
    for index, sample in enumerate(_samples(op, torch)):
        row.samples += 1
        try:
            check_sample(torch, ref, op, ref_fn, sample, seed + index)
        except _EntryTimeout:
            raise
        except _Mismatch as exc:
            row.reason = row.reason or f"sample {index}: {exc}"
        except Exception as exc:  # noqa: BLE001 - any error on either side is a finding
            row.reason = row.reason or f"sample {index}: {type(exc).__name__}: {exc}"[:300]
        else:
            row.agreed += 1
    if row.samples == 0:
        row.status, row.reason = "skipped", "no float64 sample"
    elif row.agreed < row.samples:
        row.status = "failing"
    return row


def selected_entries(torch: Any, names: set[str] | None) -> list[Any]:
    from torch.testing._internal.common_methods_invocations import op_db

    chosen = []
    for op in op_db:
        if not op.supports_autograd or torch.float64 not in op.supported_backward_dtypes("cpu"):
            continue
        if names is None or op.name in names:
            chosen.append(op)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", help="comma-separated OpInfo names (default: all)")
    parser.add_argument("--out", default="results/opinfo_agreement.json", help="JSON rows")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every entry")
    args = parser.parse_args(argv)

    import torch

    import reference_impl as ref

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    names = set(args.ops.split(",")) if args.ops else None
    signal.signal(signal.SIGALRM, _alarm)
    rows: list[Row] = []
    for op in selected_entries(torch, names):
        start = time.perf_counter()
        signal.alarm(ENTRY_TIMEOUT_S)
        try:
            row = run_entry(torch, ref, op)
        except _EntryTimeout:
            row = Row(op.name, op.variant_test_name, "failing", reason="timed out")
        finally:
            signal.alarm(0)
        row.seconds = round(time.perf_counter() - start, 3)
        rows.append(row)
        if args.verbose:
            print(f"{row.status:11} {row.key:45} {row.agreed}/{row.samples} {row.reason}"[:200])
    counts = Counter(r.status for r in rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"counts": dict(counts), "torch": torch.__version__, "rows": [asdict(r) for r in rows]},
            indent=1,
        )
    )
    print(
        f"OpInfo entries with float64 backward: {len(rows)}  agree: {counts['agree']}  "
        f"unsupported: {counts['unsupported']}  failing: {counts['failing']}  "
        f"skipped: {counts['skipped']}  -> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
