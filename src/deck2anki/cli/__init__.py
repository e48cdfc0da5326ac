"""Command line: parse options, call a command (deck2anki.commands), print. No logic here.

Exit codes: 0 success, 1 invalid input (or a build that could not be written),
2 usage error (click's own), 130 interrupted by Ctrl-C (nothing was changed).

The click application is :data:`main` (in :mod:`.app`, imported on first use); the
console script runs :func:`run`, which answers a plain ``deck2anki validate`` without
importing click at all (:mod:`.quick`): an editor runs it on every save.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: a recalled validate does without importing it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from .app import main as main


def run(args: Sequence[str] | None = None) -> None:
    """The console script: ``deck2anki ARGS`` (default: ``sys.argv[1:]``)."""
    from .quick import validate_quickly

    argv = list(sys.argv[1:] if args is None else args)
    if validate_quickly(argv):
        return
    from .app import main

    main(argv)


def __getattr__(name: str) -> Any:
    # `from deck2anki.cli import main` keeps working (tests, older console scripts),
    # without every importer of this package paying for click.
    if name == "main":
        from .app import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
