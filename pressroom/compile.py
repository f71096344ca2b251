"""Compile stage: ``<stem>.tex`` → ``<stem>.pdf`` with XeLaTeX (or LuaLaTeX).

TeX runs in the build folder with shell escape off and kpathsea's paranoid
file access (``openin_any=p``, ``openout_any=p``): it can read and write only
below the build folder, so the figures the body includes are copied there
first. Auxiliary files stay in ``tex/`` so the next build starts warm. With
``--safe``, the operating system confines it as well (sandbox.py): only the
TeX tree and the build folder exist for it, and there is no network; LuaLaTeX
runs with ``--nosocket``.

A body that reads nothing back from the ``.aux`` (footnotes, no cross-
references: every template's usual case) needs exactly one pass, so the
engine runs once, directly. Anything else goes through latexmk, which knows
how many passes references, tables and contents need; so does a one-pass
build whose log shows an undefined reference (a template that reads the
``.aux`` itself, e.g. lastpage in a footer). Both paths make the
PDF with the same commands (``-no-pdf``, then ``xdvipdfmx -E``), so they give
the same bytes. (latexmk's own start-up and its md5 of every input cost
0.35–0.45 s per build, a fifth of a one-paragraph rebuild.)

The PDF TeX made is then given its metadata and written to ``<stem>.pdf``
atomically: a failed compile leaves the previous good PDF untouched.

Every date in the PDF comes from ``SOURCE_DATE_EPOCH`` (the settings), never
from the clock.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .errors import LatexError, LimitExceeded, ManuscriptError, ToolError, ToolMissing, Warnings
from .frontfields import read_front
from .sandbox import Sandbox, require
from .sourcelines import find_line_in, markdown_place
from .tools import operand
from .tools import run as run_tool

if TYPE_CHECKING:
    from .warmtex import WarmTex

AUX_DIR = "tex"
_MISSING_GLYPH = re.compile(r"Missing character: There is no (.+?) \(U\+([0-9A-F]+)\) in font (.+?)!")
_MISSING_GLYPH_OLD = re.compile(r"Missing character: There is no (.) in font (.+?)!")
_FILE_LINE_ERROR = re.compile(r"^(?:\./)?([^:\s]+\.tex):(\d+): (.*)$")


@dataclass(frozen=True)
class TexEnvironment:
    """The environment TeX runs in: reproducible dates, no shell, paranoid file access."""

    source_date_epoch: int
    #: the folder of the engine's uncompressed format (texformat.py), or None: TeX's own
    formats: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> TexEnvironment:
        from . import texformat
        home = None if settings.safe else os.environ.get("HOME")
        return cls(settings.source_date_epoch, texformat.folder(settings.engine, home=home))

    def settings(self) -> dict[str, str]:
        """TeX's own variables: all a confined TeX gets besides the sandbox's (sandbox.py)."""
        return {
            "SOURCE_DATE_EPOCH": str(self.source_date_epoch),
            "FORCE_SOURCE_DATE": "1",
            "openin_any": "p",
            "openout_any": "p",
            "shell_escape": "f",
            "max_print_line": "10000",   # one log line per message: parseable
            "TZ": "UTC",
            # glibc's malloc asks for transparent huge pages: the 170 MB a XeTeX process fills at
            # its start (its Unicode-sized tables) then fault in 2 MB at a time, not 4 kB (45,000
            # page faults -> 3,500), about 0.1 s less CPU a pass; memory, not output (glibc >= 2.35;
            # others ignore it)
            "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
            **({"TEXFORMATS": str(self.formats)} if self.formats else {}),
        }

    def variables(self) -> dict[str, str]:
        """pressroom's environment, without the user's TeX settings, and TeX's own."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TEXMF", "TEXINPUTS", "TEXFORMATS", "openin", "openout", "shell_escape"))}
        env.update(self.settings())
        return env

    def of_run(self, settings: Settings) -> dict[str, str]:
        """The environment of TeX's commands for ``settings``' build (sandboxed: only TeX's own)."""
        return self.settings() if settings.safe else self.variables()


#: What reads back the .aux file of the previous pass: cross-references, citations, table widths,
#: page totals.
_AUX_READERS = re.compile(r"\\(?:(?:page|eq|auto|name|c|C|v)?ref\*?\s*\{|hyperref\s*\[|"
                          r"(?:no)?cite[a-zA-Z]*\s*[\[{]|"
                          r"begin\s*\{longtable\}|tableofcontents|listof|PreviousTotalPages)|lastpage|zref")


_TEX_FLAGS = ("-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape")


def needs_one_pass(tex: Path) -> bool:
    """True when the body reads nothing back from the .aux: one TeX pass is the whole job."""
    body = tex.read_text(encoding="utf-8").partition("\\begin{document}")[2]
    return not _AUX_READERS.search(body)


#: What a pass leaves in the log when something read the .aux before it held the answer.
_UNRESOLVED = re.compile(r"LaTeX Warning: (?:Reference|Citation) `[^']*' on page \d+ undefined")


#: Characters a manuscript's name cannot have, because its stem names the TeX file: TeX reads
#: the file name as TeX (``\\``, ``^^5c``, ``%``, ``~``, ...), and latexmk hands it to a shell in
#: double quotes (``$``, `````, ``"``). A leading ``-`` is harmless: the name is given as ``./-...``.
_UNSAFE_IN_TEX_NAME = re.compile(r'[\\{}$&#^~%`"\x00-\x1f\x7f]')


def check_tex_name(settings: Settings) -> None:
    """Refuse a manuscript whose name TeX or latexmk would read as something else than a name."""
    bad = sorted(set(_UNSAFE_IN_TEX_NAME.findall(settings.stem)))
    if bad:
        shown = " ".join(repr(c)[1:-1] for c in bad)
        raise ManuscriptError(
            f"compile: the file name cannot go to TeX: it holds {shown}", file=settings.manuscript,
            hint="TeX reads its special characters in a file name as TeX, and latexmk gives the name "
                 "to a shell; rename the file without \\ { } $ & # ^ ~ % ` \"")


def tex_commands(settings: Settings, tex: Path) -> list[list[str]]:
    """The commands that turn ``tex`` into ``tex/<stem>.pdf``, run in the build folder in order."""
    if not needs_one_pass(tex):
        return [latexmk_command(settings, tex)]
    return one_pass_commands(settings, tex)


def one_pass_commands(settings: Settings, tex: Path) -> list[list[str]]:
    """One pass of the engine, then (XeLaTeX) xdvipdfmx: what latexmk -xelatex runs for a pass,
    so the PDF is the same whichever path a document takes."""
    engine = [settings.engine, *_engine_flags(settings), *_TEX_FLAGS, f"-output-directory={AUX_DIR}"]
    if settings.engine == "lualatex":
        return [[*engine, operand(tex.name)]]
    xdv, pdf = (f"{AUX_DIR}/{tex.stem}{ext}" for ext in (".xdv", ".pdf"))
    return [[*engine, "-no-pdf", operand(tex.name)], ["xdvipdfmx", "-E", "-o", pdf, xdv]]


def _engine_flags(settings: Settings) -> list[str]:
    """LuaLaTeX under ``--safe``: no Lua sockets (the sandbox has no network either)."""
    return ["--nosocket"] if settings.safe and settings.engine == "lualatex" else []


def latexmk_command(settings: Settings, tex: Path) -> list[str]:
    engine_flag = {"xelatex": "-xelatex", "lualatex": "-lualatex"}[settings.engine]
    # the engine's command line in latexmk's own terms, when it takes flags latexmk does not know
    command = [f"{engine_flag}={settings.engine} {' '.join(_engine_flags(settings))} %O %S"] \
        if _engine_flags(settings) else []
    # latexmk knows no `--`: a name starting with `-` is given as `./-...`
    return ["latexmk", "-norc", engine_flag, *command, *_TEX_FLAGS, f"-outdir={AUX_DIR}",
            "-silent" if not settings.verbose else "-verbose", operand(tex.name)]


def stage_figures(settings: Settings) -> list[Path]:
    """Copy the figures the body includes into the build folder (TeX reads nothing else)."""
    copied = []
    for rel in read_front(settings.output(".front.json")).get("images", []):
        src = settings.manuscript.parent / rel
        dst = settings.out_dir / rel
        if not dst.resolve().is_relative_to(settings.out_dir):
            continue  # convert refuses these already; never write outside the build folder
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
        copied.append(dst)
    return copied


def compile_pdf(settings: Settings, warm: WarmTex | None = None) -> Path:
    """Run TeX, check the log, write ``<stem>.pdf`` with its metadata.

    ``warm``: watch mode's waiting TeX (warmtex.py), which does the first pass when it was
    started for this one."""
    tex = settings.output(".tex")
    check_tex_name(settings)
    if settings.safe:
        require(settings.manuscript)
    stage_figures(settings)
    raw_pdf, log = typeset(settings, tex, warm=warm)
    check_log(log, tex, settings.manuscript, *settings.bibliographies)
    # pikepdf imported here: a build's early TeX pass (warmtex.early_pass) starts from this module
    from .pdfmeta import expected, write_metadata
    return write_metadata(raw_pdf, settings.output(".pdf"), expected(settings, draft=False))


def typeset(settings: Settings, tex: Path, *, stage: str = "compile",
            warm: WarmTex | None = None) -> tuple[Path, Path]:
    """TeX on ``tex`` (in the build folder): one pass when that is the whole job, else latexmk;
    (the PDF TeX made in ``tex/``, the log). ``warm``: as for compile_pdf."""
    tex_env = TexEnvironment.of(settings)
    log = settings.out_dir / AUX_DIR / f"{tex.stem}.log"
    log.parent.mkdir(exist_ok=True)
    raw_pdf = settings.out_dir / AUX_DIR / f"{tex.stem}.pdf"
    for old in (raw_pdf, raw_pdf.with_suffix(".xdv")):   # a run that makes no pages must not
        old.unlink(missing_ok=True)                       # leave the last run's PDF to be taken
    commands = tex_commands(settings, tex)
    latexmk = commands[0][0] == "latexmk"
    if not (warm is not None and tex == settings.output(".tex")
            and _with_warm(settings, tex, tex_env, log, warm, latexmk=latexmk)):
        run_tex(commands, settings, tex_env, log, tex, stage=stage)
    if commands[0][0] != "latexmk" and _UNRESOLVED.search(log.read_text(encoding="utf-8", errors="replace")):
        # The template read the .aux after all (say, "page 3 of 28" with lastpage in a footer,
        # where the body check does not look): latexmk takes over from this pass.
        run_tex([latexmk_command(settings, tex)], settings, tex_env, log, tex, stage=stage)
    return raw_pdf, log


def run(settings: Settings, warnings: Warnings) -> None:
    """The stage, as the task runs it."""
    compile_pdf(settings)


def start_warm(settings: Settings, warm: WarmTex, *, guess: bool = False) -> None:
    """Start the next build's first XeLaTeX pass of the current ``.tex`` in ``warm`` (watch mode):
    it reads the preamble and waits for the rest (warmtex.py). Not for LuaLaTeX. ``guess``: with
    no ``.tex`` yet (a first build), the preamble the render stage will most likely make."""
    tex = settings.output(".tex")
    preamble = None
    if settings.engine == "xelatex" and guess and not tex.is_file():
        from .facts import of_build
        from .render import likely_preamble
        preamble = likely_preamble(settings, of_build(settings))
    if settings.engine != "xelatex" or not (tex.is_file() or preamble):
        warm.stop()
        return
    tex_env = TexEnvironment.of(settings)
    warm.start(settings, one_pass_commands(settings, tex)[0], tex_env.of_run(settings),
               _sandbox(settings, tex_env), preamble=preamble)


def _with_warm(settings: Settings, tex: Path, tex_env: TexEnvironment, log: Path, warm: WarmTex, *,
               latexmk: bool) -> bool:
    """The first pass by watch mode's waiting TeX, if it was started for this one; False: TeX has
    not run (the caller runs it as usual).

    A document that needs latexmk is done after that pass when the pass read back what it wrote
    (the .aux and the like came out as they went in: latexmk would stop there too); otherwise
    latexmk goes on from it."""
    if settings.engine != "xelatex":
        return False
    commands = one_pass_commands(settings, tex)
    before = _read_back(settings)
    try:
        taken = warm.take(settings, commands[0], tex_env.of_run(settings))
    except (LimitExceeded, KeyboardInterrupt):   # stopped as a usual pass is (run_tex)
        forget_stopped_run(settings)
        raise
    if not taken:
        return False
    if latexmk and _read_back(settings) != before:
        run_tex([latexmk_command(settings, tex)], settings, tex_env, log, tex)
    else:
        run_tex(commands[1:], settings, tex_env, log, tex)
    return True


def _read_back(settings: Settings) -> dict[str, bytes]:
    """What a pass leaves for the next one to read (tex/<stem>.aux, .toc, .out, ...), by name."""
    found = {}
    for path in (settings.out_dir / AUX_DIR).glob(f"{settings.stem}.*"):
        if path.is_file() and path.suffix not in (".log", ".xdv", ".pdf", ".fls", ".fdb_latexmk"):
            found[path.name] = path.read_bytes()
    return found


def _sandbox(settings: Settings, tex_env: TexEnvironment) -> Sandbox | None:
    """Under ``--safe``: TeX's sandbox, which writes only in ``tex/`` and reads the format's copy."""
    if not settings.safe:
        return None
    return Sandbox(settings.out_dir, writable=(settings.out_dir / AUX_DIR,),
                   also=(tex_env.formats,) if tex_env.formats else ())


def run_tex(commands: list[list[str]], settings: Settings, tex_env: TexEnvironment, log: Path,
            tex: Path, *, stage: str = "compile") -> None:
    """Run TeX's ``commands`` in the build folder (in the sandbox under ``--safe``); a failure is
    the log's error, located."""
    sandbox = _sandbox(settings, tex_env)
    env = tex_env.of_run(settings)
    for command in commands:
        try:
            result = run_tool(command, cwd=settings.out_dir, env=env, limits=settings.limits, stage=stage,
                              file=settings.manuscript, sandbox=sandbox)
        except ToolMissing:
            raise   # TeX did not run: the log (maybe an old one) says nothing about it
        except (LimitExceeded, KeyboardInterrupt):
            forget_stopped_run(settings)
            raise
        except ToolError as exc:
            front = read_front(settings.output(".front.json"))
            folder = settings.manuscript.parent
            marks = {front["line_mark"]: settings.manuscript} if front.get("line_mark") else {}
            marks.update((m, folder / p) for m, p in front.get("chapter_marks", {}).items())
            raise latex_error(log, tex, fallback=exc.message, marks=marks) from None
        if settings.verbose:
            print(result.stdout.decode("utf-8", "replace"))


#: What a TeX run writes for the next pass (and latexmk's record of it): a run that was
#: killed may have left them cut off mid-line, which would break every later build.
_READ_BACK = (".aux", ".toc", ".lof", ".lot", ".out", ".fdb_latexmk", ".xdv")


def forget_stopped_run(settings: Settings) -> None:
    """After TeX was stopped (a limit, Ctrl-C): remove what it may have half-written.

    The next build starts those files afresh; it costs at most one more pass.
    """
    for suffix in _READ_BACK:
        (settings.out_dir / AUX_DIR / f"{settings.stem}{suffix}").unlink(missing_ok=True)


def check_log(log: Path, tex: Path, *sources: Path | None) -> None:
    """Fail on missing glyphs: a character that does not print is a broken document."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    missing: dict[str, set[str]] = {}
    for m in _MISSING_GLYPH.finditer(text):
        missing.setdefault(m.group(1), set()).add(m.group(3))
    for m in _MISSING_GLYPH_OLD.finditer(text):
        missing.setdefault(m.group(1), set()).add(m.group(2))
    if not missing:
        return
    chars = ", ".join(f"{c} (U+{ord(c):04X})" if len(c) == 1 else c for c in sorted(missing))
    fonts = ", ".join(sorted({_font_name(f) for fs in missing.values() for f in fs}))
    file, line = _locate_text(sorted(missing), tex, sources)
    right_to_left = any(len(c) == 1 and _is_right_to_left(c) for c in missing)
    scripts = _scripts_of(missing)
    if right_to_left:
        hint = ("pressroom does not typeset right-to-left scripts (Arabic, Hebrew, ...): give the "
                "romanization (and a translation) instead")
    elif scripts and not any(_font_name(f).startswith("FreeSerif") for fs in missing.values() for f in fs):
        hint = _tag_hint(scripts, file)
    else:
        hint = "choose a font that has them (the template's settings.toml `mainfont`), or leave them out"
    raise LatexError(f"characters missing from the font {fonts}: {chars}", file=file, line=line,
                     hint=f"{hint}; full log: {log}")


#: the languages pressroom sets in a font with their letters (languages.SCRIPT_SERIF), by script:
#: (the language of the example, a word, its tag, the others' tags, the langids)
_SCRIPT_LANGUAGES = {
    "Cyrillic": ("Russian", "слово", "ru", " (`uk` Ukrainian, `bg` Bulgarian)",
                 "russian, ukrainian, bulgarian"),
    "Greek": ("Greek", "λόγος", "el", "", "greek"),
}


def _scripts_of(missing: dict[str, set[str]]) -> list[str]:
    """["Cyrillic"], ["Greek"] or both when every missing character is of those scripts, else []."""
    scripts = set()
    for char in missing:
        code = ord(char) if len(char) == 1 else -1
        scripts.add("Cyrillic" if 0x0400 <= code <= 0x052F else
                    "Greek" if 0x0370 <= code <= 0x03FF or 0x1F00 <= code <= 0x1FFF else None)
    return [] if None in scripts else sorted(scripts)


def _tag_hint(scripts: list[str], where: Path) -> str:
    """Cyrillic or Greek outside a text tagged with its language: how to tag it (a .bib entry with
    its langid, Markdown with a span or the header's lang), which sets it in FreeSerif."""
    font = "tagged text prints in FreeSerif, which has these letters (the main font has none)"
    known = [_SCRIPT_LANGUAGES[script] for script in scripts]
    if where.suffix.lower() == ".bib":
        langids = " or ".join(f"`langid = {{{langids.split(', ')[0]}}}` ({langids})"
                              for *_, langids in known)
        return f"give the entry its language: {langids}; {font}"
    spans = " and ".join(f"`[{word}]{{lang={tag}}}`{others}" for _, word, tag, others, _ in known)
    if len(known) == 1:
        language, _, tag, _, _ = known[0]
        paper = f"`lang: {tag}` in the header of a paper in {language}"
    else:
        paper = "`lang:` in the header of a paper in one of them"
    return f"tag {' and '.join(scripts)} text with its language: {spans}, or {paper}; {font}"


def _is_right_to_left(char: str) -> bool:
    """Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms."""
    code = ord(char)
    return 0x0590 <= code <= 0x08FF or 0xFB1D <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


def _font_name(spec: str) -> str:
    """``[texgyretermes-regular.otf]/OT:script=...`` → ``texgyretermes-regular.otf``."""
    m = re.match(r"\[?\"?([^\]\"/:]+)", spec.strip())
    return m.group(1) if m else spec.strip()


def _locate_text(needles: list[str], tex: Path, sources: tuple[Path | None, ...]) -> tuple[Path, int | None]:
    """Where the first of ``needles`` occurs: in the sources (the Markdown, then the
    bibliography) if it is there, else the .tex line."""
    pattern = re.compile("|".join(re.escape(n) for n in needles))
    for path in sources:
        line = find_line_in(path, pattern) if path is not None else None
        if line is not None:
            return path, line
    return tex, find_line_in(tex, pattern)


def latex_error(log: Path, tex: Path, *, fallback: str,
                marks: dict[str, Path] | None = None) -> LatexError:
    """The `!` line of the log and its context, mapped to the Markdown line, with the log's path.

    The location is ``FILE:LINE`` of the Markdown when the error is in the body (found through
    the line marks that convert leaves in the LaTeX: ``marks`` maps each to its file, the
    manuscript or a book's chapter), else the .tex line; the message says both.
    """
    if not log.exists():
        return LatexError(fallback, file=tex, hint="run again with -v to see TeX's output")
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for i, line in enumerate(lines):
        m = _FILE_LINE_ERROR.match(line)
        if m or line.startswith("! "):
            message = (m.group(3) if m else line[2:]).removeprefix("LaTeX Error: ")
            context = _context(lines[i + 1:i + 12])
            file = tex if not m or m.group(1).endswith(tex.name) else tex.parent / m.group(1)
            lineno = int(m.group(2)) if m else _line_from_context(lines[i:i + 12])
            where = f"{file}:{lineno}" if lineno else str(file)
            place = markdown_place(tex, lineno, marks) if (lineno and file == tex and marks) else None
            if place:
                where += f" (the Markdown block starting at line {place[1]})"
                file, lineno = place
            elif file == tex and marks:   # a header field's (the abstract's, the title's): no marks there
                found = _written_in(context, list(dict.fromkeys(marks.values())))
                if found:
                    where += f" (written at {found[0].name}:{found[1]})"
                    file, lineno = found
            refused = _refused_access(lines)
            detail = "\n  ".join([*context, f"in {where}"])
            hint = f"full log: {log}"
            if refused:
                hint = (f"TeX may read and write only inside the build folder ({refused}); "
                        f"refer to files inside the manuscript folder; " + hint)
            return LatexError(f"LaTeX error: {message}\n  {detail}", file=file, line=lineno, hint=hint)
    return LatexError(fallback, file=tex, hint=f"full log: {log}")


def _written_in(context: list[str], sources: list[Path]) -> tuple[Path, int] | None:
    """Where the control sequence TeX stopped at (the last one on its ``l.N`` line) is written in
    the Markdown, when only one line there holds it."""
    for line in context:
        found = re.match(r"l\.\d+ .*?(\\[A-Za-z@]+)\s*$", line)
        if found:
            for source in sources:
                text = source.read_text(encoding="utf-8", errors="replace")
                pattern = re.compile(re.escape(found.group(1)) + r"(?![A-Za-z@])")
                if len(pattern.findall(text)) == 1:
                    return source, find_line_in(source, pattern)
            return None
    return None


def _context(lines: list[str]) -> list[str]:
    """The log lines after the error up to the ``l.N`` line and the one after it."""
    out: list[str] = []
    for j, line in enumerate(lines):
        if line.startswith(("Here is how much", "No pages of output", "!  ==> Fatal")):
            break
        if line.startswith(_PROMPTS) or line.endswith("Emergency stop."):
            continue
        if line.strip():
            out.append(line.rstrip())
        if re.match(r"l\.\d+", line):
            if j + 1 < len(lines) and lines[j + 1].strip():
                out.append(lines[j + 1].rstrip())
            break
    return out[:6]


_PROMPTS = ("Type X to quit", "or enter new name", "Enter file name", "<read *>", "<*>",
            "Type  H <return>", "Type <return> to")


def _refused_access(lines: list[str]) -> str | None:
    """Paranoid file access at work: a refused read or write, or a file outside the build folder."""
    for line in lines:
        m = re.search(r"Not (reading from|writing to) (\S+)", line)
        if m:
            return f"{m.group(1)} {m.group(2)} was refused"
        m = re.search(r"File `((?:/|[^']*\.\./)[^']*)' not found", line)
        if m:
            return f"{m.group(1)} is outside it"
    return None


def _line_from_context(lines: list[str]) -> int | None:
    for line in lines:
        m = re.match(r"l\.(\d+)", line)
        if m:
            return int(m.group(1))
    return None
