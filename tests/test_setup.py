"""build.py's set-up checks (stdlib only, run before the venv exists): which TeX
files are missing, and that the check runs once per change of the package list."""

from __future__ import annotations

import pytest

import build


def test_every_tex_file_the_templates_need_is_installed():
    assert build.missing_tex_files() == []


def test_a_missing_tex_file_is_named(monkeypatch):
    monkeypatch.setattr(build, "REQUIRED_TEX_FILES", ("soul.sty", "no-such-package.sty"))
    assert build.missing_tex_files() == ["no-such-package.sty"]


def test_the_tex_check_runs_once_per_package_list(monkeypatch, tmp_path):
    """kpsewhich costs 50 ms: after one good check, builds skip it until the lists change."""
    calls = []
    monkeypatch.setattr(build, "TEX_STAMP", tmp_path / ".pressroom-tex")
    monkeypatch.setattr(build, "missing_tex_files", lambda: calls.append(1) or [])
    build.ensure_tex()
    build.ensure_tex()
    assert len(calls) == 1
    monkeypatch.setattr(build, "DEBIAN_PACKAGES", (*build.DEBIAN_PACKAGES, "texlive-lang-japanese"))
    build.ensure_tex()
    assert len(calls) == 2


def test_missing_files_after_the_install_stop_the_set_up(monkeypatch, tmp_path):
    installed = []
    monkeypatch.setattr(build, "TEX_STAMP", tmp_path / ".pressroom-tex")
    monkeypatch.setattr(build, "missing_tex_files", lambda: ["soul.sty"])
    monkeypatch.setattr(build, "_apt_install", lambda packages, why, reason: installed.append((why, reason)))
    with pytest.raises(SystemExit):
        build.ensure_tex()
    assert installed == [("TeX Live, poppler-utils and bubblewrap", "soul.sty not found")]
    assert not (tmp_path / ".pressroom-tex").exists()


def test_the_set_up_messages_read_as_sentences(monkeypatch, capsys):
    """`soul.sty not found: installing TeX Live ...`, then `installed TeX Live ...` (not
    `installed TeX Live (soul.sty not found)`)."""
    monkeypatch.setattr(build.os, "geteuid", lambda: 0)
    monkeypatch.setattr(build.subprocess, "run",
                        lambda *a, **k: build.subprocess.CompletedProcess(a, 0, "", ""))
    build._apt_install(["texlive-xetex"], why="TeX Live and poppler-utils", reason="soul.sty not found")
    assert capsys.readouterr().err.splitlines() == [
        "setup: soul.sty not found: installing TeX Live and poppler-utils from Debian "
        "(1 package, a few minutes the first time) ...",
        "setup: installed TeX Live and poppler-utils"]


@pytest.mark.parametrize(("argv", "tex"), [([], True), (["paper.md"], True), (["check", "x.pdf"], True),
                                          (["notes", "paper.md"], False), (["--help"], False),
                                          (["--version"], False), (["verify", "--help"], False)])
def test_only_commands_that_run_tex_set_it_up(argv, tex):
    assert build.needs_tex(argv) is tex


def test_a_manuscript_gets_the_packages_its_languages_and_script_need(tmp_path, monkeypatch):
    """Only what the header's lang, a span's lang= or a CJK character (there or in a .bib beside it)
    asks for; an English manuscript without CJK characters asks for nothing."""
    monkeypatch.setattr(build, "LANGUAGES_CACHE", tmp_path / "languages-cache")
    (tmp_path / "paper.md").write_text("---\ntitle: T\nlang: fr-FR\n---\n\nA [Wort]{lang=de}.\n",
                                       encoding="utf-8")
    assert build.manuscript_packages([str(tmp_path / "paper.md")]) == ["texlive-lang-french",
                                                                        "texlive-lang-german"]
    (tmp_path / "refs.bib").write_text("@book{a, title = {冷戦の起源}}\n", encoding="utf-8")
    assert build.manuscript_packages([str(tmp_path)])[-3:] == list(build._languages().CJK_PACKAGES)
    english = tmp_path / "english"
    english.mkdir()
    (english / "paper.md").write_text("---\ntitle: T\nlang: en-GB\n---\n\nText.\n", encoding="utf-8")
    assert build.manuscript_packages([str(english)]) == []
    # a source whose .bib entry says it is in German: its title is set with German's patterns
    (english / "refs.bib").write_text("@book{w, title = {Wirtschaft und Gesellschaft}, langid = {german}}\n",
                                      encoding="utf-8")
    assert build.manuscript_packages([str(english)]) == ["texlive-lang-german"]
    assert build.extra_packages(["--lang", "de-DE", "--cjk"]) == ["texlive-lang-german",
                                                                  *build._languages().CJK_PACKAGES]


def test_the_packages_of_unchanged_files_are_not_looked_for_again(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "LANGUAGES_CACHE", tmp_path / "languages-cache")
    folder = tmp_path / "paper"
    folder.mkdir()
    (folder / "paper.md").write_text("---\ntitle: T\nlang: de-DE\n---\n\nText.\n", encoding="utf-8")
    assert build.manuscript_packages([str(folder)]) == ["texlive-lang-german"]
    real = build._languages
    monkeypatch.setattr(build, "_languages", lambda: pytest.fail("the files were read again"))
    assert build.manuscript_packages([str(folder)]) == ["texlive-lang-german"]
    # a .bib file added beside it is read
    (folder / "refs.bib").write_text("@book{a, title = {冷戦の起源}}\n", encoding="utf-8")
    monkeypatch.setattr(build, "_languages", real)
    assert build.manuscript_packages([str(folder)])[-3:] == list(real().CJK_PACKAGES)
    monkeypatch.setattr(build, "_languages", lambda: pytest.fail("the files were read again"))
    assert build.manuscript_packages([str(folder)])[-3:] == list(real().CJK_PACKAGES)


def test_extras_installed_once_are_not_looked_up_again(monkeypatch, tmp_path):
    monkeypatch.setattr(build, "EXTRAS_STAMP", tmp_path / ".pressroom-extras")
    installs = []
    monkeypatch.setattr(build, "_apt_install", lambda packages, **kw: installs.append(packages))
    build.ensure_extras(["texlive-lang-german", "no-such-package-pressroom"], why="test")
    assert installs == [["no-such-package-pressroom"]]      # the German patterns are installed here
    build.ensure_extras(["texlive-lang-german"], why="test")
    assert len(installs) == 1
