"""`motcua pki init|rotate|bench`: the development PKI in the data folder, an agency's
certificate rotation, and the sealing benchmark."""

from __future__ import annotations

import os
from pathlib import Path

from motcua_catalogue.catalogue import default_catalogue
from motcua_pki import DEV_PASSPHRASE, PASSPHRASE_ENV, Keystore, init_dev_pki, rotate
from motcua_pki.issue import fingerprint
from motcua_pki.keystore import DEV_MARKER


def pki_dir(data_dir: Path) -> Path:
    """SIGNING_PKI_DIR when set (what the signing service reads), else `<data dir>/pki`."""
    return Path(os.environ.get("SIGNING_PKI_DIR") or data_dir / "pki").resolve()


def passphrase() -> str:
    """MOTCUA_PKI_PASSPHRASE, else the published development one (which the keystore accepts
    only for a folder `motcua pki init` made)."""
    return os.environ.get(PASSPHRASE_ENV) or DEV_PASSPHRASE


def ensure_dev_pki(directory: Path) -> list[str]:
    """The development PKI, with a certificate for every agency of the catalogue. A folder that
    `motcua pki init` did not make (a production one) is left as it is."""
    if (directory / "root.crt").exists() and not (directory / DEV_MARKER).exists():
        return []
    agencies = [(a.code, a.name) for a in default_catalogue().agencies.values()]
    return init_dev_pki(directory, agencies, passphrase=passphrase())


def init(data_dir: Path) -> int:
    directory = pki_dir(data_dir)
    issued = ensure_dev_pki(directory)
    keystore = Keystore.load(directory, passphrase())
    print(f"PKI in {directory}: root {fingerprint(keystore.root)}")
    print(f"issued now: {', '.join(issued) or 'nothing (every agency has a certificate)'}")
    if passphrase() == DEV_PASSPHRASE:
        print(f"keys encrypted with the development passphrase; set {PASSPHRASE_ENV} for your own")
    return 0


def rotate_agency(data_dir: Path, agency: str) -> int:
    catalogue = default_catalogue()
    if agency not in catalogue.agencies:
        raise SystemExit(f"unknown agency {agency}; known: {', '.join(catalogue.agencies)}")
    key = rotate(pki_dir(data_dir), agency, catalogue.agencies[agency].name,
                 passphrase=passphrase())
    print(f"{agency}: new certificate {key.fingerprint}, valid until "
          f"{key.certificate.not_valid_after_utc:%Y-%m-%d}. Signing uses it from its next start; "
          "results sealed with the previous one still verify.")
    return 0
