"""A small TrueType subsetter and embedder for the stamp (private).

The draft stamp needs a real, embedded font (no base-14 Helvetica) and must
cost milliseconds, not a TeX run. This module reads a TrueType file with
``struct``, keeps only the outlines of the glyphs a text uses (glyph ids are
kept, the other glyphs become empty), and embeds the result in a pikepdf
``Pdf`` as a Type 0 / CIDFontType2 font with ``Identity-H`` encoding and a
``ToUnicode`` CMap, so the stamp text extracts as text.

Why not fontTools: importing it and subsetting one font takes about 0.3 s
here, more than the whole stamp-and-check budget. The glyph-id-preserving
subset below needs only the tables a PDF TrueType font uses (head, hhea,
maxp, hmtx, loca, glyf, cvt, fpgm, prep) and runs in a few milliseconds.

The fonts come from Debian's ``fonts-dejavu-core`` (DejaVu Sans).
"""

from __future__ import annotations

import functools
import hashlib
import struct
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from .errors import PressroomError, SetupError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
)

# Tables a TrueType font program embedded in a PDF needs (PDF 32000 9.9).
_KEEP = ("cvt ", "fpgm", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "prep")


def find_font(filename: str) -> Path:
    """The path of a system TrueType font, or a SetupError saying what to install."""
    for folder in FONT_DIRS:
        path = folder / filename
        if path.is_file():
            return path
    raise SetupError(
        f"font {filename} not found (looked in {', '.join(map(str, FONT_DIRS))})",
        hint="install the Debian package fonts-dejavu-core")


def _checksum(data: bytes) -> int:
    data = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


class TrueTypeFont:
    """One parsed TrueType file: glyph lookup, advance widths, subsetting."""

    def __init__(self, path: Path):
        self.path = Path(path)
        data = self.path.read_bytes()
        self.data = data
        try:
            self._parse()
        except (struct.error, KeyError, IndexError) as exc:
            raise PressroomError(f"cannot read TrueType font: {exc}", file=path,
                                 hint="use a .ttf font with glyf outlines") from exc

    # -- parsing ----------------------------------------------------------
    def _table(self, tag: str) -> bytes:
        off, length = self.tables[tag]
        return self.data[off:off + length]

    def _parse(self) -> None:
        data = self.data
        version, num_tables = struct.unpack_from(">IH", data, 0)
        if version not in (0x00010000, 0x74727565):
            raise PressroomError("not a TrueType (glyf) font", file=self.path,
                                 hint="use a .ttf font, not .otf/CFF")
        self.tables: dict[str, tuple[int, int]] = {}
        for i in range(num_tables):
            tag, _sum, off, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            self.tables[tag.decode("latin-1")] = (off, length)

        head = self._table("head")
        self.units_per_em = struct.unpack_from(">H", head, 18)[0]
        self.bbox = struct.unpack_from(">hhhh", head, 36)
        self.loca_long = struct.unpack_from(">h", head, 50)[0] == 1
        self.num_glyphs = struct.unpack_from(">H", self._table("maxp"), 4)[0]
        hhea = self._table("hhea")
        self.ascent, self.descent = struct.unpack_from(">hh", hhea, 4)
        n_hmetrics = struct.unpack_from(">H", hhea, 34)[0]
        hmtx = self._table("hmtx")
        adv = [struct.unpack_from(">H", hmtx, 4 * i)[0] for i in range(n_hmetrics)]
        self.advances = adv + [adv[-1]] * (self.num_glyphs - n_hmetrics)

        os2 = self.tables.get("OS/2")
        self.cap_height = self.ascent
        if os2:
            t = self._table("OS/2")
            if struct.unpack_from(">H", t, 0)[0] >= 2 and len(t) >= 90:
                self.cap_height = struct.unpack_from(">h", t, 88)[0]

        loca = self._table("loca")
        if self.loca_long:
            self.loca = struct.unpack_from(f">{self.num_glyphs + 1}I", loca)
        else:
            self.loca = tuple(2 * x for x in
                              struct.unpack_from(f">{self.num_glyphs + 1}H", loca))
        name_table = self.tables.get("name")
        self.ps_name = self._postscript_name() if name_table else self.path.stem
        self._parse_cmap()

    def _postscript_name(self) -> str:
        t = self._table("name")
        count, string_off = struct.unpack_from(">HH", t, 2)
        for i in range(count):
            pid, _eid, _lang, nid, length, off = struct.unpack_from(">6H", t, 6 + 12 * i)
            if nid != 6:
                continue
            raw = t[string_off + off:string_off + off + length]
            name = raw.decode("utf-16-be") if pid in (0, 3) else raw.decode("latin-1")
            name = "".join(c for c in name if c.isalnum() or c in "-_")
            if name:
                return name
        return self.path.stem

    def _parse_cmap(self) -> None:
        t = self._table("cmap")
        n = struct.unpack_from(">H", t, 2)[0]
        subtables = {}
        for i in range(n):
            pid, eid, off = struct.unpack_from(">HHI", t, 4 + 8 * i)
            subtables[(pid, eid)] = off
        self._cmap12 = None
        self._cmap4 = None
        for key in ((3, 10), (0, 4), (0, 6)):
            if key in subtables and struct.unpack_from(">H", t, subtables[key])[0] == 12:
                off = subtables[key]
                ngroups = struct.unpack_from(">I", t, off + 12)[0]
                self._cmap12 = [struct.unpack_from(">III", t, off + 16 + 12 * i)
                                for i in range(ngroups)]
                return
        for key in ((3, 1), (0, 3), (0, 1), (0, 0)):
            if key in subtables and struct.unpack_from(">H", t, subtables[key])[0] == 4:
                off = subtables[key]
                segx2 = struct.unpack_from(">H", t, off + 6)[0]
                seg = segx2 // 2
                ends = struct.unpack_from(f">{seg}H", t, off + 14)
                starts = struct.unpack_from(f">{seg}H", t, off + 16 + segx2)
                deltas = struct.unpack_from(f">{seg}h", t, off + 16 + 2 * segx2)
                ro_pos = off + 16 + 3 * segx2
                ranges = struct.unpack_from(f">{seg}H", t, ro_pos)
                self._cmap4 = (t, ends, starts, deltas, ranges, ro_pos)
                return
        raise PressroomError("font has no Unicode cmap", file=self.path)

    def glyph(self, char: str) -> int:
        """The glyph id of ``char``, 0 if the font has none."""
        cp = ord(char)
        if self._cmap12 is not None:
            for start, end, gid in self._cmap12:
                if start <= cp <= end:
                    return gid + cp - start
            return 0
        t, ends, starts, deltas, ranges, ro_pos = self._cmap4
        if cp > 0xFFFF:
            return 0
        for i, end in enumerate(ends):
            if cp <= end:
                if cp < starts[i]:
                    return 0
                if ranges[i] == 0:
                    return (cp + deltas[i]) & 0xFFFF
                pos = ro_pos + 2 * i + ranges[i] + 2 * (cp - starts[i])
                gid = struct.unpack_from(">H", t, pos)[0]
                return (gid + deltas[i]) & 0xFFFF if gid else 0
        return 0

    # -- use --------------------------------------------------------------
    def glyphs(self, text: str) -> list[int]:
        """Glyph ids for ``text``; a PressroomError names any missing character."""
        gids = []
        for ch in text:
            gid = self.glyph(ch)
            if gid == 0:
                raise PressroomError(
                    f"the stamp font {self.path.name} has no glyph for {ch!r} (U+{ord(ch):04X})",
                    hint="change the stamp text in the `draft:` block")
            gids.append(gid)
        return gids

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points."""
        return sum(self.advances[g] for g in self.glyphs(text)) * size / self.units_per_em

    def scale(self, value: float) -> int:
        return round(value * 1000 / self.units_per_em)

    def _closure(self, gids: set[int]) -> set[int]:
        glyf_off = self.tables["glyf"][0]
        todo, seen = list(gids), set()
        while todo:
            gid = todo.pop()
            if gid in seen or gid >= self.num_glyphs:
                continue
            seen.add(gid)
            start, end = self.loca[gid], self.loca[gid + 1]
            if end - start < 10:
                continue
            pos = glyf_off + start
            if struct.unpack_from(">h", self.data, pos)[0] >= 0:
                continue
            pos += 10
            while True:  # composite glyph: collect its components
                flags, comp = struct.unpack_from(">HH", self.data, pos)
                todo.append(comp)
                pos += 4 + (4 if flags & 0x1 else 2)
                pos += 2 if flags & 0x8 else 4 if flags & 0x40 else 8 if flags & 0x80 else 0
                if not flags & 0x20:
                    break
        return seen

    def subset(self, gids: set[int]) -> bytes:
        """A TrueType program with only ``gids`` (and .notdef) outlined; ids kept."""
        keep = self._closure(set(gids) | {0})
        glyf_off = self.tables["glyf"][0]
        glyf = bytearray()
        loca = [0]
        for gid in range(self.num_glyphs):
            if gid in keep:
                glyf += self.data[glyf_off + self.loca[gid]:glyf_off + self.loca[gid + 1]]
                glyf += b"\0" * (-len(glyf) % 4)
            loca.append(len(glyf))
        tables = {}
        for tag in _KEEP:
            if tag in self.tables:
                tables[tag] = self._table(tag)
        tables["glyf"] = bytes(glyf)
        tables["loca"] = struct.pack(f">{len(loca)}I", *loca)
        head = bytearray(tables["head"])
        head[8:12] = b"\0\0\0\0"            # checkSumAdjustment, set below
        head[50:52] = struct.pack(">h", 1)  # long loca offsets
        tables["head"] = bytes(head)

        tags = sorted(tables)
        n = len(tags)
        entry_selector = n.bit_length() - 1
        search_range = 16 * (1 << entry_selector)
        out = bytearray(struct.pack(">IHHHH", 0x00010000, n, search_range,
                                    entry_selector, n * 16 - search_range))
        offset = 12 + 16 * n
        body = bytearray()
        for tag in tags:
            t = tables[tag]
            out += struct.pack(">4sIII", tag.encode("latin-1"), _checksum(t),
                               offset + len(body), len(t))
            body += t + b"\0" * (-len(t) % 4)
        font = bytearray(out + body)
        head_pos = 12 + 16 * n + sum(len(tables[t]) + (-len(tables[t]) % 4)
                                     for t in tags[:tags.index("head")])
        adjust = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
        font[head_pos + 8:head_pos + 12] = struct.pack(">I", adjust)
        return bytes(font)

    def embed(self, pdf: pikepdf.Pdf, text: str) -> pikepdf.Object:
        """Add a Type 0 font with the glyphs of ``text`` to ``pdf``; return it (indirect)."""
        chars = sorted(set(text))
        gid_of = {ch: g for ch, g in zip(chars, self.glyphs("".join(chars)))}
        gids = sorted(set(gid_of.values()))
        program = _subset_cached(self.path, tuple(gids))
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(
            program + self.ps_name.encode()).digest()[:6])
        base = Name(f"/{tag}+{self.ps_name}")
        file_stream = pikepdf.Stream(pdf, program)
        file_stream.Length1 = len(program)
        descriptor = Dictionary(
            Type=Name.FontDescriptor, FontName=base, Flags=32,
            FontBBox=Array([self.scale(v) for v in self.bbox]),
            ItalicAngle=0, Ascent=self.scale(self.ascent),
            Descent=self.scale(self.descent), CapHeight=self.scale(self.cap_height),
            StemV=80, FontFile2=file_stream)
        widths = Array()
        for g in gids:
            widths.append(g)
            widths.append(Array([self.scale(self.advances[g])]))
        cidfont = Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=base,
            CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
            FontDescriptor=pdf.make_indirect(descriptor), W=widths, DW=1000,
            CIDToGIDMap=Name.Identity)
        first_char = {}
        for ch in chars:
            first_char.setdefault(gid_of[ch], ch)
        font = Dictionary(
            Type=Name.Font, Subtype=Name.Type0, BaseFont=base, Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(cidfont)]),
            ToUnicode=pikepdf.Stream(pdf, _to_unicode(first_char)))
        return pdf.make_indirect(font)

    def encode(self, text: str) -> bytes:
        """The two-byte glyph codes of ``text`` for an Identity-H string."""
        return b"".join(struct.pack(">H", g) for g in self.glyphs(text))


def _to_unicode(mapping: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    items = sorted(mapping.items())
    for i in range(0, len(items), 100):
        chunk = items[i:i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for g, ch in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return ("\n".join(lines) + "\n").encode("ascii")


@functools.lru_cache(maxsize=8)
def load_font(path: Path) -> TrueTypeFont:
    """A parsed font, cached per process (parsing DejaVu Sans takes ~5 ms)."""
    return TrueTypeFont(path)


@functools.lru_cache(maxsize=32)
def _subset_cached(path: Path, gids: tuple[int, ...]) -> bytes:
    return load_font(path).subset(set(gids))
