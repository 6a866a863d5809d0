"""The demo's sample documents: real PDFs whose Vietnamese reads back as written (the officers'
workspace shows them in the page), the same bytes for the same kind of document."""

from __future__ import annotations

import subprocess

from motcua_cli.samples import sample_pdf


def test_a_sample_pdf_reads_back_in_vietnamese_and_is_the_same_every_time(tmp_path):
    name = "Bản gốc Giấy chứng nhận quyền sử dụng đất"
    pdf = sample_pdf(name)
    assert pdf.startswith(b"%PDF-") and pdf == sample_pdf.__wrapped__(name)
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert name in text and "không có giá trị pháp lý" in text
    assert sample_pdf("Tờ khai") != pdf
