"""Sample dossiers for demos, tests and benchmarks: plausible applicants and complete documents
for any procedure of the catalogue, or deliberately incomplete ones to exercise refusals.

A filing's documents name files intake stored (`POST /api/files`): each kind of document has
one small sample PDF (`sample_pdf`), the same bytes every time, so `upload_sample_files` stores
them once for every procedure (content-addressed: a second upload stores nothing new)."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterable
from functools import cache
from typing import Any, Protocol

from motcua_catalogue.centre import centre_from_env
from motcua_documents.page import finish, new_canvas

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Lò", "Giàng"]
MIDDLE = ["Văn", "Thị", "Minh", "Đức", "Thu", "Quang", "Ngọc", "Seo"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Phương", "Sử", "Tú"]
WARDS = ["Cốc Lếu", "Kim Tân", "Duyên Hải", "Bắc Cường", "Sa Pa", "Bảo Thắng"]


def sample_submission(procedure: dict[str, Any], rng: random.Random, *,
                      complete: bool = True, channel: str | None = None,
                      pay_fees: bool = True, delivery: str | None = None) -> dict[str, Any]:
    """A submission for `procedure` (as served by GET /api/procedures/{code}; a commune-level
    one is filed for one of its `communes`, drawn at random). An incomplete one lacks
    its first required document, so intake asks for a supplement. Fees are paid when filing
    unless `pay_fees` is false (then the agency asks for them). The result goes back through
    `delivery` (counter, postal, online), else a channel drawn at random: demos send results
    by every channel, postal ones through the post office."""
    documents = []
    for name in procedure["required_documents"]:
        rng.random(), rng.randint(20_000, 3_000_000)  # as drawn before: the same samples after
        pdf = sample_pdf(name)
        documents.append({"name": name, "sha256": hashlib.sha256(pdf).hexdigest(),
                          "size": len(pdf), "media_type": "application/pdf"})
    if not complete and documents:
        documents = documents[1:]
    address = (f"Số {rng.randint(1, 300)}, phường {rng.choice(WARDS)}, "
               f"tỉnh {centre_from_env().province}")
    drawn = rng.choice(["counter", "postal", "online"])  # drawn anyway: same samples after
    delivery = delivery or drawn
    channel = channel or rng.choice(["online", "online", "online", "counter", "postal"])
    fee = procedure["fee_online"] if channel == "online" else procedure["fee_counter"]
    body = {
        "procedure_code": procedure["code"],
        "channel": channel,
        "fees_paid": fee if pay_fees else 0,
        "applicant": {
            "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            "id_number": "0" + "".join(rng.choice("0123456789") for _ in range(11)),
            "phone": "09" + "".join(rng.choice("0123456789") for _ in range(8)),
            "email": f"nguoidan{rng.randint(1, 99999)}@example.vn",
            "address": address,
        },
        "documents": documents,
        "delivery": {"channel": delivery, "address": address if delivery == "postal" else None},
        "data": {name: f"{name}-{rng.randint(1000, 9999)}" for name in procedure["required_data"]},
    }
    communes = procedure.get("communes") or []
    if communes:  # a commune-level procedure: the applicant's commune handles it (drawn last,
        # so the draws above are those of before communes were chosen)
        body["commune"] = rng.choice(communes)["code"]
    return body


@cache
def sample_pdf(document: str) -> bytes:
    """A small, valid one-page PDF for a kind of document, its name in Vietnamese in the
    documents' own font (a scan would show the real paper): the same bytes for the same name
    (reportlab's invariant mode), made once per process (a demo files thousands)."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=document, author="motcua demo", subject="Tài liệu mẫu")
    canvas.setFont("VN-Bold", 16)
    canvas.drawString(72, 770, document)
    canvas.setFont("VN", 11)
    canvas.drawString(72, 745, "Tài liệu mẫu của bản trình diễn motcua (không có giá trị pháp lý).")
    return finish(canvas, buffer)


def sample_file_name(document: str) -> str:
    """The sample's file name: the document's kind, without what a file name may not hold."""
    return document.replace("/", "-").replace("\\", "-") + ".pdf"


class _Client(Protocol):
    async def post(self, url: str, **kwargs: Any) -> Any: ...


async def upload_sample_files(client: _Client, procedures: Iterable[dict[str, Any]]) -> int:
    """Store the sample PDF of every document the procedures require, through intake's
    `POST /api/files` (an httpx client on intake's API); returns how many files were sent."""
    names = sorted({name for procedure in procedures
                    for name in procedure["required_documents"]})
    for start in range(0, len(names), 50):
        batch = names[start:start + 50]
        response = await client.post("/api/files", files=[
            ("file", (sample_file_name(name), sample_pdf(name), "application/pdf"))
            for name in batch])
        if response.status_code != 201:
            raise RuntimeError(f"storing the sample files failed: {response.status_code} "
                               f"{response.text}")
    return len(names)
