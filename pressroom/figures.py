"""The figures a manuscript includes, from pandoc's AST: which they are, and whether TeX can include them.

``image_targets`` is the one list (``facts`` keeps it for doit's
dependencies and the compile stage, which copies the figures into the build
folder: TeX reads nothing outside it). ``check_figures`` is the convert
stage's rule: every figure exists inside the manuscript folder, in a format
XeLaTeX includes without help (PDF, PNG, JPEG).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from urllib.parse import quote, unquote

from .errors import ManuscriptError
from .pandoc_ast import elements
from .sourcelines import find_line_in

#: What XeLaTeX's graphicx (xdvipdfmx) includes without help from outside TeX.
FIGURE_FORMATS = (".pdf", ".png", ".jpg", ".jpeg")


def image_targets(doc: dict) -> list[str]:
    """The target of every image in the body, once each, in order (an image's caption may hold one).

    A file's target is its path as TeX gets it: pandoc keeps a target URL-escaped in its AST
    (``my figure.png`` is ``my%20figure.png``) and its LaTeX writer unescapes it, so this does too.
    """
    found: list[str] = []

    def collect(x) -> None:
        for image in elements(x, "Image"):
            target = image["c"][2][0]
            target = target if "://" in target else unquote(target)
            if target not in found:
                found.append(target)
            collect(image["c"][1])

    collect(doc["blocks"])
    return found


def figure_files(markdown: Path, targets: tuple[str, ...] | list[str]) -> list[Path]:
    """The files of ``targets`` that exist inside the manuscript folder (doit's dependencies)."""
    folder = markdown.parent.resolve()
    paths: list[Path] = []
    for target in targets:
        path = markdown.parent / target
        if "://" not in target and path.resolve().is_relative_to(folder) and path.is_file() \
                and path not in paths:
            paths.append(path)
    return paths


def check_figures(doc: dict, md: Path, *, folder: Path | None = None,
                  hidden: tuple[str, ...] = ()) -> list[str]:
    """Every figure must exist inside the manuscript folder (TeX reads only the build folder).
    ``md``: the file the figures are named in (for the line); ``folder``: the folder their paths
    are relative to (a book's chapter names them relative to the main file's), by default md's.
    ``hidden``: what an anonymous copy names nowhere (Settings.hidden), which no figure may hold:
    a photo's EXIF or XMP often names its author, and a JPEG goes into the PDF as it is (so does
    every figure into the .docx and the sources' zip)."""
    images = image_targets(doc)
    folder = folder or md.parent
    for target in images:
        if "://" in target:
            raise _error(md, target, "remote images are not fetched",
                         "download the image next to the manuscript and refer to it by a relative path")
        path = folder / target
        if not path.resolve().is_relative_to(folder.resolve()):
            raise _error(md, target, "figure outside the manuscript folder",
                         "move the figure into the manuscript folder (e.g. figures/)")
        if not path.is_file():
            raise _error(md, target, "figure not found", f"the path is relative to {folder}")
        if path.suffix.lower() not in FIGURE_FORMATS:
            raise _error(md, target, f"figures in {path.suffix or 'this'} format cannot be included",
                         "TeX includes PDF, PNG and JPEG: export the figure as one of them "
                         "(for SVG, e.g. `rsvg-convert -f pdf -o figure.pdf figure.svg`)")
        kind = _format_problem(path)
        if kind:
            raise _error(md, target, f"the figure is not a {path.suffix.lstrip('.').upper()} file ({kind})",
                         "export the figure again as PDF, PNG or JPEG, named with that format's ending")
        named = _named_in(path, hidden)
        if named:
            raise _error(md, target, f"this copy is anonymous, but the figure names \u201c{named}\u201d "
                         "in its metadata",
                         f"remove the figure's metadata (`exiftool -all= {target}`, or `mat2 {target}`) "
                         "or export it again without it")
    return images


#: how each format's files start, and what a file that starts otherwise may be
_MAGIC = {".pdf": (b"%PDF-",), ".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",),
          ".jpeg": (b"\xff\xd8\xff",)}
_LOOKS_LIKE = ((b"%PDF-", "a PDF"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"GIF8", "a GIF image"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
               (b"RIFF", "a WebP image"), (b"<", "text: SVG or HTML"))


def _format_problem(path: Path) -> str | None:
    """What the file is when it is not what its name says (TeX would stop with "Unable to load
    picture" and no line), else None."""
    with path.open("rb") as fh:
        head = fh.read(1024)
    magic = _MAGIC[path.suffix.lower()]
    # a PDF may have bytes before its header (readers look within the first kilobyte)
    if head.startswith(magic) or (path.suffix.lower() == ".pdf" and magic[0] in head):
        return None
    seen = next((what for magic, what in _LOOKS_LIKE if head.lstrip().startswith(magic)), None)
    return f"it is {seen}" if seen else ("it is empty" if not head else "its first bytes are no image's")


def _named_in(path: Path, hidden: tuple[str, ...]) -> str | None:
    """The first of ``hidden`` the figure's metadata holds (a JPEG's APPn and comment segments, a
    PNG's text and EXIF chunks, a PDF's Info and XMP), as UTF-8 or UTF-16 text (EXIF's XP fields
    are UTF-16), case aside, as a whole word: the pixels are not searched, where three letters
    of an affiliation turn up by chance."""
    if not hidden:
        return None
    return named_in_metadata(path.read_bytes(), path.suffix, hidden)


def named_in_metadata(data: bytes, suffix: str, hidden: tuple[str, ...]) -> str | None:
    """``_named_in`` for a figure's bytes (``suffix``: its format's), as a Word file holds it."""
    data = _metadata(data, suffix.lower())
    letters = {"utf-8": b"[A-Za-z]", "utf-16-le": b"[A-Za-z]\x00", "utf-16-be": b"\x00[A-Za-z]"}
    for name in hidden:
        for encoding, letter in letters.items():
            word = re.escape(name.encode(encoding))
            if re.search(b"(?<!" + letter + b")" + word + b"(?!" + letter + b")", data, re.IGNORECASE):
                return name
    return None


def _metadata(data: bytes, suffix: str) -> bytes:
    """The parts of an image or PDF that describe it rather than draw it, joined (empty for a file
    that cannot be read so: the format check has spoken for it)."""
    found: list[bytes] = []
    if suffix in (".jpg", ".jpeg"):
        at = 2
        while at + 4 <= len(data) and data[at] == 0xFF:
            marker, size = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
            if marker == 0xDA:   # the scan: pixels from here on
                break
            if 0xE0 <= marker <= 0xEF or marker == 0xFE:
                found.append(data[at + 4:at + 2 + size])
            at += 2 + size
    elif suffix == ".png":
        import zlib
        at = 8
        while at + 8 <= len(data):
            size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8]
            chunk = data[at + 8:at + 8 + size]
            if kind in (b"tEXt", b"eXIf"):
                found.append(chunk)
            elif kind == b"iTXt":   # keyword 0 compressed? method language 0 translated 0 text
                keyword, _, rest = chunk.partition(b"\0")
                text = rest[2:].split(b"\0", 2)[-1]
                found.append(keyword + b"\n" + rest[2:])
                if rest[:1] == b"\x01":
                    with contextlib.suppress(zlib.error):
                        found.append(zlib.decompressobj().decompress(text, 1 << 20))
            elif kind == b"zTXt":
                with contextlib.suppress(zlib.error):
                    found.append(zlib.decompressobj().decompress(chunk.split(b"\0", 1)[-1][1:], 1 << 20))
            at += 12 + size
    elif suffix == ".pdf":
        import pikepdf
        with contextlib.suppress(pikepdf.PdfError, OSError), pikepdf.open(io.BytesIO(data)) as pdf:
            found += [str(v).encode("utf-8") for v in pdf.docinfo.values()]
            if "/Metadata" in pdf.Root:
                found.append(pdf.Root.Metadata.read_bytes())
    return b"\n".join(found)


def _error(md: Path, target: str, what: str, hint: str) -> ManuscriptError:
    # `(target` for an inline image, `]: target` for a reference-style one's definition; the
    # Markdown may spell a space as `%20`
    spellings = "|".join(re.escape(t) for t in dict.fromkeys((target, quote(target, safe="/:"))))
    line = find_line_in(md, re.compile(rf"(?:\(|\]:\s*)<?(?:{spellings})")) or find_line_in(md, target)
    return ManuscriptError(f"{what}: {target}", file=md, line=line, hint=hint)
