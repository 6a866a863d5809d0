"""The province's signing PKI: a provincial root CA and one certificate per agency, made with
`cryptography`, keys encrypted at rest. `issue` makes certificates; `keystore` lays them out in a
folder and loads the one each agency signs with."""

from motcua_pki.issue import Credential, fingerprint
from motcua_pki.keystore import (
    DEV_PASSPHRASE,
    PASSPHRASE_ENV,
    AgencyKey,
    Keystore,
    KeystoreError,
    init_dev_pki,
    rotate,
)

__all__ = ["DEV_PASSPHRASE", "PASSPHRASE_ENV", "AgencyKey", "Credential", "Keystore",
           "KeystoreError", "fingerprint", "init_dev_pki", "rotate"]
