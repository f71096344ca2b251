"""Issue 12, class 5: kill -9 during each stage, then build again.

The build runs with -v, so that each stage's line is printed as it starts;
pressroom is killed (SIGKILL: no handler runs, and the tools it started, each
in a session of its own, go on) when the line of the stage appears. The next
build must work without any cleaning up: it puts back the last good outputs a
killed build may have replaced, stops TeX runs left going, removes temporary
files, and then makes a consistent set of outputs byte for byte the same as a
cold build's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_build
from outputs import PAPER, consistent, leftovers, published, write

#: each stage, and how long after its line appears pressroom is killed (compile: TeX is running)
STAGES = [("convert", 0.05), ("render", 0.0), ("compile", 0.3), ("stamp", 0.0), ("check", 0.0),
          ("manifest", 0.0)]


#: two versions of the manuscript: each test builds the one the build folder does not hold
VERSIONS = (PAPER, PAPER.replace("A second paragraph.", "A second paragraph, edited."))


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """A build folder at the first version, and a cold build of each version to compare with."""
    root = tmp_path_factory.mktemp("kill")
    colds = []
    for n, text in enumerate(VERSIONS):
        md = write(root / f"src{n}", text)
        run_build(md, "--out", root / f"cold{n}")
        colds.append(published(root / f"cold{n}"))
    md = write(root / "src", VERSIONS[0])
    run_build(md, "--out", root / "out")
    return root, md, colds


@pytest.mark.parametrize(("stage", "delay"), STAGES)
def test_kill_9_during_a_stage_then_build_again(cold, stage, delay):
    root, md, colds = cold
    out = root / "out"
    version = 1 if md.read_text(encoding="utf-8") == VERSIONS[0] else 0
    md.write_text(VERSIONS[version], encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), str(md), "--out", str(out), "-v"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if line.startswith(f"{stage} ..."):
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            break
    assert proc.wait(timeout=120) == -signal.SIGKILL, f"the build ended before {stage} was killed"
    proc.stdout.close()
    if stage != "convert":    # the last good set was kept aside: check says the folder is mid-way
        checked = run_build("check", out / "paper.pdf", out / "paper-draft.pdf", check=False)
        assert f"note: a build into {out} is running, or was killed before it finished" in checked.stderr
    again = run_build(md, "--out", out)
    assert "Traceback" not in again.stderr
    assert consistent(out) and not leftovers(out), leftovers(out)
    for pdf in ("paper.pdf", "paper-draft.pdf"):     # byte for byte a cold build's
        assert published(out)[pdf] == colds[version][pdf], pdf
