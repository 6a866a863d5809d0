"""QR codes for the lookup links, without encoding each one from scratch.

With the version, the error level (M) and the mask fixed, a QR code's modules are an affine
function of its data bits over GF(2): the codewords are the data bytes plus Reed-Solomon parity
(linear), interleaved and placed at fixed positions, then XORed with the mask and the format
information (constants). So the matrix of any data of a given length is the matrix of a first
("base") data of that length XORed with, for every bit in which the data differ, that bit's own
pattern. The lookup links of one deployment share their prefix and differ in the dossier code
only: after the first few codes, a new one costs a few dozen XORs of 1,369-bit integers instead
of segno's full encoding and mask evaluation (6.5 ms; 1.5 ms with the mask fixed).

The patterns are taken from segno itself (one encoding per bit position, on first use), so the
result is exactly segno's matrix for the same version, error level and mask (a test checks)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import segno

ERROR = "m"
MASK = 0  # any of the eight masks is valid; fixing one spares the evaluation of all eight


def _as_int(matrix: tuple[bytearray, ...] | list[bytearray]) -> int:
    """The matrix, row by row, as one integer: bit (row * n + column) is the module."""
    bits = "".join("".join("1" if module else "0" for module in reversed(row))
                   for row in reversed(matrix))
    return int(bits, 2)


def _segno(data: bytes, version: int | None) -> segno.QRCode:
    return segno.make_qr(data, error=ERROR, mode="byte", version=version, mask=MASK,
                         boost_error=False)


@dataclass
class _Family:
    """Every data of one length: the base data's matrix and the patterns of its bits."""

    base: bytes
    version: int
    size: int
    matrix: int
    patterns: dict[tuple[int, int], int] = field(default_factory=dict)

    def pattern(self, position: int, bit: int) -> int:
        key = (position, bit)
        if key not in self.patterns:
            flipped = bytearray(self.base)
            flipped[position] ^= 1 << bit
            self.patterns[key] = _as_int(_segno(bytes(flipped), self.version).matrix) ^ \
                self.matrix
        return self.patterns[key]


@dataclass(frozen=True)
class Code:
    """A QR code's modules: `size` x `size`, bit (row * size + column) set where dark."""

    size: int
    modules: int

    def rows(self) -> list[int]:
        """Each row's modules as an integer, bit `column` set where dark."""
        mask = (1 << self.size) - 1
        return [(self.modules >> (row * self.size)) & mask for row in range(self.size)]


class Encoder:
    """QR codes (error level M, mask 0, byte mode) of data sharing a length, from the patterns
    of the first data of each length. Thread-safe; the patterns are kept for the process."""

    def __init__(self) -> None:
        self._families: dict[int, _Family] = {}
        self._lock = threading.Lock()

    def _family(self, data: bytes) -> _Family:
        family = self._families.get(len(data))
        if family is None:
            code = _segno(data, None)
            family = _Family(data, int(code.version), len(code.matrix), _as_int(code.matrix))
            self._families[len(data)] = family
        return family

    def encode(self, data: bytes) -> Code:
        with self._lock:
            family = self._family(data)
            modules = family.matrix
            for position, (mine, base) in enumerate(zip(data, family.base, strict=True)):
                difference = mine ^ base
                while difference:
                    bit = difference.bit_length() - 1
                    modules ^= family.pattern(position, bit)
                    difference ^= 1 << bit
        return Code(family.size, modules)


_ENCODER = Encoder()


def encode(text: str) -> Code:
    """The QR code of `text` (UTF-8, byte mode)."""
    return _ENCODER.encode(text.encode("utf-8"))
