"""A decision's form is made from its body's JSON schema in the stage's own OpenAPI document
(appraisal's, built here as the service builds it), and the submitted form is read back into
the body the stage takes."""

from __future__ import annotations

from motcua_appraisal.handlers import Appraisal, appraisal_stage
from motcua_appraisal.orm import WorkItem
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_delivery.handlers import Delivery, delivery_stage
from motcua_delivery.orm import WorkItem as DeliveryItem
from motcua_runtime.scope import AgencyScope
from motcua_runtime.work_queue import create_work_queue_api
from motcua_workspace.forms import decision_forms, read_form
from tests.officer_tokens import current_officer
from tests.support import signer_of


def openapi(stage, model, decisions, service: str) -> dict:
    signer = signer_of(service)
    app = create_work_queue_api(
        stage, model, decisions, sessions=None, producer=signer.producer, topic="t",
        current_officer=current_officer(service), on_commit=lambda: None, sign=signer.sign,
        scope=AgencyScope.shared(set()))
    return app.openapi()


def appraisal_openapi() -> dict:
    policy = Appraisal(default_catalogue(), WorkingCalendar(), officers=True)
    return openapi(appraisal_stage(policy), WorkItem, policy.work_queue(), "appraisal")


def test_each_decision_gets_the_fields_its_body_declares():
    recommend, supplement = decision_forms(appraisal_openapi(),
                                           ["recommend", "request-supplement"])
    assert recommend.title == "Trình kết quả thẩm định"
    fields = {f.name: f for f in recommend.fields}
    assert fields["recommendation"].widget == "select" and fields["recommendation"].required
    assert [value for value, _ in fields["recommendation"].choices] == ["approve", "deny"]
    assert fields["findings"].widget == "textarea" and fields["findings"].required
    fields = {f.name: f for f in supplement.fields}
    assert fields["missing_documents"].widget == "lines"
    assert fields["respond_within_days"].widget == "number"
    assert fields["respond_within_days"].default == 5 and not fields["respond_within_days"].required
    assert fields["reason"].required


def test_a_submitted_form_becomes_the_body_and_a_missing_required_field_an_error():
    supplement, = decision_forms(appraisal_openapi(), ["request-supplement"])
    body, errors = read_form(supplement, {"missing_documents": ["Bản sao CCCD\r\n\r\nSổ đỏ"],
                                          "reason": ["Thiếu giấy tờ"],
                                          "respond_within_days": ["7"]})
    assert errors == {}
    assert body == {"missing_documents": ["Bản sao CCCD", "Sổ đỏ"], "reason": "Thiếu giấy tờ",
                    "respond_within_days": 7}
    body, errors = read_form(supplement, {"reason": [" "], "respond_within_days": ["bảy"]})
    assert set(errors) == {"reason", "respond_within_days"}
    assert "lý do" in errors["reason"]


def test_a_checkbox_an_optional_text_and_a_time_in_vietnam_time():
    policy = Delivery(default_catalogue(), officers=True)
    document = openapi(delivery_stage(policy), DeliveryItem, policy.work_queue(), "delivery")
    hand_over, deliver = decision_forms(document, ["hand-over", "deliver"])
    fields = {f.name: f for f in hand_over.fields}
    assert fields["identity_checked"].widget == "checkbox"
    assert not fields["authorisation"].required and fields["authorisation"].widget == "text"
    body, errors = read_form(hand_over, {"receiver_name": ["Lò Văn Sáng"],
                                         "relation": ["self"]})
    assert errors == {} and body == {"receiver_name": "Lò Văn Sáng", "relation": "self",
                                     "identity_checked": False}
    body, errors = read_form(deliver, {"recipient": ["Lò Văn Sáng"],
                                       "delivered_at": ["2026-12-03T09:30"]})
    assert errors == {} and body["delivered_at"] == "2026-12-03T09:30:00+07:00"


def test_the_officers_full_name_comes_from_the_account_never_from_the_form():
    policy = Delivery(default_catalogue(), officers=True)
    document = openapi(delivery_stage(policy), DeliveryItem, policy.work_queue(), "delivery")
    forms = {f.name: f for f in decision_forms(document, ["hand-over", "deliver",
                                                          "hand-to-post"])}
    hand_over, deliver, to_post = forms["hand-over"], forms["deliver"], forms["hand-to-post"]
    assert "officer_full_name" in hand_over.schema["properties"]  # delivery takes it
    assert "officer_full_name" not in {f.name for f in hand_over.fields}  # no input for it
    account = {"officer_full_name": "Lò Văn Minh"}
    body, errors = read_form(hand_over, {"receiver_name": ["Lò Văn Sáng"],
                                         "identity_checked": ["true"],
                                         "officer_full_name": ["Người Giả Danh"]}, account)
    assert errors == {} and body["officer_full_name"] == "Lò Văn Minh"
    # The post office's delivery makes a hand-over record too: it takes the name as well.
    body, _ = read_form(deliver, {"recipient": ["Lò Văn Sáng"]}, account)
    assert body["officer_full_name"] == "Lò Văn Minh"
    body, _ = read_form(to_post, {"note": ["Gửi bảo đảm"]}, account)
    assert "officer_full_name" not in body  # a decision that does not take it gets none
