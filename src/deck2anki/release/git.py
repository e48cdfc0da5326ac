"""Card-level history from git: what a change adds, changes and removes.

``deck2anki diff`` shows a reviewer, card by card, what a pull request does, and a
release its changelog. It is also a guard: a card that existed at the base and is gone
now (deleted, or its id or slug renamed) stays in every learner's collection forever,
orphaned, so removal fails the check; ``retired: true`` is the way to withdraw a card.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

# Not typing's: its import costs a cached validate (which asks git once) more than git.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .changes import Cards

    Parsed = tuple[str, dict[str, dict[str, Any]]]  # a deck's slug and its cards by id

MAIN_BRANCHES = ("origin/main", "main", "origin/master", "master")
_SHALLOW = ("this is a shallow clone; fetch the history (`git fetch --unshallow`, "
            "or actions/checkout with fetch-depth: 0)")
_NO_MAIN = "no main or master branch to compare with; pass a base revision"


class NoHistory(Exception):
    """Git history is not available; the message says why, plainly."""


def _git(repo: Path, *args: str) -> str:
    import subprocess

    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                                text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoHistory(f"git could not run ({exc})") from exc
    if result.returncode != 0:
        raise NoHistory(result.stderr.strip().splitlines()[-1] if result.stderr.strip()
                        else f"git {' '.join(args)} failed")
    return result.stdout


def repository(path: Path) -> Path:
    try:
        return Path(_git(path if path.is_dir() else path.parent, "rev-parse",
                         "--show-toplevel").strip())
    except NoHistory as exc:
        raise NoHistory(f"{path} is not in a git checkout") from exc


def default_base(repo: Path) -> str:
    """The merge base of HEAD with the main branch: what a pull request is compared with."""
    if _git(repo, "rev-parse", "--is-shallow-repository").strip() == "true":
        raise NoHistory(_SHALLOW)
    # One call lists which of the candidate branches exist.
    found = set(_git(repo, "for-each-ref", "--format=%(refname)", *_MAIN_REFS).split())
    for ref in _MAIN_REFS:
        if ref in found:
            return _git(repo, "merge-base", "HEAD", ref).strip()
    raise NoHistory(_NO_MAIN)


_MAIN_REFS = [f"refs/remotes/{b}" if b.startswith("origin/") else f"refs/heads/{b}"
              for b in MAIN_BRANCHES]
# rev-parse lists the refs a glob matches; the brackets make each name a glob that
# matches only itself (a name without a wildcard would match the refs under it).
_GLOBS = [f"--glob={ref[:-1]}[{ref[-1]}]" for ref in _MAIN_REFS]


class Snapshot:
    """What one call of git says of a checkout: where it is, and all that the merge base
    with the main branch (and every tree under it) depends on."""

    __slots__ = ("branch", "key", "repo", "shallow")

    def __init__(self, repo: Path, shallow: bool, branch: str | None, key: str) -> None:
        self.repo = repo
        self.shallow = shallow
        self.branch = branch  # the first of MAIN_BRANCHES that exists, as a full ref name
        self.key = key  # git's whole answer: equal keys, equal merge base


def snapshot(path: Path) -> Snapshot | None:
    """The checkout ``path`` is in, in one call; None if git could not say (then
    :func:`repository` and :func:`default_base` say why, as always)."""
    # --glob=refs/replace/*: `git replace` can rewrite history a merge base walks.
    globs = [*_GLOBS, "--glob=refs/replace/*"]
    out = _answer(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel",
                  "--is-shallow-repository", "HEAD", *globs, "--symbolic-full-name", *globs)
    if out is None:
        return None
    lines = out.splitlines()
    if len(lines) < 3 or lines[1] not in ("true", "false"):
        return None  # a folder name with a line break, say: ask the slow way
    branch = next((line for line in lines[3:] if line in _MAIN_REFS), None)
    return Snapshot(Path(lines[0]), lines[1] == "true", branch, out)


def _answer(folder: Path, *args: str, timeout: float = 60) -> str | None:
    """What ``git -C folder ARGS`` prints, or None if it fails (or is silent ``timeout``
    seconds long).

    subprocess.run's work for the one call a cached validate makes, without importing
    subprocess (threading, selectors, locale): that import costs more than the call.
    """
    if not hasattr(os, "posix_spawnp"):  # Windows
        try:
            return _git(folder, *args)
        except NoHistory:
            return None
    import select
    import signal

    reader, writer = os.pipe()  # both ends close on exec; the child's stdout is a copy
    try:
        pid = os.posix_spawnp(
            "git", ["git", "-C", str(folder), *args], os.environ,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                          (os.POSIX_SPAWN_DUP2, writer, 1),
                          (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)],
            # What Python ignores, git must not (subprocess restores these too).
            setsigdef=[getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ")
                       if hasattr(signal, name)])
    except OSError:  # no git
        os.close(reader)
        return None
    finally:
        os.close(writer)
    chunks = []
    try:
        with os.fdopen(reader, "rb", buffering=0) as stream:
            while select.select([stream], [], [], timeout)[0]:
                chunk = stream.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            else:
                os.kill(pid, signal.SIGKILL)  # no answer in time
    finally:
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return os.fsdecode(b"".join(chunks)) if code == 0 else None


def merge_base(seen: Snapshot) -> str:
    """:func:`default_base` of the checkout ``seen``, less the calls already made."""
    if seen.shallow:
        raise NoHistory(_SHALLOW)
    if seen.branch is None:
        raise NoHistory(_NO_MAIN)
    return _git(seen.repo, "merge-base", "HEAD", seen.branch).strip()


def base(repo: Path, revision: str | None = None) -> str:
    """The commit to compare with: ``revision`` if given, else the merge base with main."""
    return resolve(repo, revision) if revision else default_base(repo)


def resolve(repo: Path, revision: str) -> str:
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()
    except NoHistory as exc:
        raise NoHistory(f"{revision!r} is not a commit in {repo}") from exc




def revisions(repo: Path, path: Path, limit: int) -> list[str]:
    """The last ``limit`` commits that changed ``path``, newest first."""
    return _git(repo, "log", f"-n{limit}", "--format=%H", "--", str(path.resolve())).split()


def cards_of(data: Any) -> Parsed | None:
    if not isinstance(data, dict) or not isinstance(data.get("slug"), str):
        return None
    cards = data.get("cards")
    if not isinstance(cards, list):
        return data["slug"], {}
    return data["slug"], {c["id"]: c for c in cards
                          if isinstance(c, dict) and isinstance(c.get("id"), str)}


def blob_id(data: bytes) -> str:
    """The id git gives a file with these bytes (SHA-1 object format)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def deck_files(repo: Path, revision: str, decks_dir: Path) -> dict[str, str]:
    """The deck files in ``decks_dir`` at ``revision``: name -> blob id, in git's order."""
    relative = decks_dir.resolve().relative_to(repo.resolve())
    tree = f"{revision}:{relative.as_posix()}" if str(relative) != "." else revision
    try:
        listing = _git(repo, "ls-tree", "-z", tree)  # -z: names unquoted
    except NoHistory:
        return {}  # the folder did not exist yet at that revision
    files: dict[str, str] = {}
    for record in listing.split("\0"):
        meta, _, name = record.partition("\t")  # "<mode> <type> <object>\t<name>"
        fields = meta.split()
        if name.endswith((".yaml", ".yml")) and len(fields) == 3:
            files[name] = fields[2]
    return files


def cards_at(repo: Path, revision: str, decks_dir: Path,
             current: Mapping[str, tuple[str, Parsed | None]] | None = None, *,
             files: Mapping[str, str] | None = None,
             known: dict[str, Parsed | None] | None = None) -> Cards:
    """Every card in ``decks_dir`` as committed at ``revision`` (unreadable files skipped).

    ``current`` maps a file name to its blob id and cards in the working tree: a file
    unchanged since ``revision`` is taken from there instead of read and parsed again.
    ``files`` is :func:`deck_files` if the caller has it; ``known`` maps blob ids to
    their cards (None: not a deck), is asked first and learns each blob parsed here.
    """
    relative = decks_dir.resolve().relative_to(repo.resolve())
    found: Cards = {}
    for name, object_id in (deck_files(repo, revision, decks_dir) if files is None
                            else files).items():
        now = (current or {}).get(name)
        if now is not None and now[0] == object_id:
            parsed = now[1]
        elif known is not None and object_id in known:
            parsed = known[object_id]
        else:
            parsed = _parse(repo, f"{revision}:{(relative / name).as_posix()}")
            if known is not None:
                known[object_id] = parsed
        if parsed:
            found.setdefault(parsed[0], {}).update(parsed[1])
    return found


def _parse(repo: Path, blob: str) -> Parsed | None:
    from ..load.parse import load_text  # PyYAML: only for a file that changed
    from ..problems import InvalidInput

    text = _git(repo, "show", blob)
    try:
        return cards_of(load_text(Path(blob.partition(":")[2]), text).data)
    except InvalidInput:
        return None


def cards_now(datas: Mapping[Path, Any]) -> Cards:
    found: Cards = {}
    for data in datas.values():
        parsed = cards_of(data)
        if parsed:
            found.setdefault(parsed[0], {}).update(parsed[1])
    return found
