"""Both appraisal instances of `--instance appraisal:STP` share one `appraisal.work_items` table:
each instance's work queue lists, shows, claims and decides only the items of the agencies it
serves, a decision on the other instance's item is a 404 that says where it belongs, and each
counts only its own open and overdue work. Real Postgres; the work queue in-process."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_appraisal.handlers import Appraisal, appraisal_stage
from motcua_appraisal.orm import WorkItem
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import uuid7
from motcua_runtime.db import create_engine
from motcua_runtime.gauges import GaugeWatch, open_work_items
from motcua_runtime.scope import AgencyScope
from motcua_runtime.work_items import OPEN
from motcua_runtime.work_queue import create_work_queue_api
from tests.officer_tokens import current_officer
from tests.personal import facts
from tests.support import officer_headers, signer_of

NOW = datetime.now(timezone.utc)
SHARED, OWN = AgencyScope.shared({"STP"}), AgencyScope("STP")
POLICY = Appraisal(default_catalogue(), WorkingCalendar(), officers=True)
STAGE = appraisal_stage(POLICY)


def item(agency: str, procedure: str, number: int, *, overdue: bool = False) -> WorkItem:
    dossier_id = uuid7()
    dossier = facts(dossier_id, code=f"000.00.15.H38-260504-{number:04d}",
                    procedure_code=procedure, applicant_name="Lò Văn Sáng",
                    received_at=NOW - timedelta(days=3), delivery_channel="online")
    return WorkItem(id=uuid7(), dossier_id=dossier_id, agency=agency, kind="dossier",
                    procedure_code=procedure, dossier=dossier.model_dump(mode="json"),
                    opened_at=NOW - timedelta(days=2), opened_by_event=uuid7(),
                    due_at=NOW + (-1 if overdue else 1) * timedelta(days=1), state=OPEN,
                    awaiting=[], answers=[], context={})


def queue(sessions, scope: AgencyScope, topic: str):
    signer = signer_of("appraisal", scope.agency)
    app = create_work_queue_api(
        STAGE, WorkItem, POLICY.work_queue(), sessions=sessions, producer=signer.producer,
        topic=topic, current_officer=current_officer("appraisal"), on_commit=lambda: None,
        sign=signer.sign, scope=scope)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://queue")


@pytest.fixture
async def database(infra):
    database_url, topic = await infra.isolated("agency_queue")
    engine = create_engine(database_url)
    stp, sxd = item("STP", "2.000488", 1, overdue=True), item("SXD", "1.009972", 2)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
        session.add_all([stp, sxd])
    try:
        yield engine, topic, stp, sxd
    finally:
        await engine.dispose()


async def test_the_shared_instance_neither_lists_nor_decides_an_item_of_stps_own(database):
    engine, topic, stp, sxd = database
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    stp_officer = officer_headers("STP", "appraisal", "chuyen.vien")
    sxd_officer = officer_headers("SXD", "appraisal", "chuyen.vien")
    async with queue(sessions, SHARED, topic) as shared, queue(sessions, OWN, topic) as own:
        assert (await shared.get("/api/work-items", headers=stp_officer)).json() == []
        url = f"/api/work-items/{stp.id}"
        for response in (await shared.get(url, headers=stp_officer),
                         await shared.post(f"{url}/claim", headers=stp_officer),
                         await shared.post(f"{url}/decisions/recommend", headers=stp_officer,
                                           json={"recommendation": "approve", "findings": "x"})):
            assert response.status_code == 404, response.text
            assert response.json()["detail"] == (
                f"work item {stp.id} is not served by this appraisal instance, which serves "
                "every agency but STP: agency STP has its own appraisal instance; decide it "
                "there")

        # The shared instance still serves every other agency, and STP's instance its own.
        listed = (await shared.get("/api/work-items", headers=sxd_officer)).json()
        assert [i["id"] for i in listed] == [str(sxd.id)]
        refused = await own.get(f"/api/work-items/{sxd.id}", headers=sxd_officer)
        assert refused.json()["detail"] == (
            f"work item {sxd.id} is not served by this appraisal instance, which serves agency "
            "STP: agency SXD is served by another appraisal instance; decide it there")
        assert [i["id"] for i in (await own.get("/api/work-items", headers=stp_officer)).json()
                ] == [str(stp.id)]
        decided = await own.post(f"{url}/decisions/recommend", headers=stp_officer,
                                 json={"recommendation": "approve", "findings": "Đủ điều kiện"})
        assert decided.status_code == 200, decided.text
        assert decided.json()["events"] == ["DossierAppraised"]


async def test_each_instance_counts_only_its_own_open_and_overdue_work(database):
    engine, _, _, _ = database

    async def gauges(service: str, scope: AgencyScope) -> dict[tuple[str, str], float]:
        await GaugeWatch(engine, service, None, open_work_items(WorkItem, scope)).refresh()
        return {(name, agency): REGISTRY.get_sample_value(name, {
                    "service": service, "agency": agency, "state": "open"})
                for name in ("motcua_open_work_items", "motcua_overdue_work_items")
                for agency in ("STP", "SXD")}

    assert await gauges("appraisal-scope-shared", SHARED) == {
        ("motcua_open_work_items", "STP"): None, ("motcua_open_work_items", "SXD"): 1.0,
        ("motcua_overdue_work_items", "STP"): None, ("motcua_overdue_work_items", "SXD"): 0.0}
    assert await gauges("appraisal-scope-stp", OWN) == {
        ("motcua_open_work_items", "STP"): 1.0, ("motcua_open_work_items", "SXD"): None,
        ("motcua_overdue_work_items", "STP"): 1.0, ("motcua_overdue_work_items", "SXD"): None}
