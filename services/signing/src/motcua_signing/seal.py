"""Sealing (đóng dấu) a result PDF: a PAdES signature (ETSI.CAdES.detached) with the agency's
current certificate and a visible seal; and verifying one against the provincial root
(pyHanko's validator).

A seal is one RSA signature over one hash, everything else about it is the same for every
result of an agency: so the CMS SignedData (the certificates, the algorithms, the signed
attributes: content type, ESS signing-certificate-v2) is assembled once per agency with
asn1crypto, with marked places for the two values that change, the document's digest and the
signature; sealing a result copies the template with those two filled in. The page is written
with its signature field and signature dictionary in place (motcua_documents.result_page's
template), so the signature covers the whole file, which has a single revision. pyHanko's
signer, which parses the PDF back, adds an incremental update and serialises the certificates
and CMS structures again per document, cost 30 ms a seal; this about 0.6 ms, of which the RSA
signature is 0.5."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from motcua_catalogue.centre import centre_from_env
from motcua_documents.prepared import Document, text_string
from motcua_documents.result import SEAL_BOX
from motcua_documents.result_page import Page
from motcua_pki import AgencyKey, Keystore

FIELD_NAME = "DauCoQuan"  # the seal's signature field ("dấu cơ quan", the agency's seal)
# Room for the CMS container: two RSA certificates, the signature and its attributes take about
# 3.3 KB.
SIGNATURE_BYTES = 8192
_DIGEST_MARK = b"\xa5" * 32  # where the document's SHA-256 goes in the template
_SIGNATURE_MARK = b"\x5a" * 256  # where the RSA-2048 signature goes
_BYTE_RANGE = b"/ByteRange [0 0000000000 0000000000 0000000000]"
T = TypeVar("T")
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pades")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """pyHanko's validator is a coroutine; a handler must not await, so it is run to completion
    (on a helper thread inside a running event loop)."""
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


@dataclass(frozen=True)
class _CmsTemplate:
    """An agency's CMS SignedData with marked places: `attributes` is the DER of the signed
    attributes as signed (a SET), `container` the whole ContentInfo."""

    attributes: bytes
    attributes_digest_at: int
    container: bytes
    digest_at: int
    signature_at: int

    @classmethod
    def build(cls, certificate: x509.Certificate, root: x509.Certificate) -> _CmsTemplate:
        signer, anchor = _asn1(certificate), _asn1(root)
        issuer_serial = {"issuer": [asn1_x509.GeneralName({"directory_name": signer.issuer})],
                         "serial_number": signer.serial_number}
        attributes = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [_DIGEST_MARK]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [
                tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2({
                    "cert_hash": hashlib.sha256(signer.dump()).digest(),
                    "issuer_serial": issuer_serial})]})]}),
        ])
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
                "issuer": signer.issuer, "serial_number": signer.serial_number}}),
            "digest_algorithm": sha256, "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": _SIGNATURE_MARK})
        container = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
            "version": "v1", "digest_algorithms": [sha256],
            "encap_content_info": {"content_type": "data"},
            "certificates": [signer, anchor], "signer_infos": [signer_info]})}).dump()
        signed = attributes.dump(force=True)
        return cls(signed, _only(signed, _DIGEST_MARK), container,
                   _only(container, _DIGEST_MARK), _only(container, _SIGNATURE_MARK))

    def sign(self, digest: bytes, key: RSAPrivateKey) -> bytes:
        """The CMS container for a document of SHA-256 `digest`."""
        at = self.attributes_digest_at
        attributes = self.attributes[:at] + digest + self.attributes[at + 32:]
        signature = key.sign(attributes, PKCS1v15(), hashes.SHA256())
        container, d, s = self.container, self.digest_at, self.signature_at
        return (container[:d] + digest + container[d + 32:s] + signature
                + container[s + len(signature):])


def _only(data: bytes, mark: bytes) -> int:
    at = data.find(mark)
    if at < 0 or data.find(mark, at + 1) >= 0:
        raise ValueError("the CMS template's mark is not unique")
    return at


def _pdf_date(moment: datetime) -> str:
    return f"D:{moment.astimezone(timezone.utc):%Y%m%d%H%M%S}+00'00'"


class Sealer:
    """Signs with the keystore's current certificate of each agency."""

    def __init__(self, keystore: Keystore) -> None:
        self.keystore = keystore
        self._prepared: dict[str, tuple[AgencyKey, _CmsTemplate, str]] = {}

    def _agency(self, agency: str) -> tuple[AgencyKey, _CmsTemplate, str]:
        if agency not in self._prepared:
            key = self.keystore.for_agency(agency)
            name = key.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            self._prepared[agency] = (key, _CmsTemplate.build(key.certificate,
                                                              self.keystore.root),
                                      str(name[0].value))
        return self._prepared[agency]

    def signer_name(self, agency: str) -> str:
        """The common name of the certificate the agency signs with, to print on the seal."""
        return self._agency(agency)[2]

    def seal(self, page: Page, *, agency: str, result_number: str,
             signed_at: datetime) -> SealedDocument:
        """The page written with the agency's seal: a signature field whose widget is over the
        seal drawn in the page (so the signature covers the seal's look), and its signature."""
        key, template, signer_name = self._agency(agency)
        pdf = _with_signature_field(page, signer_name, result_number, signed_at)
        contents = pdf.rindex(b"/Contents <") + len(b"/Contents ")
        gap_end = contents + 2 + 2 * SIGNATURE_BYTES
        byte_range = f"/ByteRange [0 {contents} {gap_end} {len(pdf) - gap_end}]".encode()
        at = pdf.rindex(_BYTE_RANGE)
        pdf[at:at + len(_BYTE_RANGE)] = byte_range.ljust(len(_BYTE_RANGE))
        view = memoryview(pdf)
        prefix = len(page.template.prefix)  # hashed once per process: resumed from a copy
        digest = page.template.sha256()
        digest.update(view[prefix:contents])
        digest.update(view[gap_end:])
        container = template.sign(digest.digest(), key.credential.key)
        if len(container) > SIGNATURE_BYTES:
            raise ValueError(f"the CMS container takes {len(container)} bytes, "
                             f"more than the {SIGNATURE_BYTES} reserved")
        pdf[contents + 1:contents + 1 + 2 * len(container)] = container.hex().encode()
        whole = page.template.sha256()
        whole.update(view[prefix:])
        content = bytes(pdf)
        return SealedDocument(content, whole.hexdigest(), key.fingerprint, signed_at)


def _with_signature_field(page: Page, signer_name: str, result_number: str,
                          signed_at: datetime) -> bytearray:
    """The file with the seal's field, its empty widget over SEAL_BOX and the signature
    dictionary, the byte range and the signature still to fill in."""
    document = Document(page.template)
    widget, form = document.reserve(), document.reserve()
    page.write(document, annotations=[widget], acroform=form)
    left, bottom, right, top = SEAL_BOX
    appearance = document.add(
        f"<< /Type /XObject /Subtype /Form /BBox [0 0 {right - left:g} {top - bottom:g}] "
        "/Resources << >> /Length 0 >>\nstream\n\nendstream".encode())
    location = f"{centre_from_env().province}, Việt Nam"
    signature = document.add(
        (f"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
         f"/Name {text_string(signer_name)} /Location {text_string(location)} "
         f"/Reason {text_string(f'Ban hành kết quả {result_number}')} "
         f"/M ({_pdf_date(signed_at)}) ").encode()
        + _BYTE_RANGE + b" /Contents <" + b"0" * (2 * SIGNATURE_BYTES) + b"> >>")
    document.bodies[widget] = (
        f"<< /Type /Annot /Subtype /Widget /FT /Sig /T ({FIELD_NAME}) /F 132 "
        f"/Rect [{left:g} {bottom:g} {right:g} {top:g}] /P {document.page_object} 0 R "
        f"/V {signature} 0 R /AP << /N {appearance} 0 R >> >>").encode()
    document.bodies[form] = f"<< /Fields [{widget} 0 R] /SigFlags 3 >>".encode()
    return bytearray(document.finish())


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
