"""End to end, with real pandoc, real TeX, pikepdf and pdftotext: build the
sample manuscript and the corpus paper into temporary folders and read the
PDFs back.

The sample's build is the session's (conftest.sample_build: build.py, from the
manuscript's folder), the corpus paper's the session's working-paper build
(conftest.template_build); the other commands run in this process (run_cli)
unless a process of their own is what is tested."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pikepdf
import pytest

from conftest import ROOT, SAMPLE, pdf_text, run_cli
from features import TYPO

SAMPLE_SENTENCE = ("Within a single generation the newspaper ceased to be a curiosity of the "
                   "treaty ports and became an ordinary object of daily life.")
SAMPLE_TITLE = "Lead, Ink, and Opinion"
CORPUS_TITLE = "Sino-Soviet Relations in the 1950s: Situational Cordiality"
CORPUS_SENTENCE = "Premier Zhou Enlai visited the Soviet Union and East European countries"


@pytest.fixture(scope="module")
def corpus_build(template_build, corpus_paper):
    return template_build("corpus", "working-paper")


def test_sample_outputs_are_named_after_the_stem(sample_build):
    out, _ = sample_build
    for name in ("paper.tex", "paper.pdf", "paper-draft.pdf", "paper.check.json"):
        assert (out / name).is_file(), name


def test_sample_pdf_has_title_sentence_and_pages(sample_build):
    out, _ = sample_build
    with pikepdf.open(out / "paper.pdf") as pdf:
        assert 5 <= len(pdf.pages) <= 10
    text = pdf_text(out / "paper.pdf")
    assert SAMPLE_TITLE in text
    assert SAMPLE_SENTENCE in text
    # macrons and LaTeX special characters print as themselves
    assert "Tōkyō" in text and "Kyūshū" in text
    for literal in ("$12", "15%", "#", "&", "{kana}", "~300", "10^3", "(\\)"):
        assert literal in text, literal


def test_sample_notes_are_footnotes_with_ibid(sample_build):
    out, _ = sample_build
    text = pdf_text(out / "paper.pdf")
    assert "Ibid., p. 31." in text
    assert "[see" not in text and "@okabe1998" not in text


def test_draft_is_stamped_and_submission_is_not(sample_build):
    out, _ = sample_build
    draft = pdf_text(out / "paper-draft.pdf")
    clean = pdf_text(out / "paper.pdf")
    assert "WORK IN PROGRESS" in draft and "DO NOT CITE" in draft
    assert "WORK IN PROGRESS" not in clean
    assert SAMPLE_SENTENCE in draft


def test_build_prints_one_line_per_stage_and_the_check_table(sample_build):
    _, result = sample_build
    for stage in ("convert", "render", "compile", "stamp", "check"):
        assert any(line.startswith(stage) and line.rstrip().endswith(" s")
                   for line in result.stdout.splitlines()), stage
    assert "paper-draft.pdf stamp" in result.stdout


def test_second_build_runs_no_stage(sample_build):
    out, _ = sample_build
    before = (out / "paper.pdf").stat().st_mtime_ns
    again = run_cli(SAMPLE.parent, "--out", out)
    assert "nothing changed: no stage ran" in again.stdout
    assert (out / "paper.pdf").stat().st_mtime_ns == before


def test_corpus_paper_builds(corpus_build):
    out = corpus_build
    with pikepdf.open(out / "paper.pdf") as pdf:
        assert 20 <= len(pdf.pages) <= 34
        assert str(pdf.docinfo["/Title"]) == CORPUS_TITLE
    text = pdf_text(out / "paper.pdf")
    assert CORPUS_TITLE in text
    assert CORPUS_SENTENCE in text
    assert "Version date: January 2018" in text


def test_corpus_second_build_runs_no_stage(corpus_build, corpus_paper):
    again = run_cli(corpus_paper, "--out", corpus_build)
    assert "nothing changed: no stage ran" in again.stdout


def test_doit_lists_one_task_per_stage():
    result = subprocess.run([sys.executable, "-m", "doit", "list", f"manuscript={SAMPLE}"],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert names == sorted(["convert", "render", "compile", "stamp", "check", "manifest"])


def test_notes_command_json(corpus_paper):
    result = run_cli("notes", corpus_paper, "--json")
    notes = json.loads(result.stdout)
    assert [n["n"] for n in notes] == list(range(1, 81))
    assert notes[4]["text"] == "Ibid., pp.\u00a03–8."


def test_folder_argument_and_source_left_alone(sample_build):
    """A manuscript folder builds; nothing is written next to the source."""
    out, result = sample_build
    assert (out / "paper.pdf").is_file()
    before, after = result.source_listing
    assert after == before


@pytest.mark.parametrize("template", ["working-paper", "anonymous-review"])
def test_csl_engine(tmp_path, template):
    """`citations: csl` goes through pandoc's citeproc with a Chicago notes CSL style; its
    reference list follows the body under "Bibliography" (issue 14: it went into the last
    front-matter field, under the author's name on the title page, and was lost in the
    anonymised copy)."""
    src = tmp_path / "csl"
    src.mkdir()
    shutil.copy(ROOT / "manuscript" / "references.bib", src)
    (src / "paper.md").write_text(
        "---\ntitle: CSL Test\nauthor:\n  - name: Ann Author\nbibliography: references.bib\n"
        "citations: csl\n---\n\nA claim about type founding.[@okabe1998, 27]\n", encoding="utf-8")
    out = tmp_path / "out"
    run_cli(src / "paper.md", "--out", out, "--template", template)
    text = pdf_text(out / "paper.pdf")
    assert "Okabe" in text and "@okabe1998" not in text
    body, heading = text.index("A claim about type founding."), text.index("Bibliography")
    assert body < heading < text.index("Okabe, Shinsaku.", heading)
    if template == "working-paper":   # the title page holds the title and the author only
        first = subprocess.run(["pdftotext", "-l", "1", str(out / "paper.pdf"), "-"],
                               capture_output=True, text=True, check=True).stdout
        assert "Ann Author" in first and "Okabe" not in first and "Bibliography" not in first


def test_unknown_header_key_warns(feature_build):
    """The session's build of tests/features.py's manuscript, whose header has a mistyped key."""
    out = feature_build("working-paper")
    line = (out.parent / "src" / "paper.md").read_text(encoding="utf-8").splitlines().index(TYPO) + 1
    assert f"paper.md:{line}: unknown header key `titel` is ignored (did you mean `title`?)" in \
        (out.parent / "stderr.txt").read_text(encoding="utf-8")


def test_check_command_fails_a_tampered_pdf(sample_build, tmp_path):
    """`build.py check PDF` prints the table, each failure once as its row, and exits 1."""
    out, _ = sample_build
    tampered = tmp_path / "paper.pdf"
    with pikepdf.open(out / "paper.pdf") as pdf:
        pdf.docinfo["/Title"] = "Another Title"
        pdf.save(tampered)
    # the manuscript comes from the manifest.json beside the PDF
    good = run_cli("check", out / "paper.pdf", "--json", cwd=tmp_path)
    assert json.loads(good.stdout)[0]["check"] == "metadata"
    assert all(f["ok"] for f in json.loads(good.stdout))
    bad = run_cli("check", tampered, "--manuscript", SAMPLE, check=False)
    assert bad.returncode == 1
    failures = [line for line in bad.stdout.splitlines() if "FAIL" in line]
    assert len(failures) == 1
    assert failures[0].startswith("paper.pdf metadata") and "Another Title" in failures[0]
    assert "Another Title" not in bad.stderr
    assert bad.stderr.splitlines()[-1] == "error: 1 of 6 checks failed: paper.pdf metadata"
    # no manifest beside it and no --manuscript: the other checks, and a note that metadata was not compared
    unknown = run_cli("check", tampered)
    assert "metadata" not in unknown.stdout and "FAIL" not in unknown.stdout
    assert "paper.pdf: metadata not compared: no manifest.json beside it" in unknown.stderr


def test_notes_piped_into_a_reader_that_stops_early_end_quietly(corpus_paper):
    """`build.py notes paper.md | head -1`: no BrokenPipeError traceback."""
    pipeline = subprocess.run(
        f"'{sys.executable}' '{ROOT / 'build.py'}' notes '{corpus_paper}' | head -1",
        shell=True, capture_output=True, text=True, timeout=120)
    assert pipeline.stdout.startswith("1. ") and pipeline.stdout.count("\n") == 1
    assert "Traceback" not in pipeline.stderr and "BrokenPipe" not in pipeline.stderr
