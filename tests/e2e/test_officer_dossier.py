"""The officers' view of a dossier on the real stack as `motcua up` runs it: a dossier filed
with two uploaded PDFs goes through every stage (its competent agency STP consults CAT, liên
thông); then an officer of STP and one of the consulted CAT read it whole (the applicant opened
from its seal, the form data, the documents whose urls serve the files, the timeline and control
sheet as the stages made them), an officer of SXD gets 403 naming why, and no token gets 401.
Every read is in the personal-data access log, which `motcua access-log` prints for the
auditor. And the desk: an officer of the one-stop desk uploads the scans and files a counter
dossier with their token, which goes through every stage recorded as theirs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random

import httpx
import pytest

from motcua_cli.main import main as motcua
from motcua_cli.samples import sample_submission
from tests.files.data import pdf_of
from tests.officer_tokens import issuer_private_key_file
from tests.support import officer_headers, running_stack, view_at

pytestmark = pytest.mark.e2e

CRIMINAL_RECORD = "2.000488"  # STP's, consults CAT; automatic at every stage on `motcua up`


async def test_the_officers_of_the_agencies_that_took_part_read_the_dossier_whole(
        infra, log_dir, tmp_path, monkeypatch, capsys):
    database_url, topic = await infra.isolated("officer_view_e2e")
    pdfs = {"Tờ khai.pdf": pdf_of(200_000), "CCCD.pdf": pdf_of(80_000)}
    with running_stack(infra, database_url, topic, log_dir) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            uploaded = await client.post("/api/files", files=[
                ("file", (name, data, "application/pdf")) for name, data in pdfs.items()])
            assert uploaded.status_code == 201, uploaded.text
            files = uploaded.json()["files"]
            procedure = (await client.get(f"/api/procedures/{CRIMINAL_RECORD}")).json()
            body = sample_submission(procedure, random.Random(33), channel="online",
                                     delivery="online")
            body["documents"] = [{"name": name, "sha256": file["sha256"]} for name, file
                                 in zip(procedure["required_documents"], files, strict=True)]
            filing = await client.post("/api/dossiers", json=body)
            assert filing.status_code == 202, filing.text
            dossier = filing.json()
            public = await view_at(client, dossier, 10)  # delivered
            url = f"/api/officer/dossiers/{dossier['code']}"

            answer = await client.get(url, headers=officer_headers("STP", "appraisal", "lan"))
            assert answer.status_code == 200, answer.text
            view = answer.json()
            assert view["code"] == dossier["code"] and view["agency"] == "STP"
            assert view["procedure_name"] == procedure["name"]
            assert view["status"] == {"code": 10, "label": "Đã trả kết quả"}
            assert view["applicant"]["full_name"] == body["applicant"]["full_name"]
            assert view["applicant"]["id_number"] == body["applicant"]["id_number"]
            assert view["personal_data_erased"] is False and view["data"] == body["data"]
            # The timeline is the citizen's, event for event, with the officer's names.
            assert [(t["type"], t["actor"]) for t in view["timeline"]] == [
                (t["type"], t["actor"]) for t in public["timeline"]]
            assert {"DossierAccepted", "ConsultationRequested", "ConsultationAnswered",
                    "ResultSigned", "ResultDelivered"} <= {t["type"] for t in view["timeline"]}
            assert len(view["control_sheet"]) == len(public["control_sheet"])
            for document, data in zip(view["documents"], pdfs.values(), strict=True):
                read = await client.get(document["url"],
                                        headers=officer_headers("STP", "appraisal", "lan"))
                assert read.status_code == 200 and read.content == data
                assert document["sha256"] == hashlib.sha256(data).hexdigest()

            consulted = await client.get(url, headers=officer_headers("CAT", "appraisal"))
            assert consulted.status_code == 200, consulted.text
            other = await client.get(url, headers=officer_headers("SXD", "appraisal"))
            assert other.status_code == 403 and "agency SXD" in other.json()["detail"]
            assert (await client.get(url)).status_code == 401
            unknown = await client.get("/api/officer/dossiers/000.00.00.H00-000000-0000",
                                       headers=officer_headers("STP", "appraisal"))
            assert unknown.status_code == 404

            # The access log: both views and both downloads, newest first, and nothing of the
            # refused reads.
            log = await client.get("/api/personal-data-reads", params={"code": dossier["code"]},
                                   headers=officer_headers("STP", "auditor", "kiem.toan"))
            assert log.status_code == 200, log.text
            assert [(e["officer"], e["agency"], e["what"]) for e in log.json()] == [
                ("can.bo", "CAT", "dossier"), ("lan", "STP", "file"), ("lan", "STP", "file"),
                ("lan", "STP", "dossier")]

        # `motcua access-log` asks the stack's API with an auditor's token it signs itself.
        monkeypatch.setenv("MOTCUA_API_URL", stack.api_url)
        monkeypatch.setenv("MOTCUA_TOKEN_ISSUER_PRIVATE_KEY", str(issuer_private_key_file()))
        capsys.readouterr()
        assert await asyncio.to_thread(motcua, [
            "--data-dir", str(tmp_path), "access-log", "--code", dossier["code"],
            "--officer", "lan", "--since", "2026-01-01", "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert [(e["what"], e["sha256"]) for e in printed] == [
            ("file", view["documents"][1]["sha256"]), ("file", view["documents"][0]["sha256"]),
            ("dossier", None)]
        assert await asyncio.to_thread(motcua, [
            "--data-dir", str(tmp_path), "access-log", "--officer", "can.bo"]) == 0
        table = capsys.readouterr().out
        assert dossier["code"] in table and "Vietnam time" in table and "CAT" in table


async def test_the_desk_files_a_counter_dossier_that_goes_through_as_the_officers(
        infra, log_dir):
    database_url, topic = await infra.isolated("desk_filing_e2e")
    desk = officer_headers("STP", "intake", "tiep.nhan")
    with running_stack(infra, database_url, topic, log_dir) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedure = (await client.get(f"/api/procedures/{CRIMINAL_RECORD}")).json()
            scans = [pdf_of(150_000), pdf_of(90_000)]
            uploaded = await client.post("/api/files", headers=desk, files=[
                ("file", (f"scan-{n}.pdf", data, "application/pdf"))
                for n, data in enumerate(scans)])
            assert uploaded.status_code == 201, uploaded.text
            body = sample_submission(procedure, random.Random(34), channel="counter",
                                     delivery="online")
            body["documents"] = [{"name": name, "sha256": file["sha256"]} for name, file in
                                 zip(procedure["required_documents"], uploaded.json()["files"],
                                     strict=True)]
            filed = await client.post("/api/officer/dossiers", json=body, headers=desk)
            assert filed.status_code == 202, filed.text
            dossier = filed.json()
            public = await view_at(client, dossier, 10)  # accepted, decided, signed, delivered
            assert public["channel"] == "counter"
            submitted = public["timeline"][0]
            assert (submitted["type"], submitted["actor"]) == ("DossierSubmitted",
                                                               "officer:tiep.nhan")
            view = (await client.get(f"/api/officer/dossiers/{dossier['code']}",
                                     headers=desk)).json()
            assert view["receiving_unit"] == "STP" and view["channel"] == "counter"
            assert view["timeline"][0]["actor"] == "officer:tiep.nhan"
            assert [d["size"] for d in view["documents"]] == [len(s) for s in scans]
