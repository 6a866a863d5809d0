"""The dossier's files end to end, on the real stack as `motcua up` runs it (intake's store in a
folder, as under the data folder): a dossier filed with two PDFs uploaded over HTTP is
delivered; the applicant downloads a file with code + ID number, an officer of the competent
agency downloads it too, an officer of another agency gets 403, and the auditor finds the
officer's read in the access log."""

from __future__ import annotations

import hashlib
import random

import httpx
import pytest

from motcua_cli.samples import sample_submission
from tests.files.data import pdf_of
from tests.support import officer_headers, running_stack, view_at

pytestmark = pytest.mark.e2e

SOCIAL_INSURANCE = "1.001612"  # BHXH, free, automatic at every stage


async def test_a_dossier_with_two_uploaded_pdfs_is_delivered_and_its_files_read_as_allowed(
        infra, log_dir):
    database_url, topic = await infra.isolated("files_e2e")
    pdfs = {"Tờ khai.pdf": pdf_of(300_000), "Bản sao sổ BHXH.pdf": pdf_of(120_000)}
    with running_stack(infra, database_url, topic, log_dir) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            uploaded = await client.post("/api/files", files=[
                ("file", (name, data, "application/pdf")) for name, data in pdfs.items()])
            assert uploaded.status_code == 201, uploaded.text
            files = uploaded.json()["files"]
            assert [f["sha256"] for f in files] == [hashlib.sha256(d).hexdigest()
                                                    for d in pdfs.values()]
            procedure = (await client.get(f"/api/procedures/{SOCIAL_INSURANCE}")).json()
            body = sample_submission(procedure, random.Random(21), channel="online")
            names = [*procedure["required_documents"], "Giấy tờ khác"][:2]
            body["documents"] = [{"name": name, "sha256": file["sha256"]}
                                 for name, file in zip(names, files, strict=True)]
            filing = await client.post("/api/dossiers", json=body)
            assert filing.status_code == 202, filing.text
            dossier = filing.json()
            view = await view_at(client, dossier, 10)  # delivered
            code = dossier["code"]

            first = files[0]["sha256"]
            citizen = await client.get(f"/api/dossiers/{code}/files/{first}",
                                       params={"id_number": body["applicant"]["id_number"]})
            assert citizen.status_code == 200 and citizen.content == pdfs["Tờ khai.pdf"]
            assert citizen.headers["content-type"] == "application/pdf"

            competent = officer_headers(procedure["agency"], "appraisal", "chuyen.vien")
            officer = await client.get(f"/api/officer/dossiers/{code}/files/{first}",
                                       headers=competent)
            assert officer.status_code == 200
            assert hashlib.sha256(officer.content).hexdigest() == first
            other = officer_headers("SXD", "appraisal", "nguoi.ngoai")
            refused = await client.get(f"/api/officer/dossiers/{code}/files/{first}",
                                       headers=other)
            assert refused.status_code == 403, refused.text

            log = await client.get("/api/file-reads", params={"dossier": code},
                                   headers=officer_headers("STP", "auditor", "kiem.toan"))
            assert log.status_code == 200
            assert [(e["officer"], e["agency"], e["sha256"]) for e in log.json()] == [
                ("chuyen.vien", procedure["agency"], first)]
            assert view["status"]["code"] == 10
