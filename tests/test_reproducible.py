"""Reproducible builds, with real pandoc and TeX: the sample manuscript built again in
another folder, at another time and in another time zone gives byte-identical outputs
(`build.py verify`, which builds from scratch in a temporary folder and compares the
manifests); the manifest records inputs, tools and outputs; `verify` says "identical",
or names what changed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import SAMPLE, run_build, run_cli
from pressroom.errors import Warnings
from pressroom.manuscript import read_manuscript
from pressroom.reproducible import FIXED_EPOCH, parse_full_date, source_date

PDFS = ("paper.pdf", "paper-draft.pdf")
IDENTICAL = "identical: every output has the sha256 the manifest records"


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def built_again(sample_build, tmp_path_factory):
    """The session's build of the sample, and `build.py verify` of it: a process of its own that
    builds the sample again from scratch into a temporary folder under another, longer path
    (TMPDIR), from another working folder, in another time zone, at least a second later, and
    compares the new manifest with the build's."""
    first = sample_build[0]
    built = max((first / name).stat().st_mtime for name in PDFS)
    time.sleep(max(0.0, built + 1.1 - time.time()))
    elsewhere = tmp_path_factory.mktemp("second-folder-with-a-longer-name") / "elsewhere"
    (elsewhere / "tmp").mkdir(parents=True)
    before = _listing(first)
    result = run_build("verify", SAMPLE.parent, "--out", first, cwd=elsewhere, check=False,
                       env={"TZ": "Asia/Tokyo", "TMPDIR": str(elsewhere / "tmp")})
    assert _listing(first) == before, "verify wrote into the build folder it verifies"
    return first, result


def test_outputs_are_byte_identical_across_folders_times_and_zones(built_again):
    """verify says identical, and nothing else: no output, input or tool differs between the two
    manifests (the outputs are the PDFs, the report, the .tex: their sha256)."""
    first, result = built_again
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    verdict = [line for line in lines[1:] if not re.match(r"^[a-z]+ +\d+\.\d\d s$", line)]   # the stages
    assert lines[0].startswith("verifying ") and verdict == [IDENTICAL], result.stdout
    manifest = json.loads((first / "manifest.json").read_text())
    assert set(PDFS) <= set(manifest["outputs"])


def test_no_build_folder_path_or_clock_in_the_pdfs(sample_build):
    """Every date in the PDFs is the source date (the manuscript's last commit, here), and
    today's date is in them only when that commit is today's."""
    first = sample_build[0]
    today = time.strftime("%Y%m%d").encode()
    epoch = json.loads((first / "manifest.json").read_text())["source_date_epoch"]
    source_day = time.strftime("%Y%m%d", time.gmtime(epoch)).encode()
    for name in PDFS:
        data = (first / name).read_bytes()
        assert str(first).encode() not in data and str(first.parent).encode() not in data
        assert set(re.findall(rb"D:(\d{8})", data)) <= {source_day}, f"{name} carries another date"
        if source_day != today:
            assert b"D:" + today not in data, f"{name} carries today's date"


def test_manifest_records_inputs_tools_and_outputs(sample_build):
    first = sample_build[0]
    manifest = json.loads((first / "manifest.json").read_text())
    inputs = {"paper.md", "references.bib", "template:template.tex.j2", "template:settings.toml"}
    assert inputs <= set(manifest["inputs"])
    tools = manifest["tools"]
    assert tools["pandoc"].startswith("pandoc ") and "TeX Live 20" in tools["xelatex"]
    for package in ("pikepdf", "pybtex", "Jinja2", "pressroom"):
        assert tools[package][0].isdigit(), package
    for name in PDFS:
        assert manifest["outputs"][name] == sha(first / name)


def test_verify_names_the_changed_input(small_build, tmp_path):
    """Sources that changed since the recorded build (a copy of the small paper's, edited: the
    session's build is only read): verify names the output and the input."""
    src, out = small_build
    edited = tmp_path / "ms"
    shutil.copytree(src, edited)
    md = edited / "paper.md"
    text = md.read_text(encoding="utf-8")
    md.write_text(text.replace("A second paragraph.", "A second paragraph, edited."), encoding="utf-8")
    result = run_cli("verify", edited, "--out", out, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "output paper.pdf differs" in result.stdout
    assert "input paper.md differs" in result.stdout
    assert IDENTICAL not in result.stdout


def test_verify_without_a_manifest_says_build_first(tmp_path):
    result = run_cli("verify", SAMPLE, "--out", tmp_path / "never-built", check=False)
    assert result.returncode == 1 and "build first" in result.stderr


def test_the_date_comes_from_the_sources(tmp_path):
    assert parse_full_date("2026-03-14").year == 2026
    assert parse_full_date("14 March 2026").month == 3
    assert parse_full_date("January 2018") is None
    iso = parse_full_date("2026-03-14")
    assert parse_full_date("2026年3月14日") == parse_full_date("2026년 3월 14일") == iso
    assert parse_full_date("2026年3月") is None
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nversion-date: 2026-03-14\n---\nText.\n", encoding="utf-8")
    epoch, origin = source_date(read_manuscript(md), Warnings())
    assert origin == "version-date" and epoch == 1773446400
    md.write_text("---\ntitle: T\nversion-date: March 2026\n---\nText.\n", encoding="utf-8")
    warnings = Warnings()
    epoch, origin = source_date(read_manuscript(md), warnings)   # tmp_path is no git checkout
    assert (epoch, origin) == (FIXED_EPOCH, "fixed") and warnings.items


def test_the_date_falls_back_to_the_last_git_commit(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\n---\nText.\n", encoding="utf-8")
    env = dict(os.environ, GIT_AUTHOR_DATE="2021-05-06T07:08:09Z", GIT_COMMITTER_DATE="2021-05-06T07:08:09Z",
               GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@b", GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@b")
    for cmd in (["git", "init", "-q"], ["git", "add", "paper.md"], ["git", "commit", "-q", "-m", "x"]):
        subprocess.run(cmd, cwd=tmp_path, env=env, check=True)
    assert source_date(read_manuscript(md), Warnings()) == (1620284889, "git")


def test_the_stamp_prints_a_cjk_version_date_in_digits(tmp_path):
    """The draft's footer is set in DejaVu Sans, which has no CJK: 2026年3月 is printed 2026-03
    (the title page prints it as written)."""
    from pressroom.config import build_settings
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nlang: ja\nversion-date: 2026年3月\n---\nText.\n", encoding="utf-8")
    warnings = Warnings(echo=False)
    settings = build_settings(read_manuscript(md, warnings), out_dir=tmp_path / "out", warnings=warnings)
    assert settings.version_date == "2026年3月"
    assert settings.stamp.footer.startswith("Draft · version date 2026-03 · built ")
