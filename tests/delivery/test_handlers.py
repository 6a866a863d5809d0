"""Delivery's handlers and decisions, called directly with a fake work-item repository and real
Emitters: the desk's and the post office's instances. Every channel under the automatic policy,
every officer's decision, and what each refuses. On time is judged against the first appointment
at the moment the result was ready, whoever delivers it and whenever."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import DOSSIER_TOPIC, uuid7
from motcua_contracts.delivery import ResultDelivered, ResultHandedToPost, ResultPickedUpByPost
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.signing import ResultSigned
from motcua_delivery.decisions import POSTAL, Deliver, HandOver, HandToPost, PickUp
from motcua_delivery.domain import check_tracking_number
from motcua_delivery.handlers import Delivery, delivery_stage
from motcua_runtime.officers import Officer
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, DOSSIER, OPEN
from motcua_runtime.work_queue import DecisionContext
from tests.fakes import FakeWorkItems, by, drain, emitted, event
from tests.personal import TEST_KEYS, opened

VN = timezone(timedelta(hours=7))
CATALOGUE = default_catalogue()
RECORD = CATALOGUE.procedures["2.000488"]  # STP; the desk hands over when officers are in charge
DUE = datetime(2025, 12, 8, 8, 0, tzinfo=VN)
ADDRESS = "Số 12, phường Kim Tân, tỉnh Lào Cai"
DELIVERY = Delivery(CATALOGUE)
BY_OFFICERS = Delivery(CATALOGUE, officers=True)
QUEUE = BY_OFFICERS.work_queue()


def signed(signed_at: datetime = DUE - timedelta(days=1), *, channel: str = "postal",
           due_at: datetime | None = DUE, rescheduled_from: datetime | None = None,
           dossier_id: uuid.UUID | None = None, address: str | None = ADDRESS) -> ResultSigned:
    facts = DossierFacts(code="000.00.15.H38-251124-0003", procedure_code=RECORD.code,
                         applicant_name="Trần Thị Bình",
                         received_at=datetime(2025, 11, 24, 8, 0, tzinfo=VN), due_at=due_at,
                         rescheduled_from=rescheduled_from, delivery_channel=channel,
                         delivery_address=address if channel == "postal" else None,
                         channel="online", data={"purpose": "Xin việc"})
    return event(ResultSigned, producer=by("signing", "STP"), dossier_id=dossier_id or uuid7(),
                 agency="STP", at=signed_at, dossier=facts, outcome="approved",
                 result_number="0007/2025/QĐ-STP", document_sha256="cd" * 32,
                 signed_at=signed_at)


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    """The competent agency's delivery instance (its one-stop desk)."""
    return Emitter(by("delivery", "STP"), DOSSIER_TOPIC)


@pytest.fixture
def post() -> Emitter:
    """The post office's own delivery instance."""
    return Emitter(by("delivery", "BUUDIEN"), DOSSIER_TOPIC)


def officer(name: str, agency: str = "STP", now: datetime | None = None) -> DecisionContext:
    # The repository the work queue preloads: the keys the receiver's name is sealed under.
    return DecisionContext(Officer(name, agency, "delivery"), now=now or datetime.now(timezone.utc),
                           repository=SimpleNamespace(keys=TEST_KEYS))


# -- the automatic policy, per channel --------------------------------------------------------

def test_at_the_counter_a_result_signed_before_the_appointment_is_delivered_on_time(items,
                                                                                    emitter):
    ready = signed(channel="counter")
    before = datetime.now(timezone.utc)

    DELIVERY.on_result_signed(ready, items, emitter)

    [delivered] = emitted(emitter)
    assert isinstance(delivered, ResultDelivered)
    assert (delivered.on_time, delivered.channel, delivered.actor) == (True, "counter", "auto")
    assert (delivered.received_by, delivered.post_office, delivered.tracking_number) == (
        None, None, None)
    assert before <= delivered.delivered_at <= datetime.now(timezone.utc)
    assert (delivered.dossier_id, delivered.agency) == (ready.dossier_id, "STP")
    assert (delivered.causation_id, delivered.causation_hash) == (ready.event_id, ready.hash)
    [item] = items.for_dossier(ready.dossier_id)
    assert (item.state, item.outcome, item.reason, item.closed_with_event) == (
        DONE, "delivered", None, delivered.event_id)
    assert item.context == {"result_number": "0007/2025/QĐ-STP",
                            "ready_at": ready.signed_at.isoformat()}


@pytest.mark.parametrize("policy", [DELIVERY, BY_OFFICERS], ids=["automatic", "officers"])
def test_online_the_result_is_made_available_at_once_even_with_officers(items, emitter, policy):
    ready = signed(channel="online")

    policy.on_result_signed(ready, items, emitter)

    [delivered] = emitted(emitter)
    assert (delivered.channel, delivered.on_time, delivered.actor) == ("online", True, "auto")
    assert items.for_dossier(ready.dossier_id)[0].state == DONE


def test_by_post_the_desk_hands_the_result_to_the_post_office(items, emitter):
    ready = signed(channel="postal")

    DELIVERY.on_result_signed(ready, items, emitter)

    [handed] = emitted(emitter)
    assert isinstance(handed, ResultHandedToPost)
    assert (handed.agency, handed.competent_agency, handed.producer.agency) == (
        "BUUDIEN", "STP", "STP")
    # The address as the facts carry it, sealed; the post office opens it.
    assert handed.address == ready.dossier.delivery_address
    assert (opened(handed.dossier_id, handed.address), handed.result_number, handed.ready_at) == (
        ADDRESS, "0007/2025/QĐ-STP", ready.signed_at)
    assert handed.dossier == ready.dossier
    assert handed.causation_id == ready.event_id
    [item] = items.for_dossier(ready.dossier_id)
    assert (item.kind, item.state, item.outcome, item.closed_with_event) == (
        DOSSIER, DONE, "handed_to_post", handed.event_id)


def handed_to_post(items: FakeWorkItems, emitter: Emitter, ready: ResultSigned,
                   policy: Delivery = DELIVERY) -> ResultHandedToPost:
    """The desk's hand-off to the post office: automatic, or an officer's decision."""
    policy.on_result_signed(ready, items, emitter)
    if policy.officers:
        desk = items.for_dossier(ready.dossier_id)[-1]
        QUEUE["hand-to-post"].apply(desk, HandToPost(), emitter, officer("mot.cua"))
    [handed] = drain(emitter)
    return handed


def test_the_post_office_picks_up_and_delivers_under_a_generated_number(items, emitter, post):
    ready = signed(channel="postal")
    handed = handed_to_post(items, emitter, ready)

    DELIVERY.on_result_handed_to_post(handed, items, post)

    picked, delivered = emitted(post)
    assert isinstance(picked, ResultPickedUpByPost) and isinstance(delivered, ResultDelivered)
    assert check_tracking_number(picked.tracking_number) == picked.tracking_number
    assert (picked.agency, picked.post_office, picked.producer.agency) == (
        "STP", "BUUDIEN", "BUUDIEN")
    assert (delivered.channel, delivered.agency, delivered.post_office,
            delivered.tracking_number) == ("postal", "STP", "BUUDIEN", picked.tracking_number)
    # Hash-linked: hand-off -> pick-up -> delivery.
    assert (picked.causation_id, picked.causation_hash) == (handed.event_id, handed.hash)
    assert (delivered.causation_id, delivered.causation_hash) == (picked.event_id, picked.hash)
    # Delivered days after the appointment, but the result was ready the day before it.
    assert delivered.delivered_at > DUE and delivered.on_time is True
    desk, office = items.for_dossier(ready.dossier_id)
    assert (office.kind, office.agency, office.state, office.closed_with_event) == (
        POSTAL, "BUUDIEN", DONE, delivered.event_id)
    assert opened(office.dossier_id, office.context["address"]) == ADDRESS


def test_a_result_ready_after_the_appointment_is_late_by_post_too(items, emitter, post):
    handed = handed_to_post(items, emitter, signed(DUE + timedelta(minutes=1)))

    DELIVERY.on_result_handed_to_post(handed, items, post)

    assert emitted(post)[1].on_time is False


def test_a_second_hand_off_to_the_post_office_is_rejected(items, emitter, post):
    handed = handed_to_post(items, emitter, signed())
    DELIVERY.on_result_handed_to_post(handed, items, post)
    replayed = event(ResultHandedToPost, producer=by("delivery", "STP"), cause=handed,
                     agency="BUUDIEN", **{k: getattr(handed, k) for k in (
                         "dossier", "competent_agency", "address", "result_number", "ready_at")})
    post.messages.clear()

    with pytest.raises(Rejected, match="already handed to delivery"):
        DELIVERY.on_result_handed_to_post(replayed, items, post)
    assert post.messages == []


def test_a_postal_dossier_without_an_address_is_rejected(items, emitter):
    with pytest.raises(Rejected, match="no postal address"):
        DELIVERY.on_result_signed(signed(address=None), items, emitter)
    assert emitter.messages == []


def test_the_desk_hands_to_the_configured_post_office(items, emitter):
    Delivery(CATALOGUE, post_office="SXD").on_result_signed(signed(), items, emitter)
    assert emitted(emitter)[0].agency == "SXD"


def test_a_result_signed_exactly_at_the_appointment_is_on_time(items, emitter):
    DELIVERY.on_result_signed(signed(DUE, channel="counter"), items, emitter)

    assert emitted(emitter)[0].on_time is True


def test_a_result_signed_after_the_appointment_is_late(items, emitter):
    ready = signed(DUE + timedelta(minutes=1), channel="counter")

    DELIVERY.on_result_signed(ready, items, emitter)

    [delivered] = emitted(emitter)
    assert (delivered.on_time, delivered.channel) == (False, "counter")
    assert items.for_dossier(ready.dossier_id)[0].reason == "late"


def test_a_rescheduled_dossier_is_late_even_within_its_new_appointment(items, emitter):
    new_due = DUE + timedelta(days=3)

    DELIVERY.on_result_signed(signed(DUE - timedelta(days=1), due_at=new_due, channel="online",
                                     rescheduled_from=DUE), items, emitter)

    assert emitted(emitter)[0].on_time is False


def test_a_result_returned_at_once_without_appointment_is_on_time(items, emitter):
    DELIVERY.on_result_signed(signed(due_at=None, channel="counter"), items, emitter)

    assert emitted(emitter)[0].on_time is True


def test_a_second_hand_off_of_the_same_dossier_is_rejected_and_emits_nothing(items, emitter):
    first = signed(channel="counter")
    DELIVERY.on_result_signed(first, items, emitter)

    with pytest.raises(Rejected, match="already handed to delivery"):
        DELIVERY.on_result_signed(signed(dossier_id=first.dossier_id), items, emitter)

    assert len(emitter.messages) == 1
    assert len(items.for_dossier(first.dossier_id)) == 1


def test_a_procedure_missing_from_the_catalogue_is_rejected(items, emitter):
    ready = signed()
    unknown = ready.model_copy(update={"dossier": ready.dossier.model_copy(
        update={"procedure_code": "9.999999"})})

    with pytest.raises(Rejected, match="9.999999"):
        DELIVERY.on_result_signed(unknown, items, emitter)

    assert emitter.messages == []


# -- the desk's decisions -----------------------------------------------------------------------

def waiting_at_the_desk(items: FakeWorkItems, emitter: Emitter, ready: ResultSigned) -> Any:
    BY_OFFICERS.on_result_signed(ready, items, emitter)
    [item] = items.for_dossier(ready.dossier_id)
    return item


@pytest.mark.parametrize("channel", ["counter", "postal"])
def test_with_officers_the_result_waits_at_the_desk(items, emitter, channel):
    item = waiting_at_the_desk(items, emitter, signed(channel=channel))

    assert (item.state, emitter.messages) == (OPEN, [])


def test_the_counter_hand_over_records_the_receiver_judged_by_when_the_result_was_ready(
        items, emitter):
    item = waiting_at_the_desk(items, emitter, signed(DUE - timedelta(hours=1), channel="counter"))
    handed_at = DUE + timedelta(days=4)  # collected late: not the agency's delay

    QUEUE["hand-over"].apply(item, HandOver(receiver_name="Trần Thị Bình",
                                            identity_checked=True),
                             emitter, officer("an", now=handed_at))

    [delivered] = emitted(emitter)
    assert (delivered.on_time, delivered.delivered_at, delivered.actor) == (
        True, handed_at, "officer:an")
    assert (delivered.channel, opened(delivered.dossier_id, delivered.received_by),
            delivered.receiver_relation, delivered.identity_checked) == (
        "counter", "Trần Thị Bình", "self", True)
    assert (item.state, item.decided_by, item.closed_with_event) == (
        DONE, "officer:an", delivered.event_id)


def test_an_authorised_receiver_shows_the_power_of_attorney(items, emitter):
    item = waiting_at_the_desk(items, emitter, signed(channel="counter"))
    body = HandOver(receiver_name="Trần Văn Cường", relation="authorised",
                    identity_checked=True)

    with pytest.raises(Rejected, match="power of attorney"):
        QUEUE["hand-over"].apply(item, body, emitter, officer("an"))
    assert (item.state, emitter.messages) == (OPEN, [])

    QUEUE["hand-over"].apply(item, body.model_copy(update={"authorisation": "GUQ 15/2025"}),
                             emitter, officer("an"))
    [delivered] = emitted(emitter)
    assert delivered.receiver_relation == "authorised"
    assert item.reason == "Ủy quyền: GUQ 15/2025"


@pytest.mark.parametrize("fields, reason", [
    ({"receiver_name": "Bình", "identity_checked": False}, "check the receiver's identity"),
    ({"receiver_name": "Bình 012345678901", "identity_checked": True}, "numbers are not recorded"),
    ({"receiver_name": "", "identity_checked": True}, "at least 1 character"),
    ({"receiver_name": "Bình"}, "identity_checked"),
])
def test_a_hand_over_without_an_identity_check_or_with_an_id_number_is_refused(fields, reason):
    with pytest.raises(ValidationError, match=reason):
        HandOver(**fields)


@pytest.mark.parametrize("channel, decision, body, hint", [
    ("postal", "hand-over", HandOver(receiver_name="Bình", identity_checked=True),
     "chose postal delivery, so hand-over does not apply; take hand-to-post"),
    ("counter", "hand-to-post", HandToPost(), "chose counter delivery, so hand-to-post does not "
                                              "apply; take hand-over"),
])
def test_a_desk_decision_for_another_channel_is_refused_with_the_right_one(
        items, emitter, channel, decision, body, hint):
    item = waiting_at_the_desk(items, emitter, signed(channel=channel))

    with pytest.raises(Rejected, match=hint):
        QUEUE[decision].apply(item, body, emitter, officer("an"))
    assert (item.state, emitter.messages) == (OPEN, [])


def test_the_desk_hands_a_postal_result_to_the_post_office(items, emitter):
    item = waiting_at_the_desk(items, emitter, signed(channel="postal"))

    QUEUE["hand-to-post"].apply(item, HandToPost(note="Giao bưu tá lúc 9h"), emitter,
                                officer("mot.cua"))

    [handed] = emitted(emitter)
    assert (handed.agency, handed.competent_agency, handed.actor) == (
        "BUUDIEN", "STP", "officer:mot.cua")
    assert (item.state, item.outcome, item.reason) == (DONE, "handed_to_post", "Giao bưu tá lúc 9h")


# -- the post office's decisions --------------------------------------------------------------

def at_the_post_office(items: FakeWorkItems, emitter: Emitter, post: Emitter,
                       ready: ResultSigned | None = None) -> Any:
    ready = ready or signed(channel="postal")
    handed = handed_to_post(items, emitter, ready, BY_OFFICERS)
    BY_OFFICERS.on_result_handed_to_post(handed, items, post)
    office = items.for_dossier(ready.dossier_id)[-1]
    assert (office.kind, office.agency, office.state, post.messages) == (
        POSTAL, "BUUDIEN", OPEN, [])
    return office


def test_the_post_office_records_the_pick_up_then_the_delivery(items, emitter, post):
    office = at_the_post_office(items, emitter, post)
    clerk = officer("buu.ta", "BUUDIEN")

    QUEUE["pick-up"].apply(office, PickUp(tracking_number="rr123456785vn"), post, clerk)
    [picked] = drain(post)
    assert (picked.tracking_number, picked.post_office, picked.agency, picked.actor) == (
        "RR123456785VN", "BUUDIEN", "STP", "officer:buu.ta")
    assert office.state == OPEN

    signed_for = clerk.now + timedelta(minutes=1)
    QUEUE["deliver"].apply(office, Deliver(delivered_at=signed_for, recipient="Trần Thị Bình"),
                           post, officer("buu.ta", "BUUDIEN", now=signed_for))
    [delivered] = drain(post)
    assert (delivered.channel, delivered.delivered_at,
            opened(delivered.dossier_id, delivered.received_by),
            delivered.tracking_number, delivered.on_time) == (
        "postal", signed_for, "Trần Thị Bình", "RR123456785VN", True)
    assert delivered.causation_id == picked.event_id
    assert (office.state, office.closed_with_event) == (DONE, delivered.event_id)


def test_the_post_office_cannot_deliver_before_picking_up_nor_pick_up_twice(items, emitter,
                                                                             post):
    office = at_the_post_office(items, emitter, post)
    clerk = officer("buu.ta", "BUUDIEN")
    deliver = Deliver(delivered_at=clerk.now, recipient="Bình")

    with pytest.raises(Rejected, match="record the pick-up"):
        QUEUE["deliver"].apply(office, deliver, post, clerk)
    QUEUE["pick-up"].apply(office, PickUp(tracking_number="RR123456785VN"), post, clerk)
    with pytest.raises(Rejected, match="already picked up as RR123456785VN"):
        QUEUE["pick-up"].apply(office, PickUp(tracking_number="RR000000005VN"), post, clerk)
    with pytest.raises(Rejected, match="in the future"):
        QUEUE["deliver"].apply(office, Deliver(delivered_at=clerk.now + timedelta(hours=1),
                                               recipient="Bình"), post, clerk)
    with pytest.raises(Rejected, match="before the pick-up"):
        QUEUE["deliver"].apply(office, Deliver(delivered_at=clerk.now - timedelta(hours=1),
                                               recipient="Bình"), post, clerk)
    assert len(post.messages) == 1 and office.state == OPEN


def test_a_mistyped_item_number_is_refused_at_the_body():
    with pytest.raises(ValidationError, match="wrong check digit"):
        PickUp(tracking_number="RR123456784VN")


def test_the_post_offices_decisions_do_not_apply_to_the_desks_item_nor_the_reverse(
        items, emitter, post):
    desk = waiting_at_the_desk(items, emitter, signed(channel="postal"))
    with pytest.raises(Rejected, match="post office's"):
        QUEUE["pick-up"].apply(desk, PickUp(tracking_number="RR123456785VN"), emitter,
                               officer("an"))
    QUEUE["hand-to-post"].apply(desk, HandToPost(), emitter, officer("an"))
    [handed] = drain(emitter)
    BY_OFFICERS.on_result_handed_to_post(handed, items, post)
    office = items.for_dossier(handed.dossier_id)[-1]
    with pytest.raises(Rejected, match="one-stop desk's"):
        QUEUE["hand-to-post"].apply(office, HandToPost(), post, officer("buu.ta", "BUUDIEN"))
    assert {name: sorted(d.kinds) for name, d in QUEUE.items()} == {
        "hand-over": [DOSSIER], "hand-to-post": [DOSSIER], "pick-up": [POSTAL],
        "deliver": [POSTAL]}


def test_the_stage_takes_signed_results_and_hand_offs_to_the_post_office():
    stage = delivery_stage(DELIVERY)

    # And a dossier imported with the old system's signed result (docs/legacy-import.md).
    assert set(stage.handlers) == {"ResultSigned", "ResultHandedToPost", "DossierImported"}
    assert set(DELIVERY.work_queue()) == {"hand-over", "hand-to-post", "pick-up", "deliver"}
