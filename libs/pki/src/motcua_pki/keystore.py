"""The PKI folder and what a signing service loads from it.

    <dir>/root.crt                              the provincial root CA: the trust anchor
    <dir>/root.key                              development only; in production the root key
                                                stays offline with the CA operator
    <dir>/agencies/<CODE>/<issued>-<serial>.crt one per certificate ever issued to the agency
    <dir>/agencies/<CODE>/<issued>-<serial>.key its key, PKCS#8 encrypted with the passphrase
    <dir>/DEVELOPMENT                           marks a `motcua pki init` folder: only there is
                                                the published development passphrase accepted

Rotation adds a certificate; none is ever removed: the newest one valid now signs, and results
signed with an older one still verify because every certificate chains to the same root."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa

from motcua_pki.issue import (
    Credential,
    certificate_pem,
    encrypted_key_pem,
    fingerprint,
    issue_agency,
    load_key,
    new_root,
)

PASSPHRASE_ENV = "MOTCUA_PKI_PASSPHRASE"
# Published on purpose: it protects nothing, and is refused for any folder not made by
# `motcua pki init` (no DEVELOPMENT marker), so it cannot slip into production.
DEV_PASSPHRASE = "motcua-dev-only-not-a-secret"
DEV_MARKER = "DEVELOPMENT"


class KeystoreError(Exception):
    """The PKI folder or files are missing, inconsistent, or locked with another passphrase."""


@dataclass(frozen=True)
class AgencyKey:
    """What an agency signs with: its current certificate and key."""

    agency: str
    credential: Credential
    fingerprint: str

    @property
    def certificate(self) -> x509.Certificate:
        return self.credential.certificate


@dataclass
class Keystore:
    root: x509.Certificate
    signing: dict[str, AgencyKey]
    # Every certificate found, current or not, by agency: what a verifier may meet in old results.
    history: dict[str, list[x509.Certificate]] = field(default_factory=dict)

    def for_agency(self, agency: str) -> AgencyKey:
        try:
            return self.signing[agency]
        except KeyError:
            raise KeystoreError(f"no signing certificate for agency {agency}; "
                                f"issue one with `motcua pki rotate {agency}`") from None

    @classmethod
    def load(cls, directory: Path, passphrase: str, *, now: datetime | None = None) -> Keystore:
        """Load the root and, for every agency, the newest certificate valid now with its key."""
        directory = Path(directory)
        _check_passphrase(directory, passphrase)
        root = _read_certificate(directory / "root.crt")
        now = now or datetime.now(timezone.utc)
        signing: dict[str, AgencyKey] = {}
        history: dict[str, list[x509.Certificate]] = {}
        for agency_dir in sorted((directory / "agencies").glob("*")):
            pairs = [(path, _read_certificate(path)) for path in agency_dir.glob("*.crt")]
            for path, certificate in pairs:
                _check_issued_by(certificate, root, path)
            history[agency_dir.name] = [c for _, c in sorted(
                pairs, key=lambda pair: pair[1].not_valid_before_utc)]
            valid = [(path, c) for path, c in pairs
                     if c.not_valid_before_utc <= now < c.not_valid_after_utc
                     and path.with_suffix(".key").exists()]
            if valid:
                path, certificate = max(valid, key=lambda pair: (pair[1].not_valid_before_utc,
                                                                  pair[0].name))
                signing[agency_dir.name] = _pair(agency_dir.name, certificate,
                                                 path.with_suffix(".key"), passphrase)
        return cls(root, signing, history)

    @classmethod
    def from_files(cls, agency: str, *, certificate_file: Path, key_file: Path,
                   root_file: Path, passphrase: str) -> Keystore:
        """One agency's certificate and key at explicit paths (a production instance serving
        one agency, with its files mounted from a secret store)."""
        root = _read_certificate(Path(root_file))
        certificate = _read_certificate(Path(certificate_file))
        _check_issued_by(certificate, root, Path(certificate_file))
        pair = _pair(agency, certificate, Path(key_file), passphrase)
        return cls(root, {agency: pair}, {agency: [certificate]})


def init_dev_pki(directory: Path, agencies: Iterable[tuple[str, str]], *,
                 passphrase: str = DEV_PASSPHRASE, now: datetime | None = None) -> list[str]:
    """Create the development PKI in `directory`: the root, then a certificate for every agency
    that has none. Safe to run again; returns the agencies it issued certificates to."""
    directory = Path(directory)
    now = now or datetime.now(timezone.utc)
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "root.crt").exists():
        root = new_root(now)
        _write(directory / "root.key", encrypted_key_pem(root.key, passphrase), secret=True)
        _write(directory / "root.crt", certificate_pem(root.certificate))
        _write(directory / DEV_MARKER, b"Development PKI made by `motcua pki init`: not for "
               b"production. Its keys are encrypted with the published development passphrase "
               b"unless MOTCUA_PKI_PASSPHRASE was set.\n")
    root = _root_credential(directory, passphrase)
    issued = []
    for code, name in agencies:
        if not list((directory / "agencies" / code).glob("*.crt")):
            _store(directory, code, issue_agency(root, code=code, name=name, now=now), passphrase)
            issued.append(code)
    return issued


def rotate(directory: Path, agency: str, name: str, *, passphrase: str,
           now: datetime | None = None) -> AgencyKey:
    """Issue the agency a new certificate and key; it signs from the next service start on.
    The old ones stay, so documents they signed keep verifying."""
    directory = Path(directory)
    root = _root_credential(directory, passphrase)
    credential = issue_agency(root, code=agency, name=name, now=now or datetime.now(timezone.utc))
    _store(directory, agency, credential, passphrase)
    return AgencyKey(agency, credential, fingerprint(credential.certificate))


def _root_credential(directory: Path, passphrase: str) -> Credential:
    _check_passphrase(directory, passphrase)
    key_path = directory / "root.key"
    if not key_path.exists():
        raise KeystoreError(f"{key_path} is missing: issuing needs the root key (kept offline in "
                            "production; issue there and copy the new .crt/.key here)")
    return Credential(_read_certificate(directory / "root.crt"),
                      _decrypt(key_path, passphrase))


def _store(directory: Path, agency: str, credential: Credential, passphrase: str) -> None:
    certificate = credential.certificate
    stem = f"{certificate.not_valid_before_utc:%Y%m%dT%H%M%SZ}-{certificate.serial_number:x}"
    folder = directory / "agencies" / agency
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / f"{stem}.key", encrypted_key_pem(credential.key, passphrase), secret=True)
    _write(folder / f"{stem}.crt", certificate_pem(certificate))


def _pair(agency: str, certificate: x509.Certificate, key_path: Path,
          passphrase: str) -> AgencyKey:
    key = _decrypt(key_path, passphrase)
    public = certificate.public_key()
    if (not isinstance(public, rsa.RSAPublicKey)  # our keys are RSA (load_key)
            or key.public_key().public_numbers() != public.public_numbers()):
        raise KeystoreError(f"{key_path} is not the key of the certificate beside it")
    return AgencyKey(agency, Credential(certificate, key), fingerprint(certificate))


def _check_passphrase(directory: Path, passphrase: str) -> None:
    if not passphrase:
        raise KeystoreError(f"no passphrase: set {PASSPHRASE_ENV}")
    if passphrase == DEV_PASSPHRASE and not (directory / DEV_MARKER).exists():
        raise KeystoreError(f"{directory} is not a development PKI: the development passphrase "
                            f"is refused; set {PASSPHRASE_ENV}")


def _check_issued_by(certificate: x509.Certificate, root: x509.Certificate, path: Path) -> None:
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise KeystoreError(f"{path} was not issued by the root {root.subject.rfc4514_string()}: "
                            f"{error}") from None


def _read_certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise KeystoreError(f"{path} is missing; `motcua pki init` creates a development PKI") \
            from None
    except ValueError as error:
        raise KeystoreError(f"{path}: not a PEM certificate ({error})") from None


def _decrypt(path: Path, passphrase: str) -> rsa.RSAPrivateKey:
    try:
        return load_key(path.read_bytes(), passphrase)
    except FileNotFoundError:
        raise KeystoreError(f"{path} is missing") from None
    except (ValueError, TypeError) as error:
        raise KeystoreError(f"{path}: cannot decrypt with the given passphrase "
                            f"({PASSPHRASE_ENV}): {error}") from None


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)
