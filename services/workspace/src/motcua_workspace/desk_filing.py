"""The desk's filing form read back, without I/O: the applicant's fields, the procedure's form
fields, how the result goes back and the fees received, as the JSON body of intake's
`POST /api/officer/dossiers` (its documents added once the files are stored); and the checks a
scanned file passes before anything is sent to intake (motcua_files's own: its name, its type
judged from its bytes, its size alone and with the dossier's other files). A refused file is
refused here, before any file of the dossier leaves the workspace, so nothing is stored.

Intake checks all of it again: the workspace only spares the officer a round trip and keeps a
half-stored dossier from ever existing."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from motcua_catalogue import Procedure
from motcua_contracts.dossier import Applicant
from motcua_files import media
from motcua_files.errors import (
    DossierFilesTooLarge,
    FileRejected,
    FileTooLarge,
    InvalidFileName,
    UnsupportedMediaType,
)
from motcua_files.names import validate_file_name
from motcua_files.upload import describe_bytes

MIB = 1024 * 1024
# The applicant's fields: the form's name for each, and the contract's.
APPLICANT_FIELDS = {"ho_ten": "full_name", "so_dinh_danh": "id_number", "dien_thoai": "phone",
                    "thu_dien_tu": "email", "dia_chi": "address"}
DATA_PREFIX = "du_lieu."
FILE_PREFIX = "tep_"
# A commune-level procedure's commune: its People's Committee's code (motcua_catalogue.communes).
COMMUNE_FIELD = "xa_phuong"
APPLICANT_ERRORS = {
    "full_name": "Cần nhập họ và tên người nộp (tối đa 200 ký tự).",
    "id_number": "Số định danh cá nhân gồm 12 chữ số (hoặc số CMND 9 chữ số).",
    "phone": "Số điện thoại gồm 9 đến 12 chữ số, có thể bắt đầu bằng +.",
    "email": "Thư điện tử không hợp lệ.",
    "address": "Cần nhập địa chỉ người nộp (tối đa 500 ký tự).",
}


class FileLimits(BaseSettings):
    """The same FILES_MAX_* variables intake reads (motcua_files.FilesSettings), and only them:
    the workspace stores no file."""

    model_config = SettingsConfigDict(env_prefix="FILES_", extra="ignore")

    max_file_bytes: int = Field(default=20 * MIB, ge=1)
    max_dossier_bytes: int = Field(default=100 * MIB, ge=1)


@dataclass(frozen=True)
class Scan:
    """One scanned file as the browser sent it: which required document it is, its name, its
    declared type, its size and its first bytes."""

    document: str
    file_name: str
    content_type: str | None
    size: int
    head: bytes


@dataclass(frozen=True)
class Refusal:
    """A file the desk refuses, with the status intake would answer (413, 415, 422), a message
    in Vietnamese and the library's own."""

    status: int
    message: str
    detail: str
    index: int  # which of the scans


def read_filing(form: Mapping[str, str], procedure: Procedure, files_chosen: int
                ) -> tuple[dict[str, Any], dict[str, str]]:
    """The submission's body without its documents, and the errors by field (Vietnamese)."""
    errors: dict[str, str] = {}
    applicant = {key: form.get(name, "").strip() for name, key in APPLICANT_FIELDS.items()}
    if not applicant["email"]:
        applicant.pop("email")
    try:
        Applicant.model_validate(applicant)
    except ValidationError as error:
        for problem in error.errors():
            key = str(problem["loc"][0])
            name = next(n for n, k in APPLICANT_FIELDS.items() if k == key)
            errors.setdefault(name, APPLICANT_ERRORS[key])
    data = {}
    for name in procedure.required_data:
        value = form.get(DATA_PREFIX + name, "").strip()
        if not value:
            errors[DATA_PREFIX + name] = "Cần nhập thông tin này của tờ khai."
        elif len(value) > 500:
            errors[DATA_PREFIX + name] = "Tối đa 500 ký tự."
        data[name] = value
    channel = form.get("nhan_ket_qua", "")
    address = form.get("dia_chi_nhan", "").strip() or None
    if channel not in ("counter", "postal", "online"):
        errors["nhan_ket_qua"] = "Chọn cách nhận kết quả."
    elif channel == "postal" and not address:
        errors["dia_chi_nhan"] = "Cần địa chỉ nhận kết quả qua bưu chính."
    elif address and len(address) > 500:
        errors["dia_chi_nhan"] = "Tối đa 500 ký tự."
    fees_text = form.get("le_phi", "").replace(".", "").replace(" ", "").strip() or "0"
    try:
        fees = int(fees_text)
        if not 0 <= fees <= 1_000_000_000:
            raise ValueError
    except ValueError:
        errors["le_phi"] = "Số tiền là một số nguyên đồng, từ 0."
        fees = 0
    commune = form.get(COMMUNE_FIELD, "").strip()
    if procedure.level == "commune" and not commune:
        errors[COMMUNE_FIELD] = "Chọn xã, phường nơi giải quyết hồ sơ (nơi cư trú của công dân)."
    if files_chosen == 0:
        errors[FILE_PREFIX + "0"] = "Cần tải lên ít nhất một tệp của hồ sơ (bản quét PDF, ảnh)."
    body = {"procedure_code": procedure.code, "channel": "counter", "fees_paid": fees,
            "applicant": applicant, "data": data,
            "delivery": {"channel": channel or "counter",
                         "address": address if channel == "postal" else None}}
    if procedure.level == "commune" and commune:
        body["commune"] = commune  # intake checks it against the catalogue (422 with why)
    return body, errors


def check_scans(scans: Sequence[Scan], limits: FileLimits, *,
                already: int = 0) -> Refusal | None:
    """The first file that intake would refuse, as the desk shows it; None if all pass.
    `already`: the bytes of the dossier's files so far (a supplement's count with them)."""
    total = already
    for index, scan in enumerate(scans):
        try:
            name = validate_file_name(scan.file_name)
            media.check_media_type(name, scan.head, scan.content_type)
            if scan.size > limits.max_file_bytes:
                raise FileTooLarge(f"file {name!r} is larger than "
                                   f"{describe_bytes(limits.max_file_bytes)}, the limit for one "
                                   "file", file_name=name)
            total += scan.size
            if total > limits.max_dossier_bytes:
                raise DossierFilesTooLarge(f"file {name!r} would take the dossier's files past "
                                           f"{describe_bytes(limits.max_dossier_bytes)} in all",
                                           file_name=name)
        except FileRejected as error:
            return Refusal(error.status, _in_vietnamese(error, scan, limits), error.message,
                           index)
    return None


def _in_vietnamese(error: FileRejected, scan: Scan, limits: FileLimits) -> str:
    # A control or bidi character is shown by its code point, never as itself.
    shown = "".join(c if unicodedata.category(c)[0] not in "CZ" or c == " "
                    else f"U+{ord(c):04X}" for c in scan.file_name)
    where = f"Tệp “{shown}” ({scan.document})"
    if isinstance(error, InvalidFileName):
        return (f"{where}: tên tệp có dấu phân cách thư mục hoặc ký tự điều khiển; hãy đặt lại "
                "tên tệp rồi chọn lại.")
    if isinstance(error, DossierFilesTooLarge):
        return (f"{where}: các tệp của hồ sơ cộng lại vượt quá "
                f"{describe_bytes(limits.max_dossier_bytes)}.")
    if isinstance(error, FileTooLarge):
        return f"{where} lớn hơn {describe_bytes(limits.max_file_bytes)}, giới hạn cho một tệp."
    if isinstance(error, UnsupportedMediaType):
        return (f"{where} không phải tệp PDF, JPEG hoặc PNG (xét theo nội dung tệp), hoặc nội "
                "dung không khớp với loại tệp.")
    return f"{where} không được chấp nhận."
