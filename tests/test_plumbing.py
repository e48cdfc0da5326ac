"""Repository plumbing: the pre-commit hooks and CI workflows call commands that exist."""

from __future__ import annotations

import re
import shlex
import shutil

import pytest
import yaml
from click.testing import CliRunner

from deck2anki.cli import main

from conftest import ROOT


def test_pre_commit_hooks_pass_on_this_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert {hook["id"] for hook in hooks} == {"deck2anki-validate", "deck2anki-stamp-check"}
    monkeypatch.chdir(ROOT)
    for hook in hooks:
        program, *args = shlex.split(hook["entry"])
        assert program == "deck2anki" and hook["language"] == "python"
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (hook["id"], result.output)


@pytest.mark.parametrize("workflow", ["ci.yml", "release.yml"])
def test_workflows_call_real_commands_with_full_history(workflow: str) -> None:
    text = (ROOT / ".github" / "workflows" / workflow).read_text("utf-8")
    document = yaml.safe_load(text)
    steps = [step for job in document["jobs"].values() for step in job["steps"]]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # diff needs the merge base
    commands = set(main.commands)  # type: ignore[attr-defined]
    used = re.findall(r"\bdeck2anki ([a-z]+)", text)
    assert used and set(used) <= commands, set(used) - commands
    for line in re.findall(r"(?m)(?:^\s*|run: )(deck2anki [^\n|>]*)", text):
        args = shlex.split(line.replace('"', ""))[1:]
        if "$" in line:
            continue  # takes a revision computed at run time
        help_result = CliRunner().invoke(main, [args[0], "--help"])
        assert help_result.exit_code == 0, line
        for option in (a for a in args[1:] if a.startswith("--")):
            assert option in help_result.output, (line, option)


@pytest.mark.parametrize(("in_ci", "outcome"), [(False, pytest.skip.Exception),
                                                 (True, pytest.fail.Exception)])
def test_a_missing_tool_skips_with_its_reason_but_fails_in_ci(
        monkeypatch: pytest.MonkeyPatch, in_ci: bool, outcome: type[BaseException]) -> None:
    import conftest

    monkeypatch.setattr(conftest, "IN_CI", in_ci)
    with pytest.raises(outcome, match="no-such-tool-d2a is not on PATH: it draws"):
        conftest.require_tool("no-such-tool-d2a", why="it draws")
    assert conftest.require_tool("no-such-tool-d2a", "git", why="any") == shutil.which("git")
