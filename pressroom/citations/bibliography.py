"""Load ``.bib`` files with pybtex into entries the Chicago style can read.

:func:`load_bibliography` parses one or more files with pybtex's BibTeX
parser and normalises every entry:

- biblatex and classic field names: ``journal`` → ``journaltitle``,
  ``address`` → ``location``, ``school`` → ``institution``; ``date`` (ISO
  8601, partial allowed: ``1949-07-11``, ``2017-04``, ``2009``) or
  ``year``/``month``/``day`` → :attr:`Entry.date` ``(year, month, day)``;
- ``--`` → en dash and ``---`` → em dash in any field; simple LaTeX
  (accents, ``\\&``, ``\\emph{}``) → Unicode / rich text; protective braces
  are dropped (titles are never re-cased, so they have no other use);
- names: classic ``Family, Given``, corporate ``{{U.S. Department of
  State}}``, and the biblatex extended format ``given=..., family=...,
  nametemplates=cjk``; ``options = {nametemplates=cjk}`` marks every name
  of the entry family-first. Each name is a :class:`Name` (a pybtex
  ``Person``) with ``family_first`` and ``corporate`` flags.

Errors are :class:`~pressroom.errors.BibliographyError` with the ``.bib``
file and line: syntax errors name the line, duplicate keys name both lines.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pybtex.database import BibliographyData, Entry, Person
from pybtex.database.input.bibtex import Parser
from pybtex.richtext import String, Tag, Text
from pybtex.scanner import PybtexError, PybtexSyntaxError

from pressroom.errors import BibliographyError

PERSON_ROLES = ("author", "editor", "translator", "bookauthor")

FIELD_ALIASES = {
    "journal": "journaltitle",
    "address": "location",
    "school": "institution",
    "annote": "annotation",
    "key": "sortkey",
}

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
_MONTH_ABBR = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}

_ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.M)
_DATE_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


class Name(Person):
    """A pybtex ``Person`` plus display flags.

    ``family_first``: printed family name first, no comma (East Asian
    names). ``corporate``: printed exactly as written (``literal``).
    """

    def __init__(self, string: str = "", *, family_first: bool = False,
                 corporate: bool = False, **parts):
        self.corporate = corporate
        self.literal = ""
        if corporate:
            super().__init__(last=string)
            self.literal = plain(string)
        else:
            super().__init__(string, **parts)
        self.family_first = family_first

    def _join(self, parts: Iterable[str]) -> str:
        return " ".join(plain(p) for p in parts if p)

    def full(self) -> str:
        """Name as printed in a full note: "Lowell Dittmer", "Takahashi Nobuo"."""
        if self.corporate:
            return self.literal
        given = self.first_names + self.middle_names
        family = self.prelast_names + self.last_names
        parts = family + given if self.family_first else given + family
        text = self._join(parts)
        if self.lineage_names:
            text += " " + self._join(self.lineage_names)
        return text

    def short(self) -> str:
        """Name as printed in a short note: the family name ("Takahashi")."""
        if self.corporate:
            return self.literal
        return self._join(self.prelast_names + self.last_names)


def plain(value: str) -> str:
    """A field value as plain text (LaTeX decoded, braces dropped)."""
    return str(to_rich(value))


_CMD_RE = re.compile(r"\\([A-Za-z]+|[^A-Za-z])\s*")
_EMPH = {"emph", "textit", "mkbibemph", "textsl", "mkbibitalic"}
_STRONG = {"textbf", "mkbibbold"}
_LITERAL_ESCAPES = set("$&%#_{}")


def to_rich(value: str) -> Text:
    """Convert a BibTeX field value to pybtex rich text.

    ``--``/``---`` become dashes, ``~`` a no-break space, ``\\emph{x}``
    italic, accents Unicode; braces only group.
    """
    if "\\" in value:
        # accents and ligatures; keep the escapes we parse ourselves
        value = re.sub(r"\\textbackslash(?:\{\}|\b\s*)", "\x01", value)
        protected = re.sub(r"\\([$&%#_{}])", lambda m: f"\x00{ord(m.group(1))}\x00", value)
        try:
            protected = codecs.decode(protected, "ulatex")
        except Exception:  # pragma: no cover - latexcodec is lenient
            pass
        value = re.sub(r"\x00(\d+)\x00", lambda m: "\\" + chr(int(m.group(1))), protected)
    parts, _ = _parse_group(value, 0, top=True)
    return Text(*parts)


def _clean(s: str) -> str:
    return (s.replace("---", "—").replace("--", "–").replace("~", "\u00a0")
            .replace("\x01", "\\"))


def _parse_group(s: str, i: int, top: bool = False):
    parts: list = []
    buf: list[str] = []

    def flush():
        if buf:
            parts.append(String(_clean("".join(buf))))
            buf.clear()

    n = len(s)
    while i < n:
        c = s[i]
        if c == "{":
            flush()
            inner, i = _parse_group(s, i + 1)
            parts.extend(inner)
            continue
        if c == "}":
            if not top:
                flush()
                return parts, i + 1
            i += 1
            continue
        if c == "\\":
            m = _CMD_RE.match(s, i)
            if m:
                cmd = m.group(1)
                if cmd in _LITERAL_ESCAPES:
                    buf.append(cmd)
                    i = i + 2
                    continue
                i = m.end()
                if i < n and s[i] == "{" and (cmd in _EMPH or cmd in _STRONG):
                    flush()
                    inner, i = _parse_group(s, i + 1)
                    parts.append(Tag("em" if cmd in _EMPH else "strong", *inner))
                continue
        buf.append(c)
        i += 1
    flush()
    return parts, i


def _split_top(value: str, sep_re: str) -> list[str]:
    """Split at ``sep_re`` matches at brace depth 0."""
    out, depth, start = [], 0, 0
    pat = re.compile(sep_re, re.I)
    i = 0
    while i < len(value):
        c = value[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0:
            m = pat.match(value, i)
            if m:
                out.append(value[start:i])
                i = start = m.end()
                continue
        i += 1
    out.append(value[start:])
    return [p.strip() for p in out if p.strip()]


_EXT_KEYS = {"given", "family", "prefix", "suffix", "nametemplates",
             "useprefix", "giveni", "familyi", "prefixi", "suffixi", "hash"}


def parse_names(value: str, *, family_first: bool = False) -> list[Name]:
    """Parse a BibTeX name list (classic, corporate or biblatex extended)."""
    names = []
    for raw in _split_top(value, r"\s+and\s+"):
        if raw.startswith("{") and raw.endswith("}") and _balanced_outer(raw):
            names.append(Name(raw[1:-1], corporate=True, family_first=family_first))
            continue
        parts = _split_top(raw, r"\s*,\s*")
        kv = [p.split("=", 1) for p in parts]
        if all(len(p) == 2 for p in kv) and any(k.strip().lower() in ("given", "family") for k, _ in kv):
            d = {k.strip().lower(): v.strip() for k, v in kv}
            unknown = set(d) - _EXT_KEYS
            if unknown:
                raise ValueError(f"unknown name part(s) {', '.join(sorted(unknown))} in {raw!r}")
            ff = family_first or d.get("nametemplates", "").strip("{}").lower() == "cjk"
            names.append(Name(first=_unbrace(d.get("given", "")), last=_unbrace(d.get("family", "")),
                              prelast=_unbrace(d.get("prefix", "")), lineage=_unbrace(d.get("suffix", "")),
                              family_first=ff))
            continue
        names.append(Name(raw, family_first=family_first))
    return names


def _unbrace(v: str) -> str:
    if v.startswith("{") and v.endswith("}") and _balanced_outer(v):
        return v[1:-1]
    return v


def _balanced_outer(v: str) -> bool:
    depth = 0
    for i, c in enumerate(v):
        depth += (c == "{") - (c == "}")
        if depth == 0 and i < len(v) - 1:
            return False
    return depth == 0


def parse_options(value: str) -> dict[str, str]:
    opts = {}
    for part in _split_top(value or "", r"\s*,\s*"):
        k, _, v = part.partition("=")
        opts[k.strip().lower()] = v.strip().strip("{}") or "true"
    return opts


def parse_date(fields: Mapping[str, str]) -> tuple[int | None, int | None, int | None]:
    """``(year, month, day)`` from ``date`` or ``year``/``month``/``day``."""
    if "date" in fields:
        m = _DATE_RE.match(fields["date"])
        if m:
            return tuple(int(g) if g else None for g in m.groups())  # type: ignore
    year = month = day = None
    if "year" in fields:
        m = re.search(r"\d{4}", fields["year"])
        year = int(m.group(0)) if m else None
    if "month" in fields:
        mv = fields["month"].strip().lower()
        if mv.isdigit():
            month = int(mv)
        else:
            month = _MONTH_ABBR.get(mv[:3])
    if "day" in fields and fields["day"].strip().isdigit():
        day = int(fields["day"])
    return year, month, day


@dataclass
class Bibliography(Mapping):
    """Entries by key (pybtex ``Entry`` objects with extra attributes:
    ``key``, ``file``, ``line``, ``date``, ``options``, ``family_first``)."""

    entries: dict[str, Entry] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def __getitem__(self, key: str) -> Entry:
        return self.entries[key]

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _scan_keys(text: str) -> list[tuple[str, int]]:
    keys = []
    for m in _ENTRY_RE.finditer(text):
        if m.group(1).lower() in ("string", "comment", "preamble"):
            continue
        keys.append((m.group(2), text.count("\n", 0, m.start()) + 1))
    return keys


class _StrictParser(Parser):
    def handle_error(self, error):
        raise error


def parse_bibtex(text: str, *, file: str | Path | None = None) -> Bibliography:
    """Parse BibTeX/biblatex source text into a :class:`Bibliography`."""
    lines: dict[str, int] = {}
    for key, line in _scan_keys(text):
        if key.lower() in lines:
            first = lines[key.lower()]
            raise BibliographyError(
                f"duplicate key {key!r} at lines {first} and {line}",
                file=file, line=line,
                hint=f"rename or delete one of the two entries (lines {first} and {line})")
        lines[key.lower()] = line
    parser = _StrictParser(person_fields=())
    parser.filename = str(file) if file else None
    try:
        data: BibliographyData = parser.parse_string(text)
    except PybtexSyntaxError as exc:
        msg = str(exc).split(": ", 1)[-1] if file else str(exc)
        raise BibliographyError(f"syntax error: {exc.args[0] if exc.args else msg}",
                                file=file, line=getattr(exc, "lineno", None),
                                hint="check braces, commas and quotes around this line") from None
    except PybtexError as exc:
        raise BibliographyError(str(exc), file=file) from None
    bib = Bibliography(files=[Path(file)] if file else [])
    for key, raw in data.entries.items():
        line = lines.get(key.lower())
        try:
            bib.entries[key] = _normalise(key, raw, file, line)
        except ValueError as exc:
            raise BibliographyError(f"entry {key!r}: {exc}", file=file, line=line) from None
    return bib


def _normalise(key: str, raw: Entry, file, line) -> Entry:
    fields: dict[str, str] = {}
    for name, value in raw.fields.items():
        lname = name.lower()
        lname = FIELD_ALIASES.get(lname, lname)
        if lname in fields and name.lower() not in FIELD_ALIASES:
            fields[lname] = value  # the biblatex name wins over the alias
        else:
            fields.setdefault(lname, value)
    options = parse_options(fields.pop("options", ""))
    family_first = options.get("nametemplates", "").lower() == "cjk"
    entry = Entry(raw.type.lower())
    for name, value in fields.items():
        if name in PERSON_ROLES:
            for person in parse_names(value, family_first=family_first):
                entry.add_person(person, name)
        else:
            entry.fields[name] = value
    entry.key = key
    entry.file = Path(file) if file else None
    entry.line = line
    entry.options = options
    entry.family_first = family_first
    entry.date = parse_date(fields)
    return entry


def load_bibliography(paths: str | Path | Iterable[str | Path]) -> Bibliography:
    """Load one or more ``.bib`` files (UTF-8). Keys must be unique across
    all files."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    bib = Bibliography()
    for path in paths:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BibliographyError("bibliography file not found", file=path,
                                    hint="check the `bibliography` key of the YAML header") from None
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise BibliographyError("not valid UTF-8", file=path, line=line,
                                    hint="save the .bib file as UTF-8") from None
        part = parse_bibtex(text, file=path)
        for key, entry in part.entries.items():
            if key in bib.entries:
                other = bib.entries[key]
                raise BibliographyError(
                    f"duplicate key {key!r}, also at {other.file}:{other.line}",
                    file=path, line=entry.line)
            bib.entries[key] = entry
        bib.files.append(path)
    return bib
