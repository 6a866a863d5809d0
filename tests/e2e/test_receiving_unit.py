"""Intake regardless of administrative boundary, on the real stack running the shipped catalogue
of the merged Lào Cai province: the one-stop desk of a commune centre (phường Cam Đường) files a
business registration for the provincial Department of Finance. The dossier's code carries the
commune centre's e-ID, the department's stages handle it to delivery, the control sheet shows the
commune's intake row and the department's rows, and the II.06a report counts it under the
department and under the commune centre that received it."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import httpx
import pytest

from motcua_catalogue.catalogue import SHIPPED, configured_catalogue
from motcua_cli.samples import sample_submission
from motcua_pki import init_dev_pki
from tests.files.data import pdf_of
from tests.support import officer_headers, running_stack, view_at

pytestmark = pytest.mark.e2e

BUSINESS = "2.001610"  # Finance (STC) since 2025: 3 working days
COMMUNE = "UBNDPCD"  # Ủy ban nhân dân phường Cam Đường


async def test_a_commune_centre_receives_for_a_provincial_department(infra, log_dir):
    import motcua_catalogue

    shipped = Path(motcua_catalogue.__file__).parent / "data" / SHIPPED
    catalogue = configured_catalogue({"MOTCUA_CATALOGUE": str(shipped)})
    pki = Path(tempfile.mkdtemp(prefix="motcua-lao-cai-pki-"))
    init_dev_pki(pki, [(a.code, a.name) for a in catalogue.agencies.values()])
    database_url, topic = await infra.isolated("receiving_unit_e2e")
    env = {"MOTCUA_CATALOGUE": str(shipped), "SIGNING_PKI_DIR": str(pki)}
    desk = officer_headers(COMMUNE, "intake", "tiep.nhan.cd")
    with running_stack(infra, database_url, topic, log_dir, env=env) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedure = (await client.get(f"/api/procedures/{BUSINESS}")).json()
            assert (procedure["agency"], procedure["level"]) == ("STC", "provincial")
            uploaded = await client.post("/api/files", headers=desk, files=[
                ("file", (f"scan-{n}.pdf", pdf_of(60_000 + n), "application/pdf"))
                for n in range(len(procedure["required_documents"]))])
            assert uploaded.status_code == 201, uploaded.text
            body = sample_submission(procedure, random.Random(17), channel="counter",
                                     delivery="counter")
            body["documents"] = [{"name": name, "sha256": file["sha256"]} for name, file in
                                 zip(procedure["required_documents"], uploaded.json()["files"],
                                     strict=True)]
            filed = await client.post("/api/officer/dossiers", json=body, headers=desk)
            assert filed.status_code == 202, filed.text
            dossier = filed.json()
            commune = catalogue.agencies[COMMUNE]
            assert commune.level == "commune"
            assert dossier["code"].startswith(f"{commune.electronic_id}-")

            public = await view_at(client, dossier, 10)  # the department's stages, delivered
            assert (public["agency"], public["receiving_unit"]) == ("STC", COMMUNE)
            rows = [(row["stage"], row["agency"]) for row in public["control_sheet"]]
            assert rows[0] == ("intake", COMMUNE)
            assert {("appraisal", "STC"), ("approval", "STC"), ("signing", "STC"),
                    ("delivery", "STC")} <= set(rows)
            assert {t["agency"] for t in public["timeline"][1:]} == {"STC"}

            admin = officer_headers("TTPVHCC", "admin", "quan.tri")
            by_agency = (await client.get("/api/reports", headers=admin)).json()
            [finance] = [g for g in by_agency["groups"] if g["key"] == "STC"]
            assert finance["received"]["total"] == 1 and finance["received"]["other_unit"] == 1
            assert finance["resolved"]["total"] == 1
            by_unit = (await client.get("/api/reports", params={"by": "receiving_unit"},
                                        headers=admin)).json()
            assert [(g["key"], g["name"], g["received"]["counter"])
                    for g in by_unit["groups"]] == [(COMMUNE, commune.name, 1)]
