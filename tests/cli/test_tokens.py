"""`motcua tokens`: the issuer key pair in the data folder, and the tokens it mints, as the
services check them (only the public file)."""

from __future__ import annotations

import stat

import pytest

from motcua_cli.main import main
from motcua_cli.tokens import ensure_issuer
from motcua_runtime import issuer_keys
from motcua_runtime.officers import InvalidToken, Officer
from motcua_runtime.tokens import TokenVerifier


def verifier_of(data_dir) -> TokenVerifier:
    """What a service given `<data>/tokens/issuer.pub` accepts."""
    public = issuer_keys.load_public_keys(data_dir / "tokens" / "issuer.pub")
    return TokenVerifier("intake", issuer_keys=public, registry=None)


def motcua(capsys, data_dir, *argv: str) -> str:
    assert main(["--data-dir", str(data_dir), *argv]) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture(autouse=True)
def _no_configured_key(monkeypatch):
    for name in ("MOTCUA_TOKEN_ISSUER_PRIVATE_KEY", "MOTCUA_TOKEN_ISSUER_PUBLIC_KEY",
                 "MOTCUA_TOKEN_ISSUER_PASSPHRASE",
                 "MOTCUA_TOKEN_ISSUER", "MOTCUA_TOKEN_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)


def test_init_makes_an_owner_only_private_key_and_a_public_file(tmp_path, capsys):
    out = motcua(capsys, tmp_path, "tokens", "init")
    private = tmp_path / "tokens" / "issuer.pem"
    assert "created" in out and "MOTCUA_TOKEN_ISSUER_PUBLIC_KEY" in out
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE" not in (tmp_path / "tokens" / "issuer.pub").read_bytes()
    assert "already there" in motcua(capsys, tmp_path, "tokens", "init")


def test_admin_and_officer_tokens_verify_with_the_public_file_only(tmp_path, capsys):
    motcua(capsys, tmp_path, "tokens", "init")
    admin = motcua(capsys, tmp_path, "tokens", "admin", "--name", "dieu.hanh")
    officer = motcua(capsys, tmp_path, "tokens", "officer", "--agency", "STP", "--role",
                     "appraisal", "--name", "lan", "--hours", "1")
    legacy = motcua(capsys, tmp_path, "officer", "token", "--agency", "STP", "--role",
                    "approval", "--name", "minh")  # `motcua officer token` mints the same way
    verifier = verifier_of(tmp_path)
    assert verifier.read(admin) == Officer("dieu.hanh", "*", "admin")
    assert verifier.read(officer) == Officer("lan", "STP", "appraisal")
    assert verifier.read(legacy) == Officer("minh", "STP", "approval")


def test_no_service_role_can_be_minted(tmp_path, capsys):
    motcua(capsys, tmp_path, "tokens", "init")
    with pytest.raises(SystemExit) as exit:
        main(["--data-dir", str(tmp_path), "tokens", "officer", "--agency", "STP", "--role",
              "service:intake"])
    assert exit.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_without_the_key_it_says_how_to_make_one(tmp_path):
    with pytest.raises(SystemExit, match="run `motcua tokens init`"):
        main(["--data-dir", str(tmp_path), "tokens", "admin"])


def test_rotate_keeps_earlier_tokens_valid_and_the_key_can_live_elsewhere(tmp_path, capsys,
                                                                        monkeypatch):
    motcua(capsys, tmp_path, "tokens", "init")
    before = motcua(capsys, tmp_path, "tokens", "admin")
    assert "new issuer key issuer-" in motcua(capsys, tmp_path, "tokens", "rotate")
    after = motcua(capsys, tmp_path, "tokens", "admin")
    verifier = verifier_of(tmp_path)
    assert verifier.read(before).role == verifier.read(after).role == "admin"
    # A second rotation drops the first key: its tokens stop verifying.
    motcua(capsys, tmp_path, "tokens", "rotate")
    with pytest.raises(InvalidToken, match="not one this service trusts"):
        verifier_of(tmp_path).read(before)
    # An issuer key kept outside the data folder (an admin's workstation, a mounted secret).
    moved = tmp_path / "elsewhere.pem"
    (tmp_path / "tokens" / "issuer.pem").rename(moved)
    monkeypatch.setenv("MOTCUA_TOKEN_ISSUER_PRIVATE_KEY", str(moved))
    assert verifier_of(tmp_path).read(motcua(capsys, tmp_path, "tokens", "admin")).role \
        == "admin"


def test_up_gives_services_the_data_folders_public_key_unless_one_is_configured(tmp_path,
                                                                               monkeypatch):
    assert ensure_issuer(tmp_path) == tmp_path / "tokens" / "issuer.pub"
    assert (tmp_path / "tokens" / "issuer.pem").exists()
    elsewhere = tmp_path / "idp.pub"
    monkeypatch.setenv("MOTCUA_TOKEN_ISSUER_PUBLIC_KEY", str(elsewhere))
    assert ensure_issuer(tmp_path / "other") == elsewhere
    assert not (tmp_path / "other").exists()  # no key pair made beside an issuer elsewhere
