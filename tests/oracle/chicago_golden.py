#!/usr/bin/env python3
"""Golden Chicago notes from biblatex-chicago: the test oracle of the ``chicago`` style.

For every ``tests/data/chicago/entries/<stem>.bib`` this script builds the standard citation
sequence of ``tests/data/chicago/README.md`` (plus the optional extra notes of
``entries/<stem>.seq``), typesets it with XeLaTeX, biber and ``biblatex-chicago`` (``notes``
style) twice -- ``useibid=true`` and ``useibid=false`` -- reads the footnotes back from the PDF
with their italics (``pdftohtml -xml``) and writes

    tests/data/chicago/golden/<stem>.ibid.json
    tests/data/chicago/golden/<stem>.noibid.json

Run it with the project's venv (standard library only; the TeX tools do the work):

    .venv/bin/python tests/oracle/chicago_golden.py                 # every entries file
    .venv/bin/python tests/oracle/chicago_golden.py --only books    # one file
    .venv/bin/python tests/oracle/chicago_golden.py --keep /tmp/cg  # keep the LaTeX folders

It needs XeLaTeX, biber, biblatex-chicago and pdftohtml::

    apt-get install -y --no-install-recommends texlive-xetex lmodern poppler-utils \\
        texlive-bibtex-extra biber

The citation sequence (README): for every entry K, in file order, with locators L1 and L2
(from a ``% locators: L1 | L2`` comment line directly above the entry, else ``23`` and
``45–47``): ``[@K, L1]``, ``[@K, L1]``, ``[@K, L2]``, a tracker reset and ``[@K]``; then
``[@K, L1]`` for every K, then ``[@K]`` for every K.  The extra notes of ``<stem>.seq``
follow, one note a line in Pandoc citation syntax (``[see @a, 23; @b, 4]``, ``[@a, chap. 3]``,
``[-@a]``, ``[@{key}]``); a line ``RESET`` resets the trackers before the next note; blank
lines and lines starting with ``#`` are skipped.

The tracker reset (``"reset_before": true``) is biblatex's ``\\citereset`` (ibid, idem, op.
cit., loc. cit. trackers, and "seen" lists) after which every key that had been cited, except
the keys of the next note, goes back into biblatex's "seen" lists: the next note's keys count
as never cited and the Ibid. chain is broken, while the other entries keep their short notes.
(A plain ``\\citereset`` would also make every earlier entry's next citation a full note,
against the README's "later citation: the short note".)

Each note is a ``\\footcite`` (``\\footcites`` for several items; a note with a suppressed
author is ``\\mkbibfootnote`` around ``\\Headlesscite``/``\\cite``, joined by
``\\multicitedelim``).  A locator goes to biblatex as the postnote exactly as written, except
that a bare number or range gets an en dash (``45-47``/``45--47`` -> ``45–47``).

The document: XeLaTeX, Latin Modern (common ligatures off), ``csquotes`` (american) and
``\\usepackage[notes,backend=biber,cmsnameparts,useibid=...]{biblatex-chicago}`` -- the
package's defaults otherwise (American dates, no babel/polyglossia, so ``langid`` changes
neither strings nor hyphenation; ``cmsnameparts`` makes ``nametemplates=cjk`` work and
changes nothing else).  A 100in x 100in page keeps every note on one line, each note marked
``[[N]]`` by ``\\@makefntext``; the footnote marks in the text are empty.

The notes are read back as Markdown-like text: italic runs as ``*...*`` (adjacent runs
merged, spaces kept outside the asterisks), no-break spaces as spaces, typographic quotes and
dashes as Unicode characters, ligatures as letters, whitespace collapsed, NFC.  Every note is
checked against ``pdftotext``'s reading (same text without the asterisks), and a character
missing from the font is an error.

Output, per note: ``{"n", "reset_before", "cites": [{"key", "prefix", "locator"}], "text"}``
(a cite with ``[-@key]`` also has ``"suppress_author": true``); UTF-8, deterministic.

The bibliography: a third run per entries file prints ``\\nocite{*}`` with
``\\printbibliography`` (biblatex-chicago's defaults: its ``cms`` sorting, the 3-em dash for a
repeated author) and writes ``golden/<stem>.bibliography.json``: every entry biblatex-chicago
lists, in its order, ``{"n", "key", "text"}``, read back as the notes are.  Each entry starts a
line with its mark ``[[key]]``; the 3-em dash, a rule in biblatex-chicago, is printed as the
text ``———`` (three em dashes) so that it can be read back.  ``--bibliography-only`` makes only
these files.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "chicago"
ENTRIES = DATA / "entries"
GOLDEN = DATA / "golden"

DEFAULT_LOCATORS = ("23", "45–47")
APT_LINE = ("apt-get install -y --no-install-recommends texlive-xetex lmodern poppler-utils "
            "texlive-bibtex-extra biber")
TOOLS = ("xelatex", "biber", "kpsewhich", "pdftohtml", "pdftotext")
TEX_FILES = ("biblatex-chicago.sty", "chicago-notes.cbx", "biblatex.sty", "fontspec.sty",
             "geometry.sty", "csquotes.sty", "lmroman10-regular.otf")
VARIANTS = (("ibid", "useibid=true"), ("noibid", "useibid=false"))
MARK_RE = re.compile(r"\[\[(\d+)\]\]")


class OracleError(Exception):
    """A problem that stops one entries file (bad input, a TeX or biber error)."""


# --------------------------------------------------------------------------
# The citation sequence


@dataclass(frozen=True)
class Cite:
    key: str
    prefix: str = ""
    locator: str = ""
    suppress_author: bool = False

    def as_json(self) -> dict:
        out = {"key": self.key, "prefix": self.prefix, "locator": self.locator}
        if self.suppress_author:
            out["suppress_author"] = True
        return out


@dataclass
class Note:
    cites: list[Cite]
    reset_before: bool = False
    source: str = ""  # where the note comes from (for error messages)


@dataclass
class Entry:
    key: str
    type: str
    line: int
    locators: tuple[str, str] = DEFAULT_LOCATORS


_BARE_RANGE = re.compile(r"^([0-9]+[a-z]?|[ivxlcdm]+)\s*(?:–|—|-{1,3})\s*([0-9]+[a-z]?|[ivxlcdm]+)$",
                         re.IGNORECASE)
_ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t\r\n]*([^,\s{}()]+)[ \t\r\n]*,", re.MULTILINE)
_NOT_CITABLE = {"comment", "string", "preamble", "xdata"}


def normalise_locator(text: str) -> str:
    """A locator as biblatex gets it: as written, a bare range with an en dash."""
    text = " ".join(text.split())
    m = _BARE_RANGE.match(text)
    if m:
        return f"{m.group(1)}–{m.group(2)}"
    return text


def parse_entries(path: Path) -> list[Entry]:
    """The citable entries of a .bib file in file order, with their locator hints."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    entries: list[Entry] = []
    seen: set[str] = set()
    for m in _ENTRY_RE.finditer(text):
        etype, key = m.group(1).lower(), m.group(2)
        if etype in _NOT_CITABLE:
            continue
        line = text.count("\n", 0, m.start())  # 0-based line of the "@"
        if key in seen:
            raise OracleError(f"{path.name}:{line + 1}: duplicate key {key!r}")
        seen.add(key)
        entry = Entry(key, etype, line + 1)
        i = line - 1
        while i >= 0 and lines[i].lstrip().startswith("%"):  # the comment block directly above
            hint = re.match(r"\s*%+\s*locators?\s*:\s*(.*)$", lines[i], re.IGNORECASE)
            if hint:
                parts = [p.strip() for p in hint.group(1).split("|")]
                if len(parts) != 2 or not all(parts):
                    raise OracleError(f"{path.name}:{i + 1}: locator hint must be "
                                      f"'% locators: L1 | L2', got {lines[i].strip()!r}")
                entry.locators = (normalise_locator(parts[0]), normalise_locator(parts[1]))
                break
            i -= 1
        entries.append(entry)
    if not entries:
        raise OracleError(f"{path.name}: no entries found")
    return entries


def standard_sequence(entries: list[Entry]) -> list[Note]:
    notes: list[Note] = []
    for e in entries:
        l1, l2 = e.locators
        notes += [Note([Cite(e.key, locator=l1)], source=f"{e.key}: first"),
                  Note([Cite(e.key, locator=l1)], source=f"{e.key}: repeat"),
                  Note([Cite(e.key, locator=l2)], source=f"{e.key}: repeat, other locator"),
                  Note([Cite(e.key)], reset_before=True, source=f"{e.key}: after reset")]
    notes += [Note([Cite(e.key, locator=e.locators[0])], source=f"{e.key}: later") for e in entries]
    notes += [Note([Cite(e.key)], source=f"{e.key}: later, no locator") for e in entries]
    return notes


# Pandoc citation keys: a letter, digit or _, then those and internal punctuation :.#$%&-+?<>~/
_KEY = r"[\w](?:[\w:.#$%&\-+?<>~/]*[\w])?"
_ITEM_RE = re.compile(rf"^(?P<prefix>.*?)(?P<minus>-?)@(?:\{{(?P<bkey>[^{{}}]+)\}}|(?P<key>{_KEY}))"
                      rf"(?P<rest>.*)$", re.DOTALL)


def parse_citation(text: str, where: str = "") -> list[Cite]:
    """One bracketed Pandoc citation (``[see @a, 23; -@b]``) as biblatex cite items."""
    s = text.strip()
    if not (s.startswith("[") and s.endswith("]")):
        raise OracleError(f"{where}: a note must be one bracketed citation, got {text!r}")
    cites = []
    for part in s[1:-1].split(";"):
        m = _ITEM_RE.match(part.strip())
        if not m:
            raise OracleError(f"{where}: no @key in citation item {part.strip()!r}")
        rest = m.group("rest").strip()
        if rest and not rest.startswith(","):
            raise OracleError(f"{where}: text after the key must follow a comma: {part.strip()!r}")
        locator = normalise_locator(rest[1:]) if rest else ""
        cites.append(Cite(m.group("bkey") or m.group("key"), " ".join(m.group("prefix").split()),
                          locator, bool(m.group("minus"))))
    return cites


def parse_seq(path: Path) -> list[Note]:
    notes: list[Note] = []
    reset = False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s == "RESET":
            reset = True
            continue
        where = f"{path.name}:{n}"
        notes.append(Note(parse_citation(s, where), reset_before=reset, source=where))
        reset = False
    if reset:
        raise OracleError(f"{path.name}: RESET at the end, with no note after it")
    return notes


# --------------------------------------------------------------------------
# LaTeX

_TEX_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}",
                "~": r"\textasciitilde{}"}


def tex_escape(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(c, c) for c in text)


def note_latex(note: Note) -> str:
    """The LaTeX of one note: a \\footcite / \\footcites, or a \\mkbibfootnote of cites."""
    def args(c: Cite) -> str:
        return f"[{tex_escape(c.prefix)}][{tex_escape(c.locator)}]{{{c.key}}}"

    if not any(c.suppress_author for c in note.cites):
        if len(note.cites) == 1:
            return r"\footcite" + args(note.cites[0])
        return r"\footcites" + "".join(args(c) for c in note.cites)
    # biblatex has no per-item "suppress author" in \footcites: build the note by hand.
    parts = []
    for i, c in enumerate(note.cites):
        cmd = ("Headlesscite" if i == 0 else "headlesscite") if c.suppress_author else (
            "Cite" if i == 0 else "cite")
        parts.append(f"\\{cmd}{args(c)}")
    return r"\mkbibfootnote{" + r"\multicitedelim".join(parts) + "}"


PREAMBLE = r"""\documentclass{article}
\usepackage[paperwidth=100in,paperheight=100in,margin=1in]{geometry}
\usepackage{fontspec}
\setmainfont{Latin Modern Roman}[Ligatures={TeX,NoCommon}]
\usepackage[style=american]{csquotes}  %% recommended by biblatex-chicago; .bib files use \enquote
\usepackage[notes,backend=biber,cmsnameparts,%(option)s]{biblatex-chicago}
\addbibresource{entries.bib}
\makeatletter
%% The README's tracker reset, for the keys of the next note only: \citereset, then every other
%% key that was cited goes back into biblatex's "seen" lists.
\newrobustcmd*{\oraclereset}[1]{%
  \global\csletcs{oracle@bsee}{blx@bsee@\the\c@refsection}%
  \global\csletcs{oracle@fsee}{blx@fsee@\the\c@refsection}%
  \citereset
  \global\csletcs{blx@bsee@\the\c@refsection}{oracle@bsee}%
  \global\csletcs{blx@fsee@\the\c@refsection}{oracle@fsee}%
  \forcsvlist{\oracle@forget}{#1}}
\def\oracle@forget#1{%
  \def\oracle@key{#1}%
  \oracle@filter{blx@bsee@\the\c@refsection}%
  \oracle@filter{blx@fsee@\the\c@refsection}}
\def\oracle@filter#1{%
  \global\cslet{oracle@kept}\@empty
  \forlistcsloop{\oracle@keep}{#1}%
  \global\csletcs{#1}{oracle@kept}}
\def\oracle@keep#1{%
  \expandafter\ifstrequal\expandafter{\oracle@key}{#1}{}{\listcsgadd{oracle@kept}{#1}}}
%% One note a line, marked "[[N]] " (biblatex-chicago's own mark is "N.").
\renewcommand\@makefntext[1]{\noindent\raggedright[[\@thefnmark]]\space #1}
%% No footnote mark in the body text: only the notes print.
\renewcommand\@makefnmark{}
\makeatother
\dimen\footins=96in
\hyphenpenalty=10000
\exhyphenpenalty=10000
\tolerance=10000
\setlength{\parindent}{0pt}
\setlength{\parskip}{0pt}
\pagestyle{empty}
\begin{document}
\fontsize{1pt}{1pt}\selectfont
"""


def document(notes: list[Note], option: str) -> str:
    body = []
    for note in notes:
        if note.reset_before:
            body.append(r"\oraclereset{" + ",".join(dict.fromkeys(c.key for c in note.cites)) + "}")
        body.append(note_latex(note) + r"\par")
    return PREAMBLE.replace("%(option)s", option) + "\n".join(body) + "\n\\end{document}\n"


BIB_MARK_RE = re.compile(r"\[\[([^\[\]\s]+)\]\]")

BIB_PREAMBLE = PREAMBLE.split(r"\makeatletter")[0] + r"""
%% The 3-em dash of a repeated author as text (biblatex-chicago draws a rule): read back.
\AtBeginDocument{\renewcommand*{\bibnamedash}{\textemdash\textemdash\textemdash}}
%% One entry a line, marked "[[key]] ", no hanging indent.
\defbibenvironment{bibliography}{\raggedright}{}{\endgraf\noindent[[\thefield{entrykey}]]\space}
\hyphenpenalty=10000
\exhyphenpenalty=10000
\tolerance=10000
\setlength{\parindent}{0pt}
\setlength{\parskip}{0pt}
\setlength{\bibitemsep}{0pt}
\pagestyle{empty}
\begin{document}
\fontsize{1pt}{1pt}\selectfont
\nocite{*}
\printbibliography[heading=none]
\end{document}
"""


def bibliography_document() -> str:
    return BIB_PREAMBLE.replace("%(option)s", "useibid=true")


def read_bibliography(pdf: Path) -> list[tuple[str, str]]:
    """(key, Markdown-like text) of every entry of the printed bibliography, in order,
    checked against pdftotext's plain text."""
    def split(lines: list[list[Run]]) -> list[tuple[str, list[Run]]]:
        return split_marked(lines, BIB_MARK_RE, "an entry mark (an entry that wrapped?)")

    lines = text_lines(pdf)
    entries = [(key, runs_to_markdown(runs)) for key, runs in split(lines)]
    proc = capture(["pdftotext", "-raw", "-enc", "UTF-8", "-nopgbrk", str(pdf), "-"])
    if proc.returncode != 0:
        raise OracleError(f"pdftotext failed: {proc.stderr.strip()}")
    plain = split([[Run(clean_text(ln).strip(), False)] for ln in proc.stdout.splitlines() if ln.strip()])
    bad = []
    for (key, text), (key2, runs) in zip(entries, plain, strict=True):
        expected = unicodedata.normalize("NFC", " ".join("".join(r.text for r in runs).split()))
        if key != key2 or text.replace("*", "") != expected:
            bad.append(f"{key}:\n    pdftohtml: {text}\n    pdftotext: {expected}")
    if bad:
        raise OracleError("pdftohtml and pdftotext read the bibliography differently:\n"
                          + "\n".join(bad[:10]))
    return entries


def bibliography_golden(bib: Path, keep: Path | None, versions: dict[str, str]) -> tuple[dict, list[str]]:
    """The printed bibliography of every entry of ``bib``."""
    entries = parse_entries(bib)
    with tempfile.TemporaryDirectory(prefix=f"chicago-{bib.stem}-bib-") as tmp:
        workdir = (keep / f"{bib.stem}.bibliography") if keep else Path(tmp)
        if keep and workdir.exists():
            shutil.rmtree(workdir)
        pdf, warnings = compile_pdf(workdir, bib, [], "", tex=bibliography_document())
        missing = missing_characters(workdir)
        if missing:
            raise OracleError("the font lacks characters the bibliography needs: "
                              + "; ".join(f"{c} in {f}" for c, f in missing))
        printed = read_bibliography(pdf)
    unknown = sorted({k for k, _ in printed} - {e.key for e in entries})
    if unknown:
        raise OracleError(f"the bibliography lists keys not in {bib.name}: {', '.join(unknown)}")
    return {
        "generator": (f"tests/oracle/chicago_golden.py: XeLaTeX, biber {versions['biber']}, "
                      f"biblatex {versions['biblatex']}, biblatex-chicago notes, \\printbibliography"),
        "biblatex_chicago_version": versions["biblatex-chicago"],
        "options": "nocite=*",
        "source": f"entries/{bib.name}",
        "entries": [{"n": i, "key": key, "text": text} for i, (key, text) in enumerate(printed, 1)],
    }, warnings


# --------------------------------------------------------------------------
# Running TeX


def capture(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a tool, its output as text (UTF-8, never failing on a bad byte), no exception on exit."""
    return subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", check=False)


def run(cmd: list[str], cwd: Path, what: str, notes: list[Note]) -> subprocess.CompletedProcess:
    proc = capture(cmd, cwd)
    if proc.returncode != 0:
        raise OracleError(f"{what} failed (exit {proc.returncode}):\n{_tex_errors(cwd, proc, notes)}")
    return proc


def _tex_errors(cwd: Path, proc: subprocess.CompletedProcess, notes: list[Note]) -> str:
    """The error lines of biber's .blg or XeLaTeX's .log, naming the note (and so the keys)."""
    out = []
    blg = cwd / "notes.blg"
    if "biber" in proc.args[0] and blg.exists():
        bib = (cwd / "entries.bib").read_text(encoding="utf-8", errors="replace")
        for ln in blg.read_text(errors="replace").splitlines():
            if " ERROR - " in ln:
                out.append(ln)
                m = re.search(r"\bline (\d+)\b", ln)
                key = _entry_at_line(bib, int(m.group(1))) if m else None
                if key:
                    out.append(f"(line {m.group(1)} of the .bib is in entry {key!r})")
    log = cwd / "notes.log"
    if "xelatex" in proc.args[0] and log.exists():
        lines = log.read_text(errors="replace").splitlines()
        tex_lines = (cwd / "notes.tex").read_text(encoding="utf-8").splitlines()
        for i, ln in enumerate(lines):
            m = re.match(r"^(?:\./)?notes\.tex:(\d+): (.*)", ln) or re.match(r"^!\s*(.*)", ln)
            if not m:
                continue
            out += lines[i:i + 4]
            if m.re.pattern.startswith("^(?:"):
                tex_line = int(m.group(1))
                note = _note_at(tex_lines, tex_line, notes)
                out.append(f"(notes.tex line {tex_line}: {tex_lines[tex_line - 1].strip()}"
                           + (f"; note {note[0]}, {note[1].source}" if note else "") + ")")
    if not out:
        out = (proc.stdout + proc.stderr).splitlines()[-30:]
    return "\n".join(out)


def _entry_at_line(bib: str, line: int) -> str | None:
    """The key of the last entry that starts at or before ``line`` (1-based) of a .bib text."""
    key = None
    for m in _ENTRY_RE.finditer(bib):
        if bib.count("\n", 0, m.start()) + 1 > line:
            break
        key = m.group(2)
    return key


def _note_at(tex_lines: list[str], line: int, notes: list[Note]) -> tuple[int, Note] | None:
    """The note whose LaTeX is on ``line`` of notes.tex (1-based), by counting \\par lines."""
    count = 0
    for i, text in enumerate(tex_lines[:line], 1):
        if text.endswith(r"\par"):
            count += 1
            if i == line:
                return count, notes[count - 1]
    return None


def compile_pdf(workdir: Path, bib: Path, notes: list[Note], option: str,
                tex: str | None = None) -> tuple[Path, list[str]]:
    """Typeset the notes (or the document ``tex``); returns the PDF and the warnings of biber
    and biblatex."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bib, workdir / "entries.bib")
    (workdir / "notes.tex").write_text(tex if tex is not None else document(notes, option),
                                       encoding="utf-8")
    xelatex = ["xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "notes.tex"]
    run(xelatex, workdir, "xelatex (1st run)", notes)
    run(["biber", "notes"], workdir, "biber", notes)
    run(xelatex, workdir, "xelatex (2nd run)", notes)
    run(xelatex, workdir, "xelatex (3rd run)", notes)
    for n in (4, 5):  # biblatex asks for another run when notes moved (it should not, here)
        log = (workdir / "notes.log").read_text(errors="replace")
        if not re.search(r"Please rerun LaTeX|Rerun to get", log):
            break
        run(xelatex, workdir, f"xelatex ({n}th run)", notes)
    return workdir / "notes.pdf", collect_warnings(workdir)


def collect_warnings(workdir: Path) -> list[str]:
    warnings = []
    blg = workdir / "notes.blg"
    if blg.exists():
        for ln in blg.read_text(errors="replace").splitlines():
            m = re.search(r"> (WARN|ERROR) - (.*)$", ln)
            if m:
                warnings.append(f"biber: {m.group(2)}")
    log = (workdir / "notes.log").read_text(errors="replace")
    # TeX wraps log lines at 79 characters; "(biblatex)" and the like continue a warning.
    for m in re.finditer(r"^(?:Package (\S+) Warning|(LaTeX) Warning|(LaTeX Font) Warning): "
                         r"(.*(?:\n\([\w ]+\)\s+.*)*)", log, re.MULTILINE):
        origin = m.group(1) or m.group(2) or m.group(3)
        text = " ".join(re.sub(r"^\([\w ]+\)\s+", "", part).strip()
                        for part in m.group(4).splitlines())
        warnings.append(f"{origin}: {text}")
    seen: set[str] = set()
    return [w for w in warnings if not (w in seen or seen.add(w))]


def missing_characters(workdir: Path) -> list[str]:
    log = (workdir / "notes.log").read_text(errors="replace")
    return sorted(set(re.findall(r"^Missing character: There is no (.*?) in font (.*?)!$", log,
                                 re.MULTILINE)))


# --------------------------------------------------------------------------
# Reading the notes back from the PDF

ZOOM = 4  # pdftohtml's coordinates are whole numbers: zoom in for the gaps between pieces
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "st", "\ufb06": "st"}
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


@dataclass
class Run:
    text: str
    italic: bool


@dataclass
class Line:
    page: int
    top: float
    left: float
    right: float
    size: float
    runs: list[Run] = field(default_factory=list)


def _runs_of(elem: ET.Element, italic: bool = False) -> list[Run]:
    """Text runs of a pdftohtml <text> element with their italics (<i>); <b>, <a> are looked through."""
    runs = []
    if elem.text:
        runs.append(Run(elem.text, italic))
    for child in elem:
        runs += _runs_of(child, italic or child.tag == "i")
        if child.tail:
            runs.append(Run(child.tail, italic))
    return runs


def pdf_lines(pdf: Path) -> list[Line]:
    """The text lines of the PDF in reading order, each a list of runs."""
    proc = capture(["pdftohtml", "-xml", "-i", "-stdout", "-q", "-nodrm", "-zoom", str(ZOOM), str(pdf)])
    if proc.returncode != 0:
        raise OracleError(f"pdftohtml failed: {proc.stderr.strip()}")
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", proc.stdout))
    pieces: list[Line] = []
    for page in root.iter("page"):
        pno = int(page.get("number"))
        sizes = {f.get("id"): float(f.get("size")) for f in page.iter("fontspec")}
        for t in page.iter("text"):
            top, left, width = float(t.get("top")), float(t.get("left")), float(t.get("width"))
            size = sizes.get(t.get("font"), float(t.get("height")))
            pieces.append(Line(pno, top, left, left + width, size, _runs_of(t)))
    pieces.sort(key=lambda p: (p.page, p.top, p.left))
    lines: list[Line] = []
    for p in pieces:  # pieces of one line (same page, same top) are joined, left to right
        if lines and lines[-1].page == p.page and abs(lines[-1].top - p.top) < 0.3 * p.size:
            last = lines[-1]
            if p.left - last.right > 0.2 * p.size:  # kerns and italic corrections < 0.15 em < spaces
                last.runs.append(Run(" ", False))
            last.runs += p.runs
            last.right = max(last.right, p.right)
        else:
            lines.append(p)
    return lines


def clean_text(text: str) -> str:
    for lig, plain in _LIGATURES.items():
        text = text.replace(lig, plain)
    return _SPACES.sub(" ", text)


def runs_to_markdown(runs: list[Run]) -> str:
    """Italic runs as *...*, adjacent ones merged, spaces outside the asterisks."""
    items = [Run(text, r.italic) for r in runs if (text := clean_text(r.text))]
    for i, r in enumerate(items):  # a space between two italic runs is italic, else roman
        if not r.text.strip():
            r.italic = (i > 0 and items[i - 1].italic) and (i + 1 < len(items) and items[i + 1].italic)
    merged: list[Run] = []
    for r in items:
        if merged and merged[-1].italic == r.italic:
            merged[-1].text += r.text
        else:
            merged.append(Run(r.text, r.italic))
    out = []
    for r in merged:
        if r.italic:
            lead = " " if r.text[:1] == " " else ""
            trail = " " if r.text[-1:] == " " else ""
            out.append(f"{lead}*{' '.join(r.text.split())}*{trail}")
        else:
            out.append(r.text)
    return unicodedata.normalize("NFC", re.sub(r" +", " ", "".join(out)).strip())


def split_marked(lines: list[list[Run]], mark: re.Pattern, what: str) -> list[tuple[str, list[Run]]]:
    """(mark, runs without the mark) of every line; each line must start with ``mark``."""
    out = []
    for runs in lines:
        first = "".join(r.text for r in runs)
        m = mark.match(first)
        if not m:
            raise OracleError(f"a line of the PDF that does not start with {what}: {first!r}")
        kept, drop = [], m.end()
        for r in runs:
            if drop >= len(r.text):
                drop -= len(r.text)
                continue
            kept.append(Run(r.text[drop:], r.italic))
            drop = 0
        out.append((m.group(1), kept))
    return out


def split_notes(lines: list[list[Run]], count: int) -> list[list[Run]]:
    """Runs of notes 1..count: every note starts a line with its mark [[N]]."""
    marked = split_marked(lines, MARK_RE, "a note mark (a note that wrapped, or text outside the notes)")
    numbers = [int(mark) for mark, _ in marked]
    notes = [runs for _, runs in marked]
    if numbers != list(range(1, count + 1)):
        raise OracleError(f"expected notes 1..{count} in the PDF, read {len(numbers)} "
                          f"(numbers {numbers[:5]}...{numbers[-5:]})")
    return notes


def text_lines(pdf: Path) -> list[list[Run]]:
    """The PDF's lines as runs, cleaned, without leading spaces."""
    lines = []
    for line in pdf_lines(pdf):
        runs = [Run(clean_text(r.text), r.italic) for r in line.runs]
        while runs and not runs[0].text.strip():
            runs.pop(0)
        if runs:
            runs[0].text = runs[0].text.lstrip()
            lines.append(runs)
    return lines


def read_notes(pdf: Path, count: int) -> list[str]:
    """The Markdown-like text of notes 1..count, checked against pdftotext's plain text."""
    lines = text_lines(pdf)
    texts = [runs_to_markdown(r) for r in split_notes(lines, count)]
    # Cross-check: the same notes as pdftotext reads them, without italics.
    proc = capture(["pdftotext", "-raw", "-enc", "UTF-8", "-nopgbrk", str(pdf), "-"])
    if proc.returncode != 0:
        raise OracleError(f"pdftotext failed: {proc.stderr.strip()}")
    plain = split_notes([[Run(clean_text(ln).strip(), False)] for ln in proc.stdout.splitlines()
                         if ln.strip()], count)
    bad = []
    for n, (text, runs) in enumerate(zip(texts, plain, strict=True), 1):
        expected = unicodedata.normalize("NFC", " ".join("".join(r.text for r in runs).split()))
        if text.replace("*", "") != expected:
            bad.append(f"note {n}:\n    pdftohtml: {text}\n    pdftotext: {expected}")
    if bad:
        raise OracleError("pdftohtml and pdftotext read the notes differently:\n" + "\n".join(bad[:10]))
    return texts


# --------------------------------------------------------------------------
# Versions, checks, main


def provided_version(filename: str) -> str:
    """'v (date)' of a TeX file, from its \\Provides... line (biblatex's through its macros)."""
    path = capture(["kpsewhich", filename]).stdout.strip()
    if not path:
        return "?"
    text = Path(path).read_text(errors="replace")
    macros = dict(re.findall(r"\\def\\abx@(date|version)\{([^}]*)\}", text))
    text = text.replace(r"\abx@date\space", macros.get("date", "?")).replace(
        r"\abx@version", macros.get("version", "?"))
    m = re.search(r"\\Provides(?:Package|File)\{[^}]*\}\s*\[\s*(\S+)\s+v\s*([\w.]+)", text)
    return f"{m.group(2)} ({m.group(1)})" if m else "?"


def tool_versions() -> dict[str, str]:
    biber = capture(["biber", "--version"]).stdout
    m = re.search(r"version:\s*(\S+)", biber)
    return {"biblatex-chicago": provided_version("chicago-notes.cbx"),
            "biblatex": provided_version("biblatex.sty"),
            "biber": m.group(1) if m else "?"}


def check_tools() -> None:
    missing = [t for t in TOOLS if not shutil.which(t)]
    if not missing:
        missing = [f for f in TEX_FILES
                   if not capture(["kpsewhich", f]).stdout.strip()]
    if missing:
        sys.exit(f"error: missing {', '.join(missing)}; install the TeX tools with\n    {APT_LINE}")


def golden_for(bib: Path, keep: Path | None, versions: dict[str, str]) -> dict[str, tuple[dict, list]]:
    entries = parse_entries(bib)
    notes = standard_sequence(entries)
    seq = bib.with_suffix(".seq")
    if seq.exists():
        notes += parse_seq(seq)
    keys = {e.key for e in entries}
    unknown = sorted({c.key for n in notes for c in n.cites} - keys)
    if unknown:
        raise OracleError(f"{seq.name}: keys not in {bib.name}: {', '.join(unknown)}")
    generator = (f"tests/oracle/chicago_golden.py: XeLaTeX, biber {versions['biber']}, "
                 f"biblatex {versions['biblatex']}, biblatex-chicago notes")
    def variant(option: str, suffix: str) -> tuple[dict, list[str]]:
        with tempfile.TemporaryDirectory(prefix=f"chicago-{bib.stem}-{suffix}-") as tmp:
            workdir = (keep / f"{bib.stem}.{suffix}") if keep else Path(tmp)
            if keep and workdir.exists():
                shutil.rmtree(workdir)
            pdf, warnings = compile_pdf(workdir, bib, notes, option)
            missing = missing_characters(workdir)
            if missing:
                raise OracleError(f"{option}: the font lacks characters the notes need (they would be "
                                  "lost): " + "; ".join(f"{c} in {f}" for c, f in missing))
            texts = read_notes(pdf, len(notes))
        return {
            "generator": generator,
            "biblatex_chicago_version": versions["biblatex-chicago"],
            "options": option,
            "source": f"entries/{bib.name}",
            "notes": [{"n": i, "reset_before": note.reset_before,
                       "cites": [c.as_json() for c in note.cites], "text": text}
                      for i, (note, text) in enumerate(zip(notes, texts, strict=True), 1)],
        }, warnings

    # The two variants are independent runs: one a core.
    with ThreadPoolExecutor(max_workers=len(VARIANTS)) as pool:
        futures = {suffix: pool.submit(variant, option, suffix) for suffix, option in VARIANTS}
        return {suffix: f.result() for suffix, f in futures.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", metavar="STEM", action="append",
                    help="regenerate entries/STEM.bib only (may be repeated)")
    ap.add_argument("--keep", metavar="DIR", type=Path,
                    help="keep the LaTeX folders in DIR/<stem>.<ibid|noibid>")
    ap.add_argument("--bibliography-only", action="store_true",
                    help="make only golden/STEM.bibliography.json (one TeX run per file)")
    ap.add_argument("--entries", type=Path, default=ENTRIES, help=argparse.SUPPRESS)
    ap.add_argument("--golden", type=Path, default=GOLDEN, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    check_tools()
    bibs = sorted(args.entries.glob("*.bib"))
    if args.only:
        bibs = [b for b in bibs if b.stem in args.only]
        missing = set(args.only) - {b.stem for b in bibs}
        if missing:
            sys.exit(f"error: no entries file {', '.join(sorted(missing))}.bib in {args.entries}")
    if not bibs:
        sys.exit(f"error: no .bib files in {args.entries}")
    if args.keep:
        args.keep = args.keep.resolve()
        args.keep.mkdir(parents=True, exist_ok=True)
    versions = tool_versions()
    print(f"biblatex-chicago {versions['biblatex-chicago']}, biblatex {versions['biblatex']}, "
          f"biber {versions['biber']}")
    args.golden.mkdir(parents=True, exist_ok=True)
    failed, written, start = [], 0, time.monotonic()
    for bib in bibs:
        t0 = time.monotonic()
        print(f"{bib.name}: ", end="", flush=True)
        try:
            listed, warnings = bibliography_golden(bib, args.keep, versions)
        except OracleError as exc:
            print(f"FAILED (bibliography)\n  {str(exc).replace(chr(10), chr(10) + '  ')}")
            failed.append(bib.name)
            continue
        out = args.golden / f"{bib.stem}.bibliography.json"
        out.write_text(json.dumps(listed, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written += 1
        print(f"{len(listed['entries'])} bibliography entries -> golden/{out.name}", end="", flush=True)
        for w in warnings:
            print(f"\n  warning (bibliography): {w}", end="")
        if args.bibliography_only:
            print(f" ({time.monotonic() - t0:.1f} s)")
            continue
        print("; ", end="", flush=True)
        try:
            results = golden_for(bib, args.keep, versions)
        except OracleError as exc:
            print(f"FAILED\n  {str(exc).replace(chr(10), chr(10) + '  ')}")
            failed.append(bib.name)
            continue
        for suffix, (data, _warnings) in results.items():
            out = args.golden / f"{bib.stem}.{suffix}.json"
            out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            written += 1
        n = len(results["ibid"][0]["notes"])
        print(f"{n} notes -> golden/{bib.stem}.{{ibid,noibid}}.json ({time.monotonic() - t0:.1f} s)")
        where: dict[str, list[str]] = {}
        for suffix, (_data, warnings) in results.items():
            for w in warnings:
                where.setdefault(w, []).append(suffix)
        for w, suffixes in where.items():
            print(f"  warning{'' if len(suffixes) == len(results) else ' (' + suffixes[0] + ')'}: {w}")
    print(f"{written} golden files written, {len(failed)} entries files failed"
          f"{' (' + ', '.join(failed) + ')' if failed else ''}, {time.monotonic() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
