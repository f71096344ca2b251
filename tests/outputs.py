"""A small manuscript and what the fault tests assert about a build folder's outputs
(tests/test_faults.py, test_build_folder.py, test_kill.py, test_errors.py, test_hostile_tools.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

#: the small paper of the fault and error tests (conftest.small_build builds it once a session)
PAPER = """\
---
title: "A Small Paper"
author:
  - name: Ada Tester
    affiliation: Nowhere College
    email: ada@example.org
abstract: A short abstract.
version-date: "2026-03-14"
bibliography: refs.bib
---

# Introduction

A first paragraph with a citation.[@smith2001, 12]

A second paragraph.
"""
BIB = """\
@book{smith2001,
  author = {Smith, John},
  title = {A Book},
  publisher = {Press},
  address = {London},
  year = {2001}
}
"""
PUBLISHED = ("paper.pdf", "paper-draft.pdf", "paper.check.json", "manifest.json")


def write(folder: Path, md: str = PAPER, name: str = "paper.md", bib: str | None = BIB) -> Path:
    """The manuscript ``md`` (and the .bib, unless None) in ``folder``: the manuscript's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(md, encoding="utf-8")
    if bib is not None:
        (folder / "refs.bib").write_text(bib, encoding="utf-8")
    return folder / name


def line_of(text: str, needle: str) -> int:
    """The number of the first line of ``text`` that holds ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def digests(out: Path) -> dict[str, str | None]:
    """The two PDFs' digests."""
    return {name: sha(out / name) for name in PUBLISHED[:2]}


def published(out: Path) -> dict[str, str | None]:
    return {name: sha(out / name) for name in PUBLISHED}


def consistent(out: Path) -> bool:
    """The PDFs and the report are those manifest.json records: one build's set."""
    recorded = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    return all(recorded.get(name) == sha(out / name) for name in PUBLISHED[:3])


def leftovers(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".last-good")]


def one_error(result, *, code: int = 1) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert "  hint: " in result.stderr, result.stderr
    return errors[0]
