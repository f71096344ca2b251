"""A small manuscript and what the fault tests assert about a build folder's outputs
(tests/test_faults.py, test_build_folder.py, test_kill.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

PAPER = """\
---
title: "A Small Paper"
author:
  - name: Ada Tester
version-date: "2026-03-14"
bibliography: refs.bib
---

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


def write(folder: Path, md: str = PAPER, name: str = "paper.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(md, encoding="utf-8")
    (folder / "refs.bib").write_text(BIB, encoding="utf-8")
    return folder / name


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


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
