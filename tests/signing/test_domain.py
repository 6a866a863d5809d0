"""Signing's pure rules: the result number (số ký hiệu)."""

from __future__ import annotations

import pytest

from motcua_signing.domain import result_number


@pytest.mark.parametrize("sequence, outcome, expected", [
    (42, "approved", "0042/2026/QĐ-STP"),
    (1, "denied", "0001/2026/TB-STP"),
    (12345, "approved", "12345/2026/QĐ-STP"),
])
def test_result_number_is_sequence_year_kind_and_agency(sequence, outcome, expected):
    assert result_number(sequence, 2026, outcome, "STP") == expected
