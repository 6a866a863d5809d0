"""The national portal's sync end to end: the stack as processes with the portal sync, against
the test portal in its own process (tests/portal/server.py). Dossiers on several paths
(refusal, supplement, fees with a consultation, withdrawal, postal delivery; and with officers
a return from approval and a denial) reach the portal through an outage (503 to everything), a
429 burst, a 5xx burst, slow answers (applied, but after our timeout) and expired sessions:
each dossier's record passes through its statuses and its progress rows are intake's timeline,
in order and each exactly once."""

from __future__ import annotations

import asyncio
import time
from itertools import groupby
from typing import Any

import httpx
import pytest

from motcua_portal.translation import PROGRESS_NOTES
from tests.e2e.test_paths import (
    BUSINESS,
    CRIMINAL_RECORD,
    SOCIAL_INSURANCE,
    document,
    portal_for,
    types,
)
from tests.portal.running import running_portal
from tests.support import decide, officer_headers, queue_of, running_stack, view_at

pytestmark = pytest.mark.e2e

POST_OFFICE = {"delivery": ["BUUDIEN"]}
# Quick retries for the test (production: 2 s doubling up to 10 minutes); a 1 s timeout, so
# that the slow answers (2.5 s) are unknown to the sender and looked up before a resend.
FAST = {"PORTAL_TIMEOUT_SECONDS": "1", "PORTAL_RETRY_FIRST_SECONDS": "0.3",
        "PORTAL_RETRY_MAX_SECONDS": "3", "PORTAL_POLL_SECONDS": "0.3",
        "PORTAL_FAILING_AFTER": "3"}


def expected_rows(view: dict[str, Any]) -> list[tuple[str, str]]:
    """The progress rows intake's timeline calls for: (NoiDungXuLy, TrangThai) per event."""
    return [(PROGRESS_NOTES[entry["type"]], str(entry["status_code"]))
            for entry in view["timeline"] if entry["type"] in PROGRESS_NOTES]


async def synced(test_portal, views: dict[str, dict[str, Any]], timeout: float = 180
                 ) -> dict[str, Any]:
    """What the portal holds once every dossier has all its rows (or fail naming those short)."""
    deadline = time.monotonic() + timeout
    while True:
        held = await test_portal.dossiers()
        short = {code: (len(held.get(code, {}).get("progress", [])), len(expected_rows(view)))
                 for code, view in views.items()
                 if len(held.get(code, {}).get("progress", [])) < len(expected_rows(view))}
        if not short:
            return held
        assert time.monotonic() < deadline, f"rows (held, expected) still short: {short}"
        await asyncio.sleep(0.5)


def assert_in_step(views: dict[str, dict[str, Any]], held: dict[str, Any]) -> None:
    """Each dossier's rows on the portal are its timeline's, in order and each once, and its
    record went through each of its statuses, in order, to its end."""
    for code, view in views.items():
        on_portal = held[code]
        rows = [(row["NoiDungXuLy"], row["TrangThai"]) for row in on_portal["progress"]]
        assert rows == expected_rows(view), code
        walked = [status for status, _ in groupby(on_portal["statuses"])]
        timeline = [str(status) for status, _ in groupby(
            entry["status_code"] for entry in view["timeline"])]
        assert walked == timeline, code
        assert on_portal["record"]["TrangThaiHoSo"] == str(view["status"]["code"])
        assert on_portal["record"]["MaHoSo"] == code


async def taken(test_portal, timeout: float = 60) -> None:
    """Until the portal has taken a service call (the sender holds a live session)."""
    deadline = time.monotonic() + timeout
    while not any(call["kind"] == "service" and call["status"] == 200
                  for call in await test_portal.received()):
        assert time.monotonic() < deadline, "the portal took no call"
        await asyncio.sleep(0.3)


async def test_every_path_reaches_the_portal_in_order_and_once_through_faults(infra, log_dir):
    database_url, topic = await infra.isolated("portal")
    with running_portal(log_dir / "test-portal.log") as test_portal, running_stack(
            infra, database_url, topic, log_dir, agencies=POST_OFFICE,
            env=test_portal.env(**FAST)) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            paths = await portal_for(client)
            await test_portal.faults(down=True)  # the portal is down from the start
            refused = await paths.file(BUSINESS, complete=False)
            supplemented = await paths.file(BUSINESS, complete=False)
            paying = await paths.file(CRIMINAL_RECORD, pay_fees=False, channel="online")
            withdrawing = await paths.file(CRIMINAL_RECORD, pay_fees=False, channel="counter")
            posted = await paths.file(SOCIAL_INSURANCE, delivery="postal")

            for dossier in (refused, supplemented):
                await paths.wait(dossier, 5)
            missing = paths.procedures[BUSINESS]["required_documents"][0]
            assert (await paths.act(supplemented, "supplement",
                                    documents=[document(missing)])).status_code == 202
            assert (await paths.act(refused, "supplement",
                                    documents=[document("Giấy tờ khác")])).status_code == 202
            for dossier in (paying, withdrawing):
                await paths.wait(dossier, 6)
            await asyncio.sleep(3)  # the outage lasts: the sender backs off
            # Back, but answering 429 to a burst of calls, then 500s, then slowly.
            await test_portal.faults(down=False, burst_429=6)
            await asyncio.sleep(2)
            await test_portal.faults(burst_5xx=4, slow_calls=3, slow_seconds=2.5)
            await taken(test_portal)  # the sender has a session again: let it expire
            await test_portal.faults(expire_sessions=True)
            assert (await paths.act(paying, "payment", amount=200_000,
                                    receipt_number="BL-1")).status_code == 202
            assert (await paths.act(withdrawing, "withdrawal",
                                    reason="Không còn nhu cầu")).status_code == 202

            ends = {refused["code"]: (refused, 3), supplemented["code"]: (supplemented, 10),
                    paying["code"]: (paying, 10), withdrawing["code"]: (withdrawing, 8),
                    posted["code"]: (posted, 10)}
            views = {code: await view_at(client, dossier, status)
                     for code, (dossier, status) in ends.items()}
            held = await synced(test_portal, views)
            await asyncio.sleep(2)  # anything sent twice would arrive now
            held = await test_portal.dossiers()
            received = await test_portal.received()

    assert "WithdrawalRequested" in types(views[withdrawing["code"]])
    assert_in_step(views, held)
    # Accepted (2), then being processed (4) as soon as the competent agency holds it.
    assert [s for s, _ in groupby(held[posted["code"]]["statuses"])][:3] == ["1", "2", "4"]
    assert types(views[posted["code"]])[1:3] == ["DossierAccepted", "DossierTakenOver"]
    assert {"FeesRequested", "FeesPaid", "ConsultationRequested"} <= set(
        types(views[paying["code"]]))
    assert "ResultHandedToPost" in types(views[posted["code"]])
    # The faults happened, and were got through.
    answers = [call["status"] for call in received]
    assert answers.count(503) >= 3 and answers.count(429) == 6 and answers.count(500) == 4
    assert answers.count(401) >= 1  # an expired session, then a new login
    assert sum(call["kind"] == "login" and call["status"] == 200 for call in received) >= 2
    # The slow answers were applied but unknown to the sender: it looked before sending a
    # progress row again, and a create the portal already had became an update.
    assert any(call["service"] == "TraCuuHoSo" and call["status"] == 200 for call in received) \
        or any(call["error_code"] == "-3" for call in received)


async def test_officers_returns_and_denials_reach_the_portal_through_a_429_burst(infra, log_dir):
    """Officers decide: a draft returned by approval and drafted again, and a denial (signed,
    then handed over); the portal is down and then answers 429s while they work."""
    database_url, topic = await infra.isolated("portal-officers")
    specialist = officer_headers("STP", "appraisal", "chuyen.vien")
    leader = officer_headers("STP", "approval", "lanh.dao")
    clerk = officer_headers("STP", "signing", "van.thu")
    desk = officer_headers("STP", "delivery", "mot.cua")
    with running_portal(log_dir / "test-portal.log") as test_portal, running_stack(
            infra, database_url, topic, log_dir, officers=True,
            env=test_portal.env(**FAST)) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client, \
                httpx.AsyncClient(base_url=stack.queue_url("appraisal")) as appraisal, \
                httpx.AsyncClient(base_url=stack.queue_url("approval")) as approval, \
                httpx.AsyncClient(base_url=stack.queue_url("signing")) as signing, \
                httpx.AsyncClient(base_url=stack.queue_url("delivery")) as delivery:
            paths = await portal_for(client)
            await test_portal.faults(down=True)
            returned = await paths.file(CRIMINAL_RECORD, channel="online", delivery="counter")
            denied = await paths.file(CRIMINAL_RECORD, channel="counter", delivery="counter")

            async def recommend(dossier: dict[str, Any]) -> None:
                item = await queue_of(appraisal, specialist, dossier["code"])
                await appraisal.post(f"/api/work-items/{item['id']}/claim", headers=specialist)
                response = await decide(appraisal, specialist, item, "recommend",
                                        recommendation="approve", findings="Đủ điều kiện")
                assert response.status_code == 200, response.text

            for dossier in (returned, denied):
                await recommend(dossier)
            draft = await queue_of(approval, leader, returned["code"])
            assert (await decide(approval, leader, draft, "return",
                                 reason="Bổ sung căn cứ pháp lý")).status_code == 200
            await test_portal.faults(down=False, burst_429=8)
            await recommend(returned)
            draft = await queue_of(approval, leader, returned["code"])
            assert (await decide(approval, leader, draft, "approve")).status_code == 200
            draft = await queue_of(approval, leader, denied["code"])
            assert (await decide(approval, leader, draft, "deny",
                                 reason="Không đủ điều kiện cấp")).status_code == 200
            for dossier in (returned, denied):
                sealed = await queue_of(signing, clerk, dossier["code"])
                assert (await decide(signing, clerk, sealed, "sign")).status_code == 200
                handover = await queue_of(delivery, desk, dossier["code"])
                assert (await decide(delivery, desk, handover, "hand-over",
                                     receiver_name="Trần Thị Bình", identity_checked=True)
                        ).status_code == 200
            views = {dossier["code"]: await view_at(client, dossier, 10)
                     for dossier in (returned, denied)}
            await synced(test_portal, views)
            await asyncio.sleep(2)  # anything sent twice would arrive now
            held = await test_portal.dossiers()
            received = await test_portal.received()

    assert "DossierReturned" in types(views[returned["code"]])
    assert "DossierDenied" in types(views[denied["code"]])
    assert_in_step(views, held)
    assert [row["NguoiXuLy"] for row in held[denied["code"]]["progress"]
            if row["NoiDungXuLy"] == "Từ chối giải quyết"] == ["officer:lanh.dao"]
    assert held[denied["code"]]["record"]["DanhSachGiayToKetQua"][0]["KetQua"] == "Từ chối"
    answers = [call["status"] for call in received]
    assert answers.count(503) >= 2 and answers.count(429) == 8
