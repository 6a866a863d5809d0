"""Making certificates: the provincial root CA and the agencies' signing certificates.

The root signs the agency certificates directly (no intermediate): the trust anchor a verifier
needs is the root alone, so an agency's certificate can be rotated without touching it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from motcua_catalogue.centre import centre_from_env

ROOT_YEARS = 20
AGENCY_YEARS = 3
# RSA rather than ECDSA: every PDF reader (Acrobat, poppler, Foxit) verifies RSA PAdES
# signatures, and the national CA issues RSA certificates too.
ROOT_KEY_BITS = 3072
AGENCY_KEY_BITS = 2048


@dataclass(frozen=True)
class Credential:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, hex: what `ResultSigned` carries."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def fit(name: str, limit: int = 64) -> str:
    """X.509 caps CN and O at 64 characters (cryptography counts UTF-8 bytes; Vietnamese takes
    two or three a letter): drop a parenthesised unit, then whole words, until it fits."""
    if len(name.encode()) > limit and "(" in name:
        name = name.split("(")[0].strip()
    while len(name.encode()) > limit and " " in name:
        name = name.rsplit(" ", 1)[0]
    return name.encode()[:limit].decode(errors="ignore")


def province() -> str:
    """The province the certificates name: the installation's (PROVINCE_NAME)."""
    return centre_from_env().province


def root_name() -> str:
    return f"Tổ chức chứng thực gốc tỉnh {province()} (motcua)"


def _name(common_name: str, organisation: str, unit: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, province()),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, fit(organisation)),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, fit(common_name)))
    return x509.Name(attributes)


def new_root(now: datetime, *, name: str | None = None, years: int = ROOT_YEARS) -> Credential:
    key = rsa.generate_private_key(public_exponent=65537, key_size=ROOT_KEY_BITS)
    subject = _name(name or root_name(), f"Ủy ban nhân dân tỉnh {province()}")
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Credential(certificate, key)


def issue_agency(root: Credential, *, code: str, name: str, now: datetime,
                 years: int = AGENCY_YEARS) -> Credential:
    """An agency's document-signing certificate. Its validity starts a few minutes back so that a
    verifier whose clock is slightly behind still accepts a document signed right after issue."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=AGENCY_KEY_BITS)
    public = key.public_key()
    not_after = min(now + timedelta(days=365 * years), root.certificate.not_valid_after_utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(name, name, unit=code))
        .issuer_name(root.certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # digitalSignature + nonRepudiation (contentCommitment): what PAdES validators ask of a
        # document signer. No extended key usage: NSS (pdfsig) would then demand emailProtection.
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            root.key.public_key()), critical=False)
        .sign(root.key, hashes.SHA256())
    )
    return Credential(certificate, key)


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def encrypted_key_pem(key: rsa.RSAPrivateKey, passphrase: str) -> bytes:
    """PKCS#8, encrypted with the passphrase: a copied key file alone signs nothing."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(passphrase.encode()))


def load_key(pem: bytes, passphrase: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=passphrase.encode())
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(f"expected an RSA private key, found {type(key).__name__}")
    return key
