"""The one helper that runs external tools (pressroom/tools.py): paths never read as
options, a time and a memory limit on every run, and messages that say what happened.

Fast: pandoc, sh, git and Python as the tools, no TeX. The builds that hit the
limits for real are in test_hostile_tools.py.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pressroom.config import build_settings
from pressroom.errors import LimitExceeded, TemplateError, ToolError, ToolMissing, Warnings
from pressroom.manuscript import read_manuscript
from pressroom.reproducible import git_commit_epoch
from pressroom.tools import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIME_LIMIT,
    Limits,
    operand,
    run,
    run_pandoc,
    start,
)

#: Seconds a test allows beyond a time limit: the kill, the reaping and a loaded machine.
MARGIN = 5.0


def hostile_pandoc_folder(folder: Path) -> Path:
    """Files that run a command if pandoc reads a file name as an option; returns the marker.

    ``-d.md`` read as ``-d .md`` loads the defaults file ``.md``, whose Lua filter runs
    a command; ``--lua-filter=x.lua`` as an option runs ``x.lua`` directly.
    """
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder.parent / f"{folder.name}-MARKER"
    lua = f'function Pandoc(doc) os.execute("touch {marker}") return doc end\n'
    (folder / "evil.lua").write_text(lua)
    (folder / "x.lua").write_text(lua)
    (folder / ".md").write_text("filters: [evil.lua]\n")
    for name in ("-d.md", "--lua-filter=x.lua"):
        (folder / name).write_text("Hello *world*.\n")
    return marker


@pytest.mark.parametrize("name", ["-d.md", "--lua-filter=x.lua"])
def test_pandoc_reads_a_file_named_like_an_option_as_a_file(tmp_path, name):
    marker = hostile_pandoc_folder(tmp_path / "ms")
    out = run_pandoc(["--from", "markdown", "--to", "json"], inputs=[name], cwd=tmp_path / "ms")
    assert b'"world"' in out
    assert not marker.exists()


@pytest.mark.parametrize("name", ["-d.md", "--lua-filter=x.lua"])
def test_a_file_name_among_pandocs_options_is_refused_not_run(tmp_path, name):
    """The shape of a call that puts the file among the options (as `notes` does): refused."""
    marker = hostile_pandoc_folder(tmp_path / "ms")
    with pytest.raises(ToolError) as caught:
        run_pandoc(["--from", "markdown", "--to", "json", name], cwd=tmp_path / "ms")
    assert "file name read as an option" in caught.value.message
    assert caught.value.file == tmp_path / "ms" / name
    assert not marker.exists()


def test_operand_gives_a_leading_dash_a_dot_slash_and_leaves_other_paths_alone():
    assert operand("-d.tex") == "./-d.tex"
    assert operand(Path("--lua-filter=x.pdf")) == "./--lua-filter=x.pdf"
    assert operand("paper.tex") == "paper.tex"
    assert operand("/abs/-d.pdf") == "/abs/-d.pdf"
    assert operand("tex/-d.xdv") == "tex/-d.xdv"


def test_every_tool_runs_under_both_limits():
    probe = ("import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0], "
             "resource.getrlimit(resource.RLIMIT_CPU)[0], flush=True)")
    out = run([sys.executable, "-c", probe], limits=Limits(time=7, memory=900)).stdout.split()
    assert int(out[0]) == 900 * 1024 * 1024
    assert int(out[1]) == 8  # the CPU backstop: the time limit, rounded up, and one second


def test_the_defaults_leave_an_honest_paper_far_below_them():
    # measured (tools.py): the corpus paper's longest tool run is about 1 s, its largest
    # process 400 MB of address space (LuaLaTeX)
    assert DEFAULT_TIME_LIMIT >= 100 * 1.0 and DEFAULT_MEMORY_LIMIT >= 4 * 400


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_at_the_time_limit_the_whole_process_group_is_killed(tmp_path):
    pidfile = tmp_path / "pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    began = time.monotonic()
    with pytest.raises(LimitExceeded) as caught:
        run(["sh", "-c", script], limits=Limits(time=0.5), stage="convert", file=tmp_path / "paper.md",
            what="pandoc")
    assert time.monotonic() - began < 0.5 + MARGIN
    error = caught.value
    assert "convert: pandoc did not finish within the time limit of 0.5 s" in error.message
    assert error.file == tmp_path / "paper.md"
    assert "--time-limit SECONDS" in error.hint and "time_limit" in error.hint
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + MARGIN
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild), "the tool's child outlived the time limit"


def test_a_tool_started_in_the_background_keeps_its_time_limit():
    running = start(["sleep", "30"], limits=Limits(time=0.3), stage="check", what="pdftotext")
    time.sleep(0.4)   # the caller did other work meanwhile: the limit is already past
    began = time.monotonic()
    with pytest.raises(LimitExceeded, match="check: pdftotext did not finish"):
        running.wait()
    assert time.monotonic() - began < MARGIN


def test_a_looping_tool_ends_by_itself_even_if_nobody_waits_for_it():
    """The CPU-time backstop: what ends a tool when pressroom itself was killed."""
    running = start([sys.executable, "-c", "while True: pass"], limits=Limits(time=1))
    # 2 s of CPU time: on a loaded machine the loop gets them later than 2 s from now (the wait
    # ends when it does; the deadline only stops a test whose tool would never end)
    deadline = time.monotonic() + 60
    while running.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running.proc.returncode == -signal.SIGXCPU
    with pytest.raises(LimitExceeded, match="did not finish within the time limit of 1 s"):
        running.wait()


def test_pandoc_under_a_tiny_memory_limit_is_a_memory_error():
    with pytest.raises(LimitExceeded) as caught:
        run_pandoc(["--from", "markdown", "--to", "json"], input=b"Hello.", limits=Limits(memory=60),
                   stage="convert")
    assert "convert: pandoc" in caught.value.message
    assert "memory limit of 60 MB" in caught.value.message
    assert "--memory-limit MB" in caught.value.hint


def test_a_tool_that_allocates_past_the_limit_is_a_memory_error():
    hog = "x = bytearray(400 * 1024 * 1024)"
    with pytest.raises(LimitExceeded, match="ran out of memory under the memory limit of 200 MB"):
        run([sys.executable, "-c", hog], limits=Limits(memory=200), what="pdftotext")
    assert run([sys.executable, "-c", hog], limits=Limits(memory=800)).returncode == 0


def test_a_missing_tool_is_named_with_what_installs_it():
    with pytest.raises(ToolMissing) as caught:
        run(["xelatex", "--version"], env={"PATH": "/nonexistent"}, stage="compile")
    assert "compile: xelatex is not installed" in caught.value.message
    assert "python3 build.py" in caught.value.hint and "texlive-xetex" in caught.value.hint


def test_a_missing_working_folder_is_not_a_missing_tool(tmp_path):
    gone = tmp_path / "gone"
    with pytest.raises(ToolError) as caught:
        run_pandoc(["--version"], cwd=gone, stage="convert")
    assert not isinstance(caught.value, ToolMissing)
    assert "not installed" not in caught.value.message
    assert "does not exist" in caught.value.message and caught.value.file == gone


def test_a_failing_tool_says_its_stage_exit_code_and_error_output():
    with pytest.raises(ToolError) as caught:
        run(["sh", "-c", "echo broken >&2; exit 3"], stage="compile", what="xdvipdfmx")
    assert not isinstance(caught.value, LimitExceeded)
    assert "compile: xdvipdfmx failed (exit 3)" in caught.value.message and "broken" in caught.value.message


# ---- the limits in the settings ---------------------------------------------------

def _manuscript(folder: Path, settings_toml: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / "paper.md"
    md.write_text("---\ntitle: T\nversion-date: 2024-01-01\ntemplate: limited\n---\n\nText.\n")
    template = folder / "templates" / "limited"
    template.mkdir(parents=True, exist_ok=True)
    (template / "template.tex.j2").write_text("\\VAR{body}\n")
    (template / "settings.toml").write_text(settings_toml or "")
    return md


def _settings(md: Path, **cli):
    return build_settings(read_manuscript(md, Warnings()), out_dir=md.parent / "out", **cli)


def test_limits_come_from_the_defaults_the_template_and_the_command_line(tmp_path):
    plain = _settings(_manuscript(tmp_path / "plain"))
    assert (plain.time_limit, plain.memory_limit) == (DEFAULT_TIME_LIMIT, DEFAULT_MEMORY_LIMIT)
    md = _manuscript(tmp_path / "template", "time_limit = 20\nmemory_limit = 512\n")
    assert _settings(md).limits == Limits(time=20, memory=512)
    assert _settings(md, time_limit=3.5).limits == Limits(time=3.5, memory=512)
    assert _settings(md, memory_limit=100).limits == Limits(time=20, memory=100)


def test_a_limit_in_the_header_is_not_a_setting(tmp_path):
    """The manuscript does not choose its own limits: an unknown key, warned about."""
    md = _manuscript(tmp_path / "header")
    md.write_text(md.read_text().replace("template: limited\n", "template: limited\ntime_limit: 99999\n"))
    assert _settings(md).time_limit == DEFAULT_TIME_LIMIT


@pytest.mark.parametrize("toml", ['time_limit = "fast"', "time_limit = 0", "memory_limit = 1.5",
                                  "memory_limit = -2", "time_limit = true"])
def test_a_bad_limit_in_settings_toml_is_an_error_with_its_line(tmp_path, toml):
    md = _manuscript(tmp_path / "bad", f"paper = \"letter\"\n{toml}\n")
    with pytest.raises(TemplateError) as caught:
        _settings(md)
    assert caught.value.file.name == "settings.toml" and caught.value.line == 2
    assert "must be a positive number" in caught.value.message


@pytest.mark.parametrize("option", [["--time-limit", "0"], ["--time-limit", "soon"],
                                    ["--memory-limit", "1.5"], ["--memory-limit", "-1"]])
def test_a_bad_limit_on_the_command_line_is_a_usage_error(option):
    from conftest import SAMPLE, run_cli
    result = run_cli(SAMPLE, *option, check=False)
    assert result.returncode == 2, result.stderr
    assert "must be a positive" in result.stderr and "Traceback" not in result.stderr


# ---- git, in a folder the manuscript's author made ----------------------------------

def test_git_runs_nothing_a_repository_config_names(tmp_path):
    """A signed commit and `log.showSignature` would make `git log` run `gpg.program`."""
    repo = tmp_path / "-repo"
    repo.mkdir()
    marker = tmp_path / "GIT-MARKER"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\nexit 0\n")
    evil.chmod(0o755)
    md = repo / "-d.md"
    md.write_text("---\ntitle: T\n---\n\nText.\n")
    git = ["git", "-c", "user.name=a", "-c", "user.email=b@c"]
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null"}
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run([*git, "add", "--", "-d.md"], cwd=repo, check=True, env=env)
    tree = subprocess.run([*git, "write-tree"], cwd=repo, check=True, env=env, capture_output=True,
                          text=True).stdout.strip()
    commit = (f"tree {tree}\nauthor a <b@c> 1700000000 +0000\ncommitter a <b@c> 1700000000 +0000\n"
              "gpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n")
    sha = subprocess.run([*git, "hash-object", "-t", "commit", "-w", "--stdin"], cwd=repo, input=commit,
                         check=True, env=env, capture_output=True, text=True).stdout.strip()
    subprocess.run([*git, "update-ref", "HEAD", sha], cwd=repo, check=True, env=env)
    for key, value in (("log.showSignature", "true"), ("gpg.program", str(evil)),
                       ("core.fsmonitor", str(evil))):
        subprocess.run(["git", "config", key, value], cwd=repo, check=True, env=env)
    assert git_commit_epoch(read_manuscript(md, Warnings())) == 1700000000
    assert not marker.exists()


def test_limits_reach_the_child_only(tmp_path):
    before = resource.getrlimit(resource.RLIMIT_AS)
    run(["true"], limits=Limits(memory=100))
    assert resource.getrlimit(resource.RLIMIT_AS) == before


# -- atomic writes ------------------------------------------------------------------

_WRITE_BOTH = """
import os
import sys
from pathlib import Path
import pikepdf
from pressroom._pdfio import save_atomic
from pressroom.tools import write_text_atomic
for umask, folder in zip(map(int, sys.argv[1::2]), sys.argv[2::2]):
    os.umask(umask)
    out = Path(folder)
    out.mkdir()
    write_text_atomic(out / "a.json", "{}\\n")
    write_text_atomic(out / "a.json", "{}\\n")          # replacing a file: the new one's mode too
    pdf = pikepdf.new()
    pdf.add_blank_page()
    save_atomic(pdf, out / "a.pdf")
"""
UMASKS = [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)]


@pytest.fixture(scope="module")
def written_under(tmp_path_factory) -> dict[int, Path]:
    """The folder of the files written under each umask (one child process for all: a test does
    not change its own process's umask)."""
    root = tmp_path_factory.mktemp("umask")
    folders = {umask: root / f"{umask:03o}" for umask, _ in UMASKS}
    subprocess.run([sys.executable, "-c", _WRITE_BOTH,
                    *(str(a) for umask, folder in folders.items() for a in (umask, folder))], check=True)
    return folders


@pytest.mark.parametrize(("umask", "mode"), UMASKS)
def test_outputs_get_the_mode_the_umask_gives_a_new_file(written_under, umask, mode):
    """Not the temporary file's 0600: a PDF copied to a shared folder stays readable."""
    folder = written_under[umask]
    assert {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()} == {"a.json": mode, "a.pdf": mode}


# -- Ctrl-C while a tool starts ----------------------------------------------------

_CTRL_C_AT_THE_FORK = """
import os, signal, sys
from pressroom.tools import start
# the moment a Ctrl-C was lost: while Python runs its fork handlers, after the fork (a tool that
# dies with pressroom, the build's early TeX pass, is started with a preexec_fn: they run)
os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGINT))
try:
    start(["sleep", "30"], die_with_parent=True)
except KeyboardInterrupt:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        print("interrupted; the tool stopped and reaped")
    sys.exit(0)
print("the Ctrl-C was lost")
"""


def test_a_ctrl_c_while_a_tool_starts_is_not_lost():
    """Raised in Python's fork handlers, a KeyboardInterrupt was printed and dropped and the build
    went on (tests/test_errors.py's Ctrl-C test then saw exit 0): noted, it is raised after the
    start, and the tool stopped."""
    result = subprocess.run([sys.executable, "-c", _CTRL_C_AT_THE_FORK], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout == "interrupted; the tool stopped and reaped\n", result.stdout + result.stderr
    assert "Exception ignored" not in result.stderr, result.stderr


def test_after_a_tool_starts_the_interrupts_are_handled_as_before():
    """The handlers held back while a tool starts are put back, whether it started or not."""
    running = start(["sleep", "30"])
    running.stop()
    with pytest.raises(ToolMissing):
        start(["no-such-tool-anywhere"])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
