"""Make ``torch`` unimportable: the one blocker shared by conftest.py and the subprocess tests.

``reference_impl`` must never import torch, directly or through anything it imports. The
blocker is a meta-path finder placed first on ``sys.meta_path``: any import of ``torch`` or
``torch.<anything>`` raises ``ImportError`` (not ``ModuleNotFoundError``, so an "optional
dependency" ``except ModuleNotFoundError`` cannot swallow it) and is recorded in ``attempts``,
so even an attempt that some code catches is seen afterwards.

Three ways to use it:

- in a fresh process: ``install()`` (permanent);
- in the pytest process, around collection and each test of ``tests/reference_impl``:
  ``with blocked(): ...``, which also hides already-imported ``torch*`` modules (harness tests
  in the same session may have imported torch) and puts them back afterwards;
- as a launcher for subprocesses, like ``python`` with ``-m`` / ``-c`` / a script path::

      python tests/reference_impl/_torch_blocker.py -m examples.tutorial_autograd --module X
      python tests/reference_impl/_torch_blocker.py -c "import reference_impl"

  It installs the blocker, runs the program as ``__main__``, and exits with status 3 (after
  the program's own output) if anything tried to import torch, even if the error was caught.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

BLOCKED = "torch"
ATTEMPT_EXIT_CODE = 3
THIS_FILE = Path(__file__).resolve()


def is_blocked(fullname: str) -> bool:
    return fullname == BLOCKED or fullname.startswith(BLOCKED + ".")


class TorchBlocker(importlib.abc.MetaPathFinder):
    """A finder that refuses ``torch`` and ``torch.*`` and remembers who asked."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if is_blocked(fullname):
            self.attempts.append(fullname)
            raise ImportError(
                f"import of {fullname!r} blocked: reference_impl and its tests must run without "
                "torch (tests/reference_impl/_torch_blocker.py)",
                name=fullname,
            )
        return None


def installed() -> TorchBlocker | None:
    """The blocker on ``sys.meta_path``, if any."""
    for finder in sys.meta_path:
        if isinstance(finder, TorchBlocker):
            return finder
    return None


def install() -> TorchBlocker:
    """Put the blocker first on ``sys.meta_path`` (once) and return it. For fresh processes."""
    loaded = sorted(name for name in sys.modules if is_blocked(name))
    if loaded:
        raise RuntimeError(f"torch is already imported, cannot block it: {loaded[:3]}")
    blocker = installed()
    if blocker is None:
        blocker = TorchBlocker()
        sys.meta_path.insert(0, blocker)
    return blocker


@contextlib.contextmanager
def blocked() -> Iterator[TorchBlocker]:
    """Block torch inside the ``with``; restore ``sys.meta_path`` and ``sys.modules`` after.

    Modules named ``torch*`` already in ``sys.modules`` are taken out for the duration (an
    ``import torch`` would otherwise just return the cached module without asking any finder).
    """
    hidden: dict[str, ModuleType] = {
        name: module for name, module in sys.modules.items() if is_blocked(name)
    }
    for name in hidden:
        del sys.modules[name]
    blocker = TorchBlocker()
    sys.meta_path.insert(0, blocker)
    try:
        yield blocker
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(blocker)
        sys.modules.update(hidden)


def command(argv: Sequence[str]) -> list[str]:
    """The command line that runs ``python <argv>`` with torch blocked (for ``subprocess``)."""
    return [sys.executable, str(THIS_FILE), *argv]


def run_python(
    argv: Sequence[str], *, block_torch: bool, cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python <argv>`` in a subprocess (torch blocked or not), its output captured as text.

    ``AUTOGRAD_MODULE`` is dropped from the environment so only the arguments pick the module.
    """
    cmd = command(argv) if block_torch else [sys.executable, *argv]
    env = {key: value for key, value in os.environ.items() if key != "AUTOGRAD_MODULE"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


@functools.cache
def torch_installed() -> bool:
    """Whether real torch can be imported by a subprocess (not by this, blocked, process)."""
    probe = "import importlib.util as u; print(u.find_spec('torch') is not None)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() == "True"


def main(argv: Sequence[str] | None = None) -> int:
    """``python _torch_blocker.py (-m MODULE | -c CODE | SCRIPT) [ARGS...]`` with torch blocked."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] in ("-m", "-c") and len(args) < 2):
        print(__doc__, file=sys.stderr)
        return 2
    blocker = install()
    try:
        if args[0] == "-m":
            # As `python -m`: the current directory first on sys.path, argv[0] the module's path.
            sys.path[0] = os.getcwd()
            sys.argv = [args[1], *args[2:]]
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        elif args[0] == "-c":
            sys.path[0] = ""
            sys.argv = ["-c", *args[2:]]
            exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.path[0] = str(Path(args[0]).resolve().parent)
            sys.argv = args
            runpy.run_path(args[0], run_name="__main__")
    finally:
        sys.stdout.flush()
        if blocker.attempts:
            print(f"torch import attempted with torch blocked: {blocker.attempts}", file=sys.stderr)
    return ATTEMPT_EXIT_CODE if blocker.attempts else 0


if __name__ == "__main__":
    sys.exit(main())
