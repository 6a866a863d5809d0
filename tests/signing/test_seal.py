"""The sealed result verifies, with pyHanko's validator and with poppler's `pdfsig`, against the
provincial root; one changed byte makes both report it invalid; rotation keeps old seals valid."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from motcua_catalogue import load_catalogue
from motcua_contracts.dossier import DossierFacts
from motcua_pki import DEV_PASSPHRASE, Keystore, init_dev_pki, rotate
from motcua_pki.issue import fingerprint
from motcua_signing.issuer import IssuedResult, ResultIssuer
from motcua_signing.seal import Sealer, verify
from tests.signing.pdf_tools import flip_one_byte_in_a_stream, nss_trusting, pdfsig
from tests.support import dev_pki

CATALOGUE = load_catalogue()
VN = timezone(timedelta(hours=7))
SIGNED_AT = datetime(2026, 11, 24, 2, 30, 15, tzinfo=timezone.utc)
FACTS = DossierFacts(code="000.00.15.H38-261120-0042", procedure_code="2.000488",
                     applicant_name="Hoàng Văn Sử", received_at=datetime(2026, 11, 20, 9,
                                                                       tzinfo=VN),
                     delivery_channel="online")


def issue(issuer: ResultIssuer, agency: str = "STP", signed_at: datetime = SIGNED_AT
          ) -> IssuedResult:
    return issuer.issue(facts=FACTS, agency_code=agency, agency=CATALOGUE.agencies[agency],
                        procedure=CATALOGUE.procedures[FACTS.procedure_code],
                        number="0042/2026/QĐ-STP", outcome="approved",
                        body="Cấp Phiếu lý lịch tư pháp số 42", signed_at=signed_at,
                        applicant_name="Hoàng Văn Sử")


@pytest.fixture(scope="module")
def sealed(issuer) -> IssuedResult:
    return issue(issuer)


@pytest.fixture(scope="module")
def nss(tmp_path_factory) -> Path:
    return nss_trusting(dev_pki() / "root.crt", tmp_path_factory.mktemp("nss"))


def test_the_result_reports_the_hash_of_its_bytes_and_the_agencys_certificate(sealed, keystore):
    assert sealed.media_type == "application/pdf" and sealed.content.startswith(b"%PDF-")
    assert sealed.sha256 == hashlib.sha256(sealed.content).hexdigest()
    assert sealed.certificate_fingerprint == keystore.for_agency("STP").fingerprint


def test_pyhanko_finds_the_seal_intact_trusted_and_covering_the_whole_file(sealed, keystore):
    verdict = verify(sealed.content, [keystore.root])

    assert (verdict.valid, verdict.intact, verdict.trusted, verdict.covers_whole_file) == \
        (True, True, True, True), verdict.summary
    assert "Sở Tư pháp tỉnh Lào Cai" in verdict.signer


def test_pdfsig_finds_the_signature_valid_and_the_certificate_trusted(sealed, nss, tmp_path):
    path = tmp_path / "result.pdf"
    path.write_bytes(sealed.content)

    report = pdfsig(path, nss)

    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
    assert "Total document signed" in report, report
    assert "Signature Type: ETSI.CAdES.detached" in report, report  # PAdES
    assert "Sở Tư pháp tỉnh Lào Cai" in report, report
    assert "Signing Time: Nov 24 2026 02:30:15" in report or "Nov 24 2026 09:30:15" in report, \
        report


def test_one_changed_byte_makes_both_validators_report_the_seal_invalid(sealed, keystore, nss,
                                                                        tmp_path):
    damaged = flip_one_byte_in_a_stream(sealed.content)
    assert sum(a != b for a, b in zip(damaged, sealed.content, strict=True)) == 1
    path = tmp_path / "damaged.pdf"
    path.write_bytes(damaged)

    verdict = verify(damaged, [keystore.root])
    report = pdfsig(path, nss)

    assert not verdict.valid and not verdict.intact, verdict.summary
    assert "Signature is Valid." not in report, report
    assert "Digest Mismatch." in report, report


def test_a_seal_from_another_root_is_intact_but_not_trusted(sealed, tmp_path):
    init_dev_pki(tmp_path, [])
    other_root = Keystore.load(tmp_path, DEV_PASSPHRASE).root

    verdict = verify(sealed.content, [other_root])

    assert verdict.intact and not verdict.trusted and not verdict.valid


def test_after_rotation_new_results_use_the_new_certificate_and_old_ones_still_verify(tmp_path):
    now = datetime.now(timezone.utc)
    init_dev_pki(tmp_path, [("STP", "Sở Tư pháp tỉnh Lào Cai")], now=now - timedelta(days=400))
    before = Keystore.load(tmp_path, DEV_PASSPHRASE)
    old = issue(ResultIssuer(Sealer(before), "https://x"), signed_at=now - timedelta(days=1))

    rotate(tmp_path, "STP", "Sở Tư pháp tỉnh Lào Cai", passphrase=DEV_PASSPHRASE,
           now=now - timedelta(hours=1))
    after = Keystore.load(tmp_path, DEV_PASSPHRASE)
    new = issue(ResultIssuer(Sealer(after), "https://x"), signed_at=now)

    assert new.certificate_fingerprint != old.certificate_fingerprint
    assert new.certificate_fingerprint == fingerprint(after.history["STP"][-1])
    for result in (old, new):
        verdict = verify(result.content, [after.root])
        assert verdict.valid, verdict.summary


def test_the_seal_is_not_valid_without_a_signature(keystore):
    from motcua_documents.result import ResultFacts, render_pdf

    unsigned = render_pdf(ResultFacts(
        agency_name="Sở Tư pháp", result_number="1", dossier_code=FACTS.code,
        applicant_name="Hoàng Văn Sử", procedure_code=FACTS.procedure_code,
        procedure_name="x", outcome="approved", body="x", received_at=FACTS.received_at,
        issued_at=SIGNED_AT, lookup_url="https://x", signer_name="Sở Tư pháp"))

    assert not verify(unsigned, [keystore.root]).valid
