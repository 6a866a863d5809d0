"""A small catalogue export in the documented format (docs/catalogue.md), as a Python value the
tests change one thing at a time, and written out indented so each object starts on its own
line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

STAGES = ["intake", "appraisal", "approval", "signing", "delivery"]


def steps(*hours: float) -> list[dict[str, Any]]:
    return [{"TENTRINHTU": f"Bước {n}", "BUOC": stage, "NGUOITHUCHIEN": "Công chức", "SOGIO": h}
            for n, (stage, h) in enumerate(zip(STAGES, hours, strict=True), start=1)]


def fees(amount: int) -> list[dict[str, Any]]:
    return [{"MAPHILEPHI": "LEPHI", "SOTIEN": amount, "DONVI": "Đồng", "MOTA": ""}]


SAMPLE: dict[str, Any] = {
    "format": "motcua-catalogue",
    "format_version": 1,
    "title": "Danh mục thử",
    "effective_from": "2026-01-01",
    "agencies": [
        {"code": "CAT", "name": "Công an tỉnh", "electronic_id": "000.00.25.H38",
         "stages": STAGES},
        {"code": "STP", "name": "Sở Tư pháp", "electronic_id": "000.00.15.H38",
         "stages": STAGES},
        {"code": "XA1", "name": "UBND xã Một", "electronic_id": "000.31.01.H38",
         "stages": STAGES, "level": "commune"},
    ],
    "procedures": [
        {
            "MATTHC": "2.000488",
            "TENTTHC": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
            "LINHVUC": "Lý lịch tư pháp",
            "CAPTHUCHIEN": "Cấp Tỉnh",
            "COQUANTHUCHIEN": [{"MADONVI": "CAT"}],
            "COQUANPHOIHOP": [{"MADONVI": "STP"}],
            "TRUONGHOP": [
                {"MATRUONGHOP": "thuong", "TENTRUONGHOP": "Trường hợp thông thường"},
                {"MATRUONGHOP": "phuc-tap", "TENTRUONGHOP": "Cư trú ở nhiều nơi"},
            ],
            "CACHTHUCTHUCHIEN": [
                {"KENH": 1, "THOIGIAN": [
                    {"MATRUONGHOP": "thuong", "THOIGIANGIAIQUYET": 10,
                     "DONVITINH": "Ngày làm việc", "PHILEPHI": fees(200000)},
                    {"MATRUONGHOP": "phuc-tap", "THOIGIANGIAIQUYET": 15,
                     "DONVITINH": "Ngày làm việc", "PHILEPHI": fees(200000)}]},
                {"KENH": 2, "THOIGIAN": [
                    {"THOIGIANGIAIQUYET": 10, "DONVITINH": "Ngày làm việc",
                     "PHILEPHI": fees(100000)}]},
            ],
            "THANHPHANHOSO": [{"GIAYTO": [
                {"TENGIAYTO": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"},
                {"TENGIAYTO": "Bản chụp Căn cước", "BATBUOC": False}]}],
            "TRINHTUTHUCHIEN": [
                {"TRINHTU": steps(4, 56, 12, 4, 4)},
                {"MATRUONGHOP": "phuc-tap", "TRINHTU": steps(4, 96, 12, 4, 4)},
            ],
            "motcua": {"supplement_clock": "pause", "required_data": ["purpose"],
                       "officer_stages": ["appraisal"]},
        },
        {
            "MATTHC": "1.001193",
            "TENTTHC": "Đăng ký khai sinh",
            "LINHVUC": "Hộ tịch",
            "CAPTHUCHIEN": "Cấp Xã",
            "COQUANTHUCHIEN": [{"MADONVI": "XA1"}],
            "CACHTHUCTHUCHIEN": [{"KENH": 1, "THOIGIAN": [
                {"THOIGIANGIAIQUYET": 0, "DONVITINH": "Trong ngày"}]}],
            "THANHPHANHOSO": [{"GIAYTO": [{"TENGIAYTO": "Tờ khai đăng ký khai sinh"}]}],
            "TRINHTUTHUCHIEN": [{"TRINHTU": steps(1, 4, 1, 1, 1)}],
            "motcua": {"supplement_clock": "restart"},
        },
    ],
}


def sample(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(SAMPLE)
    document.update(changes)
    return document


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The line of the first `{` opening an object that contains `needle` on its first line,
    or the line `needle` itself is on."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
