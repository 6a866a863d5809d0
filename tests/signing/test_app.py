"""Signing's start-up: where its keys come from, and refusing to start without a certificate for
an agency it serves (a dossier must wait for the operator, not be dead-lettered)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from motcua_catalogue.catalogue import default_catalogue
from motcua_pki import DEV_PASSPHRASE, KeystoreError, init_dev_pki
from motcua_signing.app import build_issuer
from motcua_signing.settings import SigningSettings
from tests.support import dev_pki

CATALOGUE = default_catalogue()


def settings(**values) -> SigningSettings:
    return SigningSettings(DATABASE_URL="postgresql+asyncpg://unused/db",
                           MOTCUA_PKI_PASSPHRASE=DEV_PASSPHRASE, **values)


def test_the_all_agencies_instance_signs_for_every_agency_from_the_pki_folder():
    issuer = build_issuer(settings(pki_dir=dev_pki(), PUBLIC_BASE_URL="https://dvc.example"),
                          CATALOGUE)

    assert issuer.public_base_url == "https://dvc.example"
    served = {c for c, a in CATALOGUE.agencies.items() if "signing" in a.stages}
    assert served <= set(issuer.sealer.keystore.signing)


def test_it_refuses_to_start_without_a_certificate_for_an_agency_it_serves(tmp_path):
    init_dev_pki(tmp_path, [("STP", "Sở Tư pháp")], now=datetime.now(timezone.utc))

    with pytest.raises(KeystoreError, match="no valid signing certificate for SKHDT"):
        build_issuer(settings(pki_dir=tmp_path), CATALOGUE)
    assert build_issuer(settings(pki_dir=tmp_path, agency="STP"), CATALOGUE)


def test_without_keys_it_says_which_settings_to_give():
    with pytest.raises(KeystoreError, match="SIGNING_PKI_DIR"):
        build_issuer(settings(), CATALOGUE)


def test_an_agency_instance_takes_its_certificate_and_key_from_files():
    certificate = next((dev_pki() / "agencies" / "SXD").glob("*.crt"))
    chosen = settings(agency="SXD", certificate_file=certificate,
                      key_file=certificate.with_suffix(".key"),
                      root_certificate_file=dev_pki() / "root.crt")

    assert set(build_issuer(chosen, CATALOGUE).sealer.keystore.signing) == {"SXD"}
    with pytest.raises(KeystoreError, match="SIGNING_AGENCY"):
        build_issuer(settings(certificate_file=certificate), CATALOGUE)
