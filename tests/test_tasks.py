"""doit as a library: each build hands doit its own settings through a task loader
(pressroom.tasks.BuildLoader), so builds in one process do not see each other."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, pdf_text
from pressroom.cli import main, run_tasks
from pressroom.config import build_settings
from pressroom.errors import CitationError, Warnings
from pressroom.manuscript import read_manuscript
from pressroom.tasks import STAGE_NAMES

BIB = "@book{smith2001, author = {Smith, Ann}, title = {A Book}, year = {2001}, publisher = {P}}\n"


def _settings(tmp_path: Path, name: str, body: str, template: str):
    folder = tmp_path / name
    folder.mkdir()
    md = folder / "paper.md"
    header = f"title: {name.title()} Paper\nversion-date: 2026-01-02\nbibliography: refs.bib\n"
    md.write_text(f"---\n{header}---\n\n{body}\n", encoding="utf-8")
    (folder / "refs.bib").write_text(BIB, encoding="utf-8")
    warnings = Warnings()
    settings = build_settings(read_manuscript(md, warnings), out_dir=tmp_path / "out" / name,
                              template=template, warnings=warnings)
    return settings, warnings


def test_two_builds_in_one_process_keep_their_own_state(tmp_path, capsys):
    alpha = _settings(tmp_path, "alpha", "Alpha body text [@smith2001, sura 4].", "working-paper")
    beta = _settings(tmp_path, "beta", "Beta body text.", "journal-article")
    # at the same time, in two threads: with the settings in module globals, one build
    # would take the other's settings, failures or progress
    with ThreadPoolExecutor(max_workers=2) as pool:
        ran = list(pool.map(lambda pair: run_tasks(*pair), [alpha, beta]))
    assert ran == [list(STAGE_NAMES), list(STAGE_NAMES)]
    # a stage's warning is printed (doit captured the stages' output and dropped it), once
    assert capsys.readouterr().err.count("unknown locator label 'sura'") == 1
    assert len(alpha[1].items) == 1 and not beta[1].items
    for (settings, _), own, other in ((alpha, "Alpha", "Beta"), (beta, "Beta", "Alpha")):
        text = pdf_text(settings.output(".pdf"))
        assert f"{own} body text." in text and other not in text
        report = json.loads(settings.output(".check.json").read_text(encoding="utf-8"))
        assert all(row["ok"] for row in report), report
        assert (settings.out_dir / ".doit.json").is_file()
    pages = {row["reason"].split(", ")[1] for row in
             json.loads(beta[0].output(".check.json").read_text(encoding="utf-8"))
             if row["check"] == "page-size"}
    assert pages == {"a4 595.28×841.89 pt"}   # journal-article's paper, not working-paper's letter

    # `check PDF` finds each PDF's manuscript (and template) through the manifest beside it
    capsys.readouterr()
    assert main(["check", str(beta[0].output(".pdf")), str(alpha[0].output("-draft.pdf")), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["pdf"], row["check"]) for row in rows if row["check"] in ("metadata", "page-size")] == [
        ("paper.pdf", "metadata"), ("paper.pdf", "page-size"),
        ("paper-draft.pdf", "metadata"), ("paper-draft.pdf", "page-size")]
    assert all(row["ok"] for row in rows)

    # a failed build in the same process: its failure stays its own
    broken = _settings(tmp_path, "broken", "Text [@nokey].", "working-paper")
    with pytest.raises(CitationError, match="nokey"):
        run_tasks(*broken)
    again = run_tasks(*alpha)                 # no failure carried over: this one succeeds
    # its own progress only (stages whose code was edited meanwhile may run again)
    assert len(again) == len(set(again)) and set(again) <= set(STAGE_NAMES)


def test_doit_s_own_command_line_lists_the_stages():
    """dodo.py, a shim over pressroom.tasks, keeps `.venv/bin/doit` working in a checkout."""
    listed = subprocess.run([sys.executable, "-m", "doit", "list"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True).stdout
    assert sorted(line.split()[0] for line in listed.splitlines()) == sorted(STAGE_NAMES)
