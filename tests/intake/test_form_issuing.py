"""Which event calls for which form and what the form states: intake's handlers called directly
with a fake repository (no database). The queue's rendering and storing is in
tests/intake/test_forms_api.py, the whole path in tests/e2e/test_forms.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from motcua_catalogue import WorkingCalendar, load_catalogue
from motcua_catalogue.centre import Centre
from motcua_contracts import DOSSIER_TOPIC
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.intake import DossierAccepted, DossierRefused, WithdrawalRequested
from motcua_contracts.sealed import Sealed
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_documents import forms
from motcua_intake.forms.issuing import FormIssuer
from motcua_intake.handlers import Intake
from motcua_intake.orm import DossierForm
from motcua_runtime.stage import Emitter
from tests.fakes import FakeDossiers, at, by, drain, event
from tests.intake.test_notices import BASE, CATALOGUE, CODE, MONDAY, RECORD, submitted
from tests.personal import opened

CENTRE = Centre()
INTAKE = Intake(load_catalogue(), WorkingCalendar(), forms=FormIssuer(CATALOGUE, BASE, CENTRE))


class FormQueue(FakeDossiers):
    """The fake repository, keeping the forms handlers queue (their facts opened)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[DossierForm, forms.FormFacts]] = []

    def queue_form(self, form: DossierForm) -> None:
        assert "Trần Thị Bình" not in form.facts  # sealed under the dossier's key
        model, _ = forms.FORMS[form.form]
        self.forms.append((form, model.model_validate(
            opened(form.dossier_id, Sealed.model_validate_json(form.facts)))))


@pytest.fixture
def dossiers() -> FormQueue:
    return FormQueue()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(by("intake", "STP"), DOSSIER_TOPIC)


def answered(dossiers: FormQueue, emitter: Emitter, **submission):
    INTAKE.on_submitted(submitted(**submission), dossiers, emitter)
    [answer] = drain(emitter)
    answer = at(answer, MONDAY + timedelta(minutes=30))
    INTAKE.follow(answer, dossiers, emitter)
    return answer


def test_an_acceptance_queues_form_01_with_the_documents_and_the_appointment(dossiers, emitter):
    accepted = answered(dossiers, emitter, channel="postal")

    [(row, facts)] = dossiers.forms
    assert isinstance(accepted, DossierAccepted) and isinstance(facts, forms.Receipt)
    assert (row.event_id, row.dossier_id, row.form, row.issued_at) == (
        accepted.event_id, accepted.dossier_id, "01", accepted.occurred_at)
    assert (facts.dossier_code, facts.applicant_name, facts.procedure_name) == (
        CODE, "Trần Thị Bình", RECORD.name)
    assert facts.documents == list(RECORD.required_documents)
    assert (facts.received_at, facts.due_at) == (MONDAY, accepted.dossier.due_at)
    # Filed on the portal: the centre's (the code takes the competent agency's e-ID).
    assert (facts.issuer, facts.place, facts.officer) == (CENTRE.name, "Lào Cai", None)
    assert facts.lookup_url == f"{BASE}/tra-cuu?code={CODE}"
    assert facts.delivery_channel == "postal"


@pytest.mark.parametrize(("unit", "code"), [
    ("UBNDCL", "000.31.01.H38-251124-0001"),  # a ward's desk, for a department's procedure
    ("SXD", "000.00.14.H38-251124-0001"),  # another department's own desk
])
@pytest.mark.parametrize("channel", ["counter", "postal"])
def test_form_01_is_issued_by_the_unit_whose_desk_received_the_dossier(dossiers, emitter,
                                                                        unit, code, channel):
    submission = submitted().model_copy(update={"code": code, "channel": channel,
                                                "receiving_unit": unit})
    INTAKE.on_submitted(submission, dossiers, emitter)
    [accepted] = drain(emitter)
    INTAKE.follow(at(accepted, MONDAY + timedelta(minutes=30)), dossiers, emitter)

    [(row, facts)] = dossiers.forms
    assert row.form == "01" and facts.dossier_code == code
    assert facts.issuer == CATALOGUE.agencies[unit].name != CATALOGUE.agencies["STP"].name
    assert facts.place == CENTRE.province


def test_a_unit_the_catalogue_does_not_know_issues_as_the_centre(dossiers, emitter):
    submission = submitted().model_copy(update={"code": "999.99.99.X99-251124-0001",
                                                "channel": "postal"})
    INTAKE.on_submitted(submission, dossiers, emitter)
    [accepted] = drain(emitter)
    INTAKE.follow(at(accepted, MONDAY + timedelta(minutes=30)), dossiers, emitter)

    [(_, facts)] = dossiers.forms
    assert facts.issuer == CENTRE.name


def test_a_supplement_request_queues_form_02_with_what_is_missing(dossiers, emitter):
    requested = answered(dossiers, emitter, documents=1)

    [(row, facts)] = dossiers.forms
    assert isinstance(requested, SupplementRequested) and isinstance(facts, forms.SupplementRequest)
    assert row.form == "02"
    assert facts.missing_documents == list(RECORD.required_documents[1:])
    assert (facts.reason, facts.respond_by) == (requested.reason, requested.respond_by)
    assert facts.requested_by == facts.issuer == CENTRE.name


def test_the_events_of_the_agencies_and_the_desk_queue_forms_03_04_and_05(dossiers, emitter):
    accepted = answered(dossiers, emitter)
    appraisal = by("appraisal", "STP")
    apology = event(DelayApologized, producer=appraisal, cause=accepted, actor="officer:le.van.an",
                    reason="Cần xác minh với Công an tỉnh",
                    previous_due_at=accepted.dossier.due_at,
                    new_due_at=accepted.dossier.due_at + timedelta(days=5))
    withdrawal = event(WithdrawalRequested, producer=by("intake", "STP"), cause=apology,
                       reason="Đổi ý", confirmed_by="appraisal")
    stopped = event(DossierStopped, producer=appraisal, cause=withdrawal,
                    reason="Dừng giải quyết theo đề nghị của công dân: đổi ý")
    for step in (apology, withdrawal, stopped):
        INTAKE.follow(step, dossiers, emitter)

    [_, (row04, facts04), (row05, facts05)] = dossiers.forms
    assert (row04.form, row04.event_id, row05.form, row05.event_id) == (
        "04", apology.event_id, "05", stopped.event_id)
    assert isinstance(facts04, forms.Apology) and isinstance(facts05, forms.Stopping)
    agency = CATALOGUE.agencies["STP"].name
    assert (facts04.issuer, facts04.agency_name, facts04.officer) == (agency, agency, "le.van.an")
    assert (facts04.previous_due_at, facts04.new_due_at) == (apology.previous_due_at,
                                                             apology.new_due_at)
    assert facts05.reason == stopped.reason and facts05.issuer == CENTRE.name


def test_a_refusal_queues_form_03_with_the_reason_and_the_missing_documents(dossiers, emitter):
    INTAKE.on_submitted(submitted(documents=1), dossiers, emitter)
    [requested] = drain(emitter)
    refused = event(DossierRefused, producer=by("intake", "STP"), cause=requested,
                    reason="Không bổ sung hồ sơ đúng hạn", missing_documents=["Tờ khai"])
    INTAKE.follow(requested, dossiers, emitter)
    INTAKE.follow(refused, dossiers, emitter)

    (row, facts) = dossiers.forms[-1]
    assert row.form == "03" and isinstance(facts, forms.Refusal)
    assert (facts.reason, facts.missing_documents) == (refused.reason, ["Tờ khai"])


def test_other_events_queue_no_form(dossiers, emitter):
    accepted = answered(dossiers, emitter)
    appraised = event(DossierAppraised, producer=by("appraisal", "STP"), cause=accepted,
                      dossier=accepted.dossier, recommendation="approve", findings="Đủ")
    INTAKE.follow(appraised, dossiers, emitter)

    assert [row.form for row, _ in dossiers.forms] == ["01"]


def test_without_forms_configured_or_once_erased_nothing_is_queued(dossiers, emitter):
    quiet = Intake(CATALOGUE, WorkingCalendar())
    quiet.on_submitted(submitted(), dossiers, emitter)
    [accepted] = drain(emitter)
    quiet.follow(accepted, dossiers, emitter)
    assert dossiers.forms == []

    dossiers.person = lambda dossier: None  # type: ignore[method-assign]  (the key erased)
    apology = event(DelayApologized, producer=by("appraisal", "STP"), cause=accepted,
                    reason="Chậm", previous_due_at=accepted.dossier.due_at,
                    new_due_at=accepted.dossier.due_at + timedelta(days=5))
    INTAKE.follow(apology, dossiers, emitter)
    assert dossiers.forms == [] and dossiers.get(accepted.dossier_id).due_at == apology.new_due_at
