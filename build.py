#!/usr/bin/env python3
"""pressroom's command line: set-up, then the build (doit as a library).

    python3 build.py                  set up, build manuscript/ into build/manuscript/
    python3 build.py PATH             build another manuscript (.md or its folder)
    python3 build.py test             set up, run the whole test suite
    python3 build.py notes PATH       print the footnotes of a manuscript
    python3 build.py setup [--cjk] [--lang TAG]   set up, with CJK support or a language's patterns
    python3 build.py check [PDF ...]  preflight-check PDFs
    python3 build.py diff PATH --since REV   a changes PDF against a git revision
    python3 build.py bundle PATH      a zip of the sources that compiles without pressroom
    python3 build.py --help           every command, one line each

Set-up, done by every command and skipped in a few milliseconds once done:
1. `.venv` with the exact versions in requirements.lock (rebuilt when that
   file or pyproject.toml changes);
2. TeX Live, latexmk, latexdiff, poppler-utils and bubblewrap from Debian, if a tool or TeX file is missing
   (as root, or through sudo; otherwise the exact apt-get line to run is printed);
3. only for a manuscript that needs them (or on request: `setup --cjk`, `setup --lang de`), the
   hyphenation patterns of its languages (with FreeSerif for Russian, Ukrainian, Bulgarian and
   Greek) and, for Chinese, Japanese or Korean characters, xeCJK and the Noto CJK fonts
   (pressroom/languages.py says which Debian package brings what); what a manuscript needs is
   kept in .venv until its files change.

This file runs with the system's Python 3.11 and the standard library only;
everything else happens inside the venv (pressroom/cli.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
SETUP_STAMP = VENV / ".pressroom-setup"
LOCK_FILES = ("requirements.lock", "pyproject.toml")

#: The Debian packages the build and the tests need: the one list, in one place.
DEBIAN_PACKAGES = (
    "texlive-xetex",               # XeLaTeX: the engine (see README: measured faster than LuaLaTeX)
    "texlive-latex-recommended",   # setspace, fancyhdr, geometry, booktabs, lineno, ...
    "texlive-latex-extra",         # titlesec, footnotehyper, xurl, endnotes, ...
    "texlive-plain-generic",       # soul: pandoc's ~~strikeout~~, [underline]{.underline}, [mark]{.mark}
    "texlive-luatex",              # LuaLaTeX, for templates that choose `engine = "lualatex"`
    "texlive-fonts-recommended",
    "fonts-texgyre",               # TeX Gyre Termes: the serif with macrons (ū, ō)
    "lmodern",
    "fonts-dejavu-core",           # DejaVu Sans: the draft stamp's embedded font
    "latexmk",
    "poppler-utils",               # pdftotext, pdffonts: the check stage and the tests
    "bubblewrap",                  # bwrap: --safe runs TeX in a sandbox (README: untrusted manuscripts)
    "latexdiff",                   # `diff`: the changes PDF between two versions
)
REQUIRED_TOOLS = ("xelatex", "latexmk", "pdftotext", "bwrap", "latexdiff")
#: A file from each TeX package above: a TeX Live that has the tools but lacks one of these
#: (installed before the package joined the list) gets the packages again.
#: (ulem and settobox: the markup of latexdiff's output)
REQUIRED_TEX_FILES = ("fontspec.sty", "titlesec.sty", "soul.sty", "luaotfload.sty", "ulem.sty",
                      "settobox.sty", "lineno.sty", "endnotes.sty",   # the submission layouts
                      "texgyretermes-regular.otf", "lmmono10-regular.otf")
TEX_STAMP = VENV / ".pressroom-tex"


def say(message: str) -> None:
    print(f"setup: {message}", file=sys.stderr, flush=True)


def fail(message: str, code: int = 1) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def _lock_digest() -> str:
    # Not the running interpreter's version: the venv keeps the Python it was made with, and
    # `python3` may be pyenv's on one call and Debian's on the next.
    h = hashlib.sha256()
    for name in LOCK_FILES:
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_venv() -> None:
    digest = _lock_digest()
    if SETUP_STAMP.exists() and SETUP_STAMP.read_text().strip() == digest and VENV_PYTHON.exists():
        return
    say(f"creating {VENV.name} with the pinned dependencies (requirements.lock) ...")
    if not VENV_PYTHON.exists():
        result = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(VENV, ignore_errors=True)
            if "ensurepip" in result.stdout + result.stderr:
                _apt_install(["python3-venv"], why="Python's venv module")
                result = subprocess.run([sys.executable, "-m", "venv", str(VENV)])
            if result.returncode != 0:
                fail(f"could not create {VENV}:\n{result.stderr}")
    pip = [str(VENV_PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    for args in (["install", "-r", str(ROOT / "requirements.lock")],
                 ["install", "--no-deps", "-e", str(ROOT)]):
        if subprocess.run(pip + args).returncode != 0:
            fail("pip could not install the dependencies (see above); nothing was changed in your sources")
    SETUP_STAMP.write_text(digest + "\n")
    say("Python environment ready")


def missing_tools() -> list[str]:
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def _apt_install(packages: list[str], *, why: str, reason: str = "") -> None:
    """Install ``packages`` (which give ``why``) from Debian; ``reason`` says what was missing."""
    line = "apt-get install -y --no-install-recommends " + " ".join(packages)
    reason = reason or f"{why} is missing"
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        fail(f"{reason}, and installing {why} needs root. Run:\n"
             f"  sudo apt-get update && sudo {line}\n"
             "then run this command again.")
    count = f"{len(packages)} package{'s' if len(packages) != 1 else ''}"
    say(f"{reason}: installing {why} from Debian ({count}, a few minutes the first time) ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"], line.split()):
        result = subprocess.run(prefix + cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"`{' '.join(prefix + cmd)}` failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    say(f"installed {why}")


def missing_tex_files() -> list[str]:
    if shutil.which("kpsewhich") is None:
        return list(REQUIRED_TEX_FILES)
    result = subprocess.run(["kpsewhich", *REQUIRED_TEX_FILES], capture_output=True, text=True)
    found = {Path(line).name for line in result.stdout.splitlines()}
    return [name for name in REQUIRED_TEX_FILES if name not in found]


def ensure_tex() -> None:
    missing = missing_tools()
    digest = hashlib.sha256(repr((DEBIAN_PACKAGES, REQUIRED_TEX_FILES)).encode()).hexdigest()
    if not missing and TEX_STAMP.exists() and TEX_STAMP.read_text().strip() == digest:
        return   # checked since the lists last changed: kpsewhich costs 50 ms, so not on every build
    missing = missing or missing_tex_files()
    if missing:
        _apt_install(list(DEBIAN_PACKAGES), why="TeX Live, poppler-utils and bubblewrap",
                     reason=f"{', '.join(missing)} not found")
        still = missing_tools() or missing_tex_files()
        if still:
            fail(f"still not found after installing TeX Live: {', '.join(still)}")
    TEX_STAMP.write_text(digest + "\n")


#: What the test suite needs besides DEBIAN_PACKAGES: German, Russian and Greek hyphenation, the
#: Cyrillic and Greek serif, and CJK support (tests/test_languages.py builds a German paper, a
#: Russian one, an English one with Russian and Greek spans, one with Japanese and Chinese titles).
TEST_EXTRAS = ("--lang", "de", "--lang", "ru", "--lang", "el", "--cjk")
EXTRAS_STAMP = VENV / ".pressroom-extras"


def _languages():
    """pressroom/languages.py (standard library only): which Debian packages a language needs."""
    sys.path.insert(0, str(ROOT))
    from pressroom import languages
    return languages


def extra_packages(options: list[str]) -> list[str]:
    """The Debian packages for `setup`'s options: `--cjk`, `--lang TAG` (a tag such as de-DE, or
    babel's name such as ngerman), repeated as needed."""
    languages = _languages()
    packages: list[str] = []
    args = iter(options)
    for option in args:
        if option == "--cjk":
            packages += languages.CJK_PACKAGES
        elif option == "--lang" or option.startswith("--lang="):
            tag = option.partition("=")[2] or next(args, "")
            language = languages.from_langid(tag)
            if language is None:
                fail(f"setup: unknown language `{tag}`; pressroom typesets {languages.known_tags()}", 2)
            packages += language.packages
        else:
            fail(f"setup: unknown option `{option}` (use --cjk, --lang TAG)", 2)
    return list(dict.fromkeys(packages))


#: manuscript_packages' last answers, each after the digest of the files it read (their paths,
#: sizes and times): a build of an unchanged manuscript does not read them again (25 ms)
LANGUAGES_CACHE = VENV / ".pressroom-manuscript-languages"


def manuscript_packages(argv: list[str]) -> list[str]:
    """The Debian packages the manuscript a build names needs beyond the base set-up: the
    hyphenation patterns of its header's `lang`, of its spans' `lang=` and of the `langid` of the
    entries in a .bib file beside it (a title in German is set with German's), and CJK support
    when it or such a .bib file holds Chinese, Japanese or Korean characters. Best effort (the
    render stage checks exactly, and says what to install)."""
    paths = [Path(a) for a in argv if not a.startswith("-")] or [ROOT / "manuscript"]
    markdown = [p for p in paths if p.suffix == ".md" and p.is_file()]
    markdown += [m for p in paths if p.is_dir() for m in sorted(p.glob("*.md"))]
    if not markdown:
        return []
    bibs = {md: sorted(md.parent.glob("*.bib")) for md in markdown}
    key = _files_digest([*markdown, *(b for found in bibs.values() for b in found),
                         ROOT / "pressroom" / "languages.py"])
    kept = _kept_packages(key)
    if kept is not None:
        return kept
    import re
    languages = _languages()
    options: list[str] = []
    for md in markdown:
        text = md.read_text(encoding="utf-8", errors="replace")
        bibs_text = [b.read_text(encoding="utf-8", errors="replace") for b in bibs[md]]
        tags = re.findall(r"^lang:\s*['\"]?([A-Za-z0-9-]+)", text, re.MULTILINE)
        tags += re.findall(r"\{[^}\n]*\blang=['\"]?([A-Za-z0-9-]+)", text)
        tags += [tag for bib in bibs_text for tag in languages.langids(bib)]
        for tag in dict.fromkeys(tags):
            language = languages.from_langid(tag)
            if language is not None and language.packages:
                options += ["--lang", tag]
        texts = [text, *bibs_text]
        if any(languages.has_cjk(t) for t in texts):
            options.append("--cjk")
    packages = extra_packages(options)
    if key is not None:
        _keep_packages(key, packages)
    return packages


def _files_digest(files: list[Path]) -> str | None:
    h = hashlib.sha256()
    try:
        for file in files:
            stat = file.stat()
            h.update(f"{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    except OSError:
        return None
    return h.hexdigest()


def _kept_packages(key: str | None) -> list[str] | None:
    try:
        lines = LANGUAGES_CACHE.read_text(encoding="utf-8").splitlines() if key else []
    except OSError:
        return None
    for line in lines:
        digest, *packages = line.split() or [""]
        if digest == key:
            return packages
    return None


def _keep_packages(key: str, packages: list[str]) -> None:
    """Keep the answer with the 20 latest others (a temporary file renamed into place: builds
    running at once each write a whole file)."""
    try:
        old = [line for line in LANGUAGES_CACHE.read_text(encoding="utf-8").splitlines()
               if line.split()[:1] != [key]][-19:]
    except OSError:
        old = []
    try:
        temporary = LANGUAGES_CACHE.with_name(f"{LANGUAGES_CACHE.name}.{os.getpid()}.tmp")
        temporary.write_text("\n".join([*old, " ".join([key, *packages])]) + "\n", encoding="utf-8")
        os.replace(temporary, LANGUAGES_CACHE)
    except OSError:
        pass


def ensure_extras(packages: list[str], *, why: str) -> None:
    """Install ``packages`` from Debian unless an earlier set-up did (or they are there already)."""
    done = set(EXTRAS_STAMP.read_text().split()) if EXTRAS_STAMP.exists() else set()
    wanted = [p for p in packages if p not in done]
    if not wanted:
        return
    result = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *wanted],
                            capture_output=True, text=True)
    installed = {line.split()[0] for line in result.stdout.splitlines() if line.endswith(" installed")}
    missing = [p for p in wanted if p not in installed]
    if missing:
        _apt_install(missing, why=why, reason=f"{why}: {', '.join(missing)} not installed")
    EXTRAS_STAMP.write_text(" ".join(sorted(done | set(wanted))) + "\n")


def setup(options: list[str]) -> int:
    """`python3 build.py setup [--cjk] [--lang TAG ...]`: the set-up, and the extras asked for."""
    packages = extra_packages(options)
    ensure_tex()
    if packages:
        ensure_extras(packages, why="the languages and scripts asked for")
    say("ready" + (f" (with {', '.join(packages)})" if packages else ""))
    return 0


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def main(argv: list[str]) -> int:
    if not in_venv():
        if sys.version_info < (3, 11):   # noqa: UP036  (this file runs on the system's Python)
            fail(f"pressroom needs Python 3.11 or newer; this is {sys.version.split()[0]}")
        ensure_venv()
        if argv and argv[0] == "setup" and not {"-h", "--help"} & set(argv):
            return setup(argv[1:])
        if needs_tex(argv):
            ensure_tex()
            extras = (extra_packages(list(TEST_EXTRAS)) if argv and argv[0] == "test"
                      else manuscript_packages(argv[1:] if argv and argv[0] == "build" else argv))
            if extras:
                ensure_extras(extras, why="the manuscript's languages and scripts" if argv[:1] != ["test"]
                              else "the test suite's languages and scripts")
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *argv])
    sys.path.insert(0, str(ROOT))
    from pressroom.cli import main_of_process
    return main_of_process(argv, prog="build.py")


def needs_tex(argv: list[str]) -> bool:
    """Everything but the notes, --help and --version runs TeX or poppler."""
    asks_only = {"-h", "--help", "help", "--version"}
    return not argv or not (argv[0] == "notes" or argv[0] in asks_only or
                            (len(argv) > 1 and argv[1] in asks_only))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
