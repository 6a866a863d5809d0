"""Commune-level dossiers on the real stack running the shipped catalogue of the merged Lào Cai
province, with phường Yên Bái's own appraisal instance (`--instance appraisal:UBNDPYB`): the
one-stop desk of phường Cam Đường receives a birth registration and a temporary residence for
applicants of phường Yên Bái (intake regardless of administrative boundary). Each carries Cam
Đường's code prefix and is handled to delivery by Yên Bái's own units: its People's Committee
(appraised by its own instance, under its own key) and its police; the control sheet shows Cam
Đường's intake row and Yên Bái's rows. A commune with no police is refused at the desk with the
reason."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest

from motcua_catalogue.catalogue import SHIPPED, configured_catalogue
from motcua_cli.samples import sample_submission
from motcua_cli.up import ensure_dev_keys
from motcua_contracts import Headers
from motcua_pki import init_dev_pki
from tests.files.data import pdf_of
from tests.support import header, officer_headers, read_topic, running_stack, view_at

pytestmark = pytest.mark.e2e

BIRTH, RESIDENCE = "1.001193", "1.004194"
DESK, HOME = "UBNDPCD", "UBNDPYB"  # received at Cam Đường, for residents of Yên Bái


async def counter_body(client: httpx.AsyncClient, desk: dict[str, str], code: str,
                       commune: str) -> dict:
    procedure = (await client.get(f"/api/procedures/{code}")).json()
    assert HOME in [c["code"] for c in procedure["communes"]]
    uploaded = await client.post("/api/files", headers=desk, files=[
        ("file", (f"scan-{n}.pdf", pdf_of(70_000 + n), "application/pdf"))
        for n in range(len(procedure["required_documents"]))])
    assert uploaded.status_code == 201, uploaded.text
    body = sample_submission(procedure, random.Random(23), channel="counter",
                             delivery="counter")
    body["documents"] = [{"name": name, "sha256": file["sha256"]} for name, file in zip(
        procedure["required_documents"], uploaded.json()["files"], strict=True)]
    return {**body, "commune": commune}


async def test_a_commune_desk_receives_for_another_communes_units(infra, log_dir,
                                                                   signing_keys, tmp_path):
    import motcua_catalogue

    shipped = Path(motcua_catalogue.__file__).parent / "data" / SHIPPED
    catalogue = configured_catalogue({"MOTCUA_CATALOGUE": str(shipped)})
    pki = Path(tempfile.mkdtemp(prefix="motcua-communes-pki-"))
    init_dev_pki(pki, [(a.code, a.name) for a in catalogue.agencies.values()])
    keys_dir = tmp_path / "keys"
    shutil.copytree(signing_keys, keys_dir)
    # As `motcua up --instance appraisal:UBNDPYB`: the shared key is replaced by one scoped to
    # every agency but Yên Bái's committee, and its instance gets its own.
    created = ensure_dev_keys(keys_dir, {"appraisal": [HOME]})
    database_url, topic = await infra.isolated("commune_routing_e2e")
    env = {"MOTCUA_CATALOGUE": str(shipped), "SIGNING_PKI_DIR": str(pki),
           "MOTCUA_KEYS_DIR": str(keys_dir)}
    desk = officer_headers(DESK, "intake", "tiep.nhan.cd")
    with running_stack(infra, database_url, topic, log_dir, env=env,
                       agencies={"appraisal": [HOME]}) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            handled_by = {}
            for code, competent in ((BIRTH, HOME), (RESIDENCE, "CAPYB")):
                body = await counter_body(client, desk, code, HOME)
                filed = await client.post("/api/officer/dossiers", json=body, headers=desk)
                assert filed.status_code == 202, filed.text
                dossier = filed.json()
                assert dossier["code"].startswith(catalogue.agencies[DESK].electronic_id + "-")
                public = await view_at(client, dossier, 10)  # Yên Bái's stages, delivered
                assert (public["agency"], public["receiving_unit"]) == (competent, DESK)
                rows = [(row["stage"], row["agency"]) for row in public["control_sheet"]]
                assert rows[0] == ("intake", DESK)
                assert {("appraisal", competent), ("approval", competent),
                        ("signing", competent), ("delivery", competent)} <= set(rows)
                handled_by[dossier["dossier_id"]] = competent

            # The committee's dossier was appraised by Yên Bái's own instance, with its key;
            # the police's by the shared instance (the police has no instance of its own).
            records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=0.5)
            producers = {json.loads(r.value)["dossier_id"]: json.loads(r.value)["producer"]
                         for r in records if header(r, Headers.TYPE) == "DossierAppraised"}
            assert producers.keys() == handled_by.keys()
            by_agency = {handled_by[d]: p for d, p in producers.items()}
            assert by_agency[HOME]["agency"] == HOME and by_agency[HOME]["key_id"] in created
            assert by_agency["CAPYB"]["agency"] is None

            # Cam Đường has no police: a temporary residence for it is refused with the reason.
            body = await counter_body(client, desk, RESIDENCE, DESK)
            refused = await client.post("/api/officer/dossiers", json=body, headers=desk)
            assert refused.status_code == 422, refused.text
            assert "phường Cam Đường has no Công an unit" in refused.json()["message"]
