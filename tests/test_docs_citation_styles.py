"""docs/citation-styles.md says what the engine prints.

Every note in docs/citation-styles.md is checked here against the notes engine, so the
documentation cannot drift from the code. The format of the examples (described at the top
of the document too):

- every fenced ```` ```bib ```` block of the document holds real entries; together they
  make one bibliography (a key appears in one block only; the blocks must read without a
  warning);
- an example table is a Markdown table whose first header cell is ``citation``. Each other
  header cell names a style in backticks (`` `chicago` ``, `` `working-paper` ``), optionally
  followed by single settings as header keys (`` `chicago` + `citation-ibid: false` ``). Each
  row is one footnote of a small document, in order: the first cell is the citation as
  written in the Markdown (`` `[see @key, 23]` ``), prefixed with ``later:`` when other
  notes come between it and the row before (a footnote without a citation is put there,
  which breaks an Ibid. chain); each other cell is the note that style prints, as
  Markdown (no-break spaces may be written as spaces);
- the settings table (first header cell ``header key``) lists every setting of
  ``ChicagoOptions`` with its value in the two named styles, and every setting has an
  example table that overrides it.

Regenerating after an engine change (prints Markdown to paste, or rewrites the file)::

    .venv/bin/python tests/test_docs_citation_styles.py --print KEY   # the tables citing KEY
    .venv/bin/python tests/test_docs_citation_styles.py --print all   # every table
    .venv/bin/python tests/test_docs_citation_styles.py --fix         # rewrite every note cell

Needs neither TeX nor pandoc: the engine is driven directly, as tests/chicago_golden.py does.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "citation-styles.md"

# --------------------------------------------------------------------------
# reading the document


@dataclass
class Table:
    line: int                  # 1-based line of the header row
    header: list[str]
    rows: list[list[str]]
    row_lines: list[int]


@dataclass
class Column:
    style: str
    settings: dict             # header keys without "citation-", values as YAML would read them


def _yaml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return '""'
    return str(value)


def _scalar(text: str):
    """A header value as YAML reads it: true/false, a whole number, else text."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"\d+", text):
        return int(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def split_row(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a literal bar)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


def parse_doc(text: str) -> tuple[str, list[tuple[int, str]], list[Table]]:
    """The bib blocks (joined, and each with its line) and the tables of the document."""
    lines = text.splitlines()
    blocks: list[tuple[int, str]] = []
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^(```+|~~~+)\s*(\S*)", line)
        if fence:
            j = i + 1
            while j < len(lines) and not lines[j].startswith(fence.group(1)):
                j += 1
            if fence.group(2) == "bib":
                blocks.append((i + 2, "\n".join(lines[i + 1:j])))
            i = j + 1
            continue
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[\s:|-]+\|\s*$", lines[i + 1]):
            header = split_row(line)
            rows, row_lines = [], []
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                rows.append(split_row(lines[j]))
                row_lines.append(j + 1)
                j += 1
            tables.append(Table(i + 1, header, rows, row_lines))
            i = j
            continue
        i += 1
    return "\n\n".join(b for _, b in blocks), blocks, tables


def example_tables(tables: list[Table]) -> list[Table]:
    return [t for t in tables if t.header and t.header[0].lower() == "citation"]


def settings_table(tables: list[Table]) -> Table | None:
    return next((t for t in tables if t.header and t.header[0].lower() == "header key"), None)


def parse_column(cell: str) -> Column:
    from pressroom.citations.options import STYLES
    codes = re.findall(r"`([^`]+)`", cell)
    if not codes or codes[0] not in STYLES:
        raise ValueError(f"a column header must name a style in backticks first: {cell!r}")
    settings = {}
    for code in codes[1:]:
        m = re.fullmatch(r"citation-([\w-]+):\s*(.*)", code)
        if not m:
            raise ValueError(f"not a `citation-<setting>: value` in a column header: {code!r}")
        settings[m.group(1)] = _scalar(m.group(2))
    return Column(codes[0], settings)


def parse_citation_cell(cell: str) -> tuple[bool, str]:
    """(later, the citation as written) of a row's first cell."""
    later = bool(re.match(r"^\s*later\b", cell, re.I))
    m = re.search(r"`([^`]+)`", cell)
    if not m:
        raise ValueError(f"the first cell of a row must hold the citation in backticks: {cell!r}")
    return later, m.group(1)


_KEY = r"[\w][\w:.#$%&+?<>~/-]*?"


def parse_citation(text: str):
    """Pandoc's bracketed citation as the filter receives it: ``[see @a, 23; -@b]``."""
    from pybtex.richtext import Text

    from pressroom.citations.sequence import CitationItem
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise ValueError(f"a citation is written in brackets: {text!r}")
    items = []
    for part in text[1:-1].split(";"):
        m = re.match(rf"^(?P<prefix>.*?)(?P<minus>-?)@(?P<key>{_KEY})(?=[,\s]|$)(?P<suffix>.*)$",
                     part.strip(), re.S)
        if not m:
            raise ValueError(f"no @key in citation item {part!r}")
        prefix = m.group("prefix").strip()
        items.append(CitationItem(m.group("key"), prefix=Text(prefix) if prefix else Text(),
                                  suffix=m.group("suffix"),
                                  mode="suppress-author" if m.group("minus") else "normal"))
    return items


def norm(s: str) -> str:
    """Compared as text: NFC, no-break and thin spaces as spaces, white space collapsed."""
    s = unicodedata.normalize("NFC", s).replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", s).strip()


# --------------------------------------------------------------------------
# running the engine


@cache
def document() -> tuple[str, list[tuple[int, str]], list[Table]]:
    return parse_doc(DOC.read_text(encoding="utf-8"))


@cache
def bibliography():
    """All bib blocks as one bibliography, and its warnings (with the document's line)."""
    from pressroom.citations.bibliography import parse_bibtex
    bib_text, blocks, _ = document()
    starts, at = [], 1          # the line of the joined text where each block starts
    for doc_line, text in blocks:
        starts.append((at, doc_line))
        at += text.count("\n") + 2     # the block, and the blank line that joins the next
    warnings: list[str] = []

    def warn(message, file=None, line=None):
        where = ""
        if line:
            start, doc_line = max((s for s in starts if s[0] <= line), default=(1, 1))
            where = f"line {doc_line + line - start}: "
        warnings.append(where + message)

    return parse_bibtex(bib_text, file=DOC.name, warn=warn), warnings


@cache
def _plugins() -> dict:
    """pybtex's name, label and sorting plugins of the style, looked up once: pybtex
    searches the installed entry points on every lookup (20 ms a Style), and
    ``find_plugin`` takes an already loaded class as it is."""
    from pybtex.plugin import find_plugin

    from pressroom.citations.chicago import Style
    return {f"{kind}_style": find_plugin(group, getattr(Style, f"default_{kind}_style"))
            for kind, group in (("name", "pybtex.style.names"), ("label", "pybtex.style.labels"),
                                ("sorting", "pybtex.style.sorting"))}


def run_table(table: Table, bib=None) -> list[list[str]]:
    """The notes the engine prints for each row (outer list) and column (inner)."""
    from pressroom.citations.chicago import Style
    from pressroom.citations.options import style_options
    from pressroom.citations.sequence import NoteSequencer
    bib = bib if bib is not None else bibliography()[0]
    rows = [parse_citation_cell(r[0]) for r in table.rows]
    parsed = [parse_citation(c) for _, c in rows]
    cited = [item.key for items in parsed for item in items]
    unknown = [key for key in cited if key not in bib]
    if unknown:
        raise KeyError(f"the table at line {table.line} cites {', '.join(sorted(set(unknown)))}, "
                       f"which no bib block of the document holds")
    out = [[] for _ in rows]
    for cell in table.header[1:]:
        column = parse_column(cell)
        style = Style(options=style_options({"style": column.style, **column.settings}), **_plugins())
        seq = NoteSequencer(style, bib, warn=lambda message: None, cited=cited)
        for n, ((later, _), items) in enumerate(zip(rows, parsed)):
            if later:   # other notes come between: one without a citation breaks Ibid.
                seq.begin_note([])
                seq.end_note()
            out[n].append(style.render(seq.note(items), "markdown").replace("\u00a0", " "))
    return out


def render_table(table: Table, notes: list[list[str]]) -> str:
    lines = ["| " + " | ".join(table.header) + " |",
             "| " + " | ".join("---" for _ in table.header) + " |"]
    for row, computed in zip(table.rows, notes):
        lines.append("| " + " | ".join([row[0], *computed]) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# tests (pytest collects these; the module imports nothing heavy at the top)


def _cases():
    _, _, tables = document()
    return example_tables(tables)


def test_the_document_has_examples():
    _, blocks, tables = document()
    assert DOC.is_file()
    assert len(blocks) >= 25, "fewer bib example blocks than entry types"
    assert len(example_tables(tables)) >= 35


def test_every_cited_key_is_in_a_bib_block():
    bib, _ = bibliography()
    unknown = {item.key for table in _cases() for row in table.rows
               for item in parse_citation(parse_citation_cell(row[0])[1])} - set(bib)
    assert not unknown, f"cited in a table but in no bib block: {sorted(unknown)}"


def test_the_bib_blocks_read_without_a_warning():
    bib, warnings = bibliography()
    assert not warnings, warnings
    assert len(bib) >= 30


def test_every_note_of_the_document_is_what_the_engine_prints():
    problems = []
    for table in _cases():
        computed = run_table(table)
        for row, line, notes in zip(table.rows, table.row_lines, computed):
            if len(row) != len(table.header):
                problems.append(f"line {line}: {len(row)} cells, the header has {len(table.header)}")
                continue
            for cell, note, column in zip(row[1:], notes, table.header[1:]):
                if norm(cell) != norm(note):
                    problems.append(f"line {line}, {column} {row[0]}:\n  doc:    {cell}\n  engine: {note}")
    assert not problems, (f"{len(problems)} notes differ (regenerate with "
                          f"`.venv/bin/python tests/test_docs_citation_styles.py --fix`):\n"
                          + "\n".join(problems))


def test_the_settings_table_lists_every_setting_with_both_styles_values():
    from pressroom.citations.options import STYLES, ChicagoOptions
    table = settings_table(document()[2])
    assert table is not None, "no settings table (first header cell `header key`)"
    head = [h.strip("` ").lower() for h in table.header]
    col = {name: head.index(name) for name in ("header key", "toml key", "chicago", "working-paper")}
    listed = {}
    for row in table.rows:
        header_key = row[col["header key"]].strip("` ")
        assert header_key.startswith("citation-"), row
        name = header_key[len("citation-"):].replace("-", "_")
        assert row[col["toml key"]].strip("` ") == name, f"TOML key of {header_key}"
        listed[name] = row
    names = {f.name for f in fields(ChicagoOptions)}
    assert set(listed) == names, f"missing: {names - set(listed)}; unknown: {set(listed) - names}"
    for name, row in listed.items():
        for style in ("chicago", "working-paper"):
            value = getattr(STYLES[style], name)
            assert row[col[style]].strip("` ") == _yaml(value), f"{name} in {style}: {row[col[style]]}"


def test_every_setting_has_an_example_that_changes_it():
    from pressroom.citations.options import ChicagoOptions
    shown = set()
    for table in _cases():
        for cell in table.header[1:]:
            shown.update(k.replace("-", "_") for k in parse_column(cell).settings)
    missing = {f.name for f in fields(ChicagoOptions)} - shown
    assert not missing, f"settings without an example table: {sorted(missing)}"


# --------------------------------------------------------------------------
# regenerating


def _tables_for(key: str) -> list[Table]:
    tables = _cases()
    if key == "all":
        return tables
    return [t for t in tables if any(re.search(rf"@{re.escape(key)}(?![\w:.#$%&+?<>~/-]*\w)",
                                               parse_citation_cell(r[0])[1]) for r in t.rows)]


def fix_document() -> int:
    """Rewrite every note cell of the document with the engine's note; returns how many changed."""
    lines = DOC.read_text(encoding="utf-8").split("\n")
    changed = 0
    for table in _cases():
        computed = run_table(table)
        for row, line, notes in zip(table.rows, table.row_lines, computed):
            new = "| " + " | ".join([row[0], *notes]) + " |"
            if norm(lines[line - 1]) != norm(new):
                changed += sum(norm(a) != norm(b) for a, b in zip(row[1:], notes)) or 1
                lines[line - 1] = new
    DOC.write_text("\n".join(lines), encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    if argv[:1] == ["--fix"]:
        print(f"{fix_document()} notes rewritten in {DOC.relative_to(ROOT)}")
        return 0
    if len(argv) == 2 and argv[0] == "--print":
        tables = _tables_for(argv[1])
        if not tables:
            print(f"no example table cites {argv[1]!r}", file=sys.stderr)
            return 1
        for table in tables:
            print(f"{DOC.relative_to(ROOT)}, line {table.line}:")
            print(render_table(table, run_table(table)))
            print()
        return 0
    print("usage: tests/test_docs_citation_styles.py --print KEY | --print all | --fix\n"
          "  --print KEY  the example tables citing KEY, as the engine prints them now\n"
          "  --print all  every example table\n"
          "  --fix        rewrite every note cell of docs/citation-styles.md", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
