"""``pressroom bundle``: ``<stem>-sources.zip``, the sources a journal can compile without pressroom.

The zip holds the final ``<stem>.tex`` (the templates are already inside it:
Jinja2 includes them when rendering, so it inputs no other file), the figures
it includes, a ``latexmkrc`` that chooses the engine, and a ``README.txt``
(engine, the fonts it needs by name, the LaTeX packages, how to compile).
``latexmk -xelatex`` in an empty folder with the unzipped files makes the same
pages as the build.

Nothing from the build machine: no absolute path (the .tex is checked), no
auxiliary file, no line marks (the ``%%md-KEY:LINE`` comments convert leaves
for locating TeX errors). The zip is deterministic: the files in a fixed
order, each dated by the build's source date, mode 0644, the same compression.
"""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .changes import strip_marks
from .errors import PressroomError
from .frontfields import read_front
from .tools import atomic_write

if TYPE_CHECKING:
    from .config import Settings

#: The earliest date a zip file can hold (MS-DOS time).
_ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)
#: The fonts the templates name by file, with their family and where they come from.
FONT_FAMILIES = {
    "texgyretermes": "TeX Gyre Termes (TeX Live's tex-gyre; Debian fonts-texgyre)",
    "texgyrepagella": "TeX Gyre Pagella (TeX Live's tex-gyre; Debian fonts-texgyre)",
    "texgyreheros": "TeX Gyre Heros (TeX Live's tex-gyre; Debian fonts-texgyre)",
    "lmmono10": "Latin Modern Mono (TeX Live's lm; Debian lmodern)",
    "lmroman10": "Latin Modern Roman (TeX Live's lm; Debian lmodern)",
}
_FONT_FILE = re.compile(r'"\[([^\]"/]+\.(?:otf|ttf))\]')
_PACKAGES = re.compile(r"\\(?:usepackage|RequirePackage)(?:\[[^\]]*\])?\{([^}]+)\}")
_INPUTS = re.compile(r"\\(?:input|include|InputIfFileExists|includestandalone)\s*\{([^}]+)\}")
_ENGINE_MODE = {"xelatex": 5, "lualatex": 4}


def _fonts(tex: str) -> list[str]:
    """The font families the .tex loads by file name, then the files."""
    files = sorted(set(_FONT_FILE.findall(tex)))
    stems = {name.rsplit(".", 1)[0].rsplit("-", 1)[0] for name in files}
    return sorted(FONT_FAMILIES.get(s, s) for s in stems) + ([f"files: {', '.join(files)}"] if files else [])


def _packages(tex: str) -> list[str]:
    return sorted({p.strip() for group in _PACKAGES.findall(tex) for p in group.split(",") if p.strip()})


def readme(settings: Settings, tex: str, names: list[str]) -> str:
    stem, engine = settings.stem, settings.engine
    fonts = "\n".join(f"  {line}" for line in _fonts(tex)) or "  (none beyond TeX Live's defaults)"
    packages = ", ".join(_packages(tex))
    files = "\n".join(f"  {name}" for name in names)
    return f"""{stem}.tex: LaTeX sources of the manuscript, as pressroom built them

Compile (TeX Live 2022 or newer):

  latexmk -{engine} {stem}.tex

(latexmkrc chooses {engine}, so `latexmk` alone works too.) The engine must be
{engine}: the fonts are OpenType and are loaded by file name.

Fonts needed:
{fonts}

LaTeX packages used: {packages}.

Files:
{files}

Made by {settings.creator} from {settings.manuscript.name} with the template {settings.template_name}.
"""


def bundle_files(settings: Settings) -> dict[str, bytes]:
    """Every file of the zip, by name."""
    stem = settings.stem
    tex = strip_marks(settings.output(".tex").read_text(encoding="utf-8"))
    for machine_path in (str(settings.out_dir), str(settings.manuscript.parent)):
        if machine_path != "/" and machine_path in tex:
            raise PressroomError(f"bundle: {stem}.tex names a folder of this machine ({machine_path})",
                                 file=settings.output(".tex"),
                                 hint="a journal could not compile it; report this as a pressroom bug")
    files = {f"{stem}.tex": tex.encode("utf-8")}
    for rel in read_front(settings.output(".front.json")).get("images", []):
        source = settings.out_dir / rel    # the compile stage copied it there
        files[Path(rel).as_posix()] = source.read_bytes()
    for wanted in _INPUTS.findall(tex):
        if not any(name in files for name in (wanted, f"{wanted}.tex")):
            raise PressroomError(f"bundle: {stem}.tex inputs {wanted}, which is not in the bundle",
                                 file=settings.output(".tex"),
                                 hint="a template may input only what the build folder holds")
    files["latexmkrc"] = (f"# {settings.engine}: the fonts are OpenType, loaded by file name\n"
                          f"$pdf_mode = {_ENGINE_MODE[settings.engine]};\n").encode()
    names = sorted([*files, "README.txt"])
    files["README.txt"] = readme(settings, tex, names).encode("utf-8")
    return files


def write_bundle(settings: Settings) -> tuple[Path, list[str]]:
    """Write ``<stem>-sources.zip`` (atomically, the same bytes for the same sources)."""
    files = bundle_files(settings)
    date = max(datetime.fromtimestamp(settings.source_date_epoch, UTC), _ZIP_EPOCH)
    target = settings.output("-sources.zip")
    with atomic_write(target) as fh, zipfile.ZipFile(fh, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=date.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3                      # Unix, so that the mode below is read
            info.external_attr = 0o100644 << 16         # a regular file, rw-r--r--
            archive.writestr(info, files[name], compresslevel=9)
    return target, sorted(files)
