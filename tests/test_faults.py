"""Issue 12, class 5: faults that lose or misstate output, injected for real.

A full disk is a 3 MB tmpfs, a read-only build folder a read-only bind mount
of it (both need root, as the test machine has; elsewhere they are skipped
with that reason). After every fault the outputs a build publishes together
(both PDFs, the check report, manifest.json) are either all new and what
manifest.json records, or all as the last good build left them and said to be
stale; no temporary file is left; the next build works. kill -9 during each
stage is tests/test_kill.py. Each test starts from its own copy of the session's
small build (conftest.small_build) where it does not need the build's own
state; the builds run in the test's process (run_cli).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import copy_of, run_cli
from outputs import PAPER, consistent, leftovers, line_of, one_error, published, write


def mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here (needs root): {result.stderr.strip()}")


def unmount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=True)


def test_a_full_disk_is_one_error_and_keeps_the_last_good_set(small_build, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mount("-t", "tmpfs", "-o", "size=3M", "tmpfs", str(disk))
    try:
        out = disk / "out"
        md = copy_of(small_build, tmp_path / "src", out)
        filler = disk / "filler"
        outcomes = set()
        # from no space at all to enough for the PDFs: the build fails in one stage or another
        for n, free in enumerate((0, 40, 200)):
            filler.unlink(missing_ok=True)
            before = published(out)
            available = shutil.disk_usage(disk).free // 1024
            with open(filler, "wb") as fh:
                fh.write(b"\0" * max(0, available - free) * 1024)
            md.write_text(PAPER.replace("A second paragraph.", f"A second paragraph, take {n}."),
                          encoding="utf-8")
            result = run_cli(md, "--out", out, check=False)
            if result.returncode == 0:
                assert published(out) != before and consistent(out)
            else:
                error = one_error(result)
                assert error == (f"error: {out}: no space left on the device: the build could not write "
                                 "its outputs")
                assert published(out) == before, f"{free} KB free: the published set changed"
                assert "paper.pdf is from the last good build and is now stale" in result.stderr
            assert not leftovers(out), leftovers(out)
            outcomes.add(result.returncode)
        assert outcomes == {0, 1}
        filler.unlink()
        run_cli(md, "--out", out)
        assert consistent(out) and not leftovers(out)
    finally:
        unmount(disk)


def test_a_read_only_build_folder(tmp_path):
    out, md = tmp_path / "out", write(tmp_path / "src")
    run_cli(md, "--out", out)                            # here: its state names this folder
    mount("--bind", str(out), str(out))
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(out)], check=True)
        # nothing to do: nothing to write, so the build runs
        again = run_cli(md, "--out", out)
        assert "nothing changed: no stage ran" in again.stdout
        md.write_text(PAPER.replace("A second paragraph.", "A changed paragraph."), encoding="utf-8")
        result = run_cli(md, "--out", out, check=False)
        assert one_error(result) == f"error: {out}: the build folder is on a read-only file system"
        assert "hint: build into a writable folder with --out DIR" in result.stderr
    finally:
        unmount(out)


def test_a_damaged_state_file_is_rebuilt_with_a_warning(small_build, tmp_path):
    out = tmp_path / "out"
    md = copy_of(small_build, tmp_path / "src", out)
    before = published(out)
    state = out / ".doit.json"
    state.write_bytes(state.read_bytes()[:100])          # what a full disk did to doit's own writer
    result = run_cli(md, "--out", out)
    assert f"warning: {state}: the build state cannot be read (truncated or damaged): every stage runs" \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert "nothing changed" not in result.stdout      # every stage ran again ...
    assert published(out)["paper.pdf"] == before["paper.pdf"]   # ... to the same PDFs
    json.loads(state.read_text(encoding="utf-8"))        # and the state is whole again
    assert "nothing changed" in run_cli(md, "--out", out).stdout


def test_a_failed_stamp_keeps_the_last_good_set_and_says_so(small_build, tmp_path):
    out = tmp_path / "out"
    md = copy_of(small_build, tmp_path / "src", out)
    before = published(out)
    broken = PAPER.replace("A second paragraph.", "A new paragraph.").replace(
        'version-date: "2026-03-14"\n', 'version-date: "2026-03-14"\ndraft:\n  text: 草稿\n')
    md.write_text(broken, encoding="utf-8")
    result = run_cli(md, "--out", out, check=False)
    error = one_error(result)                          # named at the draft block, with the character
    assert error.startswith(f"error: {md}:{line_of(broken, 'draft:')}: stamp: the stamp font "), error
    assert "U+8349" in error and "hint: change the stamp text" in result.stderr
    assert "compile " in result.stdout                  # the new paper.pdf was made ...
    assert published(out) == before                      # ... and not published alone
    for pdf in ("paper.pdf", "paper-draft.pdf"):
        assert f"{out / pdf} is from the last good build and is now stale" in result.stderr
    md.write_text(broken.replace("  text: 草稿\n", "  text: DRAFT\n"), encoding="utf-8")
    run_cli(md, "--out", out)
    assert consistent(out) and not leftovers(out)
