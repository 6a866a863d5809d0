"""Who the hand-over record names as the unit that handed the result over (its heading and the
hand-over sentence): the post office for the post office's own item, once an officer recorded
who signed for it; at the counter, the unit whose one-stop desk received the dossier (the
commune centre, an agency's own desk, the centre), as the form 01 it issued; a dossier filed on
the portal, the competent agency's commune centre when it is a commune's unit, else the
centre."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from motcua_catalogue.catalogue import configured_catalogue, default_catalogue
from motcua_catalogue.centre import Centre
from motcua_contracts import DOSSIER_TOPIC
from motcua_contracts.dossier import DossierFacts
from motcua_delivery import decisions
from motcua_delivery.decisions import HANDED_OVER, POSTAL, Deliver, HandOver, PickUp
from motcua_delivery.record import HandOverRecords, delivering_unit
from motcua_runtime.stage import Emitter
from motcua_runtime.work_items import DOSSIER
from tests.delivery.test_handlers import (
    QUEUE,
    at_the_post_office,
    officer,
    signed,
    waiting_at_the_desk,
)
from tests.fakes import FakeWorkItems, by
from tests.personal import opened

CENTRE = Centre(name="Trung tâm Phục vụ hành chính công tỉnh Lào Cai")
TESTS = default_catalogue()  # the tests' catalogue: UBNDCL is Cốc Lếu's People's Committee
LAO_CAI = configured_catalogue({})  # the shipped one, where communes are of level "commune"
VN = timezone(timedelta(hours=7))


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(by("delivery", "STP"), DOSSIER_TOPIC)  # the competent agency's desk


@pytest.fixture
def post() -> Emitter:
    return Emitter(by("delivery", "BUUDIEN"), DOSSIER_TOPIC)  # the post office's instance


def desk_item(agency: str, code: str, *, channel: str = "counter",
              receiving_unit: str | None = None) -> SimpleNamespace:
    facts = DossierFacts(code=code, procedure_code="2.000488", applicant_name="Trần Thị Bình",
                         received_at=datetime(2026, 12, 1, 8, tzinfo=VN),
                         delivery_channel="counter", channel=channel,
                         receiving_unit=receiving_unit)
    return SimpleNamespace(kind=DOSSIER, agency=agency, facts=lambda: facts)


@pytest.mark.parametrize(("item", "catalogue", "unit"), [
    # Received at the commune's desk (its receiving unit), or by its code's e-ID (older facts).
    (desk_item("STP", "000.31.01.H38-261201-0001", receiving_unit="UBNDCL"), TESTS,
     "Ủy ban nhân dân phường Cốc Lếu"),
    (desk_item("STP", "000.31.01.H38-261201-0001"), TESTS, "Ủy ban nhân dân phường Cốc Lếu"),
    # At the agency's own desk, and at the centre's.
    (desk_item("STP", "000.00.15.H38-261201-0001"), TESTS, "Sở Tư pháp tỉnh Lào Cai"),
    (desk_item("STP", "000.00.01.H38-261201-0001", receiving_unit="TTPVHCC"), LAO_CAI,
     "Trung tâm Phục vụ hành chính công tỉnh Lào Cai"),
    # On the portal: the provincial agency's result is collected at the centre, a commune's
    # at its commune centre.
    (desk_item("STP", "000.00.15.H38-261201-0001", channel="online"), TESTS, CENTRE.name),
    (desk_item("UBNDPLC", "000.31.01.H38-261201-0001", channel="online"), LAO_CAI,
     "Ủy ban nhân dân phường Lào Cai"),
    # A unit the catalogue does not know: the centre.
    (desk_item("STP", "999.99.99.X99-261201-0001", receiving_unit="NOPE"), TESTS, CENTRE.name),
    (SimpleNamespace(kind=POSTAL, agency="BUUDIEN"), TESTS, "Bưu điện tỉnh Lào Cai"),
], ids=["commune-unit", "commune-by-code", "agency-desk", "centre", "portal-provincial",
        "portal-commune", "unknown", "post-office"])
def test_the_delivering_unit(item, catalogue, unit):
    assert delivering_unit(item, catalogue, CENTRE) == unit


def test_the_post_offices_delivery_to_a_recorded_recipient_has_a_record_in_its_name(
        items, emitter, post):
    office = at_the_post_office(items, emitter, post)
    QUEUE["pick-up"].apply(office, PickUp(tracking_number="RR123456785VN"), post,
                           officer("buu.ta", "BUUDIEN"))
    signed_for = datetime.now(timezone.utc)
    QUEUE["deliver"].apply(office, Deliver(delivered_at=signed_for, recipient="Lê Văn Cường",
                                           officer_full_name=" Phạm  Thị Hoa "),
                           post, officer("buu.ta", "BUUDIEN", now=signed_for))

    handed = office.context[HANDED_OVER]
    assert (handed["relation"], handed["identity_checked"], handed["at"]) == (
        "addressee", None, signed_for.isoformat())
    assert opened(office.dossier_id, handed["received_by"]) == "Lê Văn Cường"
    facts = HandOverRecords(TESTS, CENTRE, "https://dvc.example").facts(
        office, handed, "Lê Văn Cường", "Trần Thị Bình")
    assert (facts.issuer, facts.deliverer, facts.officer, facts.relation,
            facts.identity_checked, facts.result_number) == (
        "Bưu điện tỉnh Lào Cai", "post", "Phạm Thị Hoa", "addressee", None,
        "0007/2025/QĐ-STP")


def test_the_desks_counter_hand_over_names_the_desk_that_received_the_dossier(items, emitter):
    # tests.delivery.test_handlers' dossier: filed on the portal, STP's (a provincial agency).
    item = waiting_at_the_desk(items, emitter, signed(channel="counter"))
    QUEUE["hand-over"].apply(item, HandOver(receiver_name="Trần Thị Bình",
                                            identity_checked=True), emitter, officer("an"))
    facts = HandOverRecords(TESTS, CENTRE, "https://dvc.example").facts(
        item, item.context[HANDED_OVER], "Trần Thị Bình", "Trần Thị Bình")
    assert (facts.issuer, facts.deliverer, facts.identity_checked) == (
        CENTRE.name, "desk", True)


def test_the_post_offices_automatic_delivery_records_no_hand_over(items, emitter, post):
    office = at_the_post_office(items, emitter, post)
    now = datetime.now(timezone.utc)
    decisions.pick_up(office, post, tracking_number="RR123456785VN", now=now)
    decisions.deliver_by_post(office, post, delivered_at=now, now=now)  # nobody recorded
    assert office.outcome == "delivered" and HANDED_OVER not in office.context
