"""Each service holds only its own private key, encrypted at rest: the PEM file is encrypted under
MOTCUA_KEY_PASSPHRASE (or MOTCUA_KEY_PASSPHRASE_FILE) and does not load without it; a wrong or
missing passphrase says which variable to set; a service given nothing but the registry and its
own key file starts its Signer; rotation and revocation keep what was signed before verifying."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest
import structlog
from cryptography.hazmat.primitives import serialization

from motcua_contracts import new_event, uuid7
from motcua_contracts.shared import DelayApologized
from motcua_runtime.keys import (
    DEV_PASSPHRASE,
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    KeyProblem,
    create_key,
    encrypt_keys,
    load_registry,
    passphrase_from_env,
    private_key_path,
    read_private_key,
    revoke,
    rotate,
    signer_for,
    signer_from_settings,
)
from motcua_runtime.placeholders import environment_problems
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.trust import Verifier


def apology(signer, at: datetime):
    return new_event(DelayApologized, dossier_id=uuid7(), agency="STP", occurred_at=at,
                     producer=signer.producer, sign=signer.sign, reason="Thiếu cán bộ",
                     previous_due_at=at + timedelta(days=1), new_due_at=at + timedelta(days=3))


def verdict(registry_path, event):
    document = json.loads(event.model_dump_json())
    return Verifier(load_registry(registry_path.parent)).check(document, event.occurred_at)


# -- encrypted at rest ------------------------------------------------------------------------

def test_a_new_private_key_is_encrypted_and_does_not_load_without_the_passphrase(tmp_path):
    record = create_key(tmp_path, "intake", None, passphrase="correct horse")
    path = private_key_path(tmp_path, record.key_id)
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # cryptography itself needs the passphrase
        serialization.load_pem_private_key(path.read_bytes(), password=None)
    with pytest.raises(KeyProblem, match="set MOTCUA_KEY_PASSPHRASE or MOTCUA_KEY_PASSPHRASE_FILE"):
        read_private_key(path, passphrase="")
    assert signer_for(tmp_path, "intake", None, passphrase="correct horse").key_id == "intake-1"


def test_an_encrypted_key_without_a_passphrase_in_the_environment_names_the_variables(
        tmp_path, monkeypatch):
    create_key(tmp_path, "intake", None)  # under the session's MOTCUA_KEY_PASSPHRASE
    monkeypatch.delenv(PASSPHRASE_ENV)
    with pytest.raises(KeyProblem, match="encrypted and no passphrase is set: set "
                                         "MOTCUA_KEY_PASSPHRASE or MOTCUA_KEY_PASSPHRASE_FILE"):
        signer_for(tmp_path, "intake", None)
    with pytest.raises(KeyProblem, match="no passphrase to encrypt"):
        create_key(tmp_path, "appraisal", None)  # never written in clear


def test_a_wrong_passphrase_is_a_clear_key_problem(tmp_path):
    create_key(tmp_path, "signing", "STP", passphrase="the right one")
    with pytest.raises(KeyProblem, match="passphrase is wrong; set MOTCUA_KEY_PASSPHRASE"):
        signer_for(tmp_path, "signing", "STP", passphrase="a wrong one")


def test_the_passphrase_comes_from_the_variable_or_the_file_never_both(tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text("from the file\n")
    assert passphrase_from_env({PASSPHRASE_ENV: "from the variable"}) == "from the variable"
    assert passphrase_from_env({PASSPHRASE_FILE_ENV: str(secret)}) == "from the file"
    assert passphrase_from_env({PASSPHRASE_ENV: "", PASSPHRASE_FILE_ENV: ""}) is None
    with pytest.raises(KeyProblem, match="both MOTCUA_KEY_PASSPHRASE and "
                                         "MOTCUA_KEY_PASSPHRASE_FILE are set"):
        passphrase_from_env({PASSPHRASE_ENV: "a", PASSPHRASE_FILE_ENV: str(secret)})
    with pytest.raises(KeyProblem, match=f"MOTCUA_KEY_PASSPHRASE_FILE={tmp_path}/missing"):
        passphrase_from_env({PASSPHRASE_FILE_ENV: str(tmp_path / "missing")})


def test_a_key_written_in_clear_still_loads_with_a_warning_and_can_be_encrypted(tmp_path):
    record = create_key(tmp_path, "delivery", None, passphrase="p")
    path = private_key_path(tmp_path, record.key_id)
    clear = read_private_key(path, "p").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    path.write_bytes(clear)  # as a data folder made before encryption
    with structlog.testing.capture_logs() as logs:
        assert signer_for(tmp_path, "delivery", None).key_id == record.key_id
        signer_for(tmp_path, "delivery", None)
    assert [e["event"] for e in logs] == ["private key not encrypted at rest"]  # once
    assert encrypt_keys(tmp_path, passphrase="new") == [record.key_id]
    assert b"ENCRYPTED" in path.read_bytes()
    assert signer_for(tmp_path, "delivery", None, passphrase="new").key_id == record.key_id
    assert encrypt_keys(tmp_path, passphrase="new") == []


def test_the_development_passphrase_is_refused_outside_development(tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text(DEV_PASSPHRASE + "\n")
    for environ in ({PASSPHRASE_ENV: DEV_PASSPHRASE}, {PASSPHRASE_FILE_ENV: str(secret)}):
        problems = environment_problems(environ)
        assert len(problems) == 1 and problems[0].startswith(next(iter(environ))), problems
        assert DEV_PASSPHRASE not in problems[0]  # the name, never the value
        assert environment_problems({**environ, "MOTCUA_ENV": "development"}) == []
    secret.write_text("Zq4u7fA2kP-long-and-random\n")
    assert environment_problems({PASSPHRASE_FILE_ENV: str(secret)}) == []


# -- a service holds only its own key ---------------------------------------------------------

@pytest.fixture
def own_key_only(tmp_path):
    """What a container gets: the registry and one instance's key file, under a name that is not
    its key id (a Secret's key, a bind target), and no keys folder."""
    keys = tmp_path / "keys"
    create_key(keys, "appraisal", "STP")
    create_key(keys, "appraisal", None, except_agencies={"STP"})
    container = tmp_path / "container"
    container.mkdir()
    shutil.copy(keys / "registry.json", container / "registry.json")
    shutil.copy(private_key_path(keys, "appraisal.STP-1"), container / "signing-key.pem")
    return keys, container


def own_settings(container, **fields) -> ServiceSettings:
    return ServiceSettings(database_url="postgresql+asyncpg://x/y",
                           key_registry=container / "registry.json",
                           signing_key=container / "signing-key.pem", **fields)


def test_a_service_given_only_the_registry_and_its_own_key_starts_its_signer(own_key_only,
                                                                            monkeypatch):
    keys, container = own_key_only
    monkeypatch.delenv("MOTCUA_KEYS_DIR")
    settings = own_settings(container, agency="STP")
    assert settings.keys_dir is None
    signer = signer_from_settings(settings, "appraisal")
    assert signer.key_id == "appraisal.STP-1"
    event = apology(signer, datetime.now(timezone.utc))
    assert verdict(container / "registry.json", event) is None


def test_the_signing_key_setting_carries_the_stage_prefix(own_key_only, monkeypatch):
    from motcua_appraisal.settings import AppraisalSettings

    _, container = own_key_only
    monkeypatch.setenv("APPRAISAL_SIGNING_KEY", str(container / "signing-key.pem"))
    monkeypatch.setenv("MOTCUA_KEY_REGISTRY", str(container / "registry.json"))
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://x/y")
    settings = AppraisalSettings(agency="STP")
    assert settings.signing_key == container / "signing-key.pem"
    assert signer_from_settings(settings, "appraisal").key_id == "appraisal.STP-1"


def test_a_service_refuses_another_instances_key_and_a_key_no_longer_valid(own_key_only):
    keys, container = own_key_only
    with pytest.raises(KeyProblem, match="is appraisal.STP-1, which belongs to appraisal.STP, "
                                         "not to appraisal"):
        signer_from_settings(own_settings(container, except_agencies={"STP"}), "appraisal")
    revoke(keys, "appraisal.STP-1")
    shutil.copy(keys / "registry.json", container / "registry.json")
    with pytest.raises(KeyProblem, match="was revoked"):
        signer_from_settings(own_settings(container, agency="STP"), "appraisal")
    create_key(keys, "intake", None)
    shutil.copy(private_key_path(keys, "intake-1"), container / "signing-key.pem")
    with pytest.raises(KeyProblem, match="its public key is in no entry of"):
        signer_from_settings(own_settings(container, agency="STP"), "appraisal")


# -- rotation and revocation ------------------------------------------------------------------

def test_after_rotation_the_new_encrypted_key_signs_and_the_old_ones_past_still_verifies(
        tmp_path):
    create_key(tmp_path, "approval", "STP", passphrase="p")
    old = signer_for(tmp_path, "approval", "STP", passphrase="p")
    before = apology(old, datetime.now(timezone.utc) - timedelta(minutes=1))
    new = rotate(tmp_path, "approval", "STP", grace=timedelta(0), passphrase="p")
    assert b"ENCRYPTED" in private_key_path(tmp_path, new.key_id).read_bytes()
    signer = signer_for(tmp_path, "approval", "STP", passphrase="p")
    assert signer.key_id == new.key_id != old.key_id
    registry = tmp_path / "registry.json"
    assert verdict(registry, apology(signer, datetime.now(timezone.utc))) is None
    assert verdict(registry, before) is None
    late = apology(old, datetime.now(timezone.utc) + timedelta(seconds=1))
    assert "expired" in verdict(registry, late).reason


def test_the_verifier_refuses_what_a_key_signed_after_its_revocation_only(tmp_path):
    record = create_key(tmp_path, "approval", None)
    signer = signer_for(tmp_path, "approval", None)
    revoked_at = datetime.now(timezone.utc)
    before = apology(signer, revoked_at - timedelta(seconds=1))
    after = apology(signer, revoked_at + timedelta(seconds=1))
    registry = tmp_path / "registry.json"
    assert verdict(registry, after) is None  # not revoked yet: both verify
    revoke(tmp_path, record.key_id, at=revoked_at)
    assert verdict(registry, before) is None
    assert "was revoked" in verdict(registry, after).reason
