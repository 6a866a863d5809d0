"""File names: what an officer sees and saves, never a path of ours."""

from __future__ import annotations

import unicodedata

import pytest

from motcua_files import InvalidFileName, validate_file_name
from motcua_files.names import MAX_NAME_BYTES


def test_a_vietnamese_name_composed_either_way_comes_out_in_nfc():
    composed = "Giấy chứng nhận quyền sử dụng đất.pdf"
    decomposed = unicodedata.normalize("NFD", composed)  # as macOS sends it
    assert decomposed != composed
    assert validate_file_name(decomposed) == composed
    assert validate_file_name(composed) == composed


def test_surrounding_spaces_go_and_inner_ones_stay():
    assert validate_file_name("  Tờ khai mẫu 01.pdf \t") == "Tờ khai mẫu 01.pdf"


@pytest.mark.parametrize(("name", "complaint"), [
    ("hồ sơ/tờ khai.pdf", "path separator ('/')"),
    ("C:\\Users\\an\\tờ khai.pdf", "path separator ('\\\\')"),
    ("../../etc/passwd", "path separator"),
    ("..", "contains '..'"),
    ("tờ khai..pdf", "contains '..'"),
    ("tờ\x00khai.pdf", "control character U+0000"),
    ("tờ khai\n.pdf", "control character U+000A"),
    ("tờ khai\x7f.pdf", "control character U+007F"),
    ("hoadon\u202efdp.exe", "control character U+202E"),
    ("a\u2028b.pdf", "control character U+2028"),
    ("", "empty name"),
    ("   ", "empty name"),
])
def test_a_bad_name_is_refused_with_a_message_naming_it(name, complaint):
    with pytest.raises(InvalidFileName) as refused:
        validate_file_name(name)
    assert refused.value.status == 422
    assert complaint in str(refused.value)
    assert refused.value.file_name == name


def test_the_length_limit_counts_utf8_bytes_so_vietnamese_letters_count_double_or_triple():
    fits = "ệ" * ((MAX_NAME_BYTES - 4) // 3) + ".pdf"  # "ệ" is 3 bytes in UTF-8
    assert len(fits.encode()) <= MAX_NAME_BYTES
    assert validate_file_name(fits) == fits
    with pytest.raises(InvalidFileName, match=f"longer than {MAX_NAME_BYTES} bytes"):
        validate_file_name("ệ" + fits)
