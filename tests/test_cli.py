"""The command line's own answers: --help lists every command, --version, usage errors."""

from __future__ import annotations

import pytest

from pressroom import __version__
from pressroom.cli import COMMANDS, main


@pytest.mark.parametrize("ask", ["--help", "-h", "help"])
def test_help_lists_every_command_with_one_line(ask, capsys):
    assert main([ask], prog="build.py") == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: build.py [COMMAND] [ARGS]")
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert listed == ["build", "watch", "notes", "count", "check", "verify", "diff", "bundle", "test",
                      "setup"] == list(COMMANDS)


def test_version(capsys):
    assert main(["--version"], prog="pressroom") == 0
    assert capsys.readouterr().out == f"pressroom {__version__}\n"


def test_a_command_help_is_named_after_the_program(capsys):
    with pytest.raises(SystemExit) as done:
        main(["verify", "--help"], prog="pressroom")
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: pressroom verify") and "--out" in out


def test_a_usage_error_exits_2_with_a_hint(capsys):
    assert main(["check", "--no-such-option"], prog="build.py") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unrecognized arguments: --no-such-option")
    assert "hint: see `build.py check --help`" in err


def test_a_process_that_ends_with_the_command_leaves_its_objects_to_no_collection():
    """build.py and the console script: Python's shutdown then skips collections that would walk
    every object the build made (0.1–0.2 s after a build of the corpus paper)."""
    import subprocess
    import sys
    ask = ("import gc, sys; from pressroom.cli import main_of_process; "
           "code = main_of_process(['--version'], prog='pressroom'); "
           "print(code, gc.get_freeze_count() > 0, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True, check=True)
    assert done.stderr.split() == ["0", "True"]
