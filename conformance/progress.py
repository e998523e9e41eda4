"""A one-line progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO


class Progress:
    """Counts finished cases per outcome and redraws ``[#####   ] 12/40 fail 1 area/name``."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None):
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.current = ""

    def start(self, case_id: str) -> None:
        self.current = case_id
        self._draw()

    def finish(self, outcome: str) -> None:
        self.done += 1
        self.failed += outcome in ("fail", "error")
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        columns = shutil.get_terminal_size((80, 20)).columns
        width = 24
        filled = width * self.done // max(self.total, 1)
        text = f"[{'#' * filled}{' ' * (width - filled)}] {self.done}/{self.total}"
        if self.failed:
            text += f" failed {self.failed}"
        text = f"{text} {self.current}"[: columns - 1]
        self.stream.write("\r" + text.ljust(columns - 1))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (shutil.get_terminal_size((80, 20)).columns - 1) + "\r")
            self.stream.flush()
