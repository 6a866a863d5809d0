"""The three delivery channels end to end, on the embedded broker and Postgres with every service
as its own process and the post office (BUUDIEN) running its own delivery instance: at the
counter and online the competent agency's desk delivers; by post the desk hands the result to
the post office, whose instance records the pick-up with an item number and the delivery. The
topic carries each step signed by the agency entitled to it, intake's tracking API shows the
postal steps, and a step signed with the other side's key is dead-lettered. Then officers take
the same decisions over HTTP, from the desk's and the post office's queues."""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_contracts import DLQ_SUFFIX, Headers, uuid7
from motcua_contracts.delivery import check_tracking_number
from motcua_runtime.kafka import create_producer
from tests.support import (
    decide,
    header,
    officer_headers,
    queue_of,
    read_topic,
    resigned,
    running_stack,
    view_at,
)

pytestmark = pytest.mark.e2e

SOCIAL_INSURANCE = "1.001612"  # BHXH, free, automatic at every stage
LAND_CERTIFICATE = "1.012790"  # STNMT, free, officers at every stage
POST_OFFICE = {"delivery": ["BUUDIEN"]}


async def file(client: httpx.AsyncClient, procedure: str, delivery: str,
               rng: random.Random) -> dict[str, Any]:
    catalogue = {p["code"]: p for p in (await client.get("/api/procedures")).json()}
    await upload_sample_files(client, [catalogue[procedure]])
    body = sample_submission(catalogue[procedure], rng, channel="online", delivery=delivery)
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 202, response.text
    return {**response.json(), "address": body["delivery"]["address"]}


def events_of(records: list, dossier_id: str) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records if r.key == dossier_id.encode()]


async def publish(bootstrap: str, topic: str, record: Any, document: bytes,
                  agency: str) -> None:
    """A forged event, with the headers a consumer routes on (agency: whose instance acts)."""
    headers = [(k, v) for k, v in record.headers if k not in (Headers.EVENT_ID, Headers.AGENCY)]
    headers += [(Headers.EVENT_ID, json.loads(document)["event_id"].encode()),
                (Headers.AGENCY, agency.encode())]
    producer = create_producer(bootstrap, "forger")
    await producer.start()
    try:
        await producer.send_and_wait(topic, document, key=record.key, headers=headers)
    finally:
        await producer.stop()


async def test_each_channel_delivers_from_the_agency_entitled_to_it(infra, log_dir):
    database_url, topic = await infra.isolated("channels")
    rng = random.Random(11)
    with running_stack(infra, database_url, topic, log_dir, agencies=POST_OFFICE) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            dossiers = {channel: await file(client, SOCIAL_INSURANCE, channel, rng)
                        for channel in ("counter", "postal", "online")}
            views = {channel: await view_at(client, dossier, 10)
                     for channel, dossier in dossiers.items()}
            records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1.0)

            # Forgeries: the desk's key signing the post office's pick-up, and the post office's
            # key signing the desk's hand-off (to the post office's own instance).
            postal_id = dossiers["postal"]["dossier_id"]
            pick_up = next(r for r in records if r.key == postal_id.encode()
                           and header(r, Headers.TYPE) == "ResultPickedUpByPost")
            hand_off = next(r for r in records if r.key == postal_id.encode()
                            and header(r, Headers.TYPE) == "ResultHandedToPost")
            forged_pick_up = resigned(json.loads(pick_up.value) | {"event_id": str(uuid7())},
                                      "delivery", "BHXH")
            forged_hand_off = resigned(json.loads(hand_off.value) | {"event_id": str(uuid7())},
                                       "delivery", "BUUDIEN")
            await publish(infra.bootstrap_servers, topic, pick_up, forged_pick_up, "BHXH")
            await publish(infra.bootstrap_servers, topic, hand_off, forged_hand_off, "BUUDIEN")
            dead = await read_topic(infra.bootstrap_servers, topic + DLQ_SUFFIX, quiet_seconds=3,
                                    timeout=30)

    # Counter and online: the desk delivers directly; nothing goes to the post office.
    for channel in ("counter", "online"):
        history = events_of(records, dossiers[channel]["dossier_id"])
        assert [e["type"] for e in history][-2:] == ["ResultSigned", "ResultDelivered"]
        delivered = history[-1]
        assert (delivered["channel"], delivered["agency"], delivered["producer"]["service"],
                delivered["post_office"]) == (channel, "BHXH", "delivery", None)
        assert delivered["producer"]["agency"] is None  # the shared instance serves BHXH

    # By post: the desk hands over (to BUUDIEN), the post office's own instance does the rest.
    history = events_of(records, postal_id)
    handed, picked, delivered = history[-3:]
    assert [e["type"] for e in history[-4:]] == [
        "ResultSigned", "ResultHandedToPost", "ResultPickedUpByPost", "ResultDelivered"]
    assert (handed["agency"], handed["competent_agency"], handed["producer"]["agency"]) == (
        "BUUDIEN", "BHXH", None)
    assert handed["address"] == handed["dossier"]["delivery_address"]
    for step in (picked, delivered):
        assert (step["agency"], step["producer"]["agency"], step["producer"]["key_id"]) == (
            "BHXH", "BUUDIEN", "delivery.BUUDIEN-1")
    number = picked["tracking_number"]
    assert check_tracking_number(number) == number == delivered["tracking_number"]
    assert (delivered["channel"], delivered["post_office"]) == ("postal", "BUUDIEN")
    assert delivered["causation_id"] == picked["event_id"]
    assert picked["causation_id"] == handed["event_id"]
    header_agencies = [header(r, Headers.AGENCY) for r in records if r.key == postal_id.encode()]
    assert header_agencies[-3:] == ["BUUDIEN", "BHXH", "BHXH"]

    # Intake's tracking API: status 10 with the postal steps and the post office's row.
    view = views["postal"]
    timeline = [(e["type"], e["agency"]) for e in view["timeline"]][-3:]
    assert timeline == [("ResultHandedToPost", "BHXH"), ("ResultPickedUpByPost", "BUUDIEN"),
                        ("ResultDelivered", "BUUDIEN")]
    assert number in view["timeline"][-1]["note"]
    post_row = view["control_sheet"][-1]
    assert (post_row["kind"], post_row["agency"], post_row["result"]) == ("postal", "BUUDIEN",
                                                                          None)
    assert view["timeline"][-1]["status_code"] == 10
    assert [e["status_code"] for e in view["timeline"][-4:-1]] == [9, 9, 9]
    for channel in ("counter", "online"):
        assert views[channel]["timeline"][-1]["type"] == "ResultDelivered"

    # The forgeries changed nothing and were dead-lettered with the reason.
    reasons = {(header(r, Headers.DLQ_CONSUMER), r.value): header(r, Headers.DLQ_REASON)
               for r in dead}
    assert reasons["intake", forged_pick_up] == (
        "entitlement: ResultPickedUpByPost for agency BUUDIEN signed with key delivery.BHXH-1 "
        "of agency BHXH")
    for consumer in ("intake", "delivery.BUUDIEN"):
        assert reasons[consumer, forged_hand_off] == (
            "entitlement: ResultHandedToPost for agency BHXH signed with key "
            "delivery.BUUDIEN-1 of agency BUUDIEN")


async def test_the_desk_and_the_post_office_decide_from_their_queues(infra, log_dir):
    database_url, topic = await infra.isolated("desk")
    rng = random.Random(12)
    specialist = officer_headers("STNMT", "appraisal", "chuyen.vien")
    leader = officer_headers("STNMT", "approval", "lanh.dao")
    clerk = officer_headers("STNMT", "signing", "van.thu")
    desk = officer_headers("STNMT", "delivery", "mot.cua")
    postman = officer_headers("BUUDIEN", "delivery", "buu.ta")
    with running_stack(infra, database_url, topic, log_dir, agencies=POST_OFFICE,
                       officers=True) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client, \
                httpx.AsyncClient(base_url=stack.queue_url("appraisal")) as appraisal, \
                httpx.AsyncClient(base_url=stack.queue_url("approval")) as approval, \
                httpx.AsyncClient(base_url=stack.queue_url("signing")) as signing, \
                httpx.AsyncClient(base_url=stack.queue_url("delivery")) as delivery, \
                httpx.AsyncClient(base_url=stack.queue_url("delivery.BUUDIEN")) as post:
            counter = await file(client, LAND_CERTIFICATE, "counter", rng)
            postal = await file(client, LAND_CERTIFICATE, "postal", rng)
            for dossier in (counter, postal):  # to a signed result, as officers decide
                item = await queue_of(appraisal, specialist, dossier["code"])
                assert (await decide(appraisal, specialist, item, "recommend",
                                     recommendation="approve", findings="Đủ điều kiện")
                        ).status_code == 200
                item = await queue_of(approval, leader, dossier["code"])
                assert (await decide(approval, leader, item, "approve")).status_code == 200
                item = await queue_of(signing, clerk, dossier["code"])
                assert (await decide(signing, clerk, item, "sign")).status_code == 200

            # At the counter: the wrong channel's decision and an unchecked identity are refused.
            item = await queue_of(delivery, desk, counter["code"])
            assert item["decisions"] == ["hand-over", "hand-to-post"]
            wrong = await decide(delivery, desk, item, "hand-to-post")
            assert wrong.status_code == 409
            assert "chose counter delivery" in wrong.json()["detail"]
            unchecked = await decide(delivery, desk, item, "hand-over",
                                     receiver_name="Lò Văn Sáng", identity_checked=False)
            assert unchecked.status_code == 422
            assert "identity paper" in unchecked.json()["detail"]
            handed = await decide(delivery, desk, item, "hand-over", receiver_name="Lò Văn Sáng",
                                  relation="self", identity_checked=True)
            assert handed.status_code == 200, handed.text
            assert handed.json()["events"] == ["ResultDelivered"]

            # By post: the desk hands over; the post office picks up, then delivers.
            item = await queue_of(delivery, desk, postal["code"])
            assert (await decide(delivery, desk, item, "hand-over", receiver_name="A",
                                 identity_checked=True)).status_code == 409
            assert (await decide(delivery, desk, item, "hand-to-post")).json()["events"] == [
                "ResultHandedToPost"]
            parcel = await queue_of(post, postman, postal["code"], kind="postal")
            assert parcel["agency"] == "BUUDIEN" and parcel["decisions"] == ["deliver", "pick-up"]
            # Sealed at rest, opened for the post office that must deliver there.
            assert parcel["context"]["address"] == postal["address"]
            url = f"/api/work-items/{parcel['id']}"
            assert (await post.get(url, headers=desk)).status_code == 403  # not the desk's item
            early = await decide(post, postman, parcel, "deliver", recipient="Lò Văn Sáng",
                                 delivered_at=datetime.now(timezone.utc).isoformat())
            assert early.status_code == 409 and "pick-up" in early.json()["detail"]
            mistyped = await decide(post, postman, parcel, "pick-up",
                                    tracking_number="RR123456784VN")
            assert mistyped.status_code == 422
            assert "check digit" in mistyped.json()["detail"]
            assert (await decide(post, postman, parcel, "pick-up",
                                 tracking_number="RR123456785VN")).status_code == 200
            done = await decide(post, postman, parcel, "deliver", recipient="Lò Văn Sáng",
                                delivered_at=datetime.now(timezone.utc).isoformat())
            assert done.status_code == 200, done.text

            counter_view = await view_at(client, counter, 10)
            postal_view = await view_at(client, postal, 10)

    assert counter_view["timeline"][-1]["actor"] == "officer:mot.cua"
    counter_note = counter_view["timeline"][-1]["note"]  # who received it stays in the event
    assert "người nộp hồ sơ" in counter_note and "giấy tờ tùy thân" in counter_note
    assert "Lò Văn Sáng" not in counter_note
    steps = [(e["type"], e["actor"]) for e in postal_view["timeline"]][-3:]
    assert steps == [("ResultHandedToPost", "officer:mot.cua"),
                     ("ResultPickedUpByPost", "officer:buu.ta"),
                     ("ResultDelivered", "officer:buu.ta")]
    assert "RR123456785VN" in postal_view["timeline"][-1]["note"]
