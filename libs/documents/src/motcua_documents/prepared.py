"""Pages written straight to PDF from a prepared template, for documents issued by the thousand
(signing's results, intake's forms 01 to 05): the fonts (fonts.py) and whatever a page draws
the same every time are serialised once into a constant prefix of the file; a document adds
only its own text, its QR code and a dozen small objects. reportlab (page.py) costs about 20 ms
a page, mostly re-subsetting the fonts and serialising its object tree; this 0.3 to 0.7 ms.

The layout follows reportlab's paragraphs, so the page shows the same as page.py's: words
wrapped greedily on the face's advance widths, a line every 1.35 x the font size, the first
baseline one font size under the top, centred, right-aligned or justified (the spaces widened;
the last line left as it is), an underline 0.125 x the size under the baseline.

Text is given as runs of (text, face name) instead of markup, so nothing in it is markup."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from motcua_documents import qr
from motcua_documents.fonts import PreparedFont, prepared_fonts
from motcua_documents.page import PAGE_HEIGHT, PAGE_WIDTH

Run = tuple[str, str]  # (text, face: "VN", "VN-Bold" or "VN-Italic")
Align = Literal["left", "centre", "right", "justify"]
FIRST_FONT_OBJECT = 1
_WHITESPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class TextStyle:
    font: str = "VN"
    size: float = 11
    align: Align = "left"
    colour: tuple[float, float, float] | None = None
    underline: bool = False
    # reportlab's leftIndent and firstLineIndent: every line starts `left_indent` right of the
    # paragraph's x, the first `first_indent` more (negative: a hanging number, "1. ...").
    left_indent: float = 0
    first_indent: float = 0

    @property
    def leading(self) -> float:
        return self.size * 1.35  # page.style's leading


def fonts() -> dict[str, PreparedFont]:
    return prepared_fonts(FIRST_FONT_OBJECT)


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


@dataclass
class _Word:
    fragments: list[Run]
    width: float
    space: float  # the width of the space before it (0 for a line's first word)
    space_font: str


def _words(runs: Sequence[Run], size: float) -> list[_Word | None]:
    """The words of the runs (a word may change face, "Bình."), None where a line must break."""
    faces = fonts()
    words: list[_Word | None] = []
    current: _Word | None = None
    pending_space: str | None = None  # the face of a space seen since the last word
    for text, face in runs:
        font = faces[face]
        for line_number, line in enumerate(text.split("\n")):
            if line_number:
                words.append(None)
                current, pending_space = None, None
            for part_number, part in enumerate(_WHITESPACE.split(line)):
                if part_number:
                    current, pending_space = None, face
                if not part:
                    continue
                if current is None:
                    space_face = pending_space or face
                    current = _Word([], 0.0, faces[space_face].width(" ", size), space_face)
                    words.append(current)
                    pending_space = None
                current.fragments.append((part, face))
                current.width += font.width(part, size)
    return words


def _lines(words: list[_Word | None], others: float, size: float, first: float | None = None
           ) -> list[tuple[list[_Word], bool]]:
    """Greedy breaking, the first line `first` wide (`others` by default), the others `others`;
    each line with whether it ends its paragraph (or a forced break)."""
    lines: list[tuple[list[_Word], bool]] = []
    line: list[_Word] = []
    used = 0.0
    width = others if first is None else first
    for word in words:
        if word is None:
            lines.append((line, True))
            line, used, width = [], 0.0, others
            continue
        while word.width > width + 1e-6:  # longer than a line (a link): split it, as reportlab
            room = width - used - (word.space if line else 0.0)
            head, word = _split(word, room, size)
            if head is not None:
                line.append(head)
            lines.append((line, False))
            line, used, width = [], 0.0, others
        if line and used + word.space + word.width > width + 1e-6:
            lines.append((line, False))
            line, used, width = [], 0.0, others
        used += (word.space if line else 0.0) + word.width
        line.append(word)
    lines.append((line, True))
    return lines


def _split(word: _Word, room: float, size: float) -> tuple[_Word | None, _Word]:
    """As much of the word as fits in `room` (None if not a character does), and the rest
    (which starts a line: no space before it)."""
    faces = fonts()
    used = 0.0
    head: list[Run] = []
    for number, (text, face) in enumerate(word.fragments):
        for index, char in enumerate(text):
            advance = faces[face].width(char, size)
            if used + advance > room + 1e-6:
                if index:
                    head.append((text[:index], face))
                rest = [(text[index:], face), *word.fragments[number + 1:]]
                first = _Word(head, used, word.space, word.space_font) if head else None
                return first, _Word(rest, word.width - used, 0.0, word.space_font)
            used += advance
        head.append((text, face))
    return None, word


def paragraph(ops: list[str], runs: Sequence[Run] | str, style: TextStyle, x: float, top: float,
              width: float) -> float:
    """Draw the wrapped runs with their top at `top`; return the y below them."""
    drawn, tall = _paragraph(_runs(runs, style), style, x, top, width)
    ops.append(drawn)
    return top - tall


def height(runs: Sequence[Run] | str, style: TextStyle, width: float) -> float:
    """How tall `paragraph` would draw the runs (to see whether they fit before drawing)."""
    return _paragraph(_runs(runs, style), style, 0.0, 0.0, width)[1]


def _runs(runs: Sequence[Run] | str, style: TextStyle) -> tuple[Run, ...]:
    return tuple(runs) if not isinstance(runs, str) else ((runs, style.font),)


@lru_cache(maxsize=8192)  # a page's constant and per-agency paragraphs are drawn once
def _paragraph(runs: tuple[Run, ...], style: TextStyle, x: float, top: float,
               width: float) -> tuple[str, float]:
    faces = fonts()
    size = style.size
    indent = style.left_indent
    lines = _lines(_words(runs, size), width - indent, size,
                   width - indent - style.first_indent)
    out: list[str] = []
    if style.colour:
        out.append(f"q {' '.join(_number(c) for c in style.colour)} rg "
                   f"{' '.join(_number(c) for c in style.colour)} RG")
    baseline = top - size
    for number, (words, last) in enumerate(lines):
        if words:
            used = sum(w.width for w in words) + sum(w.space for w in words[1:])
            extra = 0.0
            left = x + indent + (style.first_indent if number == 0 else 0.0)
            room = x + width - left
            start = left
            if style.align == "centre":
                start = left + (room - used) / 2
            elif style.align == "right":
                start = left + room - used
            elif style.align == "justify" and not last and len(words) > 1:
                extra = (room - used) / (len(words) - 1)
            out.append(_line(faces, words, size, start, baseline, extra))
            if style.underline:
                y = baseline - 0.125 * size
                out.append(f"1 w {_number(start)} {_number(y)} m {_number(start + used)} "
                           f"{_number(y)} l S")
        baseline -= style.leading
    if style.colour:
        out.append("Q")
    return "\n".join(out), len(lines) * style.leading


def _line(faces: dict[str, PreparedFont], words: list[_Word], size: float, x: float, y: float,
          extra: float) -> str:
    """One line as a text object: a TJ array per face, the spaces widened by `extra`."""
    adjust = f" {_number(-extra * 1000 / size)} " if extra else " "
    out = [f"BT {_number(x)} {_number(y)} Td"]
    face: str | None = None
    array: list[str] = []

    def flush() -> None:
        if array:
            out.append(f"/{faces[face].resource} {_number(size)} Tf [{''.join(array)}] TJ"
                       if face else "")
            array.clear()

    for number, word in enumerate(words):
        for index, (text, fragment_face) in enumerate(word.fragments):
            space_face = word.space_font if index == 0 else fragment_face
            if number and index == 0:
                if space_face != face:
                    flush()
                    face = space_face
                array.append(f"<{faces[space_face].encode(' ')}>{adjust}")
            if fragment_face != face:
                flush()
                face = fragment_face
            array.append(f"<{faces[fragment_face].encode(text)}>")
    flush()
    out.append("ET")
    return "\n".join(out)


def qr_code(ops: list[str], data: str, x: float, y: float, *, size: float) -> None:
    """The QR code of `data` as one filled path: a rectangle per run of dark modules in a
    row (what page.draw_qr draws; qr.py encodes it from prepared patterns)."""
    code = qr.encode(data)
    grid = _grid(code.size, x, y, size)
    rows = grid[4]
    parts = ["q 0 g"]
    for number, row in enumerate(code.rows()):
        drawn = rows.get((number, row))
        if drawn is None:  # most rows recur from code to code (the finder and timing patterns)
            drawn = _row(grid, number, row)
            if len(rows) < 50_000:
                rows[number, row] = drawn
        parts.append(drawn)
    parts.append("f Q")
    ops.append("\n".join(parts))


def _row(grid: tuple[list[str], list[str], list[str], str, dict[tuple[int, int], str]],
         number: int, row: int) -> str:
    columns, bottoms, runs, height, _ = grid
    bottom = bottoms[number]
    column = 0
    parts = []
    while row:
        skip = (row & -row).bit_length() - 1  # the next dark module
        row >>= skip
        column += skip
        run = (~row & (row + 1)).bit_length() - 1  # how many in a row
        parts.append(f"{columns[column]} {bottom} {runs[run]} {height} re")
        row >>= run
        column += run
    return "\n".join(parts)


@lru_cache(maxsize=16)
def _grid(modules: int, x: float, y: float, size: float
          ) -> tuple[list[str], list[str], list[str], str, dict[tuple[int, int], str]]:
    """The numbers a QR code's rectangles are written with, formatted once: each column's x,
    each row's bottom, each run's width, the module's height; and the rows drawn so far."""
    module = size / modules
    return ([_number(x + column * module) for column in range(modules + 1)],
            [_number(y + size - (row + 1) * module) for row in range(modules)],
            [_number(run * module) for run in range(modules + 1)], _number(module), {})


def stream(data: bytes, *, level: int = 1) -> bytes:
    """A content stream object's body, compressed."""
    packed = zlib.compress(data, level)
    return f"<< /Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode() + packed + \
        b"\nendstream"


def text_string(text: str) -> str:
    """A PDF text string in UTF-16 (Vietnamese), as hex."""
    return f"<FEFF{text.encode('utf-16-be').hex().upper()}>"


@dataclass(frozen=True)
class Template:
    """The constant beginning of a file: the header, the fonts and constant content streams,
    with their offsets; `streams` are the constant streams' object numbers."""

    prefix: bytes
    offsets: tuple[int, ...]
    streams: tuple[int, ...]
    prefix_sha256: Any  # hashlib's SHA-256 of the prefix: a file's hash starts from a copy

    def sha256(self) -> Any:
        return self.prefix_sha256.copy()

    @property
    def next_object(self) -> int:
        return len(self.offsets) + 1


def template(constant_streams: Iterable[str]) -> Template:
    """The fonts, then each constant content stream (drawing operators), as objects 1, 2, ..."""
    bodies = [body for font in fonts().values() for body in font.objects]
    first_stream = len(bodies) + 1
    bodies += [stream(ops.encode("latin-1"), level=9) for ops in constant_streams]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    return Template(bytes(out), tuple(offsets), tuple(range(first_stream, len(bodies) + 1)),
                    hashlib.sha256(out))


@dataclass
class Document:
    """A file being written on a template: objects are numbered as they are reserved, written
    in the order given, then the cross-reference table and the trailer."""

    template: Template
    bodies: dict[int, bytes] = field(default_factory=dict)
    count: int = 0

    def __post_init__(self) -> None:
        self.count = len(self.template.offsets)

    def reserve(self) -> int:
        self.count += 1
        return self.count

    def add(self, body: bytes) -> int:
        number = self.reserve()
        self.bodies[number] = body
        return number

    def page(self, ops: Sequence[str], *, annotations: Sequence[int] = (),
             acroform: int | None = None, title: str, author: str, subject: str,
             more: Sequence[Sequence[str]] = ()) -> None:
        """The catalogue, the first page (the template's streams, then `ops`; the annotations
        are its), each of `more` a page after it (its own operators only), and the info."""
        self.catalog, pages, page = self.reserve(), self.reserve(), self.reserve()
        self.page_object = page
        content = self.add(stream("\n".join(ops).encode("latin-1")))
        annots = f" /Annots [{' '.join(f'{n} 0 R' for n in annotations)}]" if annotations \
            else ""
        form = f" /AcroForm {acroform} 0 R" if acroform else ""
        self.bodies[self.catalog] = f"<< /Type /Catalog /Pages {pages} 0 R{form} >>".encode()
        kids = [page]
        self.bodies[page] = self._page(pages, (*self.template.streams, content), annots)
        for page_ops in more:
            kid = self.reserve()
            kids.append(kid)
            self.bodies[kid] = self._page(
                pages, (self.add(stream("\n".join(page_ops).encode("latin-1"))),), "")
        self.bodies[pages] = (f"<< /Type /Pages /Kids [{' '.join(f'{n} 0 R' for n in kids)}] "
                              f"/Count {len(kids)} >>").encode()
        self.info = self.add(f"<< /Title {text_string(title)} /Author {text_string(author)} "
                             f"/Subject {text_string(subject)} /Producer (motcua) >>".encode())

    @staticmethod
    def _page(pages: int, streams: Sequence[int], annots: str) -> bytes:
        resources = " ".join(f"/{font.resource} {FIRST_FONT_OBJECT + 5 * number} 0 R"
                             for number, font in enumerate(fonts().values()))
        contents = " ".join(f"{n} 0 R" for n in streams)
        return (f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {_number(PAGE_WIDTH)} "
                f"{_number(PAGE_HEIGHT)}] /Resources << /Font << {resources} >> >> "
                f"/Contents [{contents}]{annots} >>").encode()

    def finish(self) -> bytes:
        out = bytearray(self.template.prefix)
        offsets = list(self.template.offsets)
        for number in range(len(offsets) + 1, self.count + 1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + self.bodies[number] + b"\nendobj\n"
        xref = len(out)
        identity = hashlib.md5(bytes(out[len(self.template.prefix):]),
                               usedforsecurity=False).hexdigest()  # same facts, same file
        out += f"xref\n0 {self.count + 1}\n0000000000 65535 f \n".encode()
        out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
        out += (f"trailer\n<< /Size {self.count + 1} /Root {self.catalog} 0 R /Info {self.info} "
                f"0 R /ID [<{identity}> <{identity}>] >>\nstartxref\n{xref}\n%%EOF\n").encode()
        return bytes(out)
