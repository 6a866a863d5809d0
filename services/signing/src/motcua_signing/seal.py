"""Sealing (đóng dấu) a result PDF: a PAdES signature (pyHanko, ETSI.CAdES.detached) with the
agency's current certificate and a visible seal; and verifying one against the provincial root.

pyHanko's entry points are coroutines run with `asyncio.run`; signing needs no network here (no
timestamp authority, no revocation fetching), so a handler, which must not await, runs them to
completion synchronously. Inside a running event loop that happens on a helper thread."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua_catalogue.centre import centre_from_env
from motcua_documents.result import SEAL_BOX
from motcua_pki import AgencyKey, Keystore

FIELD_NAME = "DauCoQuan"  # the seal's signature field ("dấu cơ quan", the agency's seal)
# Room for the CMS container: two RSA certificates, the signature and its attributes take about
# 4 KB. Fixing it spares pyHanko a dry-run signature to estimate the size on every document.
SIGNATURE_BYTES = 8192
# The seal's look (red frame, signer, number, time) is drawn into the page by the renderer, so
# it is covered by the signature itself; the widget over it only needs to mark where it is.
_WIDGET_STYLE = TextStampStyle(stamp_text="", border_width=0)
T = TypeVar("T")
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pades")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    return _worker.submit(asyncio.run, coroutine).result()


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class SealedDocument:
    content: bytes
    sha256: str
    certificate_fingerprint: str
    signed_at: datetime


class _PdfSignerAt(signers.PdfSigner):
    """A PdfSigner whose signing time is the one given, so that the PDF's /M, the seal's text and
    the ResultSigned event state the same instant."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


class _AgencySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses its private key again for every signature (about 35 ms for
    an RSA key, most of a seal's cost); this one keeps the parsed key."""

    def __init__(self, *, private_key: RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        return self._private_key.sign(data, PKCS1v15(),
                                      get_pyca_cryptography_hash(digest_algorithm))


class Sealer:
    """Signs with the keystore's current certificate of each agency."""

    def __init__(self, keystore: Keystore) -> None:
        self.keystore = keystore
        self._signers: dict[str, tuple[AgencyKey, signers.SimpleSigner]] = {}

    def _signer(self, agency: str) -> tuple[AgencyKey, signers.SimpleSigner]:
        if agency not in self._signers:
            key = self.keystore.for_agency(agency)
            private = key.credential.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
            self._signers[agency] = (key, _AgencySigner(
                private_key=key.credential.key, signing_cert=_asn1(key.certificate),
                signing_key=asn1_keys.PrivateKeyInfo.load(private),
                cert_registry=SimpleCertificateStore.from_certs([_asn1(self.keystore.root)])))
        return self._signers[agency]

    def signer_name(self, agency: str) -> str:
        """The common name of the certificate the agency signs with, to print on the seal."""
        certificate = self._signer(agency)[0].certificate
        return str(certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value)

    def seal(self, pdf: bytes, *, agency: str, result_number: str,
             signed_at: datetime) -> SealedDocument:
        key, signer = self._signer(agency)
        signer_name = self.signer_name(agency)
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            reason=f"Ban hành kết quả {result_number}",
            location=f"{centre_from_env().province}, Việt Nam",
            name=signer_name)
        pdf_signer = _PdfSignerAt(
            meta, signer, signing_time=signed_at, stamp_style=_WIDGET_STYLE,
            new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=0, box=SEAL_BOX))
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        output = _run(pdf_signer.async_sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES))
        content = output.getvalue()
        return SealedDocument(content, hashlib.sha256(content).hexdigest(), key.fingerprint,
                              signed_at)


@dataclass(frozen=True)
class Verdict:
    """pyHanko's judgement of a PDF's seal against the trusted roots."""

    valid: bool
    intact: bool
    trusted: bool
    covers_whole_file: bool
    signer: str | None
    summary: str


def verify(pdf: bytes, roots: Iterable[x509.Certificate]) -> Verdict:
    """Validate the PDF's (single) seal: untouched since signing, covering the whole file, by a
    certificate that chains to one of `roots`. Offline: no revocation fetching."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    except Exception as error:  # a damaged file is an invalid document, whatever the damage
        return Verdict(False, False, False, False, None, f"unreadable PDF: {error}")
    if len(signatures) != 1:
        return Verdict(False, False, False, False, None, f"{len(signatures)} signatures, want 1")
    context = ValidationContext(trust_roots=[_asn1(root) for root in roots],
                                allow_fetching=False, revocation_mode="soft-fail")
    status = _run(async_validate_pdf_signature(signatures[0], context))
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else None
    return Verdict(bool(status.bottom_line and whole), status.intact, status.trusted, whole,
                   signer, status.summary())
