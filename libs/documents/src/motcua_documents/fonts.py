"""The Be Vietnam Pro faces prepared once per process for pages written without reportlab
(prepared.py): each face subset once to every character its cmap maps (Latin, Vietnamese,
punctuation: 459 characters) and embedded as a CID font (Identity-H, two-byte glyph ids) with
its widths and a ToUnicode map, so text extracts back to Unicode. The embedded program is the
same for every document, so its PDF objects are serialised and compressed once; a document
only encodes its text as glyph ids.

Hinting is dropped from the subset (19 KB compressed per face instead of 38 KB): it only steers
rasterisation at small pixel sizes, and the three faces then weigh what reportlab's per-document
subsets weighed."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from functools import cache

from fontTools import subset
from fontTools.ttLib import TTFont

from motcua_documents.page import font_path

# The faces and the resource names the pages use for them.
FACES = {"VN": ("Regular", "F1"), "VN-Bold": ("Bold", "F2"), "VN-Italic": ("Italic", "F3")}


def _pdf_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-+" else "_" for c in name)


class _Codes(dict[int, str]):
    """Character -> its glyph id in hex, for str.translate; a character the face lacks is
    glyph 0 (the .notdef box, as reportlab prints it)."""

    def __missing__(self, key: int) -> str:
        return "0000"


class _Widths(dict[str, float]):
    def __missing__(self, key: str) -> float:
        return 1000.0


@dataclass(frozen=True)
class PreparedFont:
    """One face: glyph ids and widths (thousandths of the font size) per character, and the
    PDF objects of the embedded font, numbered from `first_object` on."""

    name: str  # "VN", "VN-Bold", "VN-Italic"
    resource: str  # "F1"..: how the page's resources name it
    glyphs: dict[str, int]
    widths: dict[str, float]
    objects: tuple[bytes, ...]  # Type0 font, CIDFont, FontDescriptor, FontFile2, ToUnicode
    _codes: _Codes = field(default_factory=_Codes, repr=False)
    _advances: _Widths = field(default_factory=_Widths, repr=False)
    _measured: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._codes.update({ord(char): f"{glyph:04X}" for char, glyph in self.glyphs.items()})
        self._advances.update(self.widths)

    def encode(self, text: str) -> str:
        """`text` as the hex string of its glyph ids (two bytes each, Identity-H)."""
        return text.translate(self._codes)

    def width(self, text: str, size: float) -> float:
        measured = self._measured.get(text)
        if measured is None:  # words recur from document to document: measured once each
            measured = sum(map(self._advances.__getitem__, text))
            if len(self._measured) < 100_000:
                self._measured[text] = measured
        return measured * size / 1000


def _subset(weight: str) -> TTFont:
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    options.notdef_outline = True
    options.name_IDs = [1, 2, 4, 6]
    # The file's own "modified" time, not the time of saving the subset: the same facts give the
    # same bytes in every process (a form drawn again after a crash, another intake instance).
    font = TTFont(font_path(weight), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=list(font.getBestCmap()))
    subsetter.subset(font)
    return font


def _stream(dictionary: str, data: bytes, *, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        dictionary += " /Filter /FlateDecode"
    return (f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode() + data
            + b"\nendstream")


def _to_unicode(glyphs: dict[str, int]) -> bytes:
    """The CMap from glyph id to character (the first character of the cmap for a glyph several
    characters share)."""
    by_glyph: dict[int, str] = {}
    for char, glyph in sorted(glyphs.items(), key=lambda item: ord(item[0])):
        by_glyph.setdefault(glyph, char)
    entries = sorted(by_glyph.items())
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    for start in range(0, len(entries), 100):  # at most 100 entries per block
        block = entries[start:start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines += [f"<{glyph:04X}> <{char.encode('utf-16-be').hex().upper()}>"
                  for glyph, char in block]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _prepare(name: str, first_object: int) -> PreparedFont:
    weight, resource = FACES[name]
    font = _subset(weight)
    order = font.getGlyphOrder()
    index = {glyph: number for number, glyph in enumerate(order)}
    scale = 1000 / font["head"].unitsPerEm
    glyphs = {chr(code): index[glyph] for code, glyph in font.getBestCmap().items()}
    advance = [font["hmtx"][glyph][0] * scale for glyph in order]
    widths = {char: advance[glyph] for char, glyph in glyphs.items()}
    program = io.BytesIO()
    font.save(program)
    base = f"{'AAAAA' + chr(ord('A') + first_object % 26)}+{_pdf_name(font_path(weight).stem)}"
    head, os2, post = font["head"], font["OS/2"], font["post"]
    flags = 32 | (64 if post.italicAngle else 0)  # nonsymbolic, italic
    type0, cid, descriptor, program_number, unicode_number = range(first_object,
                                                                   first_object + 5)
    objects = (
        (f"<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H "
         f"/DescendantFonts [{cid} 0 R] /ToUnicode {unicode_number} 0 R >>").encode(),
        (f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} /CIDSystemInfo "
         f"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
         f"/FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /DW 1000 "
         f"/W [0 [{' '.join(f'{w:g}' for w in advance)}]] >>").encode(),
        (f"<< /Type /FontDescriptor /FontName /{base} /Flags {flags} "
         f"/FontBBox [{head.xMin * scale:g} {head.yMin * scale:g} {head.xMax * scale:g} "
         f"{head.yMax * scale:g}] /ItalicAngle {post.italicAngle:g} "
         f"/Ascent {os2.sTypoAscender * scale:g} /Descent {os2.sTypoDescender * scale:g} "
         f"/CapHeight {getattr(os2, 'sCapHeight', os2.sTypoAscender) * scale:g} /StemV 80 "
         f"/FontFile2 {program_number} 0 R >>").encode(),
        _stream(f"/Length1 {len(program.getvalue())}", program.getvalue()),
        _stream("", _to_unicode(glyphs)),
    )
    del type0
    return PreparedFont(name, resource, glyphs, widths, objects)


@cache
def prepared_fonts(first_object: int) -> dict[str, PreparedFont]:
    """The three faces, their objects numbered consecutively from `first_object`."""
    return {name: _prepare(name, first_object + 5 * number)
            for number, name in enumerate(FACES)}
