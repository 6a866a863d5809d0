"""The pure part of crypto-shredding and the master key's rules: values seal and open under
their dossier's key only, an erased key says so, and the master key comes from the environment
or a file with the published development value refused outside development."""

from __future__ import annotations

import base64
import uuid

import pytest

from motcua_contracts.sealed import Sealed, SealedField
from motcua_privacy import (
    DEV_MASTER_KEY,
    MASTER_KEY_ENV,
    MASTER_KEY_FILE_ENV,
    Keyring,
    PersonalDataErased,
    PrivacyProblem,
    UnknownKey,
    generate_master_key,
    master_key_from_env,
    new_data_key,
    open_json,
    seal_json,
    unwrap,
    wrap,
)

PERSON = {"full_name": "Nguyễn Văn An", "id_number": "010203004567", "phone": "0912345678"}


def test_a_value_opens_under_its_dossiers_key_and_shows_nothing_in_clear():
    dossier, key = uuid.uuid4(), new_data_key()
    sealed = seal_json(key, dossier, PERSON)
    assert sealed.alg == "A256GCM" and sealed.key_id == str(dossier)
    text = sealed.model_dump_json()
    assert "010203004567" not in text and "Nguy" not in text
    assert open_json(key, dossier, sealed) == PERSON
    assert seal_json(key, dossier, PERSON).nonce != sealed.nonce  # a fresh nonce every time


def test_a_wrong_key_another_dossier_or_an_altered_ciphertext_does_not_open():
    dossier, key = uuid.uuid4(), new_data_key()
    sealed = seal_json(key, dossier, PERSON)
    with pytest.raises(PrivacyProblem, match="does not open"):
        open_json(new_data_key(), dossier, sealed)
    moved = sealed.model_copy(update={"key_id": str(other := uuid.uuid4())})
    with pytest.raises(PrivacyProblem, match="does not open"):
        open_json(key, other, moved)  # the dossier id is the associated data
    with pytest.raises(PrivacyProblem, match="not of dossier"):
        open_json(key, other, sealed)
    raw = bytearray(base64.b64decode(sealed.ciphertext))
    raw[0] ^= 1
    altered = sealed.model_copy(update={"ciphertext": base64.b64encode(bytes(raw)).decode()})
    with pytest.raises(PrivacyProblem, match="does not open"):
        open_json(key, dossier, altered)


def test_a_data_key_unwraps_only_under_its_master_key_and_for_its_dossier():
    master, dossier, key = base64.b64decode(generate_master_key()), uuid.uuid4(), new_data_key()
    wrapped = wrap(master, dossier, key)
    assert key not in wrapped and unwrap(master, dossier, wrapped) == key
    with pytest.raises(PrivacyProblem, match="master key"):
        unwrap(base64.b64decode(generate_master_key()), dossier, wrapped)
    with pytest.raises(PrivacyProblem, match="master key"):
        unwrap(master, uuid.uuid4(), wrapped)


def test_an_erased_key_is_a_clear_personal_data_erased_error():
    dossier, missing = uuid.uuid4(), uuid.uuid4()
    ring = Keyring(keys={dossier: new_data_key()})
    sealed = ring.seal(dossier, PERSON)
    assert ring.open(dossier, sealed) == PERSON
    erased = Keyring(erased={dossier: None})
    with pytest.raises(PersonalDataErased, match=f"personal data of dossier {dossier} erased"):
        erased.open(dossier, sealed)
    with pytest.raises(UnknownKey):
        ring.open(missing, sealed.model_copy(update={"key_id": str(missing)}))


def test_a_clear_value_of_schema_version_1_reads_as_sealed_with_alg_none():
    from pydantic import TypeAdapter

    adapter = TypeAdapter(SealedField)
    legacy = adapter.validate_python("Số 1 Hoàng Liên")
    assert legacy.alg == "none"
    assert Keyring().open(uuid.uuid4(), legacy) == "Số 1 Hoàng Liên"
    assert Keyring().open(uuid.uuid4(), adapter.validate_python(PERSON)) == PERSON
    assert isinstance(adapter.validate_python(Sealed.clear("", 1).model_dump()), Sealed)


def test_the_master_key_comes_from_the_environment_or_a_file_never_both(tmp_path):
    value = generate_master_key()
    assert master_key_from_env({MASTER_KEY_ENV: value}) == base64.b64decode(value)
    secret = tmp_path / "master.key"
    secret.write_text(value + "\n")
    assert master_key_from_env({MASTER_KEY_FILE_ENV: str(secret)}) == base64.b64decode(value)
    with pytest.raises(PrivacyProblem, match="both"):
        master_key_from_env({MASTER_KEY_ENV: value, MASTER_KEY_FILE_ENV: str(secret)})
    with pytest.raises(PrivacyProblem, match="no master key"):
        master_key_from_env({})
    with pytest.raises(PrivacyProblem, match="cannot read"):
        master_key_from_env({MASTER_KEY_FILE_ENV: str(tmp_path / "absent")})
    (tmp_path / "empty").write_text("")
    with pytest.raises(PrivacyProblem, match="empty"):
        master_key_from_env({MASTER_KEY_FILE_ENV: str(tmp_path / "empty")})
    with pytest.raises(PrivacyProblem, match="32 bytes"):
        master_key_from_env({MASTER_KEY_ENV: base64.b64encode(b"short").decode()})


def test_the_published_development_key_is_accepted_only_in_development(tmp_path):
    assert len(master_key_from_env({MASTER_KEY_ENV: DEV_MASTER_KEY,
                                    "MOTCUA_ENV": "development"})) == 32
    for environ in ({MASTER_KEY_ENV: DEV_MASTER_KEY},
                    {MASTER_KEY_ENV: DEV_MASTER_KEY, "MOTCUA_ENV": "production"}):
        with pytest.raises(PrivacyProblem, match="published placeholder") as refused:
            master_key_from_env(environ)
        assert DEV_MASTER_KEY not in str(refused.value)  # the variable is named, not the value
    secret = tmp_path / "dev.key"
    secret.write_text(DEV_MASTER_KEY)
    with pytest.raises(PrivacyProblem, match="published placeholder"):
        master_key_from_env({MASTER_KEY_FILE_ENV: str(secret)})
    # The services' start-up check refuses it as well (it ends in _KEY).
    from motcua_runtime.placeholders import environment_problems
    assert environment_problems({MASTER_KEY_ENV: DEV_MASTER_KEY})
    assert environment_problems({MASTER_KEY_FILE_ENV: str(secret)})
