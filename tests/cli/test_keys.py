"""`motcua keys`: development keys encrypted under the published `dev-only-` passphrase unless
MOTCUA_KEY_PASSPHRASE[_FILE] says otherwise; rotation writes the new key encrypted too;
`keys encrypt` encrypts a folder made before; each process of `motcua up` is told of its own
private key alone."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from motcua_cli.keys import own_key_env, passphrase_env
from motcua_cli.main import main
from motcua_runtime.keys import (
    DEV_PASSPHRASE,
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    KeyProblem,
    load_registry,
    private_key_path,
    read_private_key,
    signer_for,
)


def motcua(capsys, data_dir, *argv: str) -> str:
    assert main(["--data-dir", str(data_dir), *argv]) == 0
    return capsys.readouterr().out


@pytest.fixture(autouse=True)
def _no_configured_passphrase(monkeypatch):
    for name in ("MOTCUA_KEYS_DIR", PASSPHRASE_ENV, PASSPHRASE_FILE_ENV):
        monkeypatch.delenv(name, raising=False)


def test_init_encrypts_with_the_development_passphrase_and_says_so(tmp_path, capsys):
    out = motcua(capsys, tmp_path, "keys", "init")
    assert "development passphrase" in out and PASSPHRASE_ENV in out
    keys = tmp_path / "keys"
    path = private_key_path(keys, "intake-1")
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert DEV_PASSPHRASE.startswith("dev-only-")  # so placeholders.py refuses it in production
    with pytest.raises(KeyProblem, match="set MOTCUA_KEY_PASSPHRASE or MOTCUA_KEY_PASSPHRASE_FILE"):
        signer_for(keys, "intake", None)
    assert signer_for(keys, "intake", None, passphrase=DEV_PASSPHRASE).key_id == "intake-1"


def test_init_and_rotate_use_the_passphrase_file(tmp_path, capsys, monkeypatch):
    secret = tmp_path / "passphrase"
    secret.write_text("a real one\n")
    monkeypatch.setenv(PASSPHRASE_FILE_ENV, str(secret))
    assert "development passphrase" not in motcua(capsys, tmp_path, "keys", "init")
    out = motcua(capsys, tmp_path, "keys", "rotate", "approval", "--grace-hours", "1")
    assert "new key approval-2 (encrypted)" in out and "approval-2.pem" in out
    keys = tmp_path / "keys"
    for key_id in ("approval-1", "approval-2"):
        with pytest.raises(KeyProblem, match="passphrase is wrong"):
            read_private_key(private_key_path(keys, key_id), DEV_PASSPHRASE)
    assert signer_for(keys, "approval", None).key_id == "approval-2"


def test_keys_encrypt_encrypts_a_folder_made_in_clear_and_needs_a_passphrase(tmp_path, capsys,
                                                                             monkeypatch):
    motcua(capsys, tmp_path, "keys", "init")
    keys = tmp_path / "keys"
    path = private_key_path(keys, "signing-1")
    key = read_private_key(path, DEV_PASSPHRASE)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    with pytest.raises(SystemExit, match="set MOTCUA_KEY_PASSPHRASE or"):
        main(["--data-dir", str(tmp_path), "keys", "encrypt"])
    monkeypatch.setenv(PASSPHRASE_ENV, DEV_PASSPHRASE)
    assert "encrypted signing-1" in motcua(capsys, tmp_path, "keys", "encrypt")
    assert b"ENCRYPTED" in path.read_bytes()
    assert "all already encrypted" in motcua(capsys, tmp_path, "keys", "encrypt")


def test_each_process_is_told_of_its_own_key_and_the_passphrase(tmp_path, capsys, monkeypatch):
    motcua(capsys, tmp_path, "keys", "init", "--instance", "appraisal:STP")
    keys = tmp_path / "keys"
    registry = load_registry(keys)
    assert own_key_env(keys, registry, "appraisal", "STP") == {
        "APPRAISAL_SIGNING_KEY": str(private_key_path(keys, "appraisal.STP-1"))}
    assert own_key_env(keys, registry, "appraisal", None) == {
        "APPRAISAL_SIGNING_KEY": str(private_key_path(keys, "appraisal-1"))}
    assert own_key_env(keys, registry, "audit", None) == {}  # signs nothing
    assert passphrase_env() == {PASSPHRASE_ENV: DEV_PASSPHRASE}
    monkeypatch.setenv(PASSPHRASE_FILE_ENV, str(tmp_path / "secret"))
    (tmp_path / "secret").write_text("mine")
    assert passphrase_env() == {}  # inherited; adding the variable would make both set


def test_init_makes_the_import_key_entitled_to_imported_dossiers_alone(tmp_path, capsys):
    motcua(capsys, tmp_path, "keys", "init")
    registry = load_registry(tmp_path / "keys")
    [key] = [record for record in registry.keys.values() if record.service == "import"]
    assert (key.key_id, key.agency, key.except_agencies) == ("import-1", None, frozenset())
    from motcua_contracts import PRODUCERS

    assert {kind for kind, services in PRODUCERS.items() if "import" in services} == {
        "DossierImported"}
    assert PRODUCERS["DossierImported"] == {"import"}
