"""Where a dossier was received and who handles it are counted apart: the II.06a report by the
competent agency says how many of its dossiers another unit received, by receiving unit it
counts what each desk received, a commune centre's manager sees what it received for a
department, and the control sheet's intake row is the receiving unit's."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from motcua_runtime.db import create_engine
from motcua_runtime.officers import Officer
from tests.intake.tracking_rows import VN, dossier, entry, insert, tracking_app
from tests.officer_tokens import officer_token

NOW = datetime(2025, 12, 5, 10, 0, tzinfo=VN)
NOVEMBER = {"from": "2025-11-01", "to": "2025-11-30"}
# Criminal-record dossiers of STP: two received at the ward's centre (UBNDCL), one at STP's desk.
AT_WARD = [dossier(received_at=datetime(2025, 11, day, 8, tzinfo=VN), status=4,
                   receiving_unit="UBNDCL", due_at=datetime(2025, 12, 20, tzinfo=VN))
           for day in (3, 4)]
AT_DEPARTMENT = dossier(received_at=datetime(2025, 11, 5, 8, tzinfo=VN), status=4,
                        due_at=datetime(2025, 12, 20, tzinfo=VN))
SUBMITTED = entry(AT_WARD[0], "DossierSubmitted", datetime(2025, 11, 3, 8, tzinfo=VN),
                  "intake", status=1)
ACCEPTED = entry(AT_WARD[0], "DossierAccepted", datetime(2025, 11, 3, 9, tzinfo=VN),
                 "appraisal", status=2)


def token(role: str, agency: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + officer_token(Officer("mai", agency, role))}


@pytest.fixture(scope="module")
async def client(infra):
    database_url, _ = await infra.isolated("receiving_reports")
    engine = create_engine(database_url)
    await insert(engine, *AT_WARD, AT_DEPARTMENT, SUBMITTED, ACCEPTED)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tracking_app(engine, NOW)),
                                 base_url="http://intake") as http:
        yield http
    await engine.dispose()


async def test_the_report_counts_by_competent_agency_and_by_receiving_unit(client):
    by_agency = (await client.get("/api/reports", params=NOVEMBER,
                                  headers=token("admin", "STP"))).json()
    [justice] = by_agency["groups"]
    assert (justice["key"], justice["received"]["total"]) == ("STP", 3)
    assert justice["received"]["other_unit"] == 2  # received at the ward's centre
    by_unit = (await client.get("/api/reports", params=NOVEMBER | {"by": "receiving_unit"},
                                headers=token("admin", "STP"))).json()
    assert [(g["key"], g["received"]["total"], g["received"]["other_unit"])
            for g in by_unit["groups"]] == [("STP", 1, 0), ("UBNDCL", 2, 2)]
    assert by_unit["groups"][1]["name"] == "Ủy ban nhân dân phường Cốc Lếu"


async def test_a_commune_centres_manager_sees_what_it_received_for_a_department(client):
    report = (await client.get("/api/reports", params=NOVEMBER | {"by": "receiving_unit"},
                               headers=token("manager", "UBNDCL"))).json()
    assert [(g["key"], g["received"]["total"]) for g in report["groups"]] == [("UBNDCL", 2)]


async def test_the_control_sheets_intake_row_is_the_receiving_units(client):
    view = await client.get(f"/api/dossiers/{AT_WARD[0].id}")
    assert view.status_code == 200, view.text
    body = view.json()
    assert (body["agency"], body["receiving_unit"]) == ("STP", "UBNDCL")
    assert [(row["stage"], row["agency"]) for row in body["control_sheet"]] == [
        ("intake", "UBNDCL"), ("appraisal", "STP")]
