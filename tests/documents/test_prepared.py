"""The prepared page writer (motcua_documents.prepared): the QR codes it draws are segno's, bit
for bit; paragraphs wrap like reportlab's, long links split; text extracts back to Unicode."""

from __future__ import annotations

import segno

from motcua_documents import qr
from motcua_documents.prepared import Document, TextStyle, fonts, paragraph, template
from tests.signing.pdf_tools import pdftotext


def segno_modules(data: str) -> qr.Code:
    code = segno.make_qr(data.encode(), error="m", mode="byte", mask=0, boost_error=False)
    return qr.Code(len(code.matrix), qr._as_int(code.matrix))


def test_qr_codes_from_the_prepared_patterns_are_segnos_for_every_data():
    urls = [f"https://dichvucong.laocai.gov.vn/tra-cuu?code=000.00.15.H38-26{i:04d}-{i * 7:04d}"
            for i in range(0, 400, 13)]
    urls += ["x", "https://a.example/?code=Đ", "https://dvc.example/tra-cuu?code=" + "9" * 60]
    for url in urls:
        assert qr.encode(url) == segno_modules(url), url


def test_words_wrap_at_the_width_and_a_word_longer_than_a_line_is_split():
    words = fonts()["VN"]
    style = TextStyle("VN", 10)
    one_line: list[str] = []
    paragraph(one_line, "Một dòng", style, 0, 100, 200)
    width = words.width("Thủ tục hành chính", 10) + 1
    wrapped: list[str] = []
    bottom = paragraph(wrapped, "Thủ tục hành chính Thủ tục hành chính", style, 0, 100, width)
    long_word: list[str] = []
    bottom_long = paragraph(long_word, "a" * 80, style, 0, 100, 100)

    assert "".join(one_line).count("BT") == 1
    assert "".join(wrapped).count("BT") == 2 and bottom == 100 - 2 * 13.5
    assert "".join(long_word).count("BT") > 3 and bottom_long < 100 - 3 * 13.5


def test_the_text_of_a_prepared_page_extracts_back_to_vietnamese(tmp_path):
    ops: list[str] = []
    paragraph(ops, (("Người nộp hồ sơ: ", "VN"), ("Trần Thị Bình", "VN-Bold"), (".", "VN")),
              TextStyle("VN", 12, "justify"), 56, 700, 480)
    paragraph(ops, "Độc lập - Tự do - Hạnh phúc", TextStyle("VN-Italic", 11, "centre",
                                                             underline=True), 56, 600, 480)
    document = Document(template([]))
    document.page(ops, title="Thử", author="Sở Tư pháp", subject="Hồ sơ 1")

    text = " ".join(pdftotext(document.finish(), tmp_path).split())

    assert "Người nộp hồ sơ: Trần Thị Bình." in text
    assert "Độc lập - Tự do - Hạnh phúc" in text


def test_a_character_the_font_lacks_is_the_notdef_glyph():
    assert fonts()["VN"].encode("A漢") == f"{fonts()['VN'].glyphs['A']:04X}0000"


def test_a_hanging_item_breaks_its_lines_where_reportlab_does_and_starts_them_indented():
    """The forms' numbered items (reportlab's leftIndent 18, firstLineIndent -12): the first
    line 6 points in, the others 18, each as wide as reportlab makes it."""
    from reportlab.platypus import Paragraph

    from motcua_documents.page import register_fonts, style

    register_fonts()
    text = ("1. Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp theo mẫu ban hành kèm theo Thông tư "
            "liên tịch, bản chụp Căn cước công dân và giấy tờ chứng minh nơi cư trú")
    theirs = Paragraph(text, style("item", size=12, leftIndent=18, firstLineIndent=-12))
    theirs.wrap(200, 800)
    their_lines = [" ".join(words) for _, words in theirs.blPara.lines]
    ops: list[str] = []

    bottom = paragraph(ops, text, TextStyle("VN", 12, left_indent=18, first_indent=-12),
                       50, 700, 200)

    assert len(their_lines) > 2 and bottom == 700 - len(their_lines) * 12 * 1.35
    lines = ops[0].split("BT ")[1:]
    assert [float(line.split()[0]) for line in lines] == [56.0] + [68.0] * (len(lines) - 1)
    face = fonts()["VN"]
    assert len(lines) == len(their_lines)
    for line, their_line in zip(lines, their_lines, strict=True):  # each starts on their word
        assert f"[<{face.encode(their_line.split()[0])}>" in line, their_line


def test_a_document_with_more_pages_has_them_in_order_and_they_extract(tmp_path):
    first: list[str] = []
    second: list[str] = []
    paragraph(first, "Trang một", TextStyle(), 56, 700, 480)
    paragraph(second, "Trang hai", TextStyle(), 56, 700, 480)
    document = Document(template([]))
    document.page(first, more=[second], title="Thử", author="Sở Tư pháp", subject="Hồ sơ 1")

    text = pdftotext(document.finish(), tmp_path)

    assert text.index("Trang một") < text.index("\f") < text.index("Trang hai")
