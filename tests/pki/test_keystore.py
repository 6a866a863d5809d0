"""The PKI folder: what `motcua pki init` makes, what a signing service loads, and rotation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509

from motcua_pki import DEV_PASSPHRASE, Keystore, KeystoreError, init_dev_pki, rotate
from motcua_pki.issue import certificate_pem, fingerprint
from motcua_pki.keystore import DEV_MARKER

AGENCIES = [("STP", "Sở Tư pháp tỉnh Lào Cai"), ("SXD", "Sở Xây dựng tỉnh Lào Cai")]
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    init_dev_pki(directory, AGENCIES, now=NOW)
    return directory


def test_init_makes_a_root_and_one_certificate_per_agency_issued_by_it(pki):
    keystore = Keystore.load(pki, DEV_PASSPHRASE, now=NOW)

    assert set(keystore.signing) == {"STP", "SXD"}
    root = keystore.root
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for key in keystore.signing.values():
        key.certificate.verify_directly_issued_by(root)
        assert not key.certificate.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca
        usage = key.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    stp = keystore.for_agency("STP").certificate
    assert stp.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == \
        "Sở Tư pháp tỉnh Lào Cai"


def test_private_keys_are_encrypted_at_rest_and_readable_only_by_the_owner(pki):
    keys = [pki / "root.key", *(pki / "agencies").glob("*/*.key")]

    assert len(keys) == 3
    for path in keys:
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert path.stat().st_mode & 0o077 == 0


def test_init_again_keeps_what_exists_and_adds_only_new_agencies(pki):
    before = {p.name for p in pki.rglob("*.crt")}

    issued = init_dev_pki(pki, [*AGENCIES, ("CAT", "Công an tỉnh Lào Cai")], now=NOW)

    assert issued == ["CAT"]
    after = {p.name for p in pki.rglob("*.crt")}
    assert before < after and len(after - before) == 1


def test_a_wrong_passphrase_is_refused_with_the_variable_to_set(pki):
    with pytest.raises(KeystoreError, match="MOTCUA_PKI_PASSPHRASE"):
        Keystore.load(pki, "not the passphrase", now=NOW)


def test_the_development_passphrase_is_refused_outside_a_development_pki(tmp_path):
    init_dev_pki(tmp_path, AGENCIES[:1], now=NOW)
    (tmp_path / DEV_MARKER).unlink()

    with pytest.raises(KeystoreError, match="not a development PKI"):
        Keystore.load(tmp_path, DEV_PASSPHRASE, now=NOW)


def test_a_certificate_from_another_root_is_refused(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    init_dev_pki(ours, AGENCIES[:1], now=NOW)
    init_dev_pki(theirs, AGENCIES[:1], now=NOW)
    foreign = next((theirs / "agencies" / "STP").glob("*.crt"))
    (ours / "agencies" / "STP" / foreign.name).write_bytes(foreign.read_bytes())

    with pytest.raises(KeystoreError, match="was not issued by the root"):
        Keystore.load(ours, DEV_PASSPHRASE, now=NOW)


def test_rotation_hands_signing_to_the_new_certificate_and_keeps_the_old(tmp_path):
    init_dev_pki(tmp_path, AGENCIES[:1], now=NOW)
    old = Keystore.load(tmp_path, DEV_PASSPHRASE, now=NOW).for_agency("STP")

    new = rotate(tmp_path, "STP", "Sở Tư pháp tỉnh Lào Cai", passphrase=DEV_PASSPHRASE,
                 now=NOW + timedelta(days=30))
    later = Keystore.load(tmp_path, DEV_PASSPHRASE, now=NOW + timedelta(days=31))

    assert later.for_agency("STP").fingerprint == new.fingerprint != old.fingerprint
    assert [fingerprint(c) for c in later.history["STP"]] == [old.fingerprint, new.fingerprint]


def test_an_expired_certificate_no_longer_signs(tmp_path):
    init_dev_pki(tmp_path, AGENCIES[:1], now=NOW)

    keystore = Keystore.load(tmp_path, DEV_PASSPHRASE, now=NOW + timedelta(days=365 * 4))

    assert "STP" not in keystore.signing
    with pytest.raises(KeystoreError, match="motcua pki rotate STP"):
        keystore.for_agency("STP")


def test_an_agency_instance_loads_its_certificate_and_key_from_explicit_files(pki):
    certificate = next((pki / "agencies" / "SXD").glob("*.crt"))

    keystore = Keystore.from_files("SXD", certificate_file=certificate,
                                   key_file=certificate.with_suffix(".key"),
                                   root_file=pki / "root.crt", passphrase=DEV_PASSPHRASE)

    assert set(keystore.signing) == {"SXD"}
    assert certificate_pem(keystore.for_agency("SXD").certificate) == certificate.read_bytes()


def test_the_key_must_belong_to_the_certificate(pki):
    stp = next((pki / "agencies" / "STP").glob("*.crt"))
    sxd_key = next((pki / "agencies" / "SXD").glob("*.key"))

    with pytest.raises(KeystoreError, match="not the key of the certificate"):
        Keystore.from_files("STP", certificate_file=stp, key_file=sxd_key,
                            root_file=pki / "root.crt", passphrase=DEV_PASSPHRASE)


def test_issuing_without_the_root_key_says_where_the_root_key_lives(tmp_path):
    init_dev_pki(tmp_path, AGENCIES[:1], now=NOW)
    (tmp_path / "root.key").unlink()

    with pytest.raises(KeystoreError, match="kept offline in production"):
        rotate(tmp_path, "STP", "Sở Tư pháp", passphrase=DEV_PASSPHRASE, now=NOW)


def test_long_vietnamese_agency_names_fit_the_64_byte_limit_of_a_certificate_name(tmp_path):
    name = "Sở Tài nguyên và Môi trường tỉnh Lào Cai (Văn phòng Đăng ký đất đai)"
    init_dev_pki(tmp_path, [("STNMT", name)], now=NOW)

    certificate = Keystore.load(tmp_path, DEV_PASSPHRASE, now=NOW).for_agency("STNMT").certificate

    assert certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == \
        "Sở Tài nguyên và Môi trường tỉnh Lào Cai"
