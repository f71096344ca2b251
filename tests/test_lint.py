"""ruff finds nothing in the repository: the rules of pyproject.toml's [tool.ruff], with the ruff
version pinned in requirements.lock. (Formatting is not checked: ruff format is not adopted.)"""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_ruff_check_finds_nothing():
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."]
    result = subprocess.run(ruff, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
