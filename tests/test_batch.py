"""Several manuscripts in one command (`build a/ b/ c/ -j N`, a folder of manuscript folders):
each builds in a process of its own into its own folder, one broken manuscript does not stop
the others, the summary names it, the exit code is 1; `check` takes several manuscripts too."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import pdf_text, run_cli
from pressroom.batch import default_jobs, expand

#: one worker runs this module (pytest-xdist): the batch build is made once and read by every test
pytestmark = pytest.mark.xdist_group("batch")

HEADER = "---\ntitle: {title}\nauthor:\n  - name: A. Writer\nversion-date: 2026-01-02\n---\n\n"


def _manuscript(folder: Path, title: str, body: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "paper.md").write_text(HEADER.format(title=title) + body, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def issue(tmp_path_factory) -> tuple[Path, Path, object]:
    """A folder of three manuscript folders, the second with a broken header, built with -j 2."""
    root = tmp_path_factory.mktemp("batch")
    issue = root / "issue"
    _manuscript(issue / "alpha", "Alpha", "The first paper.^[Its only note.]\n")
    _manuscript(issue / "beta", "[Beta", "Broken header.\n")
    _manuscript(issue / "gamma", "Gamma\ntitel: typo", "The third paper.\n")   # a header key mistyped
    result = run_cli(issue, "-j", "2", "--out", root / "out", check=False)
    return root, issue, result


def test_a_folder_of_manuscripts_is_each_of_them(tmp_path):
    for name in ("b", "a"):
        _manuscript(tmp_path / name, name, "Text.\n")
    assert expand([str(tmp_path)]) == ([tmp_path / "a" / "paper.md", tmp_path / "b" / "paper.md"], True)
    assert expand([str(tmp_path / "a")]) == ([tmp_path / "a" / "paper.md"], False)


def test_one_broken_manuscript_does_not_stop_the_others(issue):
    root, _, result = issue
    assert result.returncode == 1, result.stdout + result.stderr
    for name, title in (("alpha", "Alpha"), ("gamma", "Gamma")):
        assert title in pdf_text(root / "out" / name / "paper.pdf")
        assert (root / "out" / name / "paper-draft.pdf").is_file()
    assert not (root / "out" / "beta" / "paper.pdf").exists()


def test_the_summary_names_each_manuscript_and_the_broken_one(issue):
    _, folder, result = issue
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()
            if line.startswith(str(folder)) or "/paper.md " in line}
    alpha = next(row for name, row in rows.items() if name.endswith("alpha/paper.md"))
    gamma = next(row for name, row in rows.items() if name.endswith("gamma/paper.md"))
    beta = next(row for name, row in rows.items() if name.endswith("beta/paper.md"))
    assert alpha[1:7] == ["ok", "2", "1", "6", "all", "ok"], alpha   # 3 words of text, 3 of notes
    assert gamma[1:5] == ["ok", "2", "0", "3"], gamma
    assert beta[1] == "FAILED", beta
    assert "2 of 3 built" in result.stdout
    assert "beta/paper.md:5: " in result.stderr or "beta/paper.md:2: " in result.stderr, result.stderr
    assert "error: 1 of 3 failed: " in result.stderr and "beta/paper.md" in result.stderr.splitlines()[-1]


def test_each_manuscripts_warnings_follow_the_summary(issue):
    """A build alone prints its warnings; the batch keeps them from the terminal while it runs,
    then prints each manuscript's under its name."""
    _, folder, result = issue
    shown = result.stderr.split(f"{folder / 'gamma' / 'paper.md'}:\n", 1)
    assert len(shown) == 2, result.stderr
    assert shown[1].startswith(f"warning: {folder / 'gamma' / 'paper.md'}:3: unknown header key `titel`"), \
        result.stderr


def test_a_first_build_guesses_its_preamble_only_when_a_core_is_idle(issue):
    """-j 2: on two cores each build has a core of its own, and no idle one for an early XeLaTeX
    pass on a guessed preamble (warmtex.py); on more cores the builds do start it."""
    root = issue[0]
    log = (root / "out" / "alpha" / "tex" / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert ("/warm.tex" in log.splitlines()[4]) == (default_jobs() > 2)


def test_check_of_several_builds_names_each_pdf_by_its_folder(issue):
    root, _, _ = issue
    result = run_cli("check", root / "out" / "alpha" / "paper.pdf", root / "out" / "gamma" / "paper.pdf")
    rows = [line for line in result.stdout.splitlines() if " metadata " in line]
    assert len(rows) == 2 and "alpha/paper.pdf metadata" in rows[0] and "gamma/paper.pdf" in rows[1]


def test_verify_of_several_tells_a_build_that_failed_from_one_that_differs():
    """verify exits 1 both when the outputs differ and when the rebuild fails; the table tells them
    apart by the error the failed one printed."""
    from pressroom.batch import Outcome, summary
    outcomes = [Outcome(Path("same.md"), 0, 1.0, "identical: every output has the sha256 ..."),
                Outcome(Path("changed.md"), 1, 1.0, "different:\n  output paper.pdf differs"),
                Outcome(Path("broken.md"), 1, 1.0, "error: broken.md:3: malformed YAML header")]
    rows = {line.split()[0]: line.split()[1] for line in summary("verify", outcomes, str).splitlines()[1:]}
    assert rows == {"same.md": "identical", "changed.md": "differs", "broken.md": "FAILED"}
