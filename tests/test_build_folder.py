"""Issue 12, classes 5 and 6: the build folder. Whose it is (``--out`` rules, a default folder
per manuscript), outputs edited by hand, a reader that goes away, and warnings kept for
``--strict`` after a build. Real builds (pandoc, XeLaTeX) in temporary folders, in the test's
process (run_cli) but where a reader of the build's output goes away.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid

from conftest import ROOT, moved_build, run_cli
from outputs import PAPER, consistent, line_of, one_error, published, write


def test_an_output_edited_by_hand_is_built_again_and_old_temporary_files_go(small_build, tmp_path):
    md = small_build[0] / "paper.md"                   # only read
    out = moved_build(small_build[1], tmp_path / "out", md)
    built = published(out)
    with open(out / "paper.pdf", "ab") as fh:            # an edit after the build
        fh.write(b"%% edited\n")
    result = run_cli(md, "--out", out)
    assert "compile " in result.stdout and "convert " not in result.stdout and published(out) == built
    (out / "paper-draft.pdf").write_bytes((out / "paper.pdf").read_bytes())   # a copy over the draft
    # and temporary files a killed build left behind (tools.atomic_write's names)
    stale = [out / ".paper.pdf.0123abcd.tmp", out / "tex" / ".paper.aux.89abcdef.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    result = run_cli(md, "--out", out)
    assert "stamp " in result.stdout and published(out) == built
    assert not any(path.exists() for path in stale)


def test_out_must_be_a_new_empty_or_pressroom_folder(small_build, tmp_path):
    md = write(tmp_path / "src")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", encoding="utf-8")
    error = one_error(run_cli(md, "--out", a_file, check=False), code=2)
    assert error == f"error: {a_file}: --out names a file, not a folder"
    assert a_file.read_text(encoding="utf-8") == "mine"
    # a folder with someone's files (their own manifest.json among them) is left alone
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "manifest.json").write_text("{}", encoding="utf-8")
    result = run_cli(md, "--out", theirs, check=False)
    error = one_error(result, code=2)
    assert error == f"error: {theirs}: --out is a folder that holds other files, not a pressroom build folder"
    assert "hint: give a new or empty folder" in result.stderr
    assert sorted(p.name for p in theirs.iterdir()) == ["manifest.json"]
    assert (theirs / "manifest.json").read_text(encoding="utf-8") == "{}"
    # the manuscript's own folder is such a folder
    assert one_error(run_cli(md, "--out", md.parent, check=False), code=2).endswith(
        "not a pressroom build folder")
    # an empty folder becomes a build folder, marked as such (the session's small build was
    # made in a folder that was empty)
    assert json.loads((small_build[1] / ".pressroom").read_text(encoding="utf-8")) == {
        "manuscript": "../src/paper.md"}
    assert (small_build[1] / "paper.pdf").is_file()


def test_a_failed_build_of_another_manuscript_leaves_the_folder_to_the_first(small_build, tmp_path):
    """`--out` may name another manuscript's build folder; when that build fails, the last good
    outputs stay, and so does the mark that says whose they are."""
    md = small_build[0] / "paper.md"                   # only read
    out = moved_build(small_build[1], tmp_path / "out", md)
    mark = (out / ".pressroom").read_text(encoding="utf-8")
    broken = write(tmp_path / "broken", PAPER + "\nA bad \\undefinedmacro here.\n")
    result = run_cli(broken, "--out", out, check=False)
    assert result.returncode == 1 and "Undefined control sequence" in result.stderr, result.stderr
    assert (out / ".pressroom").read_text(encoding="utf-8") == mark


def test_each_manuscript_gets_its_own_default_build_folder(tmp_path):
    name = f"test-{uuid.uuid4().hex[:8]}"
    build = ROOT / "build"
    made = [build / name, build / f"{name}-essay"]
    try:
        # two manuscripts in one folder: build/<folder>/ for paper.md, build/<folder>-<stem>/ for another
        paper = write(tmp_path / "one" / name)
        essay = write(tmp_path / "one" / name, PAPER.replace("A Small Paper", "An Essay"), name="essay.md")
        run_cli(paper, cwd=ROOT)
        run_cli(essay, cwd=ROOT)
        assert (made[0] / "paper.pdf").is_file() and (made[1] / "essay.pdf").is_file()
        assert json.loads((made[0] / "manifest.json").read_text(encoding="utf-8"))["manuscript"] == "paper.md"
        assert json.loads((made[1] / "manifest.json").read_text(encoding="utf-8"))["manuscript"] == "essay.md"
        # two folders with one name would share build/<name>/: the second is refused, nothing written
        other = write(tmp_path / "two" / name)
        before = published(made[0])
        result = run_cli(other, cwd=ROOT, check=False)
        error = one_error(result)
        assert error == (f"error: {made[0]}: the default build folder holds the build of another "
                         f"manuscript, {paper}")
        assert "hint: two manuscripts would share it" in result.stderr and "--out DIR" in result.stderr
        assert published(made[0]) == before
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)


def test_a_reader_that_goes_away_does_not_stop_the_build(tmp_path):
    out, md = tmp_path / "out", write(tmp_path / "src")
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), str(md), "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("building ")
    proc.stdout.close()                                  # `pressroom | head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert consistent(out)


def test_strict_after_a_build_with_warnings_fails_on_them(tmp_path):
    out = tmp_path / "out"
    text = PAPER.replace("@smith2001, 12", "@smith2001, sura 12")
    md = write(tmp_path / "src", text)
    line = line_of(text, "sura")
    warning = f"warning: {md}:{line}: unknown locator label 'sura'"
    first = run_cli(md, "--out", out, "-v")            # -v shows the tools' output, and the warning
    assert first.stderr.count(warning) == 1 and "convert ..." in first.stdout
    again = run_cli(md, "--out", out, "-v")            # nothing to do: the warning is still said
    assert "convert  up to date" in again.stdout and warning in again.stderr
    result = run_cli(md, "--out", out, "--strict", check=False)
    assert one_error(result).startswith(f"error: {md}:{line}: unknown locator label 'sura'")
    assert "hint: --strict makes warnings fatal" in result.stderr
    assert consistent(out)                               # the build's outputs are as they were
