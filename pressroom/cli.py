"""The command line: ``pressroom`` when installed, ``python3 build.py`` in a checkout
(which sets up the venv and TeX first).

    pressroom [build] [MANUSCRIPT] [--out DIR] [--template NAME] [-v] [--strict] [--safe] [--debug]
                      [--time-limit SECONDS] [--memory-limit MB]
    pressroom watch [MANUSCRIPT] [--out DIR] [...the build's options]
    pressroom notes MANUSCRIPT [--json] [--template NAME]
    pressroom count MANUSCRIPT [--json] [--template NAME]
    pressroom check [PDF ...] [--manuscript PATH] [--json]
    pressroom verify [MANUSCRIPT] [--out DIR] [--template NAME]
    pressroom test [PYTEST ARGS ...]           (in a checkout)
    pressroom --help | --version

Exit codes: 0 success, 1 build, check or verify failed (the message says which), 2 usage.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import EXIT_CHECK_FAILED, PressroomError, ToolError, UsageError, Warnings
from .locations import CHECKOUT, default_manuscript

#: Every command, its arguments and its line in ``--help``, in the order --help lists them.
COMMANDS = {
    "build": ("[PATH ...] [-j N]", "build manuscripts (.md files or their folders, or a folder of them): "
                                   ".tex, PDF, stamped draft, check; several on N processes at once"),
    "watch": ("[PATH]", "build, then rebuild on every save of the manuscript, bibliography, figures or "
                        "template"),
    "notes": ("PATH", "print every footnote of the finished document as Markdown (no TeX needed)"),
    "count": ("PATH", "count the words: text, notes, abstract, captions and tables, bibliography, totals"),
    "check": ("[PDF ...]", "preflight-check PDFs against the manuscript their manifest.json names"),
    "verify": ("[PATH ...]", "rebuild from scratch and compare with the build's manifest.json"),
    "diff": ("PATH --since REV|--against OLD", "a changes PDF: what changed since a git revision or in "
             "another file"),
    "bundle": ("[PATH]", "a zip of the final .tex, figures and a README that compiles without pressroom"),
    "test": ("[PYTEST ARGS]", "run the test suite (in a checkout of the repository)"),
    "setup": ("[--cjk] [--lang TAG ...]", "install CJK support or a language's hyphenation patterns "
                                          "(Debian packages; installed: prints the apt-get line)"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors are PressroomErrors with exit code 2
        raise UsageError(message, hint=f"see `{self.prog} --help`")


def _positive(kind):
    """An argparse type: a positive number of ``kind`` (float or int)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise argparse.ArgumentTypeError(
                f"must be a positive {'number' if kind is float else 'whole number'}, not {text!r}")
        return value
    parse.__name__ = kind.__name__
    return parse


def _formats(text: str) -> tuple[str, ...]:
    """An argparse type: output formats, comma-separated (``docx``, ``pdf,docx``)."""
    from .manuscript import OUTPUT_FORMATS
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = [f for f in formats if f not in OUTPUT_FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or repr(text)}: "
                                         f"use {' or '.join(OUTPUT_FORMATS)}")
    return formats


def _add_limits(p: argparse.ArgumentParser) -> None:
    from .tools import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
    p.add_argument("--time-limit", type=_positive(float), metavar="SECONDS",
                   help=f"time limit of each run of an external tool (default: the template's "
                        f"time_limit, else {DEFAULT_TIME_LIMIT:g})")
    p.add_argument("--memory-limit", type=_positive(int), metavar="MB",
                   help=f"memory limit of each process of an external tool (default: the template's "
                        f"memory_limit, else {DEFAULT_MEMORY_LIMIT})")


def _parser(prog: str, command: str) -> _Parser:
    return _Parser(prog=f"{prog} {command}", description=COMMANDS[command][1][:1].upper()
                   + COMMANDS[command][1][1:] + ".")


def _build_parser(prog: str, command: str = "build", *, many: bool = False) -> argparse.ArgumentParser:
    """The build's options; ``many``: several manuscripts (a list, and ``-j``)."""
    p = _parser(prog, command)
    where = "manuscript/" if CHECKOUT else "the current folder"
    if many:
        p.add_argument("manuscript", nargs="*", default=[str(default_manuscript())],
                       help=f"manuscript .md files or their folders, or folders of manuscript folders "
                            f"(default: {where})")
        p.add_argument("-j", "--jobs", type=_positive(int), metavar="N",
                       help="with several manuscripts: build N at a time (default: the number of cores)")
    else:
        p.add_argument("manuscript", nargs="?", default=str(default_manuscript()),
                       help=f"a manuscript .md file or its folder (default: {where})")
    p.add_argument("--out", help="build folder (default: build/<manuscript folder name>/"
                                 + ("" if CHECKOUT else " in the current folder") + ")")
    p.add_argument("--template", help="journal template (default: the header's `template:` or working-paper)")
    p.add_argument("-v", "--verbose", action="store_true", help="show tool output")
    p.add_argument("--strict", action="store_true", help="make warnings fatal")
    p.add_argument("--safe", action="store_true", help="untrusted manuscript: no raw LaTeX")
    p.add_argument("--to", action="append", type=_formats, default=[], metavar="FORMAT",
                   help="also make FORMAT beside the PDFs: docx (<stem>.docx, Word); "
                        "adds to the header's or template's `outputs`")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    _add_limits(p)
    return p


def overview(prog: str) -> str:
    """What ``--help`` prints: every command with one line, git-style."""
    width = max(len(f"{name} {args}") for name, (args, _) in COMMANDS.items())
    lines = [f"usage: {prog} [COMMAND] [ARGS]", "",
             "Markdown + BibTeX in; journal-styled LaTeX with Chicago footnotes, a submission PDF,",
             "a stamped draft and a preflight check out.", "", "commands:"]
    lines += [f"  {f'{name} {args}'.ljust(width)}  {line}" for name, (args, line) in COMMANDS.items()]
    lines += ["", f"With no command, {prog} builds: `{prog} PATH` is `{prog} build PATH`.",
              f"`{prog} COMMAND --help` shows a command's options; `{prog} --version` the version.",
              "Exit codes: 0 success, 1 a build, check or verify failed, 2 usage error."]
    return "\n".join(lines)


def main(argv: list[str], prog: str = "pressroom") -> int:
    """Run one command; returns the exit code. ``prog`` is how the user called us."""
    debug = "--debug" in argv
    try:
        if argv and argv[0] in ("-h", "--help", "help"):
            print(overview(prog))
            return 0
        if argv and argv[0] == "--version":
            print(f"pressroom {__version__}")
            return 0
        if argv and argv[0] in COMMANDS:
            command, rest = argv[0], argv[1:]
        else:
            command, rest = "build", argv
        from .watch import cmd_watch
        run = {"build": cmd_build, "notes": cmd_notes, "count": cmd_count, "check": cmd_check,
               "test": cmd_test, "verify": cmd_verify, "diff": cmd_diff, "bundle": cmd_bundle,
               "watch": cmd_watch, "setup": cmd_setup}[command]
        # a build's product is its files: it goes on when its reader leaves
        if command in ("build", "diff", "bundle"):
            with _output_may_close():
                return run(rest, prog)
        return run(rest, prog)
    except PressroomError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was left, and the last good outputs are as they were",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`pressroom notes paper.md | head`): stop quietly with the status
        # of a process ended by SIGPIPE, as Unix tools do, not with a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13


class _ClosableOutput:
    """A stream whose reader may go away (``pressroom | head -1``): what is written after that
    is dropped (the descriptor goes to /dev/null), where it would raise BrokenPipeError."""

    def __init__(self, stream):
        self._stream = stream

    def _closed(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._closed()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._closed()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextmanager
def _output_may_close():
    """stdout and stderr as :class:`_ClosableOutput` for the time of a build."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _ClosableOutput(sys.stdout), _ClosableOutput(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def entry_point() -> None:
    """The ``pressroom`` console script."""
    sys.exit(main_of_process(sys.argv[1:], prog="pressroom"))


def main_of_process(argv: list[str], prog: str) -> int:
    """:func:`main` in a process that ends with it (the console script, build.py).

    Then the objects the command made are handed to no garbage collection: Python's shutdown
    would walk every one left (the ASTs, pybtex's entries, pikepdf's objects) in collections that
    free nothing an ending process needs freed, 0.13–0.17 s after a build of the corpus paper
    (gc.freeze: measured 0.14–0.17 s → 0.02 s). Not for main() called in a process that goes on
    (the tests' run_cli): what is frozen is never collected."""
    import gc
    try:
        return main(argv, prog=prog)
    finally:
        gc.freeze()


@contextmanager
def build_lock(out_dir: Path):
    """One build of a build folder at a time."""
    lock = out_dir / ".lock"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fh = open(lock, "a")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        try:     # a read-only build folder: a build with nothing to do writes nothing, so it may run
            fh = open(lock)  # noqa: SIM115
        except OSError:
            from .buildfolder import folder_error
            raise folder_error(exc, out_dir) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PressroomError(
                f"another build of {out_dir} is running",
                hint="wait for it to finish, or build into another folder with --out") from None
        yield


def cmd_build(argv: list[str], prog: str = "pressroom") -> int:
    args = _build_parser(prog, many=True).parse_args(argv)
    from . import batch
    manuscripts, several = batch.expand(args.manuscript)
    if several:
        return batch.run("build", manuscripts, args, show=_show)
    args.manuscript = str(manuscripts[0])
    return build_and_report(args)


def build_and_report(args) -> int:
    """Build one manuscript (``args``: the build's options) and print what ``build`` prints."""
    settings, executed = _build(args, Warnings(strict=args.strict))
    if not executed:
        print("nothing changed: no stage ran")
    for suffix in (".tex", ".pdf", "-draft.pdf", *((".docx",) if settings.docx else ())):
        print(f"  {_show(settings.output(suffix))}")
    _print_word_counts(settings.output(".words.json"))
    report = json.loads(settings.output(".check.json").read_text(encoding="utf-8"))
    return report_findings(report, as_json=False)


def _build(args, warnings: Warnings):
    """Build the manuscript the command line names, as ``build`` does; (settings, stages that ran)."""
    from .config import default_out_dir
    from .manuscript import resolve_manuscript_path
    path = resolve_manuscript_path(args.manuscript)
    out_dir = Path(args.out).resolve() if args.out else default_out_dir(path)
    with _read_ahead(path, out_dir, args):
        return _set_up_and_build(path, out_dir, args, warnings)


def _read_ahead(path: Path, out_dir: Path, args):
    """pandoc reads a manuscript changed since the last build while the build sets itself up
    (pandoc_ast.read_ahead), with the limits of the command line (another template's: read
    again)."""
    from contextlib import nullcontext

    from .facts import body_unchanged
    from .pandoc_ast import read_ahead
    from .tools import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT, Limits
    if body_unchanged(path, out_dir):
        return nullcontext()
    return read_ahead(path, limits=Limits(time=args.time_limit or DEFAULT_TIME_LIMIT,
                                          memory=args.memory_limit or DEFAULT_MEMORY_LIMIT))


def _set_up_and_build(path: Path, out_dir: Path, args, warnings: Warnings):
    """The settings of ``path`` (building into ``out_dir``, the folder the command line names or the
    default one), then the build, in its folder's lock."""
    from .config import build_settings
    from .manuscript import read_manuscript
    try:
        manuscript = read_manuscript(path, warnings)
        settings = build_settings(manuscript, out_dir=Path(args.out) if args.out else None,
                                  template=args.template, verbose=args.verbose, safe=args.safe,
                                  time_limit=args.time_limit, memory_limit=args.memory_limit,
                                  warnings=warnings, to=_chosen_formats(args))
    except PressroomError:
        # Bad input caught before any stage ran: the last good PDFs are stale all the same.
        _say_stale(out_dir / f"{path.stem}.pdf", out_dir / f"{path.stem}-draft.pdf")
        raise
    from .buildfolder import claim
    give_back = claim(settings.out_dir, settings.manuscript, chosen=bool(args.out))
    print(f"building {_show(settings.manuscript)} → {_show(settings.out_dir)} "
          f"(template {settings.template_name})")
    from .facts import body_unchanged
    from .manifest import versions_ahead
    from .stages import warm_up
    from .warmtex import early_pass
    changed = not body_unchanged(settings.manuscript, settings.out_dir, settings.chapters)
    if changed and not settings.safe:
        # the convert stage will run: its imports (pybtex's, 0.1-0.15 s) are done meanwhile, while
        # the main thread waits for pandoc's reading of the manuscript to make the task list. Not
        # under --safe, whose checks before any stage may refuse the manuscript: the process would
        # then wait for the imports before it ends
        warm_up(("convert",))
    # XeLaTeX reads the last build's preamble while pandoc reads the manuscript (warmtex.py), and
    # the tools' versions for the manifest are asked for meanwhile
    guess = getattr(args, "guess_preamble", True)   # a batch with a build on every core: no guess
    try:
        with build_lock(settings.out_dir), early_pass(settings, guess=guess, changed=changed) as tex, \
                versions_ahead(settings) as tools:
            executed = run_tasks(settings, warnings, runners={**tex, **tools})
    except BaseException:   # the last good outputs stay, and so does the manuscript they are of
        give_back()
        raise
    return settings, executed


def _chosen_formats(args) -> tuple[str, ...]:
    return tuple(f for formats in args.to for f in formats)


def run_tasks(settings, warnings: Warnings, *, runners=None, on_stage=None, until=None) -> list[str]:
    """Run the doit tasks for these settings; returns the names of the stages that ran.

    ``runners``: stages run another way (watch mode's compile, tasks.Runner); ``on_stage``:
    called with each stage's name as it finishes (watch mode says when the PDF is ready);
    ``until``: the last stage to run (``diff`` needs the old version's .tex, not its PDFs).

    The settings, warnings and progress reporter reach doit through a task
    loader made for this build alone (pressroom.tasks.BuildLoader). The caller
    holds the build folder's lock (or the folder is its own). The outputs are
    published together (buildfolder.Publication): a build that fails, or is
    interrupted, leaves the last good set as it was.
    """
    from .buildfolder import (
        STATE,
        Publication,
        StageWarnings,
        claim,
        clean_temporaries,
        folder_error,
        state_problem,
    )
    from .progress import StageReporter
    from .tasks import BuildLoader, BuildState, run_doit
    out_dir = settings.out_dir
    outputs = (settings.output(".pdf"), settings.output("-draft.pdf"))
    claim(out_dir, settings.manuscript, chosen=True)
    publication = Publication(settings)
    try:
        if publication.recover():
            print(f"note: the last build into {_show(out_dir)} was stopped before it finished: its last "
                  "good outputs are back in place", file=sys.stderr)
        clean_temporaries(out_dir)
        reporter = StageReporter(sys.stdout, verbose=settings.verbose, on_success=on_stage)
        # reading the task list may write the facts' cache: in the try, for a full disk
        loader = BuildLoader(settings, warnings, reporter, BuildState(publication, StageWarnings(out_dir)),
                             runners, until)
    except OSError as exc:
        _say_stale(*outputs)
        raise folder_error(exc, out_dir) from None
    try:
        rc = run_doit(loader)
    except BaseException:     # Ctrl-C: the last good set goes back, then the interruption goes on
        _roll_back(publication, out_dir)
        raise
    problem = state_problem(out_dir / STATE)
    failure = (loader.failures[0] if loader.failures else folder_error(problem, out_dir) if problem
               else ToolError(f"the build failed (doit exit code {rc})", hint="run again with --debug -v")
               if rc != 0 else None)
    if failure is not None:
        _roll_back(publication, out_dir)
        _say_stale(*outputs)
        raise failure
    publication.commit()
    for stage in loader.stage_names:   # a stage that had no reason to run still has its warnings
        if stage not in reporter.executed:
            for message, file, line in loader.build.warnings.of(stage):
                print(f"warning: {Warnings.text(message, file, line)}", file=sys.stderr)
    return list(reporter.executed)


def _roll_back(publication, out_dir: Path) -> None:
    from .buildfolder import folder_error
    try:
        publication.rollback()
    except OSError as exc:
        raise folder_error(exc, out_dir) from None


def _say_stale(*pdfs: Path) -> None:
    for pdf in pdfs:
        if pdf.exists():
            print(f"note: {_show(pdf)} is from the last good build and is now stale", file=sys.stderr)


def report_findings(report: list[dict], *, as_json: bool) -> int:
    """Print the findings (a table, or JSON); exit code 1 if a check failed.

    Each failure is printed once, as its row; stderr gets one line naming the
    failed checks, for logs that keep only stderr.
    """
    failed = [r for r in report if not r["ok"]]
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    if failed:
        names = ", ".join(f"{r['pdf']} {r['check']}" for r in failed)
        print(f"error: {len(failed)} of {len(report)} checks failed: {names}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    return 0


# Here, not in check.py: printing a no-op build's report must not import pikepdf (0.07 s).
def format_report(rows: list[dict]) -> str:
    """The report rows ({pdf, check, ok, reason}) as the table build.py prints."""
    width = max((len(f"{r['pdf']} {r['check']}") for r in rows), default=10)
    lines = [f"{'check'.ljust(width)}  result  reason"]
    lines += [f"{(r['pdf'] + ' ' + r['check']).ljust(width)}  {'ok' if r['ok'] else 'FAIL':6}  {r['reason']}"
              for r in rows]
    return "\n".join(lines)


def _reading_command(prog: str, command: str, json_help: str, argv: list[str]) -> tuple:
    """The arguments of a command that reads a manuscript without building it (notes, count): the
    manuscript's path and its settings (the notes style, limits)."""
    p = _parser(prog, command)
    p.add_argument("manuscript", help="a manuscript .md file or its folder")
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--template", help="the template whose notes style applies (as for a build)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    _add_limits(p)
    args = p.parse_args(argv)
    from .config import build_settings
    from .manuscript import read_manuscript, resolve_manuscript_path
    path = resolve_manuscript_path(args.manuscript)
    # only the notes style and the limits are read from the settings: their warnings (a missing
    # version date...) concern the PDF
    quiet = Warnings(echo=False)
    settings = build_settings(read_manuscript(path, quiet), template=args.template,
                              time_limit=args.time_limit, memory_limit=args.memory_limit, warnings=quiet)
    return path, settings, args.json


def _same_reading(path: Path, settings):
    """What notes and count do with pandoc's reading: the build's rule (metadata.py), so that they
    read the bibliography the build reads (the settings', pressroom's reading of the header)."""
    from .metadata import check_one_reading
    return lambda doc: check_one_reading(doc.get("meta", {}), path, limits=settings.limits)


def cmd_notes(argv: list[str], prog: str = "pressroom") -> int:
    path, settings, as_json = _reading_command(
        prog, "notes", '[{"n": 1, "text": "..."}] (a book\'s notes also carry their chapter\'s "file")', argv)
    from .citations.notes import notes_by_part
    parts = notes_by_part(path, chapters=settings.chapters,
                          bibliography=list(settings.bibliographies) or None,
                          options=dict(settings.citation_options), limits=settings.limits,
                          on_read=_same_reading(path, settings), secnumdepth=settings.secnumdepth,
                          division=settings.division)
    if not settings.chapters:   # a paper: one list
        [(_, notes)] = parts
        if as_json:
            print(json.dumps([{"n": i, "text": t} for i, t in enumerate(notes, 1)], ensure_ascii=False,
                             indent=1))
        else:
            for i, text in enumerate(notes, 1):
                print(f"{i}. {text}")
        return 0
    # a book: notes are numbered from 1 in each chapter, as the PDF numbers them
    names = [part.relative_to(path.parent).as_posix() for part, _ in parts]
    if as_json:
        print(json.dumps([{"file": name, "n": i, "text": t} for name, (_, notes) in zip(names, parts)
                          for i, t in enumerate(notes, 1)], ensure_ascii=False, indent=1))
    else:
        for name, (_, notes) in zip(names, parts):
            if notes:
                print(f"# {name}")
                for i, text in enumerate(notes, 1):
                    print(f"{i}. {text}")
    return 0


def _print_word_counts(path: Path) -> None:
    """The build's summary line of word counts (the convert stage counted them)."""
    from .wordcount import WordCounts
    try:
        counts = WordCounts.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return    # a build folder from before word counts: the next convert writes them
    print(f"words: {counts.line()}")


def cmd_count(argv: list[str], prog: str = "pressroom") -> int:
    path, settings, as_json = _reading_command(prog, "count", "the counts as JSON (each part and the totals)",
                                               argv)
    from .chapters import joined
    from .convert import book_parts, count_words
    from .pandoc_ast import read_markdown
    doc = read_markdown(path, limits=settings.limits, stage="count")
    _same_reading(path, settings)(doc)
    parts = book_parts(doc, settings)   # a book's chapters too
    counts = count_words(joined(doc, [part for _, part, _ in parts[1:]]), settings, parts)
    print(json.dumps(counts.as_dict(), indent=1) if as_json else counts.table())
    return 0


def cmd_check(argv: list[str], prog: str = "pressroom") -> int:
    p = _parser(prog, "check")
    p.add_argument("pdfs", nargs="*",
                   help="PDFs (or .docx files) to check, or manuscripts (.md files or their folders, or "
                        "folders of them) whose built PDFs (and .docx) to check, or build folders (what "
                        "their manifest lists) (default: the two PDFs of the manuscript's build, and its "
                        ".docx if it has one)")
    where = "manuscript/" if CHECKOUT else "the current folder"
    p.add_argument("--manuscript", help="the manuscript whose metadata the PDFs must carry (default: the one "
                                        f"the manifest.json beside each PDF names; with no PDF: {where})")
    p.add_argument("--template", help="the template whose page size applies (default: the build's)")
    p.add_argument("--json", action="store_true", help="findings as JSON")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    _add_limits(p)
    args = p.parse_args(argv)
    from .manuscript import resolve_manuscript_path
    warnings = Warnings()
    given = resolve_manuscript_path(args.manuscript) if args.manuscript else None
    # a build folder (its manifest.json) stands for the PDFs and the Word file its last build made
    from .manifest import MANIFEST
    folders = [Path(p) for p in args.pdfs if (Path(p) / MANIFEST).is_file()]
    named = [Path(p) for p in args.pdfs if not (Path(p).is_dir() or p.endswith(".md"))]
    named += [folder / name for folder in folders for name in _manifest_outputs(folder)
              if name.endswith((".pdf", ".docx"))]
    for pdf in named:
        if not pdf.is_file():
            raise UsageError(f"no such PDF: {pdf}")
    # the files, each with the manuscript it is checked against (None: the one its manifest names)
    pdfs: list[tuple[Path, Path | None]] = [(pdf, given) for pdf in named]
    manuscripts = [Path(p) for p in args.pdfs if (Path(p).is_dir() or p.endswith(".md"))
                   and Path(p) not in folders]
    settings_of: dict = {}   # (manuscript, template, build folder) → its settings: each read once
    if manuscripts or not args.pdfs:
        from .batch import expand
        for manuscript in (expand([str(m) for m in manuscripts])[0] if manuscripts
                           else [given or resolve_manuscript_path(default_manuscript())]):
            settings = settings_of[manuscript, None, None] = _check_settings(manuscript, args, warnings)
            for pdf in (settings.output(".pdf"), settings.output("-draft.pdf")):
                if not pdf.is_file():
                    raise UsageError(f"no such PDF: {_show(pdf)}",
                                     hint="build the manuscript first, or name the PDFs")
                pdfs.append((pdf, manuscript))
            # the last build made it (an older one may have)
            if settings.output(".docx").name in _manifest_outputs(settings.out_dir):
                pdfs.append((settings.output(".docx"), manuscript))
    if not args.json and len(args.pdfs) != len(pdfs):   # the files were found, not named: say which
        print("checking " + ", ".join(_show(pdf) for pdf, _ in pdfs), file=sys.stderr)
    report, unmatched = [], []
    # two files of one name (paper.pdf of several builds): rows then name each by its path
    several = len({pdf.name for pdf, _ in pdfs}) < len({pdf for pdf, _ in pdfs})
    for pdf, manuscript in pdfs:
        first = len(report)
        _check_one(pdf, manuscript, args, warnings, report, unmatched, settings_of)
        for row in report[first:] if several else ():
            row["pdf"] = _show(pdf)
    code = report_findings(report, as_json=args.json)

    for line in unmatched:
        print(f"note: {line}; name the manuscript with --manuscript", file=sys.stderr)
    from .buildfolder import KEPT
    for folder in dict.fromkeys(pdf.parent for pdf, _ in pdfs):
        if (folder / KEPT).is_dir():
            print(f"note: a build into {_show(folder)} is running, or was killed before it finished: "
                  "its outputs may be half new, half old until the next build", file=sys.stderr)
    return code


def _check_one(pdf: Path, manuscript: Path | None, args, warnings: Warnings, report: list[dict],
               unmatched: list[str], settings_of: dict) -> None:
    """The rows of one PDF, checked against ``manuscript`` (None: the one its manifest names)."""
    from .manifest import manuscript_of
    draft = pdf.name.endswith("-draft.pdf")
    # a PDF whose manuscript the manifest beside it names: that folder is its build folder (the TeX
    # log and .aux of its references check, the kept facts), not the manuscript's default one
    out_dir = None if manuscript else pdf.parent.resolve()
    manuscript, template, why_not = (manuscript, None, "") if manuscript else manuscript_of(pdf)
    docx = pdf.suffix.lower() == ".docx"
    if manuscript is None:
        unmatched.append(f"{_show(pdf)}: metadata not compared: {why_not}")
        report += _docx_rows_without_manuscript(pdf) if docx else _rows_without_manuscript(pdf, args,
                                                                                            draft=draft)
        return
    from .preflight import check_rows, docx_rows
    key = (manuscript, template, out_dir)
    if key not in settings_of:   # a build's two PDFs: read the manuscript once
        settings_of[key] = _check_settings(manuscript, args, warnings, template=template, out_dir=out_dir)
    settings = settings_of[key]
    report += docx_rows(settings, pdf) if docx else check_rows(settings, pdf, draft=draft)


def _check_settings(manuscript: Path, args, warnings: Warnings, *, template: str | None = None,
                    out_dir: Path | None = None):
    """The settings a PDF of ``manuscript`` is checked against (the command line's template wins;
    ``out_dir``: the build folder, else the manuscript's default one)."""
    from .config import build_settings
    from .manuscript import read_manuscript
    return build_settings(read_manuscript(manuscript, warnings), out_dir=out_dir,
                          template=args.template or template,
                          time_limit=args.time_limit, memory_limit=args.memory_limit, warnings=warnings)


def _rows_without_manuscript(pdf: Path, args, *, draft: bool) -> list[dict]:
    """The checks that need no manuscript: fonts, one page size, the stamp's presence, references,
    structure."""
    from .check import check_pdf
    from .tools import DEFAULT_LIMITS, Limits
    limits = Limits(time=args.time_limit or DEFAULT_LIMITS.time,
                    memory=args.memory_limit or DEFAULT_LIMITS.memory)
    findings = check_pdf(pdf, expected=None, page_size=None, draft=draft, stamp_text=None, limits=limits)
    return [{"pdf": pdf.name, "check": f.check, "ok": f.ok, "reason": f.reason} for f in findings]


def _docx_rows_without_manuscript(docx: Path) -> list[dict]:
    """The checks of a .docx that need no manuscript: notes against the PDF beside it (if any),
    references, structure."""
    from .docxcheck import check_docx, pdf_note_count
    pdf = docx.with_suffix(".pdf")
    findings = check_docx(docx, expected=None, pdf_notes=pdf_note_count(pdf) if pdf.is_file() else None)
    return [{"pdf": docx.name, "check": f.check, "ok": f.ok, "reason": f.reason} for f in findings]


def cmd_verify(argv: list[str], prog: str = "pressroom") -> int:
    """Rebuild from scratch in a temporary folder and compare with the build folder's manifest."""
    p = _build_parser(prog, "verify", many=True)
    args = p.parse_args(argv)
    from . import batch
    manuscripts, several = batch.expand(args.manuscript)
    if several:
        return batch.run("verify", manuscripts, args, show=_show)
    args.manuscript = str(manuscripts[0])
    return verify_and_report(args)


def verify_and_report(args) -> int:
    """Verify one manuscript's build (``args``: verify's options) and print the verdict."""
    from .config import build_settings
    from .manuscript import read_manuscript, resolve_manuscript_path
    from .verify import verify
    warnings = Warnings(strict=args.strict)
    manuscript = read_manuscript(resolve_manuscript_path(args.manuscript), warnings)

    def settings_for(formats: tuple[str, ...]):
        return build_settings(manuscript, out_dir=Path(args.out) if args.out else None,
                              template=args.template, verbose=args.verbose, safe=args.safe,
                              time_limit=args.time_limit, memory_limit=args.memory_limit,
                              warnings=warnings, to=formats)
    settings = settings_for(_chosen_formats(args))
    # what the build made, it makes again: a Word file asked for with --to is in its manifest
    from .manuscript import OUTPUT_FORMATS
    made = _manifest_outputs(settings.out_dir)
    extra = tuple(f for f in OUTPUT_FORMATS
                  if f not in settings.outputs and settings.output(f".{f}").name in made)
    if extra:
        settings = settings_for(_chosen_formats(args) + extra)
    print(f"verifying {_show(settings.out_dir)}: rebuilding from scratch in a temporary folder")
    verdict = verify(settings, warnings, run_tasks)
    print("\n".join(verdict.lines()))
    return 0 if verdict.identical else EXIT_CHECK_FAILED


def _manifest_outputs(out_dir: Path) -> list[str]:
    """The names of the outputs the build folder's manifest lists, in its order (none without one)."""
    from .manifest import read_manifest
    return list((read_manifest(out_dir) or {}).get("outputs") or ())


def cmd_diff(argv: list[str], prog: str = "pressroom") -> int:
    """Build the new version and the old one's LaTeX, then latexdiff and XeLaTeX: ``<stem>-changes.pdf``."""
    p = _build_parser(prog, "diff")
    old_version = p.add_mutually_exclusive_group(required=True)
    old_version.add_argument("--since", metavar="REV",
                             help="the old version is the manuscript's folder at this git revision")
    old_version.add_argument("--against", metavar="OLD.md", help="the old version is this Markdown file")
    args = p.parse_args(argv)
    import time

    from . import changes
    from .buildfolder import claim
    from .manuscript import resolve_manuscript_path
    warnings = Warnings(strict=args.strict)
    old_path = None if args.since else resolve_manuscript_path(args.against)   # before any build
    if args.since:   # a revision git does not know is said before the new version is built
        from .tools import DEFAULT_LIMITS
        changes.find_revision(resolve_manuscript_path(args.manuscript), args.since, DEFAULT_LIMITS)
    try:
        settings, _ = _build(args, warnings)
    except PressroomError as exc:
        raise changes.build_failed("new version", exc) from None
    # from git: the manuscript as it is now, committed or not
    new_label = (f"the current {settings.manuscript.name}" if old_path is None
                 else changes.file_label(settings.manuscript, old_path))
    with build_lock(settings.out_dir):
        if args.since:
            old = changes.from_git(settings.manuscript, args.since,
                                   settings.out_dir / changes.OLD_DIR / "source", settings.limits)
        else:
            old = changes.from_file(old_path, settings.manuscript)
        old_settings = changes.old_settings_for(settings, old, warnings=warnings)
        claim(old_settings.out_dir, old_settings.manuscript, chosen=True)
        # latexdiff compares the two .tex files: the old version's PDFs would be thrown away
        print(f"making the old version's LaTeX, {old.label} → {_show(old_settings.out_dir)}")
        try:
            with build_lock(old_settings.out_dir):
                run_tasks(old_settings, Warnings(), until="render")
        except PressroomError as exc:
            raise changes.build_failed(f"old version ({old.label})", exc) from None
        started = time.perf_counter()
        title = changes.heading(old, old_settings, new_label, settings)
        pdf, ran = changes.changes_pdf(settings, old_settings, title)
        print(changes.timed("diff", started) if ran else "diff: nothing changed since the last diff")
    print(title)
    print(f"  {_show(pdf)}")
    return 0


def cmd_bundle(argv: list[str], prog: str = "pressroom") -> int:
    """Build, then zip what compiles without pressroom: ``<stem>-sources.zip``."""
    args = _build_parser(prog, "bundle").parse_args(argv)
    from .bundle import write_bundle
    settings, _ = _build(args, Warnings(strict=args.strict))
    with build_lock(settings.out_dir):
        zip_path, names = write_bundle(settings)
    print(f"  {_show(zip_path)}: {', '.join(names)}")
    return 0


def cmd_test(argv: list[str], prog: str = "pressroom") -> int:
    """The whole test suite (set-up has made sure TeX and poppler are present)."""
    if CHECKOUT is None or not (CHECKOUT / "tests").is_dir():
        raise UsageError("the test suite runs in a checkout of the repository; this pressroom is installed",
                         hint="clone the repository and run `python3 build.py test` there")
    os.chdir(CHECKOUT)
    os.execv(sys.executable, [sys.executable, "-m", "pytest", *_parallel(argv), *argv])
    return 0  # not reached


def _parallel(argv: list[str]) -> list[str]:
    """pytest-xdist's options: one worker per core, unless the arguments choose (``-n 0``: one
    process). A module whose tests share a build folder is one ``xdist_group``, run by one worker."""
    import importlib.util
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) or a.endswith("no:xdist") for a in argv)
    if chosen or importlib.util.find_spec("xdist") is None:
        return []
    return ["-n", "auto", "--dist", "loadgroup"]


def cmd_setup(argv: list[str], prog: str = "pressroom") -> int:
    """What `setup` installs: build.py installs it in a checkout (it runs before this module);
    an installed pressroom prints the apt-get line (it does not install system packages)."""
    from . import languages
    p = _parser(prog, "setup")
    p.add_argument("--cjk", action="store_true", help="xeCJK and the Noto CJK fonts")
    p.add_argument("--lang", action="append", default=[], metavar="TAG",
                   help="a language's hyphenation patterns (de-DE, fr, ... or babel's name)")
    args = p.parse_args(argv)
    packages = list(languages.CJK_PACKAGES) if args.cjk else []
    for tag in args.lang:
        language = languages.from_langid(tag)
        if language is None:
            raise UsageError(f"unknown language `{tag}`", hint=f"pressroom typesets {languages.known_tags()}")
        packages += language.packages
    packages = list(dict.fromkeys(packages))
    print(f"sudo apt-get install {' '.join(packages)}" if packages else "nothing to install")
    return 0


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
