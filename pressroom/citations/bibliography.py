"""Load ``.bib`` files the way biber reads them for biblatex.

:func:`load_bibliography` (files) and :func:`parse_bibtex` (a string) return
a :class:`Bibliography`: a mapping from key to entry, where each entry is a
pybtex ``Entry`` with extra attributes (see :class:`BibEntry`).

**One bad entry never stops the database** (biber's behaviour). Each problem
is a warning, ``warn(message, file=..., line=...)``, also collected in
``bib.warnings`` as ``(message, file, line)``:

- an entry that cannot be read (a syntax error inside it) is skipped and
  reading resumes at the next line that starts with ``@`` (so that an
  unclosed brace does not swallow the entries after it); every other entry
  is kept. The skipped entry's located error is in ``bib.broken[key]``:
  ``key in bib`` is true for it and ``bib[key]`` raises that error, so that
  citing it reports the syntax error, not an unknown key (iteration and
  ``len`` leave it out);
- a name list biber cannot read (an empty name between two ``and``, a name
  with more than two commas) skips the entry, as biber does (it goes to
  ``bib.broken``); an unknown part in an extended name (``colour=red``) is
  ignored with a warning;
- a duplicate key: the first entry is used (biber), also across files; the
  message names both places; the error is kept in ``bib.duplicates[key]``.
  Keys that differ only in case are both kept, with a warning;
- an undefined ``@string`` macro (``month = winter``, ``publisher = pup``):
  biber warns and expands it to nothing, so a field that is only the macro
  is left out and the rest of a ``#`` concatenation is kept. Macros are
  those of the same file (biber shares them across files) plus ``jan`` ..
  ``dec``;
- a repeated field in one entry: the last value is used (biber);
- a date biber cannot parse (``date = {circa 1957}``, ``1957-13-01``): the
  date is left out; a ``year`` that is not a number is kept as written;
- a ``crossref`` or ``xdata`` naming a missing entry, a circular
  ``crossref``: nothing is inherited through that link.

**Fields** keep the raw BibTeX string in ``entry.fields`` (``journal`` →
``journaltitle``, ``address`` → ``location``, ``school`` →
``institution``, ``annote`` → ``annotation``, ``key`` → ``sortkey``; the
biblatex name wins over its alias; empty fields are dropped; entry types are
kept as written, lower-cased). :func:`to_rich`
turns a value into pybtex rich text: accents and special letters to Unicode
(``S\\o ren`` → Søren, ``{\\"O}zdemir``, ``\\c{c}``, ``{\\aa}``, ``\\ss{}``;
the long tail through latexcodec's table), ``--``/``---`` to dashes, ``~`` to a
no-break space, ``\\mkbibquote``/``\\enquote`` to ``Tag("q")``, ``\\emph``,
``\\mkbibemph``, ``\\textit``, ``\\mkbibitalic``, ``\\textsl`` (and ``{\\em ..}``)
to ``Tag("em")`` (nesting kept), ``\\textbf``/``\\mkbibbold`` to
``Tag("strong")``, ``\\url{..}`` to a link, biblatex punctuation commands
(``\\addspace``, ``\\addcomma``, ``\\adddot``, ``\\isdot``, ``\\nopunct``...) to
their text; any other command with a braced argument keeps the argument.
Braces only group (titles are never re-cased).

**Lists**: ``publisher``, ``location``, ``institution``, ``organization``,
``origlocation``, ``origpublisher``, ``language``, ``lista``-``listf`` are
``and``-separated literal lists: ``entry.lists[field]`` is a list of rich
texts (braces protect an ``and``); ``and others`` at the end sets
``entry.more_lists``.

**Names** (every biblatex name field, :data:`PERSON_ROLES`) are
:class:`Name` objects (pybtex ``Person``), LaTeX decoded before they are
split (``Kierkegaard, S\\o ren`` → family "Kierkegaard", given "Søren"):
classic ``von Last, Jr, First``, corporate ``{{U.S. Department of State}}``
and the extended ``given=..., family=..., prefix=..., suffix=...`` with the
per-name options ``useprefix`` and ``nametemplates=cjk`` (family first); a
name-list option item ``useprefix=true and ...``; entry options ``options =
{useprefix=true, nametemplates=cjk}``. ``and others`` anywhere in a list is
dropped and the role goes to ``entry.more_names`` (biblatex's
``moreauthor``). ``Name.short()`` is the family name, with the prefix when
``useprefix`` is set ("von Clausewitz"), else without ("Clausewitz").

**Dates** (``date``, ``origdate``, ``eventdate``, ``urldate``; ``year``/
``month``/``day`` stand for ``date`` when there is none) are parsed as biber
parses EDTF (ISO 8601-2): ``entry.dates[field]`` is a :class:`BibDate`
(uncertain ``1957?``, approximate ``1957~``, both ``1957%``, seasons
``2009-21``..``-24``, ranges ``1951/1963``, open ``1951/`` and ``/1963``,
unspecified ``199X``, years before the common era ``-0044``). ``entry.date``
is ``(year, month, day)`` of ``dates["date"]``.

**Data inheritance** as biber does it with biblatex's
``\\DefaultInheritance{all=true,override=false}``, the ``\\DeclareDataInheritance``
rules of ``biblatex.def`` and those biblatex-chicago's ``chicago-notes.cbx``
adds (:data:`INHERITANCE`): ``crossref`` copies every field the child lacks
except those a rule maps (``@book`` ``title`` → ``@inbook`` ``booktitle``) or
blocks (``ids``, ``crossref``, ``options``, ``shorthand``..., and for
biblatex-chicago ``url``, ``doi``, ``sorttitle``, and the date of a
multi-volume parent); a child with any part of a date inherits none of that
date; parents may come before or after the child, in any file, and cascade.
``entry.crossref`` is the parent's key and ``entry.inherited`` maps each
inherited field to the key it came from. ``xref`` only records the link
(``entry.xref``). ``xdata = {a, b}`` copies
the fields of those ``@xdata`` entries into the entry, overriding its own
fields as biber 2.18 does; ``@xdata`` entries nest and are not citable.
Inherited names keep the parent's options (family-first, useprefix).

**Speed**: entries are normalised when first looked up (``bib[key]``);
``key in bib`` and ``len(bib)`` are exact without that, because every
check that can skip an entry runs when the file is read. With
``cache_dir``, the parsed entries of each file are stored as JSON named by
the sha256 of :data:`LOADER_VERSION` and the file's contents, written
atomically, and reused while the file is unchanged; one cache file per
``.bib`` path is kept.

**CSL-JSON and CSL-YAML** (``.json``, ``.yaml``, ``.yml``: Zotero's exports)
are read as the biblatex pandoc converts them to (cslfiles.py), cached the
same way (the pinned pandoc's version is part of the cache key); their
entries' warnings point at the line of each entry's ``id``.
"""

from __future__ import annotations

import bisect
import calendar
import codecs
import contextlib
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType

import pybtex
from pybtex.bibtex.utils import split_tex_string
from pybtex.database import Entry, Person
from pybtex.database.input.bibtex import (
    LowLevelParser,
    SkipEntry,
    UndefinedMacro,
    month_names,
)
from pybtex.richtext import HRef, String, Tag, Text
from pybtex.scanner import PybtexError, PybtexSyntaxError
from pybtex.textutils import normalize_whitespace
from pybtex.utils import CaseInsensitiveDict

from pressroom.errors import BibliographyError
from pressroom.tools import DEFAULT_LIMITS, Limits, atomic_write

from .cslfiles import is_csl, to_biblatex

#: the layout of the cached data; bump it when that changes
CACHE_FORMAT = 3


def _loader_version() -> str:
    try:
        source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    except OSError:  # pragma: no cover - e.g. running from a zip
        source = "nosource"
    return f"{CACHE_FORMAT}-{source}-pybtex{pybtex.__version__}"


#: part of every cache file's name: the cache format, a hash of this
#: module's source and pybtex's version, so that a code change (or a new
#: pybtex) invalidates every cache
LOADER_VERSION = _loader_version()

#: biblatex name fields (biblatex-chicago's data model, ``cms.dbx``)
PERSON_ROLES = ("author", "editor", "translator", "bookauthor", "editora", "editorb", "editorc",
                "foreword", "introduction", "afterword", "commentator", "annotator", "holder",
                "namea", "nameb", "namec", "shortauthor", "shorteditor", "sortname")
#: biblatex literal (and key) lists
LIST_FIELDS = ("publisher", "location", "institution", "organization", "origlocation",
               "origpublisher", "language", "origlanguage",
               "lista", "listb", "listc", "listd", "liste", "listf")
#: biblatex date fields
DATE_FIELDS = ("date", "origdate", "eventdate", "urldate")

FIELD_ALIASES = {
    "journal": "journaltitle",
    "address": "location",
    "school": "institution",
    "annote": "annotation",
    "key": "sortkey",
}

#: entry types biber maps to biblatex types (used to match inheritance rules)
TYPE_ALIASES = {"conference": "inproceedings", "electronic": "online", "www": "online",
                "mastersthesis": "thesis", "phdthesis": "thesis", "techreport": "report"}

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
_MONTH_ABBR = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}

Warn = Callable[..., None]


# ==========================================================================
# Field values: LaTeX → rich text

_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331",
            "t": "\u0361", "G": "\u030f", "U": "\u030e"}
_SPACING_ACCENT = {"'": "´", "`": "`", "^": "^", '"': "¨", "~": "~", "=": "¯", ".": "˙"}
_LETTERS = {"o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ",
            "OE": "Œ", "ss": "ß", "SS": "SS", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
            "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ", "dj": "đ",
            "DJ": "Đ", "ij": "ĳ", "IJ": "Ĳ"}
_NBSP = "\u00a0"
_SYMBOLS = {
    "textendash": "–", "textemdash": "—", "dots": "…", "ldots": "…", "textellipsis": "…",
    "mkbibellipsis": "…", "textbackslash": "\\", "textasciitilde": "~", "textasciicircum": "^",
    "textunderscore": "_", "textquoteleft": "‘", "textquoteright": "’",
    "textquotedblleft": "“", "textquotedblright": "”", "textbar": "|", "textless": "<",
    "textgreater": ">", "textsection": "§", "S": "§", "P": "¶", "textparagraph": "¶",
    "copyright": "©", "textcopyright": "©", "textregistered": "®", "texttrademark": "™",
    "textdegree": "°", "guillemotleft": "«", "guillemotright": "»", "guillemetleft": "«",
    "guillemetright": "»", "pounds": "£", "textsterling": "£", "euro": "€", "texteuro": "€",
    "slash": "/", "textslash": "/", "textperiodcentered": "·", "textdagger": "†",
    "textdaggerdbl": "‡", "TeX": "TeX", "LaTeX": "LaTeX", "BibTeX": "BibTeX",
    "space": " ", "addspace": " ", "addabbrvspace": " ", "quad": " ", "qquad": " ",
    "enspace": " ", "nobreakspace": _NBSP, "addnbspace": _NBSP, "thinspace": _NBSP,
    "addthinspace": _NBSP, "addnbthinspace": _NBSP, "addlowpenspace": " ",
    "addhighpenspace": " ", "addlpthinspace": _NBSP, "addhpthinspace": _NBSP,
    "addcomma": ",", "addcolon": ":", "addsemicolon": ";", "addperiod": ".", "adddot": ".",
    "addabbrvdot": ".", "addexclam": "!", "addquestion": "?", "addslash": "/",
    "bibrangedash": "–", "bibdatedash": "–", "textnumero": "№",
}
_DROP = {"nopunct", "isdot", "unspace", "allowbreak", "relax", "protect", "null", "newblock",
         "noindent", "nobreak", "hfill", "break", "linebreak", "newline", "par", "xspace",
         "midsentence", "bibsentence", "bibstring", "noligature", "hyphen", "ignorespaces",
         "leavevmode", "strut", "smallskip", "medskip", "bigskip"}
_EMPH = {"emph", "textit", "mkbibemph", "mkbibitalic", "textsl"}
_STRONG = {"textbf", "mkbibbold"}
_QUOTE = {"mkbibquote", "enquote", "textquote", "hyphenquote"}
_DECLARATIONS = {"em": "em", "itshape": "em", "it": "em", "sl": "em", "slshape": "em",
                 "bf": "strong", "bfseries": "strong",
                 "scshape": None, "sc": None, "rm": None, "upshape": None, "normalfont": None,
                 "sffamily": None, "ttfamily": None, "mdseries": None, "rmfamily": None,
                 "tt": None, "sf": None, "small": None, "footnotesize": None, "large": None}
_WRAP = {"mkbibparens": ("(", ")"), "parentext": ("(", ")"), "mkbibbrackets": ("[", "]"),
         "brackettext": ("[", "]")}
_SPECIAL_RE = re.compile(r"[\\{}~`'\-]")
_LETTER_CMD = re.compile(r"\\([A-Za-z]+)\s*(?:\{\})?")
_URL_ESCAPE = re.compile(r"\\([%#&_~$])")


@lru_cache(maxsize=4096)
def _latexcodec_symbol(name: str) -> str | None:
    """An argument-less command from latexcodec's table (``\\textregistered``)."""
    import latexcodec  # noqa: F401  (registers the "ulatex" codec; imported when needed)

    try:
        out = codecs.decode("\\" + name, "ulatex")
    except (ValueError, LookupError):  # pragma: no cover - latexcodec is lenient
        return None
    out = out.strip()
    return out if out and "\\" not in out else None


def _clean(s: str) -> str:
    return (s.replace("---", "—").replace("--", "–").replace("~", _NBSP)
            .replace("``", "“").replace("''", "”"))


class _TeX:
    """A small reader for the LaTeX in field values.

    Nodes: ``str``; ``("g", special, nodes)`` a brace group (``special``: it
    starts with a command, a BibTeX "special character"); ``("t", tag,
    nodes)`` em/strong/q; ``("h", url, nodes)`` a link.
    """

    def __init__(self, s: str):
        self.s = s
        self.n = len(s)

    def group(self, i: int, closing: bool) -> tuple[list, int]:
        s, n = self.s, self.n
        out: list = []
        start = i
        while i < n:
            c = s[i]
            if c not in "{}\\":
                i += 1
                continue
            if i > start:
                out.append(_clean(s[start:i]))
            if c == "{":
                special = i + 1 < n and s[i + 1] == "\\"
                inner, i = self.group(i + 1, True)
                out.append(("g", special, tuple(inner)))
            elif c == "}":
                i += 1
                if closing:
                    return out, i
            else:
                i = self.command(i, out, closing)
                if i < 0:  # a declaration took the rest of the group
                    return out, -i - 1
            start = i
        if i > start:
            out.append(_clean(s[start:i]))
        return out, i

    def _skip_space(self, i: int) -> int:
        while i < self.n and self.s[i] in " \t\n":
            i += 1
        return i

    def _arg(self, i: int) -> tuple[list | None, int]:
        """A braced argument after ``i`` (spaces skipped), or None."""
        j = self._skip_space(i)
        if j < self.n and self.s[j] == "{":
            inner, j = self.group(j + 1, True)
            return inner, j
        return None, i

    def _raw_arg(self, i: int) -> tuple[str | None, int]:
        j = self._skip_space(i)
        if j >= self.n or self.s[j] != "{":
            return None, i
        depth, k = 0, j
        while k < self.n:
            if self.s[k] == "{":
                depth += 1
            elif self.s[k] == "}":
                depth -= 1
                if depth == 0:
                    return self.s[j + 1:k], k + 1
            k += 1
        return self.s[j + 1:], self.n

    def command(self, i: int, out: list, closing: bool) -> int:
        s, n = self.s, self.n
        j = i + 1
        if j >= n:
            out.append("\\")
            return n
        if s[j].isalpha() and s[j].isascii():
            k = j
            while k < n and s[k].isascii() and s[k].isalpha():
                k += 1
            name = s[j:k]
            k = self._skip_space(k)
        else:
            name, k = s[j], j + 1
            if name == "*":  # \* (discretionary multiplication)
                return k
        if name in _ACCENTS:
            return self.accent(name, k, out)
        if len(name) == 1 and not name.isalpha():
            if name in "&%$#_{}|":
                out.append(name)
            elif name in " \\;:>":
                out.append(" ")
            elif name == ",":
                out.append(_NBSP)
            # \- \/ \@ \! and the rest: nothing
            return k
        if name in _LETTERS:
            if s.startswith("{}", k):
                k += 2
            out.append(_LETTERS[name])
            return k
        if name in _SYMBOLS:
            if s.startswith("{}", k):
                k += 2
            out.append(_SYMBOLS[name])
            return k
        if name in _DROP:
            if s.startswith("{}", k):
                k += 2
            return k
        if name in ("url", "nolinkurl"):
            url, k = self._raw_arg(k)
            if url is not None:
                url = _URL_ESCAPE.sub(r"\1", url.strip())
                out.append(("h", url, (url,)) if name == "url" else url)
            return k
        if name == "href":
            url, k = self._raw_arg(k)
            text, k = self._arg(k)
            if url is not None:
                url = _URL_ESCAPE.sub(r"\1", url.strip())
                out.append(("h", url, tuple(text) if text is not None else (url,)))
            return k
        if name in _EMPH or name in _STRONG or name in _QUOTE:
            if name in _QUOTE and s.startswith("*", k):
                k = self._skip_space(k + 1)
            arg, k = self._arg(k)
            if arg is not None:
                tag = "em" if name in _EMPH else "strong" if name in _STRONG else "q"
                out.append(("t", tag, tuple(arg)))
            return k
        if name in _WRAP:
            arg, k = self._arg(k)
            if arg is not None:
                left, right = _WRAP[name]
                out.extend([left, *arg, right])
            return k
        if name in _DECLARATIONS:
            rest, k = self.group(k, closing)
            tag = _DECLARATIONS[name]
            if tag:
                out.append(("t", tag, tuple(rest)))
            else:
                out.extend(rest)
            return -k - 1
        if k < n and s[k] == "{":
            return k  # unknown command with an argument: the argument stays
        symbol = _latexcodec_symbol(name)
        if symbol is not None:
            out.append(symbol)
        return k

    def accent(self, name: str, k: int, out: list) -> int:
        s, n = self.s, self.n
        k = self._skip_space(k)
        base = ""
        if k < n and s[k] == "{":
            inner, k = self.group(k + 1, True)
            base = _flatten(inner)
        elif k < n and s[k] == "\\":
            m = _LETTER_CMD.match(s, k)
            if m and m.group(1) in _LETTERS:
                base, k = _LETTERS[m.group(1)], m.end()
        elif k < n:
            base, k = s[k], k + 1
        if not base:
            out.append(_SPACING_ACCENT.get(name, ""))
            return k
        first = {"ı": "i", "ȷ": "j"}.get(base[0], base[0])
        out.append(unicodedata.normalize("NFC", first + _ACCENTS[name]) + base[1:])
        return k


def _flatten(nodes) -> str:
    parts = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        else:
            parts.append(_flatten(node[2]))
    return "".join(parts)


@lru_cache(maxsize=8192)
def _nodes(value: str) -> tuple:
    nodes, _ = _TeX(value).group(0, False)
    return tuple(nodes)


def _rich_parts(nodes) -> list:
    parts: list = []
    buf: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            buf.append(node)
            continue
        kind = node[0]
        if kind == "g":
            sub = _rich_parts(node[2])
            for p in sub:
                if isinstance(p, String):
                    buf.append(p.value)
                else:
                    if buf:
                        parts.append(String("".join(buf)))
                        buf.clear()
                    parts.append(p)
            continue
        if buf:
            parts.append(String("".join(buf)))
            buf.clear()
        if kind == "t":
            parts.append(Tag(node[1], *_rich_parts(node[2])))
        else:
            parts.append(HRef(node[1], *_rich_parts(node[2])))
    if buf:
        parts.append(String("".join(buf)))
    return parts


def to_rich(value: str) -> Text:
    """A BibTeX field value as pybtex rich text.

    LaTeX accents and letters become Unicode, ``--``/``---`` dashes, ``~`` a
    no-break space; ``\\emph{x}`` (and the other italic commands) is
    ``Tag("em")``, ``\\textbf`` ``Tag("strong")``, ``\\mkbibquote``/``\\enquote``
    ``Tag("q")``, ``\\url{x}`` a link; braces only group.
    """
    if not _SPECIAL_RE.search(value):
        return Text(value)
    return Text(*_rich_parts(_nodes(value)))


def plain(value: str) -> str:
    """A field value as plain text (LaTeX decoded, braces dropped)."""
    if not _SPECIAL_RE.search(value):
        return value
    return str(to_rich(value))


def _braced(nodes) -> str:
    """Decoded text that keeps protective braces, for name splitting: a
    special character ``{\\"O}`` loses its braces (biber does the same)."""
    parts = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        elif node[0] == "g":
            inner = _braced(node[2])
            parts.append(inner if node[1] else "{" + inner + "}")
        else:
            parts.append("{" + _braced(node[2]) + "}")
    return "".join(parts)


def decode_latex(value: str) -> str:
    """LaTeX to Unicode, keeping braces that protect (used for names)."""
    if "\\" not in value and "~" not in value:
        return value
    return _braced(_nodes(value))


# ==========================================================================
# Names

_XNAME_RE = re.compile(r"(?:family|given|prefix|suffix)\s*=", re.IGNORECASE)
_NAMEPARTS = ("family", "given", "prefix", "suffix")
_NAME_OPTIONS = {"useprefix", "nametemplates", "sortingnamekeytemplatename",
                 "uniquenametemplatename", "labelalphanametemplatename", "uniquename",
                 "familyinits", "giveninits", "prefixinits", "suffixinits", "terseinits"}
_NAMELIST_OPTIONS = _NAME_OPTIONS | {"uniquelist", "nohashothers", "nosortothers"}
_NAMELIST_OPTION_RE = re.compile(r"^(\S+?)\s*=\s*(\S+)?$")
_TWO_COMMAS_RE = re.compile(r",\s*,")


class Name(Person):
    """A pybtex ``Person`` plus display flags.

    ``family_first``: printed family name first, no comma (East Asian
    names). ``corporate``: printed exactly as written (``literal``).
    ``useprefix``: the prefix ("von") belongs to the family name in short
    forms (biblatex's ``useprefix``).
    """

    def __init__(self, string: str = "", *, family_first: bool = False,
                 corporate: bool = False, useprefix: bool = False, **parts):
        self.corporate = corporate
        self.literal = ""
        self.family_first = family_first
        self.useprefix = useprefix
        self.first_names, self.middle_names, self.prelast_names = [], [], []
        self.last_names, self.lineage_names = [], []
        if corporate:
            self.last_names.extend(split_tex_string(string))
            self.literal = plain(string)
            return
        string = string.strip()
        if string:
            if _PLAIN_NAME_RE.search(string):
                self._parse_string(string)  # pybtex's BibTeX name parser
            else:
                self._parse_plain(string)
        for part, value in parts.items():  # first, middle, prelast, last, lineage
            if value:
                getattr(self, f"{part}_names").extend(split_tex_string(value))
        if self.prelast_names and not _starts_lower(self.prelast_names[0]) and "," in string:
            # "Díaz del Castillo, Bernal": biber (btparse) starts a von part only at the
            # first word of "von Last, First"; pybtex would make "Díaz del" the prefix
            self.last_names[:0] = self.prelast_names
            self.prelast_names = []

    def _parse_plain(self, name: str) -> None:
        """pybtex's name parser for a name without braces, backslashes or
        ``~`` (most names, once decoded), without its per-word regexes; a
        property test checks that both agree."""
        parts = [p.strip() for p in name.split(",")]
        if len(parts) > 3:
            self._parse_string(name)  # pybtex reports the error
            return
        if len(parts) == 1:
            words = name.split()
            pos = next((i for i, w in enumerate(words) if _is_von_plain(w)), len(words))
            first_middle, von_last = words[:pos], words[pos:]
            if not von_last and first_middle:
                von_last.append(first_middle.pop())
            self._first_middle(first_middle)
            self._von_last(von_last)
            return
        self._von_last(parts[0].split())
        if len(parts) == 3:
            self.lineage_names.extend(parts[1].split())
        self._first_middle(parts[-1].split())

    def _first_middle(self, words: list[str]) -> None:
        if words:
            self.first_names.append(words[0])
            self.middle_names.extend(words[1:])

    def _von_last(self, words: list[str]) -> None:
        von_last, last = words[:-1], words[-1:]
        if von_last:
            rpos = next((i for i, w in enumerate(reversed(von_last)) if _is_von_plain(w)),
                        len(von_last))
            pos = len(von_last) - rpos
            self.prelast_names.extend(von_last[:pos])
            self.last_names.extend(von_last[pos:])
        self.last_names.extend(last)

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
        """Name as printed in a short note: the family name ("Takahashi"),
        with its prefix when ``useprefix`` is set ("von Clausewitz")."""
        if self.corporate:
            return self.literal
        if self.useprefix:
            return self._join(self.prelast_names + self.last_names)
        return self._join(self.last_names)


_PLAIN_NAME_RE = re.compile(r"[{}\\~]")


def _starts_lower(word: str) -> bool:
    """The word's first letter (after braces and accent commands) is lowercase."""
    letters = [c for c in plain(word) if c.isalpha()]
    return bool(letters) and letters[0].islower()


def _is_von_plain(word: str) -> bool:
    for ch in word:
        if ch.isalpha():
            return ch.islower()
    return False


class NameList(list):
    """A list of :class:`Name`; ``more`` is true when the list had an
    ``others`` (biber drops it wherever it is; biblatex's ``moreauthor``)."""

    more = False


_AND_RE = re.compile(r"(?<!\S)and(?!\S)", re.IGNORECASE)


def _split_and(value: str) -> list[str]:
    """Split at the word ``and`` outside braces (BibTeX's rule); empty items
    stay (``a and and b`` → ``["a", "", "b"]``)."""
    if "{" not in value:
        items = [i.strip() for i in _AND_RE.split(value)]
    else:
        items, start = [], 0
        for m in _AND_RE.finditer(value):
            before = value[start:m.start()]
            if value.count("{", 0, m.start()) == value.count("}", 0, m.start()):
                items.append(before.strip())
                start = m.end()
        items.append(value[start:].strip())
    if len(items) == 1 and not items[0]:
        return []
    return items


def _split_top(value: str, sep_re: str) -> list[str]:
    """Split at ``sep_re`` matches at brace depth 0."""
    out, depth, start = [], 0, 0
    pat = re.compile(sep_re, re.IGNORECASE)
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


def _unbrace(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        return v[1:-1]
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


def _truthy(value: str | None) -> bool:
    return (value or "true").strip().strip("{}").lower() in ("true", "1", "yes", "")


def _item_kind(item: str) -> str:
    """What one item of a name list is: "empty", "others", "option" (a
    name-list option such as ``useprefix=true``), "corporate" (fully
    braced), "extended" (``given=..., family=...``) or "classic"."""
    if not item:
        return "empty"
    if item.lower() == "others":
        return "others"
    if "=" in item and _namelist_option(item):
        return "option"
    if item.startswith("{") and item.endswith("}") and _balanced_outer(item):
        return "corporate"
    if "=" in item and _XNAME_RE.search(item):
        return "extended"
    return "classic"


def _fatal_name(i: int, item: str, kind: str) -> str | None:
    """Why biber would skip the entry because of this name, if it would."""
    if kind == "empty":
        return f"name {i + 1} is empty (two 'and' in a row, or 'and' at an end?)"
    if kind == "classic":
        if _count_top(item, ",") > 2:
            return f"name {item!r} has too many commas"
        if _TWO_COMMAS_RE.search(item):
            return f"name {item!r} has two commas in a row"
    return None


def _name_problems(value: str) -> tuple[list[str], str | None]:
    """Check a name list as biber does: (warnings, fatal error or None)."""
    warnings: list[str] = []
    for i, item in enumerate(_split_and(value)):
        kind = _item_kind(item)
        fatal = _fatal_name(i, item, kind)
        if fatal:
            return warnings, fatal
        if kind == "extended":
            for part in _parse_xname(item)[2]:
                warnings.append(f"unknown part {part!r} in the extended name {item!r}: ignored")
    return warnings, None


def _count_top(value: str, ch: str) -> int:
    if "{" not in value:
        return value.count(ch)
    depth = count = 0
    for c in value:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == ch and depth == 0:
            count += 1
    return count


def _namelist_option(item: str) -> tuple[str, str] | None:
    m = _NAMELIST_OPTION_RE.match(item)
    if m and m.group(1).lower() in _NAMELIST_OPTIONS:
        return m.group(1).lower(), m.group(2) or "true"
    return None


def _parse_xname(item: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """An extended-format name: (name parts, per-name options, unknown parts)."""
    parts: dict[str, str] = {}
    options: dict[str, str] = {}
    unknown: list[str] = []
    for piece in _split_top(item, r","):
        key, eq, value = piece.partition("=")
        key = key.strip().lower()
        if not eq:
            unknown.append(piece)
            continue
        if key in _NAME_OPTIONS:
            options[key] = _unbrace(value)
            continue
        base = key.removesuffix("-i")
        if base not in _NAMEPARTS:
            unknown.append(key)
            continue
        if key.endswith("-i"):
            continue  # initials: we make our own
        parts[key] = _unbrace(value)
    return parts, options, unknown


def parse_names(value: str, *, family_first: bool = False, useprefix: bool = False) -> NameList:
    """Parse a BibTeX name list (classic, corporate or biblatex extended).

    ``and others`` is dropped and sets ``.more`` on the returned list.
    Raises ``ValueError`` for a list biber would not read (an empty name,
    too many commas); unknown extended name parts are ignored.
    """
    names = NameList()
    items = [(item, _item_kind(item)) for item in _split_and(value)]
    for item, kind in items:
        if kind == "option":
            option, setting = _namelist_option(item)
            if option == "useprefix":
                useprefix = _truthy(setting)
            elif option == "nametemplates":
                family_first = setting.strip("{}").lower() == "cjk"
    for i, (item, kind) in enumerate(items):
        fatal = _fatal_name(i, item, kind)
        if fatal:
            raise ValueError(fatal)
        if kind == "others":
            names.more = True
        elif kind == "corporate":
            names.append(Name(decode_latex(item[1:-1]), corporate=True,
                              family_first=family_first, useprefix=useprefix))
        elif kind == "extended":
            parts, opts, _ = _parse_xname(item)
            ff = opts["nametemplates"].lower() == "cjk" if "nametemplates" in opts else family_first
            up = _truthy(opts["useprefix"]) if "useprefix" in opts else useprefix
            names.append(Name(first=decode_latex(parts.get("given", "")),
                              last=decode_latex(parts.get("family", "")),
                              prelast=decode_latex(parts.get("prefix", "")),
                              lineage=decode_latex(parts.get("suffix", "")),
                              family_first=ff, useprefix=up))
        elif kind == "classic":
            try:
                names.append(Name(decode_latex(item), family_first=family_first,
                                  useprefix=useprefix))
            except PybtexError as exc:
                raise ValueError(f"name {item!r}: {exc}") from None
    return names


def parse_options(value: str) -> dict[str, str]:
    """``options = {useprefix=true, nametemplates=cjk}`` → a dict."""
    opts = {}
    for part in _split_top(value or "", r"\s*,\s*"):
        k, _, v = part.partition("=")
        opts[k.strip().lower()] = v.strip().strip("{}") or "true"
    return opts


def parse_list(value: str) -> tuple[list[str], bool]:
    """A biblatex literal list: (raw items, ended in ``and others``).

    Items keep their braces (:func:`to_rich` drops them); as in biber, only
    a last ``others`` means "and others"."""
    items = [i for i in _split_and(value) if i]
    more = bool(items) and items[-1].lower() == "others"
    return (items[:-1] if more else items), more


# ==========================================================================
# Dates (EDTF, as biber parses them)

_YEARDIVISIONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter",
                  25: "springN", 26: "summerN", 27: "autumnN", 28: "winterN",
                  29: "springS", 30: "summerS", 31: "autumnS", 32: "winterS",
                  33: "Q1", 34: "Q2", 35: "Q3", 36: "Q4", 37: "QD1", 38: "QD2", 39: "QD3",
                  40: "S1", 41: "S2"}
_DATE_RE = re.compile(
    r"^(?:(-?\d{4})(?:-(\d\d)(?:-(\d\d)(?:T\d\d:\d\d:\d\d(?:\.\d\d\d)?)?)?)?|Y(-?\d{5,}))$")


@dataclass(frozen=True)
class BibDate:
    """A biblatex date (EDTF / ISO 8601-2 as biber reads it).

    ``year`` uses astronomical numbering as written (``-0044`` is -44, that
    is 45 BCE; biblatex prints it so); ``era`` is "bce" for years up to 0,
    "ce" otherwise (None without a year). ``season``: "spring", "summer",
    "autumn", "winter" (EDTF 21–24, also 25–32 by hemisphere);
    ``division``: biber's name of any EDTF year division 21–41 ("Q1",
    "summerN"). ``end``: the end of a range; ``open_end``/``open_start``:
    ``1951/``, ``/1963`` (or ``..``); ``unspecified``: biber's granularity
    for ``199X`` ("yearindecade") and the like, which are ranges.
    ``raw``: the value as written.
    """

    year: int | None = None
    month: int | None = None
    day: int | None = None
    season: str | None = None
    uncertain: bool = False
    approximate: bool = False
    era: str | None = None
    end: BibDate | None = None
    open_end: bool = False
    open_start: bool = False
    division: str | None = None
    unspecified: str | None = None
    raw: str = ""

    @property
    def ymd(self) -> tuple[int | None, int | None, int | None]:
        return self.year, self.month, self.day

    @property
    def era_year(self) -> int | None:
        """The year as printed with its era: -44 → 45 (BCE)."""
        if self.year is None:
            return None
        return 1 - self.year if self.year <= 0 else self.year


def _days_in(year: int, month: int) -> int:
    """Days in a month of the proleptic Gregorian calendar (any year)."""
    return [31, 29 if calendar.isleap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def _valid_day(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _days_in(year, month)


_UNCERTAIN_RE = re.compile(r"^\s*(.+?)\s*\?\s*$")
_APPROX_RE = re.compile(r"^\s*(.+?)\s*~\s*$")
_BOTH_RE = re.compile(r"^\s*(.+?)\s*%\s*$")
_TZ_RE = re.compile(r"(?:Z|[+-]\d\d:\d\d)$")
_DIVISION_RE = re.compile(r"^(-?\d{4})-([23]\d|4[01])$")
_RANGE_RE = re.compile(r"^([^/]+)?(/)?([^/]+)?$")


def _parse_point(s: str) -> BibDate | None:
    """One EDTF date (no range); None if biber would not parse it."""
    raw = s
    uncertain = approximate = False
    if "?" in s:
        m = _UNCERTAIN_RE.match(s)
        if m:
            s, uncertain = m.group(1), True
    if "~" in s:
        m = _APPROX_RE.match(s)
        if m:
            s, approximate = m.group(1), True
    if "%" in s:
        m = _BOTH_RE.match(s)
        if m:
            s, uncertain, approximate = m.group(1), True, True
    s = s.strip()
    if s.endswith("Z") or ":" in s:
        s = _TZ_RE.sub("", s)
    division = None
    m = _DIVISION_RE.match(s)
    if m:
        s, division = m.group(1), _YEARDIVISIONS[int(m.group(2))]
    m = _DATE_RE.match(s)
    if not m:
        return None
    year = int(m.group(1) or m.group(4))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not _valid_day(year, month, day):
        return None
    season = division.rstrip("NS") if division and division[:2] in ("sp", "su", "au", "wi") else None
    return BibDate(year, month, day, season=season, uncertain=uncertain,
                   approximate=approximate, era="bce" if year <= 0 else "ce",
                   division=division, raw=raw)


def _unspecified(s: str) -> tuple[str, str, str] | None:
    """ISO 8601-2 unspecified digits (``199X``) as biber reads them: the
    range they cover and its granularity."""
    if m := re.fullmatch(r"(\d{3})X", s):
        return m[1] + "0", m[1] + "9", "yearindecade"
    if m := re.fullmatch(r"(\d{2})XX", s):
        return m[1] + "00", m[1] + "99", "yearincentury"
    if m := re.fullmatch(r"(\d{4})-XX", s):
        return m[1] + "-01", m[1] + "-12", "monthinyear"
    if m := re.fullmatch(r"(\d{4})-(\d\d)-XX", s):
        last = _days_in(int(m[1]), int(m[2])) if 1 <= int(m[2]) <= 12 else 0
        return f"{m[1]}-{m[2]}-01", f"{m[1]}-{m[2]}-{last:02d}", "dayinmonth"
    if m := re.fullmatch(r"(\d{4})-XX-XX", s):
        return m[1] + "-01-01", m[1] + "-12-31", "dayinyear"
    return None


def parse_edtf(value: str) -> BibDate:
    """Parse a biblatex date field; ``ValueError`` if biber would not
    (biber ignores such a date, with a warning)."""
    raw = value
    s = value.strip()
    if s == "..":
        return BibDate(raw=raw, open_start=True)
    if "/" not in s and "X" not in s:
        point = _parse_point(s)
        if point is None:
            raise ValueError(f"invalid date {raw!r}")
        return point if point.raw == raw else _replace(point, raw=raw)
    m = _RANGE_RE.match(s)
    if not m or not (m.group(1) or m.group(3)):
        raise ValueError(f"invalid date {raw!r}")
    start, sep, end = m.group(1), m.group(2), m.group(3)
    unspecified = None
    if start and "X" in start:
        u = _unspecified(start.strip())
        if u is None or sep:
            raise ValueError(f"invalid date {raw!r}")
        start, end, unspecified = u
        sep = "/"
    if start is None or start.strip() == "..":
        first = BibDate(raw=raw)
        open_start = True
    else:
        parsed = _parse_point(start)
        if parsed is None:
            raise ValueError(f"invalid date {raw!r}")
        first, open_start = parsed, False
    if not sep:
        return _replace(first, raw=raw)
    if end is None or end.strip() == "..":
        return _replace(first, raw=raw, open_start=open_start, open_end=True, end=BibDate(raw=""),
                        unspecified=unspecified)
    last = _parse_point(end)
    if last is None:
        raise ValueError(f"invalid end date in {raw!r}")
    return _replace(first, raw=raw, open_start=open_start, end=last, unspecified=unspecified)


def _replace(d: BibDate, **changes) -> BibDate:
    return replace(d, **changes)


def _month_number(value: str) -> int | None:
    v = value.strip().strip("{}").strip()
    if v.isdigit():
        n = int(v)
        return n if 1 <= n <= 12 else None
    m = re.match(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", v, re.IGNORECASE)
    return _MONTH_ABBR[m.group(1).lower()] if m else None


def _legacy_date(fields: Mapping[str, str]) -> BibDate | None:
    """``year``/``month`` as a date (biblatex's legacy fields; ``day`` is not one)."""
    if "year" not in fields:
        return None
    raw = fields["year"]
    y = raw.strip().strip("{}").strip()
    approximate = uncertain = False
    if re.fullmatch(r"-?\d+", y):
        year = int(y)
    else:
        m = re.search(r"\d{4}", y)
        if not m:
            return None
        year = int(m.group(0))
        approximate = bool(re.match(r"(?:c\.|ca\.|circa)\s*", y, re.IGNORECASE))
        uncertain = y.endswith("?")
    month = _month_number(fields["month"]) if "month" in fields else None
    # `day` is not a field of biblatex's data model: biber drops it (write `date = {1969-07-21}`)
    return BibDate(year, month, None, approximate=approximate, uncertain=uncertain,
                   era="bce" if year <= 0 else "ce", raw=raw)


def parse_dates(fields: Mapping[str, str]) -> dict[str, BibDate]:
    """Every date of an entry; dates biber cannot parse are left out."""
    dates = {}
    for name in DATE_FIELDS:
        if name in fields:
            with contextlib.suppress(ValueError):
                dates[name] = parse_edtf(fields[name])
    if "date" not in fields:
        legacy = _legacy_date(fields)
        if legacy is not None:
            dates["date"] = legacy
    return dates


def parse_date(fields: Mapping[str, str]) -> tuple[int | None, int | None, int | None]:
    """``(year, month, day)`` from ``date`` or ``year``/``month``/``day``."""
    if "date" in fields:
        try:
            return parse_edtf(fields["date"]).ymd
        except ValueError:
            return None, None, None
    legacy = _legacy_date(fields)
    return legacy.ymd if legacy else (None, None, None)


def _date_problems(fields: Mapping[str, str]) -> list[tuple[str, str]]:
    """(field, message) for each date biber would warn about."""
    problems = []
    for name in DATE_FIELDS:
        if name in fields:
            try:
                parse_edtf(fields[name])
            except ValueError:
                hint = " (write an approximate date as 1957~)" if re.search(
                    r"\b(?:c\.|ca\.|circa)", fields[name], re.IGNORECASE) else ""
                problems.append((name, (f"invalid date {fields[name]!r} in field {name!r}: "
                                       f"the date is left out, as biber does{hint}")))
    if "date" in fields and "year" in fields:
        try:
            year = parse_edtf(fields["date"]).year
        except ValueError:
            year = None
        if year is not None and fields["year"].strip() != str(year):
            problems.append(("year", (f"both date ({fields['date']!r}) and year "
                                     f"({fields['year']!r}): the date is used")))
    elif "year" in fields:
        y = fields["year"].strip().strip("{}").strip()
        if not re.fullmatch(r"-?\d+", y):
            problems.append(("year", (f"the year {fields['year']!r} is not a number: "
                                     "kept as written, the date has no exact year")))
        if "month" in fields and _month_number(fields["month"]) is None:
            problems.append(("month", (f"the month {fields['month']!r} is not a month "
                                      "(1-12 or a month name): left out of the date")))
    return problems


# ==========================================================================
# Data inheritance (crossref): biblatex.def + chicago-notes.cbx

_MAIN = (("title", "maintitle"), ("subtitle", "mainsubtitle"), ("titleaddon", "maintitleaddon"))
_BOOK = (("title", "booktitle"), ("subtitle", "booksubtitle"), ("titleaddon", "booktitleaddon"))
_JOURNAL = (("title", "journaltitle"), ("subtitle", "journalsubtitle"),
            ("titleaddon", "journaltitleaddon"))
_NO_TITLES = ("shorttitle", "sorttitle", "indextitle", "indexsorttitle")
_MV = ("mvbook", "mvcollection", "mvproceedings", "mvreference")

#: ``\\DeclareDataInheritance`` rules in declaration order: (parent types,
#: child types, (source → target field), fields not inherited); ``*`` is any
#: type. biblatex.def first, then biblatex-chicago's chicago-notes.cbx.
INHERITANCE: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...],
                         tuple[str, ...]], ...] = (
    # biblatex.def
    (("mvbook", "book"), ("inbook", "bookinbook", "suppbook"),
     (("author", "author"), ("author", "bookauthor")), ()),
    (("mvbook",), ("book", "inbook", "bookinbook", "suppbook"), _MAIN, _NO_TITLES),
    (("mvcollection", "mvreference"),
     ("collection", "reference", "incollection", "inreference", "suppcollection"), _MAIN, _NO_TITLES),
    (("mvproceedings",), ("proceedings", "inproceedings"), _MAIN, _NO_TITLES),
    (("book",), ("inbook", "bookinbook", "suppbook"), _BOOK, _NO_TITLES),
    (("collection", "reference"), ("incollection", "inreference", "suppcollection"), _BOOK,
     _NO_TITLES),
    (("proceedings",), ("inproceedings",), _BOOK, _NO_TITLES),
    (("periodical",), ("article", "suppperiodical"), _JOURNAL, _NO_TITLES),
    (("*",), ("*",), (), ("ids", "crossref", "xref", "entryset", "entrysubtype", "execute",
                          "label", "options", "presort", "related", "relatedoptions",
                          "relatedstring", "relatedtype", "shorthand", "shorthandintro",
                          "sortkey")),
    # chicago-notes.cbx (biblatex-chicago)
    (("collection",), ("suppcollection",),
     (("title", "title"), ("subtitle", "subtitle"), ("titleaddon", "titleaddon")), ()),
    (("mvbook",), ("incollection",), _MAIN, _NO_TITLES),
    (("book", "collection"), ("letter",), _BOOK, _NO_TITLES),
    (("book",), ("incollection",), _BOOK, _NO_TITLES),
    (("audio", "music", "video"), ("audio", "music", "video"), _BOOK, _NO_TITLES),
    (("mvbook", "mvcollection"), ("letter",), _MAIN, _NO_TITLES),
    (("mvcollection",), ("book",), _MAIN, _NO_TITLES),
    (("*",), ("*",), (), ("namea", "nameb", "nameatype", "sortyear", "sortname", "sorttitle",
                          "urlyear", "urlmonth", "urlday", "urlyeardivision", "urlhour",
                          "urlminute", "doi", "eprint", "eprinttype", "url")),
    (_MV, ("*",), (), ("year", "month", "day", "yeardivision", "endyear", "endmonth", "endday",
                       "endyeardivision", "origyear", "origmonth", "origday",
                       "origyeardivision", "origendyear", "origendmonth", "origendday",
                       "origendyeardivision")),
)
#: never inherited whatever the rules say: xdata is resolved in the parent
_NEVER_INHERITED = {"xdata"}
_DATEPART_RE = re.compile(r"^(orig|event|url|)(?:end)?(?:year|month|day|yeardivision|hour|"
                          r"minute|second|timezone)$")
_DATE_GROUPS = {"date": ("date", "year", "month", "day"), "origdate": ("origdate",),
                "eventdate": ("eventdate",), "urldate": ("urldate",)}
_GROUP_OF = {f: g for g, fs in _DATE_GROUPS.items() for f in fs}
#: where a parent's ``usere`` (its translated title) goes when its title becomes the child's
#: booktitle, maintitle or journaltitle: it translates that title, not the child's (CMOS 14.99;
#: biblatex inherits it as the child's own ``usere``, a deliberate deviation)
_TITLE_TRANSLATION = {"booktitle": "bookusere", "maintitle": "mainusere", "journaltitle": "journalusere"}


@lru_cache(maxsize=1024)
def _rules_for(parent_type: str, child_type: str):
    """(field mappings, blocked fields, blocked date groups) for a pair."""
    p = TYPE_ALIASES.get(parent_type, parent_type)
    c = TYPE_ALIASES.get(child_type, child_type)
    mappings: list[tuple[str, str]] = []
    blocked: set[str] = set()
    for sources, targets, inherit, noinherit in INHERITANCE:
        if ("*" in sources or p in sources) and ("*" in targets or c in targets):
            mappings.extend(inherit)
            blocked.update(noinherit)
    groups = set()
    for f in list(blocked):
        m = _DATEPART_RE.match(f)
        if m:
            groups.add(m.group(1) + "date")
    return tuple(mappings), frozenset(blocked | _NEVER_INHERITED), frozenset(groups)


def inherit_fields(parent_type: str, parent: Mapping[str, str], child_type: str,
                   child: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The fields a ``child_type`` entry with ``child``'s fields inherits
    from a ``parent_type`` parent: ``{target: (value, source field)}``."""
    mappings, blocked, blocked_groups = _rules_for(parent_type, child_type)
    out: dict[str, tuple[str, str]] = {}
    processed = set()
    for source, target in mappings:
        if source not in parent:
            continue
        processed.add(source)
        if target not in child and target not in out:
            out[target] = (parent[source], source)
    title_target = next((target for source, target in mappings if source == "title"), "title")
    if title_target != "title" and "usere" in parent:
        processed.add("usere")
        target = _TITLE_TRANSLATION.get(title_target)
        if target and target not in child and target not in out:
            out[target] = (parent["usere"], "usere")
    processed |= blocked & set(parent)
    for name, value in parent.items():
        if name in processed or name in child or name in out:
            continue
        group = _GROUP_OF.get(name)
        if group is not None and (group in blocked_groups
                                  or any(f in child for f in _DATE_GROUPS[group])):
            continue  # a date is inherited whole, or not at all
        out[name] = (value, name)
    return out


# ==========================================================================
# Reading a file (cached): entries, broken entries, warnings


class _Scanner(LowLevelParser):
    """pybtex's BibTeX scanner that records field lines and undefined
    macros, and resumes after a syntax error at the next line starting with
    ``@``."""

    _LINE_AT = re.compile(r"^[ \t]*@", re.MULTILINE)

    def __init__(self, text: str):
        super().__init__(text, macros=CaseInsensitiveDict(month_names))
        self.undefined: list[tuple[str, str | None, int]] = []
        self.field_line = 0
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(self, pos: int) -> int:
        """The line of a position (pybtex counts lines as it scans; we look
        them up only where we need them)."""
        return bisect.bisect_left(self._newlines, pos) + 1

    def update_lineno(self, value):
        pass

    def eat_whitespace(self):
        m = self.WHITESPACE.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def handle_error(self, error):
        if isinstance(error, UndefinedMacro):
            self.undefined.append((error.args[0], self.current_field_name,
                                   self.line_at(self.pos)))
            return
        raise error

    def parse_field(self):
        name = self.optional([self.NAME])
        if not name:
            return
        self.current_field_name = name.value
        self.field_line = self.line_at(self.pos)
        self.required([self.EQUALS])
        self.parse_value()

    def parse_entry_fields(self):
        while True:
            self.current_field_name = None
            self.current_value = []
            self.parse_field()
            if self.current_field_name and self.current_value:
                self.current_fields.append((self.current_field_name, self.current_value,
                                            self.field_line))
            if not self.optional([self.COMMA]):
                return

    #: a field assignment outside any entry: BibTeX reads it as a comment
    _STRAY_FIELD = re.compile(r"^[ \t]*,?[ \t]*([A-Za-z][\w.-]*)[ \t]*=[ \t]*[{\"0-9]", re.MULTILINE)

    def records(self) -> Iterator[tuple]:
        while True:
            gap = self.pos
            found = self.skip_to([self.AT])
            stray = self._STRAY_FIELD.search(self.text, gap, self.pos - 1 if found else len(self.text))
            if stray:   # an entry's fields after its end: an extra closing brace in it, most likely
                yield ("stray", stray.group(1), self.line_at(stray.start(1)))
            if not found:
                return
            self.command_start = start = self.pos - 1
            line = self.line_at(start)
            self.undefined = []
            try:
                command, body = self.parse_command()
            except SkipEntry:
                continue
            except PybtexSyntaxError as exc:
                m = self._LINE_AT.search(self.text, start + 1)
                resume = m.start() if m else max(self.pos, start + 1)
                yield ("error", exc, line, start, resume, self.current_entry_key,
                       self.line_at(self.pos))
                self.pos = resume
                continue
            yield ("ok", command, body, line, self.undefined)


_KEY_GUESS = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s{}()=]+)\s*,")


def _brace_balance(text: str) -> int:
    text = text.replace("\\{", "").replace("\\}", "")
    return text.count("{") - text.count("}")


def _read_text(text: str) -> dict:
    """Parse one file's text into JSON-able data (what the cache stores).

    ``entries``: ``[type, key, line, fields, field lines (in field order),
    warnings]``;
    ``broken``: ``[key, line, message, hint]``; ``warnings``: file-level
    ``[message, line]``.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.removeprefix("\ufeff")
    entries, broken, file_warnings = [], [], []
    scanner = _Scanner(text)
    for rec in scanner.records():
        if rec[0] == "stray":
            _, name, sline = rec
            if entries:
                entries[-1][5].append([(f"entry {entries[-1][1]!r} ends before its field {name!r} (an "
                                        "extra closing brace above it?): BibTeX reads the fields after the "
                                        "end as a comment, so the entry lacks them"), sline])
            else:
                file_warnings.append([f"the field {name!r} is outside any entry: BibTeX reads it as a "
                                      "comment", sline])
            continue
        if rec[0] == "error":
            _, exc, line, start, resume, key, error_line = rec
            if key is None:
                m = _KEY_GUESS.match(text, start)
                key = m.group(1) if m else None
            what = f"entry {key!r}" if key else "an entry"
            segment = text[start:resume]
            if _brace_balance(segment) > 0:
                message = (f"syntax error in {what} (line {line}): a brace it opens is never "
                           f"closed; the entry is skipped")
                where = line
            else:
                detail = exc.args[0] if exc.args else str(exc)
                if detail in ("'}' expected", "')' expected"):
                    detail += " (is a comma missing at the end of the line before?)"
                message = f"syntax error in {what}: {detail}; the entry is skipped"
                where = error_line
            hint = ("check braces, commas and quotes around this line; the other entries "
                    "of the file are read")
            broken.append([key, where, message, hint])
            continue
        _, command, body, line, undefined = rec
        kind = command.lower()
        if kind in ("string", "preamble"):
            for name, _field, mline in undefined:
                file_warnings.append([(f"undefined macro {name!r} in @{kind}: it stands "
                                      "for nothing"), mline])
            continue
        key, raw_fields = body
        fields: dict[str, str] = {}
        lines: dict[str, int] = {}
        from_alias: set[str] = set()
        warnings: list[list] = []
        for name, parts, fline in raw_fields:
            lname = name.lower()
            canonical = FIELD_ALIASES.get(lname, lname)
            value = normalize_whitespace("".join(parts))
            if not value:
                continue
            if canonical in fields:
                if lname != canonical and canonical not in from_alias:
                    continue  # the biblatex name wins over its alias
                if lname == canonical and canonical in from_alias:
                    from_alias.discard(canonical)
                else:
                    warnings.append([(f"field {name!r} appears twice in entry {key!r}: the "
                                     "last value is used, as biber does"), fline])
            elif lname != canonical:
                from_alias.add(canonical)
            fields[canonical] = value
            lines[canonical] = fline
        for name, field, mline in undefined:
            warnings.append([(f"undefined macro {name!r} in field {field!r} of entry {key!r}: "
                             "it stands for nothing (as in biber); define it with @string or "
                             "put the value in braces"), mline])
        fatal = _check_entry(key, fields, lines, warnings)
        if fatal:
            broken.append([key, fatal[1], fatal[0], ("the entry is skipped, as biber does; "
                           "fix the name list")])
            continue
        entries.append([kind, key, line, fields, [lines[f] for f in fields], warnings])
    return {"version": LOADER_VERSION, "entries": entries, "broken": broken,
            "warnings": file_warnings}


def _check_entry(key: str, fields: dict, lines: dict, warnings: list) -> tuple[str, int] | None:
    """Warnings about names and dates; a fatal (message, line) skips it."""
    for role in PERSON_ROLES:
        if role in fields:
            problems, fatal = _name_problems(fields[role])
            for p in problems:
                warnings.append([f"entry {key!r}, field {role!r}: {p}", lines[role]])
            if fatal:
                return f"entry {key!r}, field {role!r}: {fatal}", lines[role]
    for name, message in _date_problems(fields):
        warnings.append([f"entry {key!r}: {message}", lines.get(name)])
    return None


# ==========================================================================
# The bibliography


class BibEntry(Entry):
    """A pybtex ``Entry`` with what biblatex knows about it.

    ``key``, ``file``, ``line``; ``options`` (the ``options`` field as a
    dict, never inherited); ``family_first`` (``nametemplates=cjk``);
    ``useprefix``; ``fields`` (raw strings, inherited ones included; names
    are in ``persons``); ``persons`` (role → :class:`NameList`);
    ``more_names`` (roles that ended in ``and others``); ``lists`` (field →
    rich-text items) and ``more_lists``; ``dates`` (field →
    :class:`BibDate`) and ``date`` ``(year, month, day)``; ``crossref``
    and ``xref`` (the linked keys, or None); ``inherited`` (field → the key
    it came from, by crossref).
    """

    key: str = ""
    file: Path | None = None
    line: int | None = None
    options: Mapping[str, str] = MappingProxyType({})
    family_first = False
    useprefix = False
    more_names: frozenset[str] | set[str] = frozenset()
    dates: Mapping[str, BibDate] = MappingProxyType({})
    date: tuple[int | None, int | None, int | None] = (None, None, None)
    crossref: str | None = None
    xref: str | None = None
    inherited: Mapping[str, str] = MappingProxyType({})

    @cached_property
    def _lists(self) -> tuple[dict[str, list[Text]], set[str]]:
        lists, more_lists = {}, set()
        for name in LIST_FIELDS:
            if name in self.fields:
                items, more = parse_list(self.fields[name])
                lists[name] = [to_rich(i) for i in items]
                if more:
                    more_lists.add(name)
        return lists, more_lists

    @property
    def lists(self) -> dict[str, list[Text]]:
        """List fields as rich-text items (made on first use)."""
        return self._lists[0]

    @property
    def more_lists(self) -> set[str]:
        """List fields that ended in ``and others``."""
        return self._lists[1]


class _Raw:
    """An entry as read from its file: type, key, line, fields (raw strings)
    and the line of each field (a list in field order)."""

    __slots__ = ("fields", "file", "key", "line", "lines", "type")

    def __init__(self, type_, key, line, fields, lines, file):
        self.type, self.key, self.line = type_, key, line
        self.fields, self.lines, self.file = fields, lines, file

    def line_of(self, field: str) -> int:
        for name, line in zip(self.fields, self.lines):
            if name == field:
                return line
        return self.line


class Bibliography(Mapping):
    """Entries by key; see the module documentation.

    ``files``; ``broken`` (key → :class:`BibliographyError` of an entry that
    cannot be used: ``key in bib`` is true and ``bib[key]`` raises it);
    ``duplicates`` (key → the error of a second entry with that key, the
    first one is used); ``warnings`` (``(message, file, line)``).
    Iteration and ``len`` cover the usable entries (not ``@xdata``).
    """

    def __init__(self, entries: Mapping[str, Entry] | None = None,
                 files: Iterable[str | Path] | None = None):
        self.files: list[Path] = [Path(f) for f in files or ()]
        self.broken: dict[str, BibliographyError] = {}
        self.duplicates: dict[str, BibliographyError] = {}
        self.warnings: list[tuple[str, Path | None, int | None]] = []
        self._raw: dict[str, _Raw] = {}
        self._xdata: dict[str, _Raw] = {}
        self._done: dict[str, Entry] = dict(entries or {})
        self._keys: dict[str, None] = dict.fromkeys(self._done)
        self._resolved: dict[str, tuple[dict, dict]] = {}
        self._bad_links: set[tuple[str, str, str]] = set()
        self._options: dict[str, dict[str, str]] = {}
        self._warn: Warn | None = None

    # ---- mapping ---------------------------------------------------------

    def __getitem__(self, key: str) -> Entry:
        entry = self._done.get(key)
        if entry is not None:
            return entry
        if key in self._raw:
            entry = self._done[key] = self._build(key)
            return entry
        if key in self.broken:
            raise self.broken[key]
        raise KeyError(key)

    def __contains__(self, key) -> bool:
        return key in self._keys or key in self.broken

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def entries(self) -> Mapping[str, Entry]:
        """The usable entries (compatibility: the bibliography itself)."""
        return self

    # ---- building --------------------------------------------------------

    def _emit(self, message: str, file: Path | None, line: int | None) -> None:
        self.warnings.append((message, file, line))
        if self._warn is not None:
            self._warn(message, file=file, line=line)

    def _add_file(self, data: dict, file: Path | None) -> None:
        """Add one parsed file (the output of :func:`_read_text`)."""
        events: list[tuple[int, int, Callable[[], None]]] = []
        lower = {k.lower(): k for k in (*self._raw, *self._xdata)}

        def later(line, fn):
            events.append((line or 0, len(events), fn))

        for key, line, message, hint in data["broken"]:
            # raised when the text cites it: then nothing is skipped, the build stops
            cited = re.sub(r"; the entry is skipped$", "", message) + "; the text cites it"
            err = BibliographyError(cited, file=file, line=line, hint=hint)
            later(line, lambda m=message, ln=line: self._emit(m, file, ln))
            if key and key not in self._raw and key not in self._xdata:
                self.broken.setdefault(key, err)
        for message, line in data["warnings"]:
            later(line, lambda m=message, ln=line: self._emit(m, file, ln))
        for type_, key, line, fields, lines, warnings in data["entries"]:
            first = self._raw.get(key) or self._xdata.get(key)
            if first is not None:
                where = (f"lines {first.line} and {line}" if first.file == file
                         else f"also at {first.file}:{first.line}")
                used = f"line {first.line}" if first.file == file else f"{first.file}:{first.line}"
                message = (f"duplicate key {key!r} ({where}): the entry at {used} is used, "
                           "as biber does")
                err = BibliographyError(message, file=file, line=line,
                                        hint=f"rename or delete one of the two entries ({where})")
                self.duplicates.setdefault(key, err)
                later(line, lambda m=message, ln=line: self._emit(m, file, ln))
                continue
            for message, wline in warnings:
                later(wline or line, lambda m=message, ln=wline or line: self._emit(m, file, ln))
            other = lower.get(key.lower())
            if other is not None and other != key:
                later(line, lambda k=key, o=other, ln=line: self._emit(
                    f"keys {k!r} and {o!r} differ only in case: a typo?", file, ln))
            raw = _Raw(type_, key, line, fields, lines, file)
            if type_ == "xdata":
                self._xdata[key] = raw
            else:
                self._raw[key] = raw
                self._keys[key] = None
            self.broken.pop(key, None)
            lower[key.lower()] = key
        if file is not None:
            self.files.append(file)
        for _, _, fn in sorted(events, key=lambda e: (e[0], e[1])):
            fn()

    def _check_links(self) -> None:
        """Warn about crossref/xdata links that lead nowhere or in circles."""
        parent_of: dict[str, str] = {}
        for key, raw in [*self._raw.items(), *self._xdata.items()]:
            if "xdata" in raw.fields:
                for ref in _keys_of(raw.fields["xdata"]):
                    if ref not in self._xdata:
                        why = ("is not an @xdata entry" if ref in self._raw else
                               "cannot be read" if ref in self.broken else "does not exist")
                        self._link_problem(raw, "xdata", ref,
                                           f"entry {key!r}: its xdata entry {ref!r} {why}: "
                                           "nothing is copied from it")
            parent = _crossref_of(raw)
            if parent and raw.type != "xdata":
                if parent in self._raw:
                    parent_of[key] = parent
                    continue
                why = ("cannot be read" if parent in self.broken else
                       "is an @xdata entry" if parent in self._xdata else "does not exist")
                self._link_problem(raw, "crossref", parent,
                                   f"entry {key!r}: its crossref parent {parent!r} {why}: "
                                   "nothing is inherited")
        # crossref: one parent per entry, so walking each chain finds every circle
        state: dict[str, int] = {}
        for first in parent_of:
            path, node = [], first
            while node in parent_of and node not in state:
                state[node] = 1
                path.append(node)
                node = parent_of[node]
            if state.get(node) == 1:
                cycle = [*path[path.index(node):], node]
                self._link_problem(self._raw[path[-1]], "crossref", node,
                                   f"circular crossref {' → '.join(map(repr, cycle))}: entry "
                                   f"{path[-1]!r} inherits nothing from {node!r}")
            for p in path:
                state[p] = 2
        # xdata: a few entries, any number of references each
        state = {}

        def visit(key: str, path: list[str]) -> None:
            state[key] = 1
            for ref in _keys_of(self._xdata[key].fields.get("xdata", "")):
                if ref not in self._xdata or (key, "xdata", ref) in self._bad_links:
                    continue
                if state.get(ref) == 1:
                    cycle = [*path[path.index(ref):], key, ref] if ref in path else [key, ref]
                    self._link_problem(self._xdata[key], "xdata", ref,
                                       f"circular xdata {' → '.join(map(repr, cycle))}: entry "
                                       f"{key!r} copies nothing from {ref!r}")
                elif ref not in state:
                    visit(ref, [*path, key])
            state[key] = 2

        for key in self._xdata:
            if key not in state:
                visit(key, [])

    def _link_problem(self, raw: _Raw, kind: str, ref: str, message: str) -> None:
        self._bad_links.add((raw.key, kind, ref))
        self._emit(message, raw.file, raw.line_of(kind))

    # ---- normalising one entry --------------------------------------------

    def _own_fields(self, raw: _Raw, seen: tuple = ()) -> dict[str, str]:
        """The entry's fields with its xdata copied in (xdata wins, biber)."""
        fields = dict(raw.fields)
        refs = _keys_of(fields.get("xdata", ""))
        for ref in refs:
            if (raw.key, "xdata", ref) in self._bad_links or ref in seen:
                continue
            xd = self._xdata[ref]
            for name, value in self._own_fields(xd, (*seen, raw.key)).items():
                if name in ("ids", "xdata"):
                    continue
                fields[name] = value
        return fields

    def _resolve(self, key: str) -> tuple[dict[str, str], dict[str, str]]:
        """(fields, origin): the entry's fields after xdata and crossref;
        ``origin[field]`` is the key whose options apply to it."""
        done = self._resolved.get(key)
        if done is not None:
            return done
        raw = self._raw[key]
        fields = self._own_fields(raw)
        origin = dict.fromkeys(fields, key)
        parent = _crossref_of(raw)
        if parent and parent in self._raw and (key, "crossref", parent) not in self._bad_links:
            self._resolved[key] = (fields, origin)  # guards against cycles missed above
            pfields, porigin = self._resolve(parent)
            got = inherit_fields(self._raw[parent].type, pfields, raw.type, fields)
            for target, (value, source) in got.items():
                fields[target] = value
                origin[target] = porigin.get(source, parent)
        self._resolved[key] = (fields, origin)
        return fields, origin

    def _options_of(self, key: str) -> dict[str, str]:
        opts = self._options.get(key)
        if opts is None:
            raw = self._raw.get(key) or self._xdata.get(key)
            opts = self._options[key] = parse_options(raw.fields.get("options", "")) if raw else {}
        return opts

    def _build(self, key: str) -> BibEntry:
        raw = self._raw[key]
        fields, origin = self._resolve(key)
        options = self._options_of(key)
        entry = BibEntry(raw.type)
        entry.key, entry.file, entry.line = key, raw.file, raw.line
        entry.options = options
        entry.family_first = options.get("nametemplates", "").lower() == "cjk"
        entry.useprefix = _truthy(options["useprefix"]) if "useprefix" in options else False
        more_names = set()
        for name, value in fields.items():
            if name == "options":
                continue
            if name in _PERSON_SET:
                o = self._options_of(origin[name]) if origin[name] != key else options
                try:
                    names = parse_names(
                        value, family_first=o.get("nametemplates", "").lower() == "cjk",
                        useprefix=_truthy(o["useprefix"]) if "useprefix" in o else False)
                except ValueError:
                    continue  # checked when the file was read (the parent is broken)
                if names.more:
                    more_names.add(name)
                if names:
                    entry.persons[name] = names
                continue
            entry.fields[name] = value
        entry.more_names = more_names
        entry.dates = parse_dates(fields)
        entry.date = entry.dates["date"].ymd if "date" in entry.dates else (None, None, None)
        parent = fields.get("crossref", "").strip().strip("{}").strip()
        entry.crossref = parent or None
        entry.xref = fields.get("xref", "").strip().strip("{}").strip() or None
        entry.inherited = {f: k for f, k in origin.items() if k != key and f not in raw.fields}
        return entry


_PERSON_SET = frozenset(PERSON_ROLES)


def _crossref_of(raw: _Raw) -> str:
    return raw.fields.get("crossref", "").strip().strip("{}").strip()


def _keys_of(value: str) -> list[str]:
    return [k.strip().strip("{}").strip() for k in value.split(",") if k.strip().strip("{}")]


# ==========================================================================
# Entry points


def parse_bibtex(text: str, *, file: str | Path | None = None,
                 warn: Warn | None = None) -> Bibliography:
    """Parse BibTeX/biblatex source text into a :class:`Bibliography`."""
    bib = Bibliography()
    bib._warn = warn
    bib._add_file(_read_text(text), Path(file) if file else None)
    bib._check_links()
    return bib


def _cache_name(path: Path, digest: str) -> tuple[str, str]:
    where = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:40]
    prefix = f"{stem}-{where}-"
    return prefix, f"{prefix}{digest}.json"


def _write_cache(target: Path, data: dict) -> None:
    """Atomically, with the mode a new file gets under the umask (tools.atomic_write)."""
    with atomic_write(target, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))


def _read_file(path: Path, cache_dir: Path | None, limits: Limits = DEFAULT_LIMITS) -> dict:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BibliographyError("bibliography file not found", file=path,
                                hint="check the `bibliography` key of the YAML header") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BibliographyError("not valid UTF-8", file=path, line=line,
                                hint=f"save the {path.suffix or 'bibliography'} file as UTF-8") from None
    csl = is_csl(path)
    read = (lambda: _read_csl(path, text, limits)) if csl else (lambda: _read_text(text))
    if cache_dir is None:
        return read()
    # a CSL file's entries are pandoc's conversion of it: the pinned pandoc is part of the key
    version = LOADER_VERSION + (f"-pandoc{_pandoc_version()}" if csl else "")
    digest = hashlib.sha256(version.encode() + b"\0" + data).hexdigest()
    prefix, name = _cache_name(path, digest)
    target = Path(cache_dir) / name
    try:
        cached = json.loads(target.read_text(encoding="utf-8"))
        if isinstance(cached, dict) and cached.get("version") == LOADER_VERSION \
                and cached.get("sha256") == digest:
            return cached
    except (OSError, ValueError):
        pass
    parsed = read()
    parsed["sha256"] = digest
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_cache(target, parsed)
        for old in target.parent.glob(f"{_glob_escape(prefix)}*.json"):
            if old.name != name:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return parsed


def _read_csl(path: Path, text: str, limits: Limits) -> dict:
    """A CSL-JSON or CSL-YAML file read as the biblatex pandoc makes of it (cslfiles.py), every
    entry, its fields and its warnings placed at the line of the entry's ``id`` in the file."""
    biblatex, where = to_biblatex(path, text, limits=limits)
    parsed = _read_text(biblatex)
    seen: dict[str, int] = {}
    for entry in parsed["entries"]:
        nth = seen[entry[1]] = seen.get(entry[1], -1) + 1
        line = where(entry[1], nth)
        entry[2], entry[4] = line, [line] * len(entry[4])
        entry[5] = [[message, line] for message, _ in entry[5]]
    for broken in parsed["broken"]:
        broken[1] = where(broken[0])
    parsed["warnings"] = [[message, None] for message, _ in parsed["warnings"]]
    return parsed


@lru_cache(maxsize=1)
def _pandoc_version() -> str:
    """The version of the pypandoc-binary that ships the pinned pandoc (else the binary's size)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("pypandoc-binary")
    except PackageNotFoundError:
        from pressroom.tools import pandoc_path
        return str(Path(pandoc_path()).stat().st_size)


def _glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)


def load_bibliography(paths: str | Path | Iterable[str | Path], *, warn: Warn | None = None,
                      cache_dir: str | Path | None = None,
                      limits: Limits = DEFAULT_LIMITS) -> Bibliography:
    """Load one or more ``.bib`` files (UTF-8) into one :class:`Bibliography`; a ``.json``,
    ``.yaml`` or ``.yml`` file is CSL-JSON or CSL-YAML (Zotero's exports), converted by pandoc
    (cslfiles.py, within ``limits``), and may be listed with ``.bib`` files.

    A key defined twice (also across files) is a warning; the first entry
    is used. ``warn(message, file=..., line=...)`` receives every warning
    (they are also in ``bib.warnings``). ``cache_dir``: keep the parsed
    files there (see the module documentation).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    bib = Bibliography()
    bib._warn = warn
    for path in paths:
        path = Path(path)
        bib._add_file(_read_file(path, Path(cache_dir) if cache_dir else None, limits), path)
    bib._check_links()
    return bib
