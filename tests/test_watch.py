"""Watch mode, driven as a user drives it: `build.py watch` in a process of its own, saves to the
manuscript, the PDF read back after each, Ctrl-C (SIGINT) at the end.

One small manuscript (tests/outputs.py's), one watch: a save rebuilds (with the waiting TeX
pass, whose PDF must be byte for byte a usual build's, for a one-pass document and for
latexmk's kind), a broken header and a LaTeX error print their located errors while the last
good PDF stays, a fix rebuilds, and Ctrl-C ends it with exit code 0, no traceback and nothing
half-written.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, pdf_text, run_cli
from outputs import PAPER, line_of, write

TABLE = "| Head | Other |\n|------|-------|\n| Cell | More  |\n\n"
#: the paragraph the saves rewrite (tests/outputs.py's small paper is the manuscript watched)
PARAGRAPH = "A second paragraph."


def version(text: str) -> str:
    """The small paper with ``text`` for its second paragraph."""
    assert PARAGRAPH in PAPER
    return PAPER.replace(PARAGRAPH, text)


class Watch:
    """`build.py watch` running; its output lines (stdout and stderr together) as they come."""

    def __init__(self, md: Path, out: Path):
        command = [sys.executable, str(ROOT / "build.py"), "watch", str(md), "--out", str(out)]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     cwd=md.parent)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 120) -> list[str]:
        """The lines up to the first holding ``text`` (the test fails after ``timeout`` s)."""
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} within {timeout} s; seen:\n"
                                     + "\n".join(self.seen + got)) from None
            got.append(line)
            if text in line:
                self.seen += got
                return got


def _save(md: Path, text: str) -> None:
    time.sleep(0.05)   # a new mtime, as a person's saves have
    md.write_text(text, encoding="utf-8")


def test_watch_rebuilds_on_save_keeps_last_good_pdf_on_errors_and_stops_on_ctrl_c(small_build, tmp_path):
    """... and the waiting TeX's PDFs are a usual build's bytes: the one-pass paper's (the first
    save, the small paper itself) are the session's small build's (the same manuscript, built by
    a usual build), the table's those of a usual build made after the watch."""
    md, out = write(tmp_path / "src", version("First version of the paragraph.")), tmp_path / "out"
    pdf = out / "paper.pdf"
    watch = Watch(md, out)
    try:
        watch.wait_for("watching")
        assert "First version" in pdf_text(pdf)
        # the first build of the new folder typeset on the preamble guessed before the .tex was made
        assert "/warm.tex" in (out / "tex" / "paper.log").read_text(errors="replace").splitlines()[4]
        assert list((out / "tex").glob("warm-*")), "no TeX pass waits for the next save"

        _save(md, PAPER)   # the small paper itself, made by the waiting TeX's pass
        watch.wait_for("ready: ")
        assert PARAGRAPH in pdf_text(pdf)
        watch.wait_for("checks all ok")
        good = one_pass = pdf.read_bytes()

        # A broken header: the located error, the last good PDF stays, the watch goes on.
        md.write_text(PAPER.replace('title: "A Small Paper"', 'title: ["A Small Paper"'), encoding="utf-8")
        error = "\n".join(watch.wait_for("still watching"))
        assert f"error: {md}:2" in error, error
        assert pdf.read_bytes() == good

        # A LaTeX error (the waiting TeX fails; the usual pass names the Markdown line).
        broken = version("Fine.\n\nA \\undefinedmacro here.")
        _save(md, broken)
        error = "\n".join(watch.wait_for("still watching"))
        line = line_of(broken, "undefinedmacro")
        assert "LaTeX error: Undefined control sequence" in error and f"{md}:{line}" in error, error
        assert pdf.read_bytes() == good

        _save(md, version("Third version, fixed."))
        watch.wait_for("checks all ok")
        assert "Third version" in pdf_text(pdf)

        # A table: latexmk's kind of document; the save after it takes the waiting TeX's pass and
        # stops there, as latexmk would, when the pass read back what it wrote.
        _save(md, version(TABLE + "Fourth version."))
        watch.wait_for("checks all ok")
        _save(md, version(TABLE + "Fifth version."))
        watch.wait_for("checks all ok")
        assert "Fifth version" in pdf_text(pdf) and "Cell" in pdf_text(pdf)
        with_table = pdf.read_bytes()
    finally:
        watch.proc.send_signal(signal.SIGINT)
        code = watch.proc.wait(timeout=60)
    rest = []
    while not watch.lines.empty():
        rest.append(watch.lines.get())
    assert code == 0, "\n".join(watch.seen + rest)
    assert any("stopped watching" in line for line in rest), rest
    assert not any("Traceback" in line for line in watch.seen + rest)
    assert not list(out.rglob("*.tmp")) and not list((out / "tex").glob("warm-*"))
    # the waiting TeX's pass makes the bytes of a usual build
    assert one_pass == (small_build[1] / "paper.pdf").read_bytes()
    run_cli(md, "--out", tmp_path / "usual")
    assert (tmp_path / "usual" / "paper.pdf").read_bytes() == with_table
