"""Signing's rules, without I/O: the result number (số ký hiệu)."""

from __future__ import annotations


def result_number(sequence: int, year: int, outcome: str, agency_code: str) -> str:
    """`0042/2026/QĐ-STP`: a decision (QĐ) for an approval, a notice (TB) for a denial."""
    kind = "QĐ" if outcome == "approved" else "TB"
    return f"{sequence:04d}/{year}/{kind}-{agency_code}"
