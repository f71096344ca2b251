"""The TeX engine's format, uncompressed: each pass reads it instead of inflating it.

TeX Live keeps its formats gzip-compressed (``xelatex.fmt``: 9 MB, 34 MB inflated), and
inflating it is most of what a XeLaTeX pass does before the document starts: 0.14 of the 0.22 s
of user time a one-page document spends in the program (LuaLaTeX: about 0.1 s of 0.7). kpathsea
reads a format through zlib, which reads an uncompressed file as it is; so a copy of the format,
inflated once and named to TeX by ``TEXFORMATS``, gives TeX the very same format, byte for byte,
and the same pages.

The copy lives in the user's cache folder (``$XDG_CACHE_HOME/pressroom/tex-formats``, else
``~/.cache/...``), in a folder named after the format TeX would load (its path, size and time,
found with kpsewhich in TeX's own environment): when TeX Live rebuilds its formats (an update,
new hyphenation patterns), the next build makes a new copy and removes the old one. Anything that
stops the copy (no cache folder, a full disk, a format not compressed) leaves TeX its own format:
a slower pass, the same output.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
from pathlib import Path

from .errors import PressroomError
from .tools import Limits
from .tools import run as run_tool

#: the engines whose formats are kept uncompressed (a format is named after its command)
ENGINES = ("xelatex", "lualatex")
#: how a gzip file starts
_GZIP_MAGIC = b"\x1f\x8b"


def folder(engine: str, *, home: str | None) -> Path | None:
    """The folder holding the uncompressed copy of ``engine``'s format, for TEXFORMATS, or None
    (TeX then loads its own). ``home``: TeX's home folder, where a user's own formats would be
    (None: TeX has none, as in the sandbox of ``--safe``)."""
    if engine not in ENGINES:
        return None
    original = _located(engine, home or "/nonexistent")
    if original is None:
        return None
    try:
        stat = original.stat()
    except OSError:
        return None
    return _copy(original, stat.st_size, stat.st_mtime_ns, f"{engine}.fmt")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pressroom" / "tex-formats"


@functools.cache
def _located(engine: str, home: str) -> Path | None:
    """The format kpathsea gives ``engine`` with this home folder and no TEXMF variables (as TeX
    runs: compile.TexEnvironment); once a process, as kpsewhich costs 25 ms. None when kpsewhich
    fails. (The command is a link to the program, whose name kpathsea's engine is: xetex,
    luahbtex.)"""
    program = shutil.which(engine)
    if program is None:
        return None
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": home}
    try:
        result = run_tool(["kpsewhich", f"-engine={Path(program).resolve().name}", f"{engine}.fmt"],
                          env=env, what="kpsewhich", limits=Limits(time=30, memory=512), check=False)
    except PressroomError:
        return None
    found = result.stdout.decode("utf-8", "replace").strip()
    return Path(found) if result.returncode == 0 and found else None


@functools.cache
def _copy(original: Path, size: int, mtime_ns: int, name: str) -> Path | None:
    """The copy of ``original`` as it is now (made if missing), named ``name``, or None."""
    source_id = hashlib.sha256(os.fsencode(original)).hexdigest()[:16]
    target = cache_root() / f"{source_id}-{size}-{mtime_ns}"
    if (target / name).is_file():
        return target
    try:
        with original.open("rb") as fh:
            if fh.read(2) != _GZIP_MAGIC:
                return None   # not compressed: TeX reads it as fast as a copy
        target.mkdir(parents=True, exist_ok=True)
        partial = target / f".{name}.{os.getpid()}"
        try:
            with gzip.open(original, "rb") as source, partial.open("wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            os.replace(partial, target / name)   # another build making it too: either copy
        finally:
            partial.unlink(missing_ok=True)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    for old in target.parent.glob(f"{source_id}-*"):   # the copies of formats TeX Live replaced
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target
