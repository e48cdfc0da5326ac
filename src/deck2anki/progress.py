"""Progress of long work, told as short messages ("rendering pages 1200/50000").

The work only tells; the command line decides whether anyone is shown it (a terminal,
not CI, not ``-q``) and how. A :class:`Tally` counts fine-grained steps (a note, a card)
and tells a few times a second, so a loop of 50,000 steps costs a clock read per step,
and a printer that keeps every message (``build -v``) gets a few lines, not 50,000.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

Progress = Callable[[str], None]
INTERVAL = 0.1  # seconds between two messages of one tally: ten a second is smooth enough


class Tally:
    """Counts ``total`` steps of ``what``; tells ``progress`` "what done/total" when it
    starts, at most every ``interval`` seconds as it goes, and when the last step is done."""

    def __init__(self, progress: Progress | None, what: str, total: int,
                 interval: float = INTERVAL) -> None:
        self.done = 0
        self._progress = progress
        self._what = what
        self._total = total
        self._interval = interval
        self._due = 0.0
        if progress is not None:
            self._tell(progress, monotonic())

    def add(self, steps: int = 1) -> None:
        self.done += steps
        if self._progress is None:
            return
        now = monotonic()
        if now >= self._due or self.done >= self._total:
            self._tell(self._progress, now)

    def _tell(self, progress: Progress, now: float) -> None:
        self._due = now + self._interval
        progress(f"{self._what} {self.done}/{self._total}")
