"""A build's first XeLaTeX pass starts before its ``.tex`` is made, on the last build's preamble
(a first build: on the one it will most likely make) (warmtex.early_pass): the bytes are a usual
pass's, and no TeX outlives the build."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, copy_of, pdf_text, run_cli
from outputs import PAPER, sha, write
from pressroom.compile import compile_pdf
from pressroom.config import Settings, build_settings
from pressroom.errors import Warnings
from pressroom.facts import of_build
from pressroom.languages import likely_latex, template_languages
from pressroom.manuscript import read_manuscript
from pressroom.render import likely_preamble


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


def _settings(md: Path, out: Path) -> Settings:
    warnings = Warnings(echo=False)
    return build_settings(read_manuscript(md, warnings), out_dir=out, warnings=warnings)


def _first_pass_began_early(out: Path) -> bool:
    log = (out / "tex" / "paper.log").read_text(encoding="utf-8", errors="replace")
    return "/warm.tex" in log.splitlines()[4]


def test_a_first_build_reads_the_likely_preamble_early_to_a_usual_passs_bytes(small_build, tmp_path):
    """No .tex yet: the early pass reads the preamble the render stage will most likely make."""
    assert _first_pass_began_early(small_build[1])
    # the same .tex typeset by the usual pass alone gives the same PDF
    md = copy_of(small_build, tmp_path / "src", tmp_path / "out")
    out = tmp_path / "out"
    shutil.rmtree(out / "tex")
    (out / "paper.pdf").unlink()
    compile_pdf(_settings(md, out))
    assert not _first_pass_began_early(out)
    assert sha(out / "paper.pdf") == sha(small_build[1] / "paper.pdf")


def test_a_wrong_guess_of_the_preamble_costs_only_the_early_pass(tmp_path):
    """The body's math needs a package the guess leaves out (cancel): the usual pass runs."""
    md = write(tmp_path / "src", PAPER.replace("A first paragraph", "A first $\\cancel{x}$ paragraph"))
    out = tmp_path / "out"
    run_cli(md, "--out", out)
    tex = (out / "paper.tex").read_text(encoding="utf-8")
    assert "\\usepackage{cancel}" in tex
    guess = likely_preamble(_settings(md, out), of_build(_settings(md, out)))
    assert guess is not None and "{cancel}" not in guess and tex.startswith(guess[:200])
    assert not _first_pass_began_early(out)
    assert not [p for p in (out / "tex").iterdir() if p.name.startswith("warm-")]
    assert "x paragraph" in pdf_text(out / "paper.pdf")


BIB_OF_MANY_LANGUAGES = """
@book{mori, author = {Mori, Ōgai}, title = {舞姫}, langid = {japanese}, year = {1890}}
@book{romaji, author = {Natsume, Sōseki}, title = {Kokoro}, langid = {japanese}, year = {1914}}
@book{mann, author = {Mann, Thomas}, title = {Der Zauberberg}, langid = {ngerman}, year = {1924}}
@book{zola, author = {Zola, Émile}, title = {Germinal}, langid = {french}, year = {1885}}
@book{hale, author = {Hale, Margaret}, title = {Type and Trade}, langid = {english}, year = {1990}}
"""


def test_the_likely_languages_are_those_of_the_spans_and_the_cited_entries():
    def languages(markdown: str, cited: set[str] | None) -> dict:
        return template_languages("en-US", likely_latex("en-US", markdown, [BIB_OF_MANY_LANGUAGES], cited))

    nothing = languages("Plain text.", {"hale", "romaji"})   # English, and Japanese in romanization only
    assert (nothing["babel"], nothing["cjk"]) == ([], "")
    cited = languages("Text.", {"mann"})
    assert cited["babel"] == ["ngerman", "english"] and not cited["cjk"]
    japanese = languages("Text.", {"mori"})
    assert "japanese" in japanese["babel"] and japanese["cjk"]
    spans = languages("[Germinal]{lang=fr} and 日本.", set())
    assert spans["babel"] == ["french", "english"] and spans["cjk"]
    everything = languages("Text.", None)   # nocite: every entry
    assert set(everything["babel"]) == {"ngerman", "french", "japanese", "english"}


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
