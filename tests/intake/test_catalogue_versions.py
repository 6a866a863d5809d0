"""Catalogue versions: an import is stored whole as the next version with its effective time;
a dossier is received under the version in force (recorded on the dossier and in its event) and
handled under it to the end: a version imported later never moves its deadlines."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import CatalogueError, WorkingCalendar
from motcua_catalogue.calendar_store import OverrideStore
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.export import parse_export
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts.intake import DossierAccepted, SupplementProvided
from motcua_contracts.shared import SupplementRequested
from motcua_files import FilesSettings
from motcua_intake.api import create_api
from motcua_intake.catalogue_versions import (
    CatalogueVersions,
    UnknownCatalogueVersion,
    list_versions,
    store_version,
)
from motcua_intake.files.documents import DossierFiles
from motcua_intake.filing.catalogue_api import create_catalogue_router
from motcua_intake.filing.submissions import Submission, submit
from motcua_intake.handlers import Intake, track
from motcua_intake.orm import Dossier
from motcua_runtime.db import create_engine
from motcua_runtime.stage import Emitter
from tests.catalogue.export_sample import sample, steps
from tests.fakes import FakeDossiers, at, by, drain, emitted, event
from tests.files.conftest import filesystem_store  # noqa: F401  (the store's fixture, by name)
from tests.intake.test_handlers import document, submitted
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import signer_of

MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VIETNAM)
PRODUCER = by("intake", "CAT")


def version_document(limit_days: int, effective_from: str, appraisal_hours: float) -> str:
    """The sample export with the criminal-record certificate's default case at `limit_days`."""
    document_ = sample(effective_from=effective_from)
    record = document_["procedures"][0]
    record["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = limit_days
    record["TRINHTUTHUCHIEN"][0]["TRINHTU"] = steps(4, appraisal_hours, 12, 4, 4)
    return json.dumps(document_, ensure_ascii=False, indent=2)


V1 = version_document(10, "2025-07-01", 56)  # 10 working days
V2 = version_document(20, "2026-01-01", 136)  # 20 working days


def versions_with(*documents: str) -> CatalogueVersions:
    versions = CatalogueVersions(default_catalogue())
    for number, text in enumerate(documents, start=1):
        versions.remember(dataclasses.replace(parse_export(text, "test").catalogue,
                                              version=number))
    return versions


def test_a_dossier_is_accepted_under_the_version_it_was_received_under():
    intake = Intake(default_catalogue(), WorkingCalendar(), versions=versions_with(V1, V2))
    appointments = {}
    for version in (1, 2):
        dossiers, emitter = FakeDossiers(), Emitter(PRODUCER, "t")
        record = intake.versions.get(version).procedures["2.000488"]
        filed = submitted(record, received_at=MONDAY)
        intake.on_submitted(filed.model_copy(update={"catalogue_version": version}),
                            dossiers, emitter)
        [accepted] = emitted(emitter)
        assert isinstance(accepted, DossierAccepted)
        assert accepted.dossier.catalogue_version == version
        assert accepted.dossier.fee == 100_000  # the version's online fee, fixed for appraisal
        appointments[version] = accepted.dossier.due_at
    assert appointments[1] == datetime(2025, 12, 8, 8, 0, tzinfo=VIETNAM)  # 10 working days
    assert appointments[2] == datetime(2025, 12, 22, 8, 0, tzinfo=VIETNAM)  # 20


def test_a_version_imported_while_a_dossier_waits_does_not_move_its_deadlines():
    """The same dossier, received under version 1 and completed after version 2 took effect,
    gets exactly the appointment it gets when no version 2 exists."""
    def appointment(intake: Intake) -> datetime:
        dossiers, emitter = FakeDossiers(), Emitter(PRODUCER, "t")
        record = intake.catalogue_of(1).procedures["2.000488"]
        filed = submitted(record, received_at=MONDAY, documents=[]).model_copy(
            update={"catalogue_version": 1})
        intake.on_submitted(filed, dossiers, emitter)
        [request] = drain(emitter)
        assert isinstance(request, SupplementRequested)
        track(at(request, MONDAY + timedelta(hours=1)), dossiers, emitter)
        drain(emitter)
        provided = event(SupplementProvided, producer=PRODUCER, cause=request,
                         at=MONDAY + timedelta(days=2), actor="applicant", resumes="intake",
                         documents=[document(n) for n in record.required_documents])
        intake.on_supplement_provided(provided, dossiers, emitter)
        [accepted] = emitted(emitter)
        assert isinstance(accepted, DossierAccepted)
        return accepted.dossier.due_at

    only_v1 = Intake(default_catalogue(), WorkingCalendar(), versions=versions_with(V1))
    with_v2 = Intake(default_catalogue(), WorkingCalendar(), versions=versions_with(V1, V2))
    assert appointment(with_v2) == appointment(only_v1)
    # 10 working days from receipt, moved by the 15 working hours it waited (Monday 09:00 to
    # Wednesday 08:00: the clock pauses); version 2's 20 days would give 23 December.
    assert appointment(with_v2) == datetime(2025, 12, 9, 17, 0, tzinfo=VIETNAM)


def test_a_version_this_process_has_not_read_is_refused_not_replaced():
    intake = Intake(default_catalogue(), WorkingCalendar(), versions=versions_with(V1))
    filed = submitted(received_at=MONDAY).model_copy(update={"catalogue_version": 7})
    with pytest.raises(UnknownCatalogueVersion, match="version 7"):
        intake.on_submitted(filed, FakeDossiers(), Emitter(PRODUCER, "t"))


async def test_imports_are_versions_in_time_and_a_filing_records_the_one_in_force(infra):
    database_url, topic = await infra.isolated("catalogue_versions")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as session, session.begin():
            first = await store_version(session, parse_export(V1, "v1.json"), V1,
                                        source="v1.json", imported_by="admin")
        far = version_document(20, "2099-01-01", 136)
        async with sessions() as session, session.begin():
            later = await store_version(session, parse_export(far, "v2.json"), far,
                                        source="v2.json", imported_by="admin")
        assert (first.version, later.version) == (1, 2)
        # An effective time before the newest version's would rewrite the past: refused whole.
        async with sessions() as session:
            with pytest.raises(CatalogueError, match="is not after version 2's"):
                async with session.begin():
                    await store_version(session, parse_export(V2, "v3.json"), V2,
                                        source="v3.json", imported_by="admin")
            assert [v.version for v in await list_versions(session)] == [1, 2]
        versions = CatalogueVersions(default_catalogue())
        body = Submission.model_validate({
            "procedure_code": "2.000488", "channel": "online", "case_code": "phuc-tap",
            "applicant": {"full_name": "Trần Thị Bình", "id_number": "010203004567",
                          "phone": "0912345678", "address": "Số 1 Hoàng Liên"},
            "delivery": {"channel": "online"}, "data": {"purpose": "Xin việc"}})
        async with sessions() as session, session.begin():
            filed = await submit(session, default_catalogue(), topic, body,
                                 signer=signer_of("intake"), documents=[], versions=versions)
        # Version 2 is not in force before 2099: the dossier is received under version 1,
        # whose agencies number it (the police's e-ID) and whose case it names.
        assert (filed.catalogue_version, filed.case_code, filed.agency) == (1, "phuc-tap", "CAT")
        assert filed.code.startswith("000.00.25.H38-")
        async with engine.connect() as connection:
            row = (await connection.execute(select(Dossier.catalogue_version, Dossier.case_code)
                                            .where(Dossier.id == filed.dossier_id))).one()
        assert tuple(row) == (1, "phuc-tap")
        assert versions.known() == [1]
    finally:
        await engine.dispose()


async def test_the_api_serves_the_version_in_force_and_files_under_it(
        infra, filesystem_store):  # noqa: F811
    """Before an import the configured catalogue answers (version 0); once a version is in
    force, the procedures, the agencies and a new filing's code and case are its."""
    database_url, topic = await infra.isolated("catalogue_versions_api")
    engine = create_engine(database_url)
    versions = CatalogueVersions(default_catalogue())
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_dependency(), signer=signer_of("intake"),
                     files=DossierFiles(filesystem_store, FilesSettings()), versions=versions)
    app.include_router(create_catalogue_router(default_catalogue(), OverrideStore(engine),
                                               officer_dependency(), versions=versions))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://intake") as client:
            before = (await client.get("/api/procedures/2.000488")).json()
            assert (before["agency"], before["catalogue_version"]) == ("STP", 0)
            async with async_sessionmaker(engine)() as session, session.begin():
                await store_version(session, parse_export(V1, "v1.json"), V1,
                                    source="v1.json", imported_by="admin")
            after = (await client.get("/api/procedures/2.000488")).json()
            assert (after["agency"], after["catalogue_version"]) == ("CAT", 1)
            assert [c["code"] for c in after["cases"]] == ["thuong", "phuc-tap"]
            listed = (await client.get("/api/catalogue/versions")).json()
            assert listed["in_force"] == 1 and [v["version"] for v in listed["versions"]] == [1]
            agencies = {a["code"]: a["level"] for a in
                        (await client.get("/api/agencies")).json()}
            assert agencies == {"CAT": "provincial", "STP": "provincial", "XA1": "commune"}
            procedures = {p["code"] for p in (await client.get("/api/procedures")).json()}
            assert procedures == {"2.000488", "1.001193"}
            body = {"procedure_code": "2.000488", "channel": "online", "case_code": "khac",
                    "applicant": {"full_name": "Trần Thị Bình", "id_number": "010203004567",
                                  "phone": "0912345678", "address": "Số 1 Hoàng Liên"},
                    "delivery": {"channel": "online"}, "data": {"purpose": "Xin việc"}}
            unknown_case = await client.post("/api/dossiers", json=body)
            assert unknown_case.status_code == 422
            assert unknown_case.json()["message"] == (
                "case_code: procedure 2.000488 has no case 'khac' (cases: thuong, phuc-tap)")
            filed = await client.post("/api/dossiers", json=body | {"case_code": "phuc-tap"})
            assert filed.status_code == 202, filed.text
            assert filed.json()["code"].startswith("000.00.25.H38-")  # the police's e-ID
    finally:
        await engine.dispose()
