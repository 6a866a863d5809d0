"""`motcua pki init` and `motcua pki rotate` on a data folder."""

from __future__ import annotations

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.main import main
from motcua_pki import DEV_PASSPHRASE, Keystore


def test_init_then_rotate_gives_every_agency_a_certificate_and_stp_a_new_one(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.delenv("SIGNING_PKI_DIR", raising=False)
    monkeypatch.delenv("MOTCUA_PKI_PASSPHRASE", raising=False)

    assert main(["--data-dir", str(tmp_path), "pki", "init"]) == 0
    first = Keystore.load(tmp_path / "pki", DEV_PASSPHRASE)
    assert main(["--data-dir", str(tmp_path), "pki", "init"]) == 0  # again: nothing new
    assert main(["--data-dir", str(tmp_path), "pki", "rotate", "STP"]) == 0
    second = Keystore.load(tmp_path / "pki", DEV_PASSPHRASE)

    assert set(first.signing) == set(default_catalogue().agencies)
    assert "issued now: nothing" in capsys.readouterr().out
    assert second.for_agency("STP").fingerprint != first.for_agency("STP").fingerprint
    assert len(second.history["STP"]) == 2
    assert second.for_agency("SXD").fingerprint == first.for_agency("SXD").fingerprint
