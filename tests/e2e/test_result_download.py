"""Downloading the signed result end to end: the five services as processes on the embedded
broker and Postgres, intake fetching from signing's internal endpoint at the URL `motcua up`'s
supervisor gives it. A dossier delivered online downloads as the PAdES-sealed PDF that pyHanko
and poppler's pdfsig find valid and trusted, with the SHA-256 its ResultSigned event announced;
one delivered at the counter answers 409, a wrong ID number 404."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from typing import Any

import httpx
import pytest

from motcua_cli.samples import sample_submission
from motcua_pki import DEV_PASSPHRASE, Keystore
from motcua_signing.seal import verify
from tests.signing.pdf_tools import nss_trusting, pdfsig
from tests.support import dev_pki, header, read_topic, running_stack

pytestmark = pytest.mark.e2e

BUSINESS = "2.001610"  # Sở Kế hoạch và Đầu tư: automatic at every stage on the default


async def file(client: httpx.AsyncClient, rng: random.Random, delivery: str) -> dict[str, Any]:
    procedure = (await client.get(f"/api/procedures/{BUSINESS}")).json()
    body = sample_submission(procedure, rng, channel="online")
    body["delivery"] = {"channel": delivery, "address": body["applicant"]["address"]}
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 202, response.text
    return {**response.json(), "id_number": body["applicant"]["id_number"]}


async def delivered(client: httpx.AsyncClient, dossier: dict[str, Any]) -> None:
    deadline = time.monotonic() + 90
    while True:
        view = (await client.get(f"/api/dossiers/{dossier['dossier_id']}")).json()
        if view["status"]["code"] == 10:
            return
        assert time.monotonic() < deadline, f"not delivered: {view['status']}"
        await asyncio.sleep(0.3)


async def test_a_result_delivered_online_downloads_as_the_sealed_pdf_it_was_signed_as(
        infra, log_dir, tmp_path):
    database_url, topic = await infra.isolated("download")
    rng = random.Random(23)
    with running_stack(infra, database_url, topic, log_dir) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            online, counter = await file(client, rng, "online"), await file(client, rng, "counter")
            await asyncio.gather(delivered(client, online), delivered(client, counter))
            url = f"/api/dossiers/{online['code']}/result"
            download = await client.get(url, params={"id_number": online["id_number"]})
            wrong = await client.get(url, params={"id_number": "999999999999"})
            at_counter = await client.get(f"/api/dossiers/{counter['code']}/result",
                                          params={"id_number": counter["id_number"]})
        records = await read_topic(stack.bootstrap_servers, topic)

    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == \
        f'attachment; filename="ket-qua-{online["code"]}.pdf"'
    pdf = download.content
    [signed] = [json.loads(r.value) for r in records if header(r, "type") == "ResultSigned"
                and json.loads(r.value)["dossier_id"] == online["dossier_id"]]
    assert hashlib.sha256(pdf).hexdigest() == signed["document_sha256"] == \
        download.headers["x-document-sha256"]

    verdict = verify(pdf, [Keystore.load(dev_pki(), DEV_PASSPHRASE).root])
    assert (verdict.valid, verdict.trusted, verdict.covers_whole_file) == (True, True, True), \
        verdict.summary
    assert "Sở Kế hoạch và Đầu tư" in verdict.signer
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(pdf)
    report = pdfsig(path, nss_trusting(dev_pki() / "root.crt", tmp_path / "nss"))
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report

    assert wrong.status_code == 404
    assert at_counter.status_code == 409
    assert "not online" in at_counter.json()["detail"]
