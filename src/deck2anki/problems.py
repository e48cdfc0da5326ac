"""Problems are values: every check yields them, the CLI prints them.

Positions are 1-based (converted from PyYAML's 0-based marks in exactly one place, the
loader's ``position_of``) so they match what editors and ``path:line:col`` readers expect.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path


class Level(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one file."""

    path: Path
    position: Position
    message: str
    code: str
    level: Level = field(default=Level.ERROR, compare=False)

    def _order(self) -> tuple[str, Position, bool, str, str]:
        # By place; at one place the error first, as it is what to fix first.
        return (str(self.path), self.position, self.level is not Level.ERROR, self.code,
                self.message)

    def __lt__(self, other: Problem) -> bool:
        return self._order() < other._order()

    def format(self) -> str:
        pos = self.position
        where = f"{self.path}:{pos.line}:{pos.column}"
        return printable(f"{where}: {self.level.value}: {self.code}: {self.message}")


# Control characters, line and paragraph separators, and the bidirectional controls
# (which would show the rest of the line reordered).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` on one line: a control character (a newline in a file name, say) is
    shown escaped, so nothing can forge a second line of output."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


class InvalidInput(Exception):
    """Raised when input cannot be used; carries every problem found, sorted."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(p.format() for p in self.problems))
