"""The project's shape: lint, imports, console scripts, README commands."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, subprocess_env


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    result = subprocess.run([*cmd, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("package", ["trimaps", "rssn", "bgcurate"])
def test_import_does_not_pull_torch_or_ultralytics(package):
    code = (
        f"import sys, {package}; "
        "bad = sorted(m for m in ('torch', 'ultralytics', 'torchvision') if m in sys.modules); "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "", f"import {package} imported {out}"


@pytest.mark.parametrize("tool", ["trimaps", "rssn", "bgcurate"])
def test_console_tool_has_help_and_version(tool):
    env = subprocess_env()
    helped = subprocess.run(
        [sys.executable, "-m", tool, "--help"], env=env, capture_output=True, text=True
    )
    assert helped.returncode == 0, helped.stderr
    assert "Usage" in helped.stdout
    ver = subprocess.run(
        [sys.executable, "-m", tool, "--version"], env=env, capture_output=True, text=True
    )
    assert ver.returncode == 0
    assert re.match(rf"{tool} \(mattekit \S+\)", ver.stdout)


def test_console_scripts_are_declared():
    text = (ROOT / "pyproject.toml").read_text()
    for tool in ("trimaps", "rssn", "bgcurate"):
        assert re.search(rf'^{tool} = "{tool}\.cli:main"$', text, re.M), tool


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text().splitlines()
    block_start = readme.index("```bash")
    block = readme[block_start + 1 : readme.index("```", block_start + 1)]
    commands = [line for line in block if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) == 2, commands
    assert commands[0].startswith("pip install ")
    assert commands[1].startswith("pip install ") and "[test]" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci, "'.ci/run' must run the README's test command"
    assert "REQUIRE_TESTDATA=1" in ci
