"""``pressroom diff``: a changes PDF between two versions of a manuscript.

Both versions go through the whole pipeline with the same template (the new
one in its build folder, the old one in ``<build>/.changes-old/build/``, each
incremental), then latexdiff compares the two ``.tex`` files and XeLaTeX
compiles the result into ``<stem>-changes.pdf``: additions underlined in blue,
deletions struck through in red, in the text, headings, captions, the title
page and inside the notes (pressroom's notes are text in ``\\footnote{}``, so a
changed page number in a note is a changed word like any other).

The old version is either another Markdown file (``--against OLD.md``) or
the manuscript's folder as a git revision holds it (``--since REV``): its
tracked files are written to ``<build>/.changes-old/source/`` (files whose
bytes did not change are left alone, so the old build stays incremental).

What latexdiff gives is adjusted in three ways (:func:`decorate`):

- the first page says which two versions are compared, and how changes are marked;
- a note deleted as a whole prints a red × instead of a number and does not
  step the counter, so the notes are numbered as in the new version (latexdiff
  steps the counter back, which gives two notes the same number);
- the line marks convert leaves in the LaTeX (``%%md-KEY:LINE``) are removed
  before the comparison: their key differs from one version to the other.

The step itself is incremental: ``.changes.json`` keeps a digest of what it
read, and a diff with nothing new reuses the PDF.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PressroomError, ToolError, UsageError
from .latex import latex_escape
from .reproducible import _GIT_SAFE
from .sourcelines import LINE_MARK
from .tools import Limits, atomic_write, operand, run, write_text_atomic

if TYPE_CHECKING:
    from .config import Settings

#: The old version's folders inside the new version's build folder.
OLD_DIR = ".changes-old"
#: What the step read last time (digest) and wrote (the PDF's sha256).
STATE = ".changes.json"
_PREAMBLE_LINE = re.compile(r"^.*%DIF PREAMBLE$", re.MULTILINE)
_LINE_MARKS = re.compile(rf"^{re.escape(LINE_MARK)}[0-9a-f]+:(?:\d+|end)\n", re.MULTILINE)
#: latexdiff's options: no file names or dates in the output (reproducible), new and changed
#: figures framed in blue but deleted ones not drawn (their files are in the other build
#: folder, which TeX may not read), markup with ulem (underline, strikeout).
LATEXDIFF_OPTIONS = ("--no-label", "--encoding=utf8", "--type=UNDERLINE", "--subtype=SAFE",
                     "--graphics-markup=new-only",
                     # a cross-reference's number is the text of a link (crossref.py): a renumbered
                     # "figure 2" is marked as changed, not shown new and unmarked
                     "--append-textcmd=hyperref")

#: After latexdiff's preamble: deleted notes are marked, not numbered (module docstring).
_PREAMBLE = r"""
%% pressroom: a note deleted as a whole prints a red x and keeps the new version's numbering
\makeatletter
\newif\ifpressroom@deleted
\LetLtxMacro\pressroom@delbegin\DIFdelbegin
\LetLtxMacro\pressroom@delend\DIFdelend
\DeclareRobustCommand\DIFdelbegin{\pressroom@delbegin\global\pressroom@deletedtrue}
\DeclareRobustCommand\DIFdelend{\pressroom@delend\global\pressroom@deletedfalse}
\newcounter{pressroomdeletednote}
\newcommand\pressroom@deletednote[1]{\begingroup\stepcounter{pressroomdeletednote}%
  \def\thefootnote{\textcolor{red}{\texttimes}}%
  \edef\theHfootnote{deleted.\arabic{pressroomdeletednote}}%
  \footnotemark[0]\footnotetext[0]{#1}\endgroup}
\AtBeginDocument{\LetLtxMacro\pressroom@footnote\footnote
  \renewcommand\footnote[1]{\ifpressroom@deleted\pressroom@deletednote{#1}\else\pressroom@footnote{#1}\fi}}
\makeatother
"""


@dataclass(frozen=True)
class OldVersion:
    """The old version: its manuscript file, what the first page calls it, and (from git) the
    commit's time, which dates its build when its header has no full version date."""

    manuscript: Path
    label: str
    epoch: int | None = None


# -- the old version --------------------------------------------------------

def _git(args: list[str], *, cwd: Path, limits: Limits, file: Path, input: bytes | None = None,
         check: bool = True):
    return run(["git", *_GIT_SAFE, "--literal-pathspecs", *args], cwd=cwd, limits=limits,
               stage="diff", file=file, input=input, check=check)


def find_revision(manuscript: Path, revision: str, limits: Limits) -> tuple[Path, str, str]:
    """The repository of ``manuscript``'s folder, the folder's path in it, and the commit that
    ``revision`` names: asked before anything is built, so that a revision git does not know is
    a usage error at once."""
    if not revision or revision.startswith("-") or "\x00" in revision:
        raise UsageError(f"not a git revision: {revision!r}", hint="e.g. --since HEAD~1, a tag or a commit")
    folder = manuscript.parent
    top = _git(["rev-parse", "--show-toplevel"], cwd=folder, limits=limits, file=manuscript, check=False)
    if top.returncode != 0:
        raise UsageError(f"--since needs a git repository, and {folder} is in none",
                         hint="compare with another file instead: --against OLD.md")
    root = Path(top.stdout.decode("utf-8", "surrogateescape").strip())
    prefix = folder.resolve().relative_to(root.resolve()).as_posix()
    found = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
                 cwd=root, limits=limits, file=manuscript, check=False)
    if found.returncode != 0:
        raise UsageError(f"no revision {revision!r} in the repository of {manuscript.name}",
                         hint="give a commit, tag or branch that `git log` shows, e.g. --since HEAD~1")
    return root, prefix, found.stdout.decode().strip()


def from_git(manuscript: Path, revision: str, dest: Path, limits: Limits) -> OldVersion:
    """The manuscript's folder as ``revision`` of its repository holds it, written to ``dest``."""
    root, prefix, commit = find_revision(manuscript, revision, limits)
    short, epoch, day = _git(["log", "--no-show-signature", "-1", "--format=%h%x00%ct%x00%cs", commit],
                             cwd=root, limits=limits, file=manuscript).stdout.decode().strip().split("\0")
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", "." if prefix == "." else prefix],
                   cwd=root, limits=limits, file=manuscript).stdout
    blobs: dict[str, str] = {}
    for entry in filter(None, listing.split(b"\0")):
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        rel = path.decode("utf-8", "surrogateescape")
        rel = rel if prefix == "." else rel[len(prefix) + 1:]
        parts = rel.split("/")
        # regular files only (no links, no submodules), and only names that stay inside dest
        if kind == "blob" and mode in ("100644", "100755") and not any(
                p in ("", ".", "..", ".git") for p in parts):
            blobs[rel] = sha
    name = manuscript.name
    if name not in blobs:
        raise UsageError(f"{name} is not in revision {revision} ({short}) of {prefix}/",
                         hint="choose a revision in which the manuscript was committed (git log -- "
                              f"{operand(name)})")
    _write_tree(dest, _read_blobs(blobs, cwd=root, limits=limits, file=manuscript))
    return OldVersion(dest / name, f"revision {revision} ({short}, {day})", int(epoch))


def _read_blobs(blobs: dict[str, str], *, cwd: Path, limits: Limits, file: Path) -> dict[str, bytes]:
    """Every blob in one ``git cat-file --batch`` run."""
    order = sorted(blobs)
    out = _git(["cat-file", "--batch"], cwd=cwd, limits=limits, file=file,
               input="".join(f"{blobs[rel]}\n" for rel in order).encode()).stdout
    files, pos = {}, 0
    for rel in order:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        files[rel] = out[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return files


def _write_tree(dest: Path, files: dict[str, bytes]) -> None:
    """``dest`` holds exactly ``files``; a file whose bytes did not change is not rewritten."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = dest / rel
        if not target.resolve().is_relative_to(dest.resolve()):
            continue
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as fh:
            fh.write(data)
    for path in sorted(dest.rglob("*"), reverse=True):   # files the revision does not have
        rel = path.relative_to(dest).as_posix()
        if path.is_file() and rel not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def from_file(path: Path, new: Path) -> OldVersion:
    """Another Markdown file; named with its folder when it has the new version's name."""
    return OldVersion(path, file_label(path, new))


def file_label(path: Path, other: Path) -> str:
    """How the first page names a file: its name, or folder/name when ``other`` has the same name."""
    return f"{path.parent.name}/{path.name}" if path.name == other.name and path.parent.name else path.name


# -- the comparison ---------------------------------------------------------

def version_date(settings: Settings) -> str:
    """How the first page dates a version: its header's version date, else its build date."""
    if settings.version_date:
        return f"version date {settings.version_date}"
    return "dated " + datetime.fromtimestamp(settings.source_date_epoch, UTC).strftime("%Y-%m-%d")


def heading(old: OldVersion, old_settings: Settings, new_label: str, new_settings: Settings) -> str:
    """The sentence at the top of the first page (plain text)."""
    return (f"Changes from {old.label}, {version_date(old_settings)}, "
            f"to {new_label}, {version_date(new_settings)}.")


def strip_marks(tex: str) -> str:
    return _LINE_MARKS.sub("", tex)


def decorate(diff: str, title: str) -> str:
    """latexdiff's output with the first page's heading and the deleted notes unnumbered."""
    if "\\begin{document}" not in diff:
        raise ToolError("diff: latexdiff wrote no document (no \\begin{document})")
    legend = (r"Added text is \DIFadd{underlined in blue}, deleted text \DIFdel{struck through in red}; "
              r"a deleted note is marked \textcolor{red}{\texttimes}.")
    head = (r"\AddToHookNext{shipout/foreground}{\put(0,0){\raisebox{-0.55in}[0pt][0pt]{"
            r"\hspace*{\dimexpr1in+\oddsidemargin\relax}\parbox[t]{\textwidth}{\normalfont\footnotesize"
            r"\setlength{\parskip}{0pt}\raggedright " + latex_escape(title) + r"\\ " + legend + "}}}}\n")
    # a straight underline: ulem's wave is made of glyphs, which text extraction reads as colons
    diff = _PREAMBLE_LINE.sub(lambda m: m.group(0).replace("\\uwave", "\\uline"), diff)
    diff = diff.replace("\\begin{document}", _PREAMBLE + "\\begin{document}\n" + head, 1)
    # latexdiff steps the counter back after a deleted note; ours never stepped it
    return diff.replace("\\addtocounter{footnote}{-1}%DIFAUXCMD", "%DIFAUXCMD")


def run_latexdiff(new: Settings, old: Settings) -> str:
    """latexdiff on the two .tex files, without their line marks; its output."""
    work = new.out_dir / OLD_DIR
    pair = []
    for which, settings in (("old", old), ("new", new)):
        text = strip_marks(settings.output(".tex").read_text(encoding="utf-8"))
        pair.append(write_text_atomic(work / f"{which}.tex", text))
    result = run(["latexdiff", *LATEXDIFF_OPTIONS, "--", *(operand(p.relative_to(work)) for p in pair)],
                 cwd=work, limits=new.limits, stage="diff", file=new.manuscript)
    return result.stdout.decode("utf-8")


def _digest(new: Settings, old: Settings, title: str) -> str:
    h = hashlib.sha256()
    for part in (new.output(".tex").read_bytes(), old.output(".tex").read_bytes(), title.encode(),
                 Path(__file__).read_bytes(), repr((new.engine, new.safe, new.source_date_epoch)).encode()):
        h.update(hashlib.sha256(part).digest())
    for figure in sorted(p for p in (new.out_dir / "figures").rglob("*") if p.is_file()) \
            if (new.out_dir / "figures").is_dir() else ():
        h.update(figure.name.encode() + hashlib.sha256(figure.read_bytes()).digest())
    return h.hexdigest()


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def changes_pdf(new: Settings, old: Settings, title: str) -> tuple[Path, bool]:
    """Make ``<stem>-changes.pdf`` (unless nothing it reads changed); (its path, whether it ran)."""
    from .compile import check_log, typeset
    from .pdfmeta import expected, write_metadata
    pdf = new.output("-changes.pdf")
    state = new.out_dir / STATE
    digest = _digest(new, old, title)
    try:
        kept = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    if kept.get("digest") == digest and kept.get("pdf") == _sha256(pdf):
        return pdf, False
    tex = write_text_atomic(new.output("-changes.tex"), decorate(run_latexdiff(new, old), title))
    raw, log = typeset(new, tex, stage="diff")
    check_log(log, tex)
    write_metadata(raw, pdf, expected(new, draft=False))
    write_text_atomic(state, json.dumps({"digest": digest, "pdf": _sha256(pdf)}) + "\n")
    return pdf, True


def build_failed(which: str, exc: PressroomError) -> PressroomError:
    """``exc`` from building one of the two versions, saying which one failed."""
    exc.message = f"the {which} does not build: {exc.message}"
    return exc


def old_settings_for(new: Settings, old: OldVersion, *, warnings) -> Settings:
    """The old version's settings: its own header, the new version's template, command line and
    limits; dated by its commit when its header gives no full date."""
    import dataclasses

    from .config import build_settings
    from .errors import Warnings
    from .manuscript import read_manuscript
    quiet = Warnings(echo=False)   # the old header's date warning is answered below
    try:
        manuscript = read_manuscript(old.manuscript, quiet)
        settings = build_settings(manuscript, out_dir=new.out_dir / OLD_DIR / "build",
                                  template=new.template_name, verbose=new.verbose, safe=new.safe,
                                  time_limit=new.time_limit, memory_limit=new.memory_limit, warnings=quiet)
    except PressroomError as exc:
        raise build_failed(f"old version ({old.label})", exc) from None
    if old.epoch is not None and settings.source_date_origin != "version-date":
        settings = dataclasses.replace(settings, source_date_epoch=old.epoch, source_date_origin="git")
    for message, file, line in quiet.records:
        if "version-date" not in message or old.epoch is None:
            warnings.warn(f"old version: {message}", file=file, line=line)
    return settings


def timed(label: str, started: float) -> str:
    return f"{label:<8} {time.perf_counter() - started:6.2f} s"

