"""TeX reads an uncompressed copy of its format (texformat.py): the same format, the same pages."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pressroom import texformat
from pressroom.compile import AUX_DIR, TexEnvironment


@pytest.fixture
def fake_format(tmp_path, monkeypatch):
    """A compressed "format" standing for the one kpsewhich finds, and an empty cache folder."""
    original = tmp_path / "web2c" / "xelatex.fmt"
    original.parent.mkdir()
    original.write_bytes(gzip.compress(b"format bytes " * 1000))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(texformat, "_located", lambda engine, home: original)
    texformat._copy.cache_clear()
    yield original
    texformat._copy.cache_clear()


def test_the_copy_is_the_format_inflated_and_is_made_once(fake_format):
    folder = texformat.folder("xelatex", home=None)
    assert folder is not None and folder.is_relative_to(texformat.cache_root())
    assert (folder / "xelatex.fmt").read_bytes() == gzip.decompress(fake_format.read_bytes())
    made = (folder / "xelatex.fmt").stat().st_mtime_ns
    texformat._copy.cache_clear()   # another process
    assert texformat.folder("xelatex", home=None) == folder
    assert (folder / "xelatex.fmt").stat().st_mtime_ns == made
    assert [p.name for p in folder.iterdir()] == ["xelatex.fmt"]   # no partial file left


def test_a_rebuilt_format_gets_a_new_copy_and_the_old_one_goes(fake_format):
    old = texformat.folder("xelatex", home=None)
    fake_format.write_bytes(gzip.compress(b"patterns for one more language " * 1000))
    os.utime(fake_format, ns=(0, fake_format.stat().st_mtime_ns + 10**9))
    new = texformat.folder("xelatex", home=None)
    assert new != old and not old.exists()
    assert (new / "xelatex.fmt").read_bytes().startswith(b"patterns for one more language")


def test_tex_keeps_its_own_format_when_no_copy_can_be_made(fake_format, tmp_path, monkeypatch):
    assert texformat.folder("pdflatex", home=None) is None   # not an engine pressroom runs
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))   # the cache folder cannot be made
    assert texformat.folder("xelatex", home=None) is None
    assert "TEXFORMATS" not in TexEnvironment(0, None).settings()
    fake_format.write_bytes(b"not compressed")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache2"))
    texformat._copy.cache_clear()
    assert texformat.folder("xelatex", home=None) is None


def test_the_users_own_format_path_does_not_reach_tex(monkeypatch):
    monkeypatch.setenv("TEXFORMATS", "/somewhere/else")
    assert TexEnvironment(0, None).variables().get("TEXFORMATS") is None
    assert TexEnvironment(0, Path("/cache/f")).variables()["TEXFORMATS"] == "/cache/f"


def test_a_pass_on_the_copy_makes_the_bytes_of_a_pass_on_texs_own_format(sample_build, tmp_path):
    """The sample's build read the copy; one XeLaTeX pass of its .tex as pressroom runs it and
    one as TeX runs by itself (its own format, glibc's usual malloc) write the same .xdv and .aux."""
    build, _ = sample_build
    recorded = (build / AUX_DIR / "paper.fls").read_text(encoding="utf-8")
    folder = texformat.folder("xelatex", home=os.environ.get("HOME"))
    assert folder is not None and f"INPUT {folder / 'xelatex.fmt'}" in recorded
    made = {}
    for name, formats in (("copy", folder), ("own", None)):
        work = tmp_path / name
        shutil.copytree(build, work, ignore=shutil.ignore_patterns(AUX_DIR))
        (work / AUX_DIR).mkdir()
        env = TexEnvironment(1_700_000_000, formats).variables()
        if formats is None:
            del env["GLIBC_TUNABLES"]
        subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "-no-pdf", "-recorder",
                        f"-output-directory={AUX_DIR}", "paper.tex"], cwd=work, env=env,
                       capture_output=True, check=True)
        made[name] = [(work / AUX_DIR / f"paper{ext}").read_bytes() for ext in (".xdv", ".aux")]
        read = (work / AUX_DIR / "paper.fls").read_text(encoding="utf-8")
        assert (str(folder) in read) == (formats is not None)
    assert made["copy"] == made["own"]
