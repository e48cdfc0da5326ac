"""Print a card diff for review (text), a release changelog (markdown) or tools (json)."""

from __future__ import annotations

from ..release.changes import CardDiff


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
