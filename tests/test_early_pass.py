"""A build's first XeLaTeX pass starts before its ``.tex`` is made, on the last build's preamble
(warmtex.early_pass): the bytes are a cold build's, and no TeX outlives the build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, copy_of, run_cli
from outputs import sha, write


def test_an_edited_body_is_typeset_on_the_preamble_read_early_to_a_cold_builds_bytes(small_build, tmp_path):
    md = copy_of(small_build, tmp_path / "src", tmp_path / "out")
    text = md.read_text(encoding="utf-8")
    md.write_text(text.replace("A second paragraph.", "A second, edited paragraph."), encoding="utf-8")
    run_cli(md, "--out", tmp_path / "out")
    log = (tmp_path / "out" / "tex" / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert "/warm.tex" in log.splitlines()[4]   # the pass that made the PDF began before the body
    assert not [p for p in (tmp_path / "out" / "tex").iterdir() if p.name.startswith("warm-")]
    cold = write(tmp_path / "cold", md.read_text(encoding="utf-8"))
    run_cli(cold, "--out", tmp_path / "cold-out")
    for name in ("paper.pdf", "paper-draft.pdf"):
        assert sha(tmp_path / "out" / name) == sha(tmp_path / "cold-out" / name), name


def _tex_processes(folder_name: str) -> list[int]:
    """The processes whose command line names ``folder_name`` (a waiting TeX's folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if folder_name.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


#: a build's early pass, started and then left waiting: the process is killed in the middle
_STARTED_AND_WAITING = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from pressroom.config import build_settings
from pressroom.errors import Warnings
from pressroom.manuscript import read_manuscript
from pressroom.warmtex import early_pass
warnings = Warnings()
settings = build_settings(read_manuscript(Path(sys.argv[2]), warnings), out_dir=Path(sys.argv[3]),
                          warnings=warnings)
with early_pass(settings):
    print("waiting", flush=True)
    time.sleep(600)
"""


def test_a_build_killed_while_tex_waits_leaves_no_tex_running(small_build, tmp_path):
    md = copy_of(small_build, tmp_path / "src", tmp_path / "out")
    md.write_text(md.read_text(encoding="utf-8") + "\nA third paragraph.\n", encoding="utf-8")
    build = subprocess.Popen([sys.executable, "-c", _STARTED_AND_WAITING, str(ROOT), str(md),
                              str(tmp_path / "out")], stdout=subprocess.PIPE, text=True)
    try:
        assert build.stdout.readline().strip() == "waiting"
        folder = f"warm-{build.pid}/"
        assert _tex_processes(folder), "no TeX was started for the edited manuscript"
    finally:
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
    # the pipe's last writer was the killed build: TeX reads the end of its input and stops
    deadline = time.monotonic() + 20
    while _tex_processes(folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _tex_processes(folder)


#: a tool started to die with its parent (a waiting TeX's way), then the parent killed
_STARTED_TO_DIE_WITH_ME = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pressroom.tools import start
start(["sleep", "600"], die_with_parent=True)
print("started", flush=True)
time.sleep(600)
"""


def test_a_tool_started_to_die_with_pressroom_is_killed_with_it(tmp_path):
    # sleep writes nothing and reads nothing: only the parent-death signal can end it
    parent = subprocess.Popen([sys.executable, "-c", _STARTED_TO_DIE_WITH_ME, str(ROOT)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "started"
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        assert children
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while any(Path("/proc", c).exists() for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path("/proc", c).exists() for c in children)


def test_only_a_new_body_starts_tex_early_not_a_new_draft_wording(small_build, tmp_path):
    from pressroom.facts import body_unchanged, current
    md = copy_of(small_build, tmp_path / "src", tmp_path / "out")
    drafted = md.read_text(encoding="utf-8").replace("---\n\n#", 'draft:\n  text: "DO NOT CITE"\n---\n\n#', 1)
    md.write_text(drafted, encoding="utf-8")
    assert not body_unchanged(md, tmp_path / "out")   # two lines more: the body's lines moved
    current(md, tmp_path / "out")                     # what a build of it keeps (pandoc, no TeX)
    assert body_unchanged(md, tmp_path / "out")
    md.write_text(drafted.replace("DO NOT CITE", "PLEASE DO NOT CIRCULATE"), encoding="utf-8")
    assert body_unchanged(md, tmp_path / "out")       # only the stamp changes: TeX has nothing to do
    md.write_text(drafted.replace("A second paragraph.", "A second, edited paragraph."), encoding="utf-8")
    assert not body_unchanged(md, tmp_path / "out")
