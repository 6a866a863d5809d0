"""Tokens (motcua_runtime.tokens): an officer's comes only from the token issuer's key, a
service's only from that service's own key, addressed to the service called and short-lived; no
service token can act as an officer or an administrator, and the old HS256 secret opens nothing."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from motcua_runtime import issuer_keys
from motcua_runtime.keys import KeyRegistry, Signer, create_key, load_registry, revoke, signer_for
from motcua_runtime.officers import InvalidToken, Officer
from motcua_runtime.tokens import IssuerKey, ServiceTokens, TokenVerifier
from tests.officer_tokens import ISSUER, officer_token, verifier
from tests.support import signer_of


def now() -> datetime:
    # Read when each test runs: a time taken at import is minutes old by the time a long
    # suite reaches these tests, and a token "from the future" has expired by then.
    return datetime.now(timezone.utc)


def claims_of(signer: Signer, **changes: object) -> dict[str, object]:
    """A service token's claims as ServiceTokens makes them, with `changes`."""
    token = ServiceTokens(signer).for_audience("signing")
    claims = jwt.decode(token, options={"verify_signature": False})
    return {**claims, **changes}


def test_an_officers_token_from_the_issuer_says_who_and_where():
    officer = Officer("lan", "STP", "appraisal")
    assert verifier("appraisal").read(officer_token(officer)) == officer


def test_a_service_token_names_its_instance_and_its_service_role():
    token = ServiceTokens(signer_of("intake")).for_audience("signing")
    caller = verifier("signing").read(token)
    assert (caller.name, caller.agency, caller.role) == ("intake", "*", "service:intake")
    assert caller.is_service
    agency_instance = ServiceTokens(signer_of("appraisal", "STP")).for_audience("signing")
    assert verifier("signing").read(agency_instance) == Officer(
        "appraisal.STP", "STP", "service:appraisal")


@pytest.mark.parametrize("role", ["admin", "manager", "appraisal", "service:signing"])
def test_a_service_token_cannot_carry_an_officers_or_another_services_role(role):
    signer = signer_of("intake")
    token = signer.sign_token(claims_of(signer, role=role))
    with pytest.raises(InvalidToken, match="signs only its own role service:intake"):
        verifier("signing").read(token)


def test_a_service_key_cannot_pass_as_the_issuer():
    """A service signing `iss` = the issuer with its own key: the issuer's key is not in the
    registry, and the service's key is not the issuer's."""
    signer = signer_of("intake")
    token = signer.sign_token(claims_of(signer, iss="motcua-tokens", aud="motcua",
                                        sub="root", agency="*", role="admin"))
    with pytest.raises(InvalidToken, match="not one this service trusts"):
        verifier("intake").read(token)


def test_a_key_signing_for_another_instance_is_refused():
    appraisal = signer_of("appraisal")
    token = appraisal.sign_token(claims_of(appraisal, iss="intake", sub="intake",
                                           role="service:intake"))
    with pytest.raises(InvalidToken, match="belongs to appraisal, not to 'intake'"):
        verifier("signing").read(token)


def test_a_key_outside_the_registry_is_refused():
    stranger = Signer("intake-99", "intake", None, Ed25519PrivateKey.generate())
    with pytest.raises(InvalidToken, match="not in the registry"):
        verifier("signing").read(ServiceTokens(stranger).for_audience("signing"))


def test_a_token_for_another_audience_is_refused():
    token = ServiceTokens(signer_of("intake")).for_audience("delivery")
    with pytest.raises(InvalidToken, match="not addressed to signing"):
        verifier("signing").read(token)


def test_an_expired_token_is_refused():
    old = now() - timedelta(minutes=20)
    service = ServiceTokens(signer_of("intake")).for_audience("signing", now=old)
    officer = officer_token(Officer("lan", "STP", "appraisal"), now=old,
                            valid_for=timedelta(minutes=5))
    for audience, token in (("signing", service), ("appraisal", officer)):
        with pytest.raises(InvalidToken, match="expired"):
            verifier(audience).read(token)


def test_a_token_not_valid_yet_is_refused():
    token = ServiceTokens(signer_of("intake")).for_audience(
        "signing", now=now() + timedelta(minutes=2))
    with pytest.raises(InvalidToken, match="not yet valid"):
        verifier("signing").read(token)


def test_a_long_lived_service_token_is_refused():
    long = ServiceTokens(signer_of("intake"), lifetime=timedelta(days=30))
    with pytest.raises(InvalidToken, match="at most 300 seconds"):
        verifier("signing").read(long.for_audience("signing"))


def test_a_revoked_key_signs_no_more_tokens():
    signer = signer_of("intake")
    registry = load_registry(Path(os.environ["MOTCUA_KEYS_DIR"]))
    registry = KeyRegistry({**registry.keys, signer.key_id: replace(
        registry.keys[signer.key_id], revoked_at=now() - timedelta(minutes=1))})
    revoked = TokenVerifier("signing", issuer_keys=ISSUER.public_keys, registry=registry)
    with pytest.raises(InvalidToken, match="was revoked"):
        revoked.read(ServiceTokens(signer).for_audience("signing"))


def test_a_key_revoked_in_the_registry_file_is_refused_from_the_next_request(tmp_path):
    record = create_key(tmp_path, "intake", None)
    signer = signer_for(tmp_path, "intake", None)
    live = TokenVerifier("signing", issuer_keys={}, registry=load_registry(tmp_path))
    assert live.read(ServiceTokens(signer).for_audience("signing")).role == "service:intake"
    revoke(tmp_path, record.key_id)
    with pytest.raises(InvalidToken, match="was revoked"):
        live.read(ServiceTokens(signer).for_audience("signing"))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the old default
def test_the_old_hs256_secret_opens_nothing():
    claims = {"sub": "root", "agency": "*", "role": "admin", "iss": "motcua-tokens",
              "aud": "motcua", "iat": now(), "exp": now() + timedelta(hours=1)}
    for secret in ("dev-only-change-me", "a-secret-long-enough-for-hs256-0123456789"):
        with pytest.raises(InvalidToken, match="signed with EdDSA, not HS256"):
            verifier().read(jwt.encode(claims, secret, algorithm="HS256"))
    unsigned = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(InvalidToken, match="not none"):
        verifier().read(unsigned)


def test_another_issuers_token_is_refused():
    with pytest.raises(InvalidToken, match="not one this service trusts"):
        verifier().read(IssuerKey.generate().issue(Officer("lan", "STP", "admin")))
    without_issuer = TokenVerifier("intake", issuer_keys={}, registry=None)
    with pytest.raises(InvalidToken, match="knows no token issuer"):
        without_issuer.read(officer_token(Officer("lan", "STP", "admin")))


def test_the_issuer_mints_no_service_role():
    with pytest.raises(ValueError, match="cannot carry role 'service:intake'"):
        ISSUER.issue(Officer("intake", "*", "service:intake"))


def test_issuer_keys_on_disk_rotate_keeping_the_previous_public_key(tmp_path):
    private, created = issuer_keys.create(tmp_path / "tokens")
    assert created and stat.S_IMODE(private.stat().st_mode) == 0o600
    assert issuer_keys.create(tmp_path / "tokens") == (private, False)
    before = IssuerKey(issuer_keys.load_private_key(private)).issue(Officer("a", "STP", "admin"))
    new_id = issuer_keys.rotate(tmp_path / "tokens")
    public = issuer_keys.load_public_keys(tmp_path / "tokens" / issuer_keys.PUBLIC_FILE)
    assert list(public)[0] == new_id and len(public) == 2
    rotated = TokenVerifier("intake", issuer_keys=public, registry=None)
    after = IssuerKey(issuer_keys.load_private_key(private)).issue(Officer("b", "STP", "admin"))
    assert [rotated.read(t).name for t in (before, after)] == ["a", "b"]


def test_an_encrypted_issuer_key_needs_its_passphrase(tmp_path):
    private, _ = issuer_keys.create(tmp_path, passphrase="correct horse")
    assert b"ENCRYPTED" in private.read_bytes()
    assert issuer_keys.load_private_key(private, "correct horse")
    with pytest.raises(issuer_keys.IssuerKeyProblem, match="MOTCUA_TOKEN_ISSUER_PASSPHRASE"):
        issuer_keys.load_private_key(private, "wrong")


def test_a_placeholder_public_key_file_is_refused(tmp_path):
    placeholder = tmp_path / "issuer.pub"
    placeholder.write_text("dev-only-change-me\n")
    with pytest.raises(issuer_keys.IssuerKeyProblem, match="no PEM public key"):
        issuer_keys.load_public_keys(placeholder)
    with pytest.raises(issuer_keys.IssuerKeyProblem, match="cannot read"):
        issuer_keys.load_public_keys(tmp_path)  # what Docker mounts for a missing file
