"""Card-level history from git: what a change adds, changes and removes.

``deck2anki diff`` shows a reviewer, card by card, what a pull request does, and a
release its changelog. It is also a guard: a card that existed at the base and is gone
now (deleted, or its id or slug renamed) stays in every learner's collection forever,
orphaned, so removal fails the check; ``retired: true`` is the way to withdraw a card.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..problems import InvalidInput
from .changes import Cards

MAIN_BRANCHES = ("origin/main", "main", "origin/master", "master")


class NoHistory(Exception):
    """Git history is not available; the message says why, plainly."""


def _git(repo: Path, *args: str) -> str:
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
        raise NoHistory("this is a shallow clone; fetch the history (`git fetch --unshallow`, "
                        "or actions/checkout with fetch-depth: 0)")
    # One call lists which of the candidate branches exist (validate runs on every save).
    refs = [f"refs/remotes/{b}" if b.startswith("origin/") else f"refs/heads/{b}"
            for b in MAIN_BRANCHES]
    found = set(_git(repo, "for-each-ref", "--format=%(refname)", *refs).split())
    for ref in refs:
        if ref in found:
            return _git(repo, "merge-base", "HEAD", ref).strip()
    raise NoHistory("no main or master branch to compare with; pass a base revision")


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


Parsed = tuple[str, dict[str, dict[str, Any]]]  # a deck's slug and its cards by id


def cards_at(repo: Path, revision: str, decks_dir: Path,
             current: Mapping[str, tuple[str, Parsed | None]] | None = None) -> Cards:
    """Every card in ``decks_dir`` as committed at ``revision`` (unreadable files skipped).

    ``current`` maps a file name to its blob id and cards in the working tree: a file
    unchanged since ``revision`` is taken from there instead of read and parsed again.
    """
    relative = decks_dir.resolve().relative_to(repo.resolve())
    tree = f"{revision}:{relative.as_posix()}" if str(relative) != "." else revision
    try:
        listing = _git(repo, "ls-tree", "-z", tree)  # -z: names unquoted
    except NoHistory:
        return {}  # the folder did not exist yet at that revision
    found: Cards = {}
    for record in listing.split("\0"):
        meta, _, name = record.partition("\t")  # "<mode> <type> <object>\t<name>"
        fields = meta.split()
        if not name.endswith((".yaml", ".yml")) or len(fields) != 3:
            continue
        object_id = fields[2]
        now = (current or {}).get(name)
        if now is not None and now[0] == object_id:
            parsed = now[1]
        else:
            from ..load.parse import load_text  # PyYAML: only for a file that changed

            path = (relative / name).as_posix()
            text = _git(repo, "show", f"{revision}:{path}")
            try:
                parsed = cards_of(load_text(Path(path), text).data)
            except InvalidInput:
                continue
        if parsed:
            found.setdefault(parsed[0], {}).update(parsed[1])
    return found


def cards_now(datas: Mapping[Path, Any]) -> Cards:
    found: Cards = {}
    for data in datas.values():
        parsed = cards_of(data)
        if parsed:
            found.setdefault(parsed[0], {}).update(parsed[1])
    return found
