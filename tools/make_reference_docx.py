"""Make each template's ``reference.docx``: the look of its Word output.

pandoc's docx writer takes its styles, page size, margins and footers from a
reference .docx. Ours are pandoc's own default one with the styles and page
set-up of each template written over it, so that they can be made again,
reviewed as code, and follow a new pandoc:

    .venv/bin/python tools/make_reference_docx.py            # write templates/*/reference.docx
    .venv/bin/python tools/make_reference_docx.py --check    # exit 1 if one is not what it makes

The same pandoc (requirements.lock pins it) gives the same bytes: the
archive is written by pressroom.docxfile.deterministic_zip.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pressroom.docxfile import CoreProperties, core_xml, deterministic_zip  # noqa: E402
from pressroom.tools import run_pandoc  # noqa: E402

#: the date inside the reference files (pandoc replaces it in every document it writes)
DATE = datetime(2000, 1, 1, tzinfo=UTC)
#: twentieths of a point (twips) per inch
INCH = 1440
PAPERS = {"letter": (12240, 15840), "a4": (11906, 16838)}
FOOTER = "word/footer1.xml"
FOOTER_REL = "rIdPressroomFooter1"


@dataclass(frozen=True)
class Look:
    """One template's page and type."""

    paper: str
    font: str
    size: int                 # points
    line: int                 # text line spacing in 240ths of a line (480: double)
    indent: float             # first-line indent of paragraphs, inches
    note_size: int            # points
    numbered_headings: bool   # section numbers in the heading style (journal-article)
    title_page: bool          # page numbers start after a title page
    page_number_at: str       # center | right


TYPESCRIPT = Look(paper="letter", font="Times New Roman", size=12, line=480, indent=0.5, note_size=10,
                  numbered_headings=False, title_page=True, page_number_at="center")
LOOKS = {
    # the working paper and its anonymous copy: a double-spaced typescript, 12-point Times,
    # 1-inch margins, single-spaced notes, block quotations, tables and captions
    "working-paper": TYPESCRIPT,
    "anonymous-review": TYPESCRIPT,
    # a typeset article: A4, 11-point Palatino, single-spaced, notes in smaller type
    "journal-article": Look(paper="a4", font="Palatino Linotype", size=11, line=240, indent=0.25,
                            note_size=9, numbered_headings=True, title_page=False,
                            page_number_at="right"),
}


def _fonts(font: str) -> str:
    return f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/>'


def _size(points: float) -> str:
    half = round(points * 2)
    return f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>'


def _spacing(before: int = 0, after: int = 0, line: int | None = None) -> str:
    rule = f' w:line="{line}" w:lineRule="auto"' if line is not None else ""
    return f'<w:spacing w:before="{before}" w:after="{after}"{rule}/>'


def _styles(look: Look) -> dict[str, tuple[str | None, str | None]]:
    """style id → (paragraph properties, run properties); None leaves pandoc's."""
    single = 240
    indent = round(look.indent * INCH)
    body_line = look.line
    centred = '<w:jc w:val="center"/>'
    keep = "<w:keepNext/><w:keepLines/>"
    no_indent = '<w:ind w:firstLine="0"/>'
    text = _size(look.size)
    return {
        "BodyText": (_spacing(line=body_line) + f'<w:ind w:firstLine="{indent}"/>', ""),
        "FirstParagraph": (_spacing(line=body_line) + '<w:ind w:firstLine="0"/>', ""),
        "Compact": (_spacing(line=single), ""),
        "Title": (keep + _spacing(after=240, line=single) + centred,
                  "<w:b/><w:bCs/>" + _size(look.size + 2)),
        "Subtitle": (keep + _spacing(after=240, line=single) + centred, "<w:b/><w:bCs/>" + text),
        "Author": (keep + _spacing(after=120, line=single) + centred, '<w:b w:val="0"/>' + text),
        "Date": (keep + _spacing(before=240, after=240, line=single) + centred, '<w:b w:val="0"/>' + text),
        "AbstractTitle": (keep + _spacing(before=480, after=240, line=single) + centred,
                          "<w:b/><w:bCs/><w:caps/>" + text),
        "Abstract": (_spacing(after=120, line=single) + '<w:ind w:left="576" w:right="576"/>'
                     '<w:jc w:val="both"/>', text),
        "Heading1": (keep + _spacing(before=360, after=120, line=single) + '<w:outlineLvl w:val="0"/>',
                     "<w:b/><w:bCs/>" + text),
        "Heading2": (keep + _spacing(before=240, after=120, line=single) + '<w:outlineLvl w:val="1"/>',
                     ("<w:b/><w:bCs/>" if look.numbered_headings else "<w:i/><w:iCs/>") + text),
        "Heading3": (keep + _spacing(before=240, after=120, line=single) + '<w:outlineLvl w:val="2"/>',
                     "<w:i/><w:iCs/>" + text),
        "BlockText": (_spacing(before=120, after=240, line=single)
                      + f'<w:ind w:left="{indent or 360}" w:right="{indent or 360}" w:firstLine="0"/>', text),
        "FootnoteText": (_spacing(after=80, line=single) + '<w:ind w:firstLine="0"/>', _size(look.note_size)),
        "FootnoteBlockText": (_spacing(after=80, line=single) + '<w:ind w:left="360" w:right="360"/>',
                              _size(look.note_size)),
        "Caption": (_spacing(before=120, after=240, line=single) + no_indent + centred, text),
        "TableCaption": (keep + _spacing(before=240, after=120, line=single) + no_indent + centred, text),
        "ImageCaption": (_spacing(before=120, after=240, line=single) + no_indent + centred, text),
        "Figure": (_spacing(before=240, line=single) + centred, ""),
        "CaptionedFigure": (keep + _spacing(before=240, line=single) + centred, ""),
        "Bibliography": (_spacing(after=120, line=single) + '<w:ind w:left="720" w:hanging="720"/>', text),
    }


def _restyle(styles: str, style_id: str, ppr: str | None, rpr: str | None) -> str:
    """Replace the paragraph and run properties of one style (kept in the schema's order:
    pPr, then rPr, at the end of a paragraph style)."""
    found = re.search(rf'<w:style\b[^>]*w:styleId="{style_id}"[^>]*>.*?</w:style>', styles, re.S)
    if found is None:
        raise SystemExit(f"pandoc's reference.docx has no style {style_id}")
    block = found.group(0)
    if ppr is not None:
        block = re.sub(r"\s*<w:pPr>.*?</w:pPr>", "", block, flags=re.S)
    if rpr is not None:
        block = re.sub(r"\s*<w:rPr>.*?</w:rPr>", "", block, flags=re.S)
    added = (f"<w:pPr>{ppr}</w:pPr>" if ppr else "") + (f"<w:rPr>{rpr}</w:rPr>" if rpr else "")
    block = block.replace("</w:style>", f"{added}</w:style>")
    return styles[:found.start()] + block + styles[found.end():]


def styles_xml(styles: str, look: Look) -> str:
    defaults = (f"<w:docDefaults><w:rPrDefault><w:rPr>{_fonts(look.font)}{_size(look.size)}"
                '<w:lang w:val="en-US" w:eastAsia="en-US" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
                f"<w:pPrDefault><w:pPr>{_spacing(line=look.line)}</w:pPr></w:pPrDefault></w:docDefaults>")
    styles = re.sub(r"<w:docDefaults>.*?</w:docDefaults>", defaults, styles, flags=re.S)
    for style_id, (ppr, rpr) in _styles(look).items():
        styles = _restyle(styles, style_id, ppr, rpr)
    # headings, titles and hyperlinks in pandoc's reference take the theme's fonts and colours:
    # the template's one typeface, in black, throughout
    styles = re.sub(r'<w:rFonts w:asciiTheme="major[^/]*/>', _fonts(look.font), styles, flags=re.S)
    styles = re.sub(r'<w:color w:val="[0-9A-F]{6}" w:themeColor="accent1"\s+w:themeShade="BF"\s*/>',
                    "", styles)
    # the table: single-spaced cells, a rule above and below the whole and under the header
    styles = styles.replace(
        '<w:tblInd w:w="0" w:type="dxa" />',
        '<w:tblInd w:w="0" w:type="dxa" /><w:tblBorders><w:top w:val="single" w:sz="8" w:space="0" '
        'w:color="000000"/><w:bottom w:val="single" w:sz="8" w:space="0" w:color="000000"/></w:tblBorders>')
    return styles


def footer_xml(look: Look) -> str:
    """The footer: the page number."""
    field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE '
             '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
             '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
            f'<w:jc w:val="{look.page_number_at}"/></w:pPr>{field}</w:p></w:ftr>')


def section_xml(look: Look) -> str:
    """The page: size, 1-inch margins, the footer; with a title page, numbers from the page after it."""
    width, height = PAPERS[look.paper]
    first = "<w:titlePg/>" if look.title_page else ""
    start = 0 if look.title_page else 1
    return (f'<w:sectPr><w:footerReference w:type="default" r:id="{FOOTER_REL}"/>'
            '<w:footnotePr><w:numFmt w:val="decimal"/></w:footnotePr>'
            f'<w:pgSz w:w="{width}" w:h="{height}"/>'
            f'<w:pgMar w:top="{INCH}" w:right="{INCH}" w:bottom="{INCH}" w:left="{INCH}" '
            f'w:header="720" w:footer="720" w:gutter="0"/><w:pgNumType w:start="{start}"/>{first}</w:sectPr>')


def reference_docx(default: bytes, look: Look) -> bytes:
    """pandoc's default reference.docx with ``look``."""
    with zipfile.ZipFile(io.BytesIO(default)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["word/styles.xml"] = styles_xml(parts["word/styles.xml"].decode(), look).encode()
    document = parts["word/document.xml"].decode()
    document = re.sub(r"<w:sectPr>.*?</w:sectPr>", section_xml(look), document, flags=re.S)
    parts["word/document.xml"] = document.encode()
    parts[FOOTER] = footer_xml(look).encode()
    rels = parts["word/_rels/document.xml.rels"].decode()
    rels = rels.replace("</Relationships>", '<Relationship Type="http://schemas.openxmlformats.org/'
                        f'officeDocument/2006/relationships/footer" Id="{FOOTER_REL}" Target="footer1.xml" />'
                        "</Relationships>")
    parts["word/_rels/document.xml.rels"] = rels.encode()
    types = parts["[Content_Types].xml"].decode()
    types = types.replace("</Types>", '<Override PartName="/word/footer1.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.wordprocessingml.footer+xml" /></Types>')
    parts["[Content_Types].xml"] = types.encode()
    parts["docProps/core.xml"] = core_xml(CoreProperties(), DATE)
    return deterministic_zip(list(parts.items()), DATE)


def default_reference() -> bytes:
    return run_pandoc(["--print-default-data-file=reference.docx"])


def main(argv: list[str]) -> int:
    check = "--check" in argv
    default = default_reference()
    stale = []
    for name, look in LOOKS.items():
        target = ROOT / "templates" / name / "reference.docx"
        made = reference_docx(default, look)
        if check:
            if not target.is_file() or target.read_bytes() != made:
                stale.append(target)
        else:
            target.write_bytes(made)
            print(f"wrote {target.relative_to(ROOT)}")
    for target in stale:
        print(f"{target.relative_to(ROOT)} is not what tools/make_reference_docx.py makes: run it",
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
