"""The seed documents' programs (examples/seeds/) print their published numbers on reference_impl.

Each program runs in a subprocess with torch unimportable (``_torch_blocker``) and its output must
contain every block of ``examples/seeds/expected/<program>.txt``, as consecutive lines, blocks in
order. Tensors are compared as printed text (reference_impl prints like torch); memory addresses
(``<AddBackward0 object at 0x...>``) and the module path of ``<class '....Tensor'>`` are not.

The same programs also run on real torch (subprocess; skipped when torch is not installed), which
checks that the expected files and the inputs fixed in place of ``randn``/``rand`` reproduce the
documents' numbers on torch itself.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import _torch_blocker
import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO / "examples" / "seeds"
EXPECTED_DIR = SEEDS_DIR / "expected"
PROGRAMS = sorted(path.stem for path in SEEDS_DIR.glob("seed_*.py"))

_ADDRESS = re.compile(r"0x[0-9A-Fa-f]+")
_TENSOR_CLASS = re.compile(r"<class '[\w.]*\bTensor'>")


def normalise(text: str) -> list[str]:
    """Output lines, right-stripped, with addresses and the Tensor class path blanked out."""
    text = _ADDRESS.sub("0x...", text)
    text = _TENSOR_CLASS.sub("<class 'Tensor'>", text)
    return [line.rstrip() for line in text.splitlines()]


def expected_blocks(stem: str) -> list[list[str]]:
    """The expected file's blocks: runs of non-comment lines separated by blank lines."""
    blocks: list[list[str]] = [[]]
    for line in normalise((EXPECTED_DIR / f"{stem}.txt").read_text(encoding="utf-8")):
        if line.startswith("#"):
            continue
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def missing_block(output: list[str], blocks: list[list[str]]) -> list[str] | None:
    """The first block not found (as consecutive lines, after the previous one), or None."""
    start = 0
    for block in blocks:
        for i in range(start, len(output) - len(block) + 1):
            if output[i : i + len(block)] == block:
                start = i + len(block)
                break
        else:
            return block
    return None


def run_program(stem: str, module: str) -> subprocess.CompletedProcess[str]:
    args = ["-m", f"examples.seeds.{stem}", "--module", module]
    return _torch_blocker.run_python(args, block_torch=module == "reference_impl", cwd=REPO)


def skip_without_torch(module: str) -> None:
    if module == "torch" and not _torch_blocker.torch_installed():
        pytest.skip("torch is not installed")


def check_program(stem: str, module: str) -> None:
    result = run_program(stem, module)
    report = f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr[-4000:]}"
    if result.returncode != 0:
        pytest.fail(f"{stem} on {module} exited {result.returncode}\n{report}", pytrace=False)
    block = missing_block(normalise(result.stdout), expected_blocks(stem))
    if block is not None:
        missing = "\n".join(block)
        pytest.fail(f"{stem} on {module} did not print:\n{missing}\n{report}", pytrace=False)


def test_every_program_has_expected_output() -> None:
    assert len(PROGRAMS) == 5, PROGRAMS
    expected = sorted(path.stem for path in EXPECTED_DIR.glob("*.txt"))
    assert expected == PROGRAMS
    for stem in PROGRAMS:
        assert expected_blocks(stem), stem


def test_programs_get_torch_only_through_the_shim() -> None:
    for stem in PROGRAMS:
        source = (SEEDS_DIR / f"{stem}.py").read_text(encoding="utf-8")
        assert "from examples.seeds._module import torch\n" in source, stem
        assert not re.search(r"^\s*(import torch|from torch\b)", source, re.MULTILINE), stem


@pytest.mark.parametrize("stem", PROGRAMS)
def test_seed_program_on_reference_impl(stem: str) -> None:
    check_program(stem, "reference_impl")


@pytest.mark.parametrize("stem", PROGRAMS)
def test_seed_program_on_torch(stem: str) -> None:
    skip_without_torch("torch")
    check_program(stem, "torch")


@pytest.mark.parametrize("module", ["reference_impl", "torch"])
def test_seed_003_saved_variables_is_deprecated(module: str) -> None:
    """torch 2.13 still has ``ctx.saved_variables``, with a DeprecationWarning per use."""
    skip_without_torch(module)
    result = run_program("seed_003_custom_function", module)
    warning = "DeprecationWarning: 'saved_variables' is deprecated; use 'saved_tensors'"
    assert result.stderr.count(warning) == 2, result.stderr[-4000:]


def test_matching_helpers() -> None:
    output = normalise("a\n<X object at 0xdeadBEEF>\nb  \nc\nd\n")
    assert missing_block(output, [["<X object at 0x...>"], ["b", "c"]]) is None
    assert missing_block(output, [["c"], ["b"]]) == ["b"]  # order matters
    assert missing_block(output, [["b", "d"]]) == ["b", "d"]  # lines must be consecutive
    assert normalise("<class 'reference_impl._tensor.Tensor'>") == ["<class 'Tensor'>"]
    assert normalise("<class 'torch.Tensor'>") == ["<class 'Tensor'>"]
