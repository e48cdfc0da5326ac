"""The GitHub workflows stay hardened: zizmor finds nothing, and the rules it cannot
check (pins with their version, pipefail, the tested Python versions) hold."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import IN_CI, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d\S*\s*$")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def find_zizmor() -> str | None:
    beside_python = Path(sys.executable).parent
    for candidate in (beside_python / "zizmor", beside_python / "zizmor.exe"):
        if candidate.is_file():
            return str(candidate)
    return shutil.which("zizmor")


def test_there_are_workflows() -> None:
    assert {path.name for path in WORKFLOW_FILES} >= {"ci.yml", "release.yml"}


def test_zizmor_finds_nothing() -> None:
    zizmor = find_zizmor()
    if zizmor is None:
        message = "zizmor is not installed (pip install '.[test]' brings it)"
        if IN_CI:
            pytest.fail(message + "; under CI it must run, not skip")
        pytest.skip(message)
    # No token: the offline audits only, the same on every machine. --no-ignores: a
    # finding cannot be silenced with a comment; only the persona may hide one.
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    result = subprocess.run(
        [zizmor, "--offline", "--no-ignores", "--persona", "regular", "--format", "plain",
         "--no-progress", "--color", "never", ".github/workflows"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_actions_are_pinned_by_sha_with_their_version(path: Path) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if re.match(r"^\s*(?:-\s+)?uses:", line)]
    assert lines, "no action found: did the parsing break?"
    for line in lines:
        assert PINNED.match(line), f"pin by full commit SHA with '# vX.Y.Z': {line.strip()}"
    # The raw lines are all the uses the parsed workflow has (none hidden in flow style).
    assert len(lines) == sum("uses" in step for step in steps(load(path)))


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_no_expression_inside_run_scripts(path: Path) -> None:
    # An expression is pasted into the script before bash runs it: script injection.
    for step in steps(load(path)):
        assert "${{" not in step.get("run", ""), f"pass it through env: {step['run']!r}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_run_step_uses_bash_with_pipefail(path: Path) -> None:
    # Only an explicit `shell: bash` gets -o pipefail from GitHub.
    workflow = load(path)
    default = workflow.get("defaults", {}).get("run", {}).get("shell")
    for step in steps(workflow):
        if "run" in step:
            assert step.get("shell", default) == "bash", step["run"]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_least_privilege(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}
    for step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


def claimed_python_versions() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        classifiers = re.findall(r'"(Programming Language :: Python :: [^"]+)"', text)
    else:
        classifiers = tomllib.loads(text)["project"].get("classifiers", [])
    prefix = "Programming Language :: Python :: "
    return [c.removeprefix(prefix) for c in classifiers
            if re.fullmatch(re.escape(prefix) + r"3\.\d+", c)]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_ci_tests_every_python_version_we_claim() -> None:
    job = load(WORKFLOWS / "ci.yml")["jobs"]["test"]
    matrix = job["strategy"]["matrix"]["python-version"]
    assert job["strategy"]["fail-fast"] is False
    assert {"3.10", "3.13"} <= set(matrix)  # requires-python's floor and the newest
    claimed = claimed_python_versions()
    if claimed:
        assert sorted(matrix, key=version_key) == sorted(claimed, key=version_key)


def test_dependabot_keeps_the_pins_current() -> None:
    config = load(ROOT / ".github" / "dependabot.yml")
    assert config["version"] == 2
    ecosystems = {entry["package-ecosystem"] for entry in config["updates"]}
    assert "github-actions" in ecosystems
