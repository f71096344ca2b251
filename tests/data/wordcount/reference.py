"""Reference word counts from LibreOffice Writer, for the fixtures beside this file.

Not part of the test suite (which must not need LibreOffice): run it by hand to make
``cases.json`` and ``manuscripts.json`` again, with LibreOffice installed
(``apt-get install libreoffice-writer-nogui``) and pressroom's venv:

    .venv/bin/python tests/data/wordcount/reference.py cases      # cases.json
    .venv/bin/python tests/data/wordcount/reference.py manuscripts PAPER.md[@TEMPLATE] ...

Each text goes to pandoc's Word writer (the same pinned pandoc), then LibreOffice
(``soffice --headless --convert-to odt``) opens the .docx and stores its own word count
in the ODT's meta.xml (``meta:document-statistic/@meta:word-count``): the count its
Tools > Word Count shows, footnotes included. For a manuscript, each part is a
document of its own, made from the same AST pressroom counts (the citation filter's
notes as pandoc's inlines; pressroom's split into body, notes, abstract, captions and
tables, bibliography, title and acknowledgments); the notes are paragraphs. And the whole
document as one (``whole_document``: title, abstract, body with its notes as Word's footnotes,
figures, tables, bibliography, acknowledgments), to be compared with ``everything``: a check
that pressroom's split loses and doubles nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from pressroom.pandoc_ast import Para, Space, Str, elements  # noqa: E402
from pressroom.tools import pandoc_path  # noqa: E402

API = [1, 23, 1, 1]   # pandoc 3.9, the pinned version


def libreoffice_counts(docs: dict[str, list], folder_of_figures: Path | None = None) -> dict[str, int]:
    """name → blocks: LibreOffice's word count of each as a .docx."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, blocks in docs.items():
            doc = {"pandoc-api-version": API, "meta": {}, "blocks": blocks}
            subprocess.run([pandoc_path(), "--from", "json", "--to", "docx",
                            "-o", str(folder / f"{name}.docx")],
                           input=json.dumps(doc).encode(), check=True, cwd=folder_of_figures)
        subprocess.run(["soffice", "--headless", "--convert-to", "odt", "--outdir", str(folder / "odt"),
                        *(str(folder / f"{name}.docx") for name in docs)],
                       check=True, capture_output=True, env={**os.environ, "HOME": tmp})
        counts = {}
        for name in docs:
            meta = zipfile.ZipFile(folder / "odt" / f"{name}.odt").read("meta.xml").decode()
            found = re.search(r'meta:word-count="(\d+)"', meta)
            counts[name] = int(found.group(1)) if found else 0
        return counts


def _para(text: str) -> dict:
    inlines: list = []
    for i, word in enumerate(text.split(" ")):
        inlines += ([Space()] if i else []) + ([Str(word)] if word else [])
    return Para(inlines)


def cases() -> None:
    target = HERE / "cases.json"
    texts = [case["text"] for case in json.loads(target.read_text(encoding="utf-8"))]
    counts = libreoffice_counts({f"c{i:03}": [_para(t)] for i, t in enumerate(texts)})
    out = [{"text": t, "libreoffice": counts[f"c{i:03}"]} for i, t in enumerate(texts)]
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def parts_of(manuscript: Path, template: str | None = None) -> dict[str, list]:
    """The parts pressroom counts, as blocks."""
    from pressroom.config import build_settings
    from pressroom.convert import apply_citations
    from pressroom.errors import Warnings
    from pressroom.frontfields import field_units
    from pressroom.manuscript import read_manuscript
    from pressroom.pandoc_ast import read_markdown, walk
    from pressroom.wordcount import _figure_text, _split_bibliography
    quiet = Warnings(echo=False)
    settings = build_settings(read_manuscript(manuscript, quiet), template=template, warnings=quiet)
    doc = apply_citations(read_markdown(manuscript), settings, quiet, fmt="pandoc")
    body, bibliography = _split_bibliography(doc["blocks"])
    captions = [b for node in elements(body, "Figure", "Table") for b in _figure_text(node)]
    drop = {"Note": lambda n, at: [], "Figure": lambda n, at: [], "Table": lambda n, at: []}
    fields = dict(field_units(doc["meta"], anonymous=False)[0])
    front = [b for k in ("title", "subtitle") for b in fields.get(k, [])]
    # the whole document in one: notes as Word footnotes, figures, tables, all (no author)
    whole = [*front, *fields.get("abstract", []), *doc["blocks"], *fields.get("acknowledgments", [])]
    return {"whole_document": whole, "body": walk(body, drop),
            "notes": [b for n in elements(doc["blocks"], "Note") for b in n["c"]],
            "abstract": fields.get("abstract", []), "captions_and_tables": captions,
            "bibliography": walk(bibliography, drop),
            "front_and_back": [*front, *fields.get("acknowledgments", [])]}


def manuscripts(paths: list[str]) -> None:
    target = HERE / "manuscripts.json"
    known = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    for name in paths:
        path, _, template = name.partition("@")
        path = Path(path)
        counts = libreoffice_counts(parts_of(path.resolve(), template or None), path.resolve().parent)
        counts["text_and_notes"] = counts["body"] + counts["notes"]
        counts["everything"] = sum(v for k, v in counts.items()
                                   if k not in ("text_and_notes", "whole_document"))
        known[path.parent.name + "/" + path.name + (f"@{template}" if template else "")] = counts
        print(path, counts)
    target.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    {"cases": lambda: cases(), "manuscripts": lambda: manuscripts(sys.argv[2:])}[sys.argv[1]]()
