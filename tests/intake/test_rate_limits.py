"""Rate limits on intake's public endpoints, on real Postgres: a brute force of one code's ID
number is stopped within five guesses (429 with Retry-After, in English and Vietnamese) while
the applicant of another code, another client and a signed-in officer go on; each client's
lookups and writes are limited; the applicant's own lookup clears the code's count."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from motcua_runtime.db import create_engine
from motcua_runtime.officers import Officer
from motcua_runtime.rate_limits import RateLimitSettings, install_rate_limits
from tests.intake.tracking_rows import VN, dossier, entry, insert, tracking_app
from tests.officer_tokens import officer_token, verifier

NOW = datetime(2025, 12, 1, 10, 0, tzinfo=VN)
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
TARGET, OTHER, CLEARED = (dossier(received_at=MONDAY, status=4, id_number=n)
                          for n in ("010203004567", "020304005678", "030405006789"))
WRONG = [f"0102030045{n:02d}" for n in range(70, 90)]


@pytest.fixture(scope="module")
async def app(infra):
    database_url, _ = await infra.isolated("ratelimits")
    engine = create_engine(database_url)
    await insert(engine, TARGET, OTHER, CLEARED,
                 *(entry(d, "DossierSubmitted", MONDAY, "intake") for d in (TARGET, OTHER,
                                                                              CLEARED)))
    app = tracking_app(engine, NOW)
    install_rate_limits(app, RateLimitSettings(
        rate_limit_lookups="30/minute", rate_limit_guesses_per_code="5 per 10 minutes",
        rate_limit_writes="3/minute", rate_limit_reads="300/minute"), verifier())
    yield app
    await engine.dispose()


def client(app, address: str, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                             base_url="http://intake", headers=headers)


async def test_a_brute_force_of_one_codes_id_number_is_stopped_within_five_guesses(app):
    url = f"/api/dossiers/{TARGET.code}"
    async with client(app, "198.51.100.7") as attacker, client(app, "203.0.113.9") as citizen:
        answers = [await attacker.get(url, params={"id_number": n}) for n in WRONG[:8]]
        assert [a.status_code for a in answers] == [404] * 5 + [429] * 3
        refused = answers[5]
        assert 1 <= int(refused.headers["retry-after"]) <= 600
        assert "too many requests" in refused.json()["detail"]
        assert "thử lại sau" in refused.json()["message_vi"]
        # Another address gets no more guesses at that code, the right number included: the
        # count is the code's, not the client's...
        locked = await citizen.get(url, params={"id_number": "010203004567"})
        assert locked.status_code == 429 and "retry-after" in locked.headers
        page = await citizen.get("/tra-cuu", params={"code": TARGET.code,
                                                     "id_number": "010203004567"})
        assert page.status_code == 429 and "thử lại sau" in page.text
        # ...while every other dossier is followed as before, by the attacker too.
        other = await citizen.get(f"/api/dossiers/{OTHER.code}",
                                  params={"id_number": "020304005678"})
        assert other.status_code == 200 and other.json()["code"] == OTHER.code
        assert (await attacker.get(f"/api/dossiers/{OTHER.id}")).status_code == 200


async def test_the_applicants_own_lookup_clears_the_codes_failed_guesses(app):
    url = f"/api/dossiers/{CLEARED.code}"
    async with client(app, "192.0.2.44") as http:
        assert [(await http.get(url, params={"id_number": n})).status_code
                for n in WRONG[:4]] == [404] * 4
        assert (await http.get(url, params={"id_number": "030405006789"})).status_code == 200
        assert [(await http.get(url, params={"id_number": n})).status_code
                for n in WRONG[4:10]] == [404] * 5 + [429]


async def test_each_client_has_its_own_budget_of_lookups_and_writes(app):
    async with client(app, "192.0.2.10") as busy, client(app, "192.0.2.11") as calm, \
            client(app, "192.0.2.10", authorization="Bearer " + officer_token(
                Officer("le.tan", "STP", "intake"))) as officer:
        by_id = f"/api/dossiers/{OTHER.id}"
        assert {(await busy.get(by_id)).status_code for _ in range(30)} == {200}
        over = await busy.get(by_id)
        assert over.status_code == 429 and int(over.headers["retry-after"]) <= 60
        assert (await calm.get(by_id)).status_code == 200
        # A signed-in officer behind the same address is not a public client.
        assert (await officer.get(by_id)).status_code == 200
        # Writes: any POST counts, whatever it reaches; the fourth in a minute is refused.
        writes = [await calm.post("/api/procedures", json={}) for _ in range(4)]
        assert [w.status_code == 429 for w in writes] == [False, False, False, True]
        # A forged token is no token: the busy client stays limited.
        forged = await busy.get(by_id, headers={"authorization": "Bearer not.a.token"})
        assert forged.status_code == 429


def test_a_code_counts_in_its_files_and_forms_paths_too():
    from motcua_runtime.rate_limits import _code_of

    code = TARGET.code
    for path in (f"/api/dossiers/{code}", f"/api/dossiers/{code}/result",
                 f"/api/dossiers/{code}/forms", f"/api/dossiers/{code}/forms/01",
                 f"/api/dossiers/{code}/files/{'a' * 64}"):
        assert _code_of("GET", path, {}) == code.upper(), path
    assert _code_of("GET", f"/api/dossiers/{code}/forms/01/more", {}) is None
    assert _code_of("GET", "/api/dossiers/0190f1c2-0000-7000-8000-000000000000/forms", {}) is None
