"""Shared fixtures. ``anki`` (the real Anki engine) is the oracle for what learners see."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DECKS = ROOT / "decks"
SRC = ROOT / "src"
# Read once, before the fixture below hides CI from the code under test: a test that
# needs a tool skips where it is missing, but never in CI, which must install it.
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require_tool(name: str, *alternatives: str, why: str) -> str:
    """The path of a program the test needs; skip without it (fail in CI instead)."""
    for candidate in (name, *alternatives):
        if path := shutil.which(candidate):
            return path
    message = f"{name} is not on PATH: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: CI must install it, so this test never skips there)")
    pytest.skip(message)


@pytest.fixture(autouse=True, scope="session")
def _no_user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test writes to the user's cache folder, module- and session-wide fixtures'
    builds included (they run before any function's own fixture)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DECK2ANKI_CACHE_DIR", str(tmp_path_factory.mktemp("session-cache")))
        yield


@pytest.fixture(autouse=True)
def _own_build_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
    """Each test's builds start with a cache of their own."""
    monkeypatch.setenv("DECK2ANKI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _no_ambient_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    # A SOURCE_DATE_EPOCH from the caller's shell would change stamps under the tests.
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def decks_copy(tmp_path: Path) -> Path:
    """A private copy of the repository's decks (with stamps.json) to edit freely."""
    target = tmp_path / "decks"
    shutil.copytree(DECKS, target)
    return target


@pytest.fixture
def write_deck(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a deck file into tmp_path/decks and return its path."""

    def write(name: str, text: str) -> Path:
        folder = tmp_path / "decks"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


MINIMAL = """\
company: Acme
slug: acme
sources:
  article:
    title: Acme article
cards:
  - id: first
    kind: fact
    source: article
    front: At Acme, what is first?
    back: The first answer.
"""


ANOTHER = """\
  - id: second
    kind: fact
    source: article
    front: At {name}, what is second?
    back: 'Another generic answer.'
  - id: third
    kind: fact
    source: article
    cloze: At {name}, {{{{c1::three}}}} comes after {{{{c2::two}}}}.
"""


@pytest.fixture
def companies(tmp_path: Path) -> Path:
    """Two small companies of our own, stamped: how caches behave, whatever decks/ holds."""
    from deck2anki.commands.stamp import stamp

    folder = tmp_path / "companies"
    folder.mkdir()
    for name in ("Acme", "Globex"):
        text = MINIMAL.replace("Acme", name).replace("acme", name.lower())
        (folder / f"{name.lower()}.yaml").write_text(text + ANOTHER.format(name=name), "utf-8")
    stamp(folder, now=1_700_000_000)
    return folder


def folder_bytes(folder: Path, *, but: str = "") -> dict[str, bytes]:
    """Every file of a build's output folder (less ``but``), by name: two builds compared."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != but}


@pytest.fixture
def anki_collection(tmp_path: Path) -> Iterator[Callable[[], object]]:
    """A factory of fresh, empty Anki collections (closed at teardown)."""
    from anki.collection import Collection

    opened: list[Collection] = []

    def make() -> Collection:
        folder = tmp_path / f"profile{len(opened)}"
        folder.mkdir()
        col = Collection(str(folder / "collection.anki2"))
        opened.append(col)
        return col

    yield make
    for col in opened:
        col.close()


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a real `deck2anki` process: this tree's code, none of the
    caller's SOURCE_DATE_EPOCH or CI (each test sets what it means)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "CI")}
    env["PYTHONPATH"] = str(SRC)
    env.update(extra or {})
    return env


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a throwaway identity (commits need one); its stdout."""
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                           *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def committed_decks(root: Path, message: str = "decks") -> Path:
    """``root``: a new git repository on main whose one commit holds the real decks."""
    shutil.copytree(DECKS, root / "decks")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return root


def run_cli(*args: str, cwd: Path,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m deck2anki ARGS` as a real process, as a contributor runs it."""
    return subprocess.run([sys.executable, "-m", "deck2anki", *args], cwd=cwd,
                          env=cli_env(env), capture_output=True, text=True, timeout=120,
                          check=False)

