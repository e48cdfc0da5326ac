"""Long work shows how far it is where a person watches, and nowhere else.

Progress is one line of stderr rewritten in place on a terminal, wiped when the work
ends; in CI, with -q, or when stderr is not a terminal nothing of it is printed, and
what a command prints and writes is the same either way.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deck2anki import progress as progress_module
from deck2anki.cli import status
from deck2anki.cli.status import StatusLine, progress_shown
from deck2anki.progress import Tally

from conftest import MINIMAL, cli_env, run_cli


class Clock:
    """time.monotonic, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress_module, "monotonic", fake)
    return fake


def test_a_tally_tells_at_the_start_a_few_times_a_second_and_at_the_end(
        clock: Clock) -> None:
    told: list[str] = []
    tally = Tally(told.append, "rendering pages", 5)
    for _ in range(3):  # all within one interval: only the start was told
        tally.add()
    assert told == ["rendering pages 0/5"]
    clock.now += 0.1
    tally.add()
    assert told[-1] == "rendering pages 4/5"
    tally.add()  # the last step, inside the interval: told all the same
    assert told == ["rendering pages 0/5", "rendering pages 4/5", "rendering pages 5/5"]


def test_a_tally_without_anyone_to_tell_only_counts() -> None:
    tally = Tally(None, "rendering pages", 2)
    tally.add(2)
    assert tally.done == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen(written: str) -> list[str]:
    """What a terminal shows of ``written``: each carriage return goes back to the start
    of the line, and what follows overwrites what was there."""
    lines = []
    for raw in written.replace("\r\n", "\n").split("\n"):
        shown = ""
        for piece in raw.split("\r"):
            shown = piece + shown[len(piece):]
        lines.append(shown.rstrip(" "))
    return lines


def test_the_status_line_is_rewritten_throttled_per_kind_and_wiped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    # Here, not in a fixture: pytest sets its own sys.stderr again as the test starts.
    monkeypatch.setattr("sys.stderr", terminal)
    now = [50.0]
    monkeypatch.setattr(status, "monotonic", lambda: now[0])
    line = StatusLine(40, interval=0.1)
    line("checked 1/300: decks/a-very-long-company-name-indeed.yaml")
    assert terminal.getvalue() == "\r" + "checked 1/300: decks/a-very-long-company"
    line("checked 2/300: decks/b.yaml")  # too soon after the last: not shown
    assert screen(terminal.getvalue()) == ["checked 1/300: decks/a-very-long-company"]
    now[0] += 0.1
    line("checked 3/300: decks/c.yaml")  # shorter: what the longer left is wiped
    assert screen(terminal.getvalue()) == ["checked 3/300: decks/c.yaml"]
    line("checked 300/300: decks/z.yaml")  # the last of its kind: shown at once
    line("writing 2 file(s) into dist")  # a new kind of work: shown at once
    assert screen(terminal.getvalue()) == ["writing 2 file(s) into dist"]
    line("a\nforged line 1/2")  # a control character in a path cannot break the line
    assert screen(terminal.getvalue()) == ["a\\nforged line 1/2"]
    line.close()
    assert screen(terminal.getvalue()) == [""]
    assert "\n" not in terminal.getvalue()
    print_after = "built 1 companies"
    terminal.write(print_after)
    assert screen(terminal.getvalue()) == [print_after]


@pytest.mark.parametrize(("ci", "quiet", "verbose", "tty", "shown"), [
    (None, False, False, True, "line"), (None, True, False, True, None),
    (None, False, False, False, None), ("true", False, False, True, None),
    ("1", False, False, True, None), ("false", False, False, True, "line"),
    (None, True, True, False, "lines"), ("true", False, True, False, "lines"),
])
def test_progress_shows_on_a_terminal_unless_quiet_or_in_ci(
        monkeypatch: pytest.MonkeyPatch, ci: str | None, quiet: bool, verbose: bool,
        tty: bool, shown: str | None) -> None:
    stream = Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    with progress_shown(verbose, quiet) as progress:
        if progress is not None:
            progress("checked 1/2: a.yaml")
            progress("writing 2 file(s) into dist")
    written = stream.getvalue()
    if shown is None:
        assert progress is None and written == ""
    elif shown == "lines":  # -v: every step kept, on a line of its own, terminal or not
        assert written == "  checked 1/2: a.yaml\n  writing 2 file(s) into dist\n"
    else:
        assert isinstance(progress, StatusLine)
        assert "writing 2 file(s) into dist" in written and "\n" not in written
        assert screen(written) == [""]  # wiped: nothing left where output follows


def test_work_that_fails_leaves_no_progress_behind_its_problems(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    with pytest.raises(KeyError), progress_shown() as progress:
        assert progress is not None
        progress("checked 1/2: a.yaml")
        raise KeyError("a.yaml")  # the problems are printed after the with block
    assert "checked 1/2" in stream.getvalue() and screen(stream.getvalue()) == [""]


# A command as a person runs it: stderr a real terminal (a pseudo-terminal), stdout a
# pipe, as in `deck2anki preview --format ... > file`.
pty = pytest.importorskip("pty") if sys.platform != "win32" else None


def run_on_terminal(args: list[str], cwd: Path, env: dict[str, str] | None = None,
                    terminal: bool = True) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `python -m deck2anki ARGS`, stderr a terminal."""
    command = [sys.executable, "-m", "deck2anki", *args]
    if not terminal:
        done = subprocess.run(command, cwd=cwd, env=cli_env(env), capture_output=True,
                              timeout=120, check=False)
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    assert pty is not None
    main, secondary = pty.openpty()
    with subprocess.Popen(command, cwd=cwd, env=cli_env(env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=secondary) as process:
        os.close(secondary)
        chunks = list(_read_all(main))
        out = process.stdout.read() if process.stdout else b""
        code = process.wait(timeout=120)
    os.close(main)
    return code, out.decode(), b"".join(chunks).decode().replace("\r\n", "\n")


def _read_all(fd: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other end closed, on Linux
            return
        if not chunk:
            return
        yield chunk


CARD = """\
  - id: card-{n}
    kind: fact
    source: article
    front: At Acme, what is fact number {n}?
    back: The answer number {n}.
"""


@pytest.fixture
def decks(write_deck: Callable[[str, str], Path]) -> Path:
    write_deck("acme.yaml", MINIMAL + "".join(CARD.format(n=n) for n in range(40)))
    path = write_deck("globex.yaml", MINIMAL.replace("Acme", "Globex").replace(
        "acme", "globex"))
    stamped = run_cli("stamp", "--decks", str(path.parent), cwd=path.parent)
    assert stamped.returncode == 0, stamped.stderr  # a release build needs the stamps
    return path.parent


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("command", ["preview", "build"])
def test_progress_shows_on_a_terminal_and_changes_no_output(
        command: str, decks: Path, tmp_path: Path) -> None:
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    runs = {}
    for name, terminal, extra, env in [
            ("plain", False, [], epoch), ("terminal", True, [], epoch),
            ("ci", True, [], {**epoch, "CI": "true"}), ("quiet", True, ["-q"], epoch)]:
        cwd = tmp_path / name  # each run its own, so that every run prints the same "out"
        cwd.mkdir()
        more = ["--no-cache"] if command == "build" else []
        runs[name] = (*run_on_terminal([command, "--decks", str(decks), "--out", "out",
                                        *more, *extra], cwd, env, terminal),
                      _tree(cwd / "out"))
    plain_code, plain_out, plain_err, plain_files = runs["plain"]
    code, stdout, stderr, files = runs["terminal"]
    told = "rendering pages 0/42" if command == "preview" else "checked 1/2: "
    assert "\r" in stderr and told in stderr
    assert "\r" not in plain_err and told not in plain_err
    assert screen(stderr) == screen(plain_err)  # wiped: the screen is as without it
    assert (code, stdout, files) == (plain_code, plain_out, plain_files)
    assert runs["ci"] == runs["plain"]  # CI=true: nothing of it, terminal or not
    quiet_code, quiet_out, quiet_err, quiet_files = runs["quiet"]
    assert (quiet_code, quiet_err, quiet_files) == (0, "", files)
    assert code == 0 and stdout and not quiet_out
