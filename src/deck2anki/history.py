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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .identity import card_key
from .problems import InvalidInput, Level, Position, Problem

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


def resolve(repo: Path, revision: str) -> str:
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()
    except NoHistory as exc:
        raise NoHistory(f"{revision!r} is not a commit in {repo}") from exc


Cards = dict[str, dict[str, dict[str, Any]]]  # slug -> id -> the card's YAML mapping


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
            from .loader import load_text  # PyYAML: only for a file that changed

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


@dataclass
class CardDiff:
    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, list[str]]] = field(default_factory=list)
    retired: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    # Q/A <-> cloze under one id: Anki skips every update of such a note ("conflicting").
    switched: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.retired or self.removed)

    @property
    def breaking(self) -> list[tuple[str, str]]:
        return self.removed + self.switched


def compare(before: Cards, after: Cards) -> CardDiff:
    diff = CardDiff()
    for slug in sorted(set(before) | set(after)):
        old, new = before.get(slug, {}), after.get(slug, {})
        for card_id in sorted(set(old) | set(new)):
            if card_id not in old:
                diff.added.append((slug, card_id))
            elif card_id not in new:
                diff.removed.append((slug, card_id))
            elif old[card_id] != new[card_id]:
                fields = sorted(k for k in set(old[card_id]) | set(new[card_id])
                                if old[card_id].get(k) != new[card_id].get(k))
                if new[card_id].get("retired") and not old[card_id].get("retired"):
                    diff.retired.append((slug, card_id))
                else:
                    diff.changed.append((slug, card_id, fields))
                if ("cloze" in old[card_id]) != ("cloze" in new[card_id]):
                    diff.switched.append((slug, card_id))
    return diff


def removal_problems(diff: CardDiff, base: str, paths: Mapping[str, Path],
                     skip: frozenset[str] = frozenset()) -> list[Problem]:
    """One error per card that existed at ``base`` and is gone now."""
    problems = []
    for slug, card_id in diff.removed:
        if card_key(slug, card_id) in skip:
            continue
        where = paths.get(slug, Path(f"decks/{slug}.yaml"))
        problems.append(Problem(where, Position(1, 1),
                                f"card {slug}/{card_id} exists at {base[:12]} but is gone "
                                "now: learners keep it forever. Restore it with "
                                "`retired: true` instead of deleting or renaming it",
                                "removed-card", Level.ERROR))
    return problems


def render(diff: CardDiff, fmt: str, base: str) -> str:
    """The diff as text (for review), markdown (for a changelog) or json."""
    if fmt == "json":
        import json

        return json.dumps({"base": base, "added": [f"{s}/{c}" for s, c in diff.added],
                           "changed": {f"{s}/{c}": f for s, c, f in diff.changed},
                           "retired": [f"{s}/{c}" for s, c in diff.retired],
                           "removed": [f"{s}/{c}" for s, c in diff.removed],
                           "switched": [f"{s}/{c}" for s, c in diff.switched]},
                          indent=2) + "\n"
    if fmt == "markdown":
        lines = [f"## Card changes since `{base[:12]}`", ""]
        sections = (("Added", [f"`{s}/{c}`" for s, c in diff.added]),
                    ("Changed", [f"`{s}/{c}` ({', '.join(f)})" for s, c, f in diff.changed]),
                    ("Retired (safe to delete in Anki: `tag:status::retired`)",
                     [f"`{s}/{c}`" for s, c in diff.retired]),
                    ("Removed (learners keep these)", [f"`{s}/{c}`" for s, c in diff.removed]))
        for title, items in sections:
            if items:
                lines += [f"### {title}", "", *[f"- {item}" for item in items], ""]
        if diff.empty:
            lines.append("No card changed.")
        return "\n".join(lines).rstrip() + "\n"
    lines = [f"+ {s}/{c}" for s, c in diff.added]
    lines += [f"~ {s}/{c}: {', '.join(f)}" for s, c, f in diff.changed]
    lines += [f"R {s}/{c}: retired" for s, c in diff.retired]
    lines += [f"- {s}/{c}: REMOVED (retire it instead)" for s, c in diff.removed]
    lines += [f"! {s}/{c}: SWITCHED between Q/A and cloze (use a new id, retire this one)"
              for s, c in diff.switched]
    summary = (f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.retired)} "
               f"retired, {len(diff.removed)} removed since {base[:12]}")
    return "\n".join([*lines, summary]) + "\n"
