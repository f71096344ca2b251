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
    monkeypatch.setattr(build, "_apt_install", lambda packages, why: installed.append(why))
    with pytest.raises(SystemExit):
        build.ensure_tex()
    assert installed == ["TeX Live (soul.sty not found)"]
    assert not (tmp_path / ".pressroom-tex").exists()
