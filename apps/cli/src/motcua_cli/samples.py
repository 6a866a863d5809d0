"""Sample dossiers for demos, tests and benchmarks: plausible applicants and complete documents
for any procedure of the catalogue, or deliberately incomplete ones to exercise refusals."""

from __future__ import annotations

import hashlib
import random
from typing import Any

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Lò", "Giàng"]
MIDDLE = ["Văn", "Thị", "Minh", "Đức", "Thu", "Quang", "Ngọc", "Seo"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Phương", "Sử", "Tú"]
WARDS = ["Cốc Lếu", "Kim Tân", "Duyên Hải", "Bắc Cường", "Sa Pa", "Bảo Thắng"]


def sample_submission(procedure: dict[str, Any], rng: random.Random, *,
                      complete: bool = True, channel: str | None = None,
                      pay_fees: bool = True, delivery: str | None = None) -> dict[str, Any]:
    """A submission for `procedure` (as served by GET /api/procedures). An incomplete one lacks
    its first required document, so intake asks for a supplement. Fees are paid when filing
    unless `pay_fees` is false (then the agency asks for them). The result goes back through
    `delivery` (counter, postal, online), else a channel drawn at random: demos send results
    by every channel, postal ones through the post office."""
    documents = [
        {"name": name, "sha256": hashlib.sha256(f"{name}{rng.random()}".encode()).hexdigest(),
         "size": rng.randint(20_000, 3_000_000)}
        for name in procedure["required_documents"]
    ]
    if not complete and documents:
        documents = documents[1:]
    address = f"Số {rng.randint(1, 300)}, phường {rng.choice(WARDS)}, tỉnh Lào Cai"
    drawn = rng.choice(["counter", "postal", "online"])  # drawn anyway: same samples after
    delivery = delivery or drawn
    channel = channel or rng.choice(["online", "online", "online", "counter", "postal"])
    fee = procedure["fee_online"] if channel == "online" else procedure["fee_counter"]
    return {
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
