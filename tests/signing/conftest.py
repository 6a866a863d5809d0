"""Signing's fixtures: the session's development PKI, loaded as the signing service loads it."""

from __future__ import annotations

import pytest

from motcua_pki import DEV_PASSPHRASE, Keystore
from motcua_signing.issuer import ResultIssuer
from motcua_signing.seal import Sealer
from tests.support import dev_pki

PUBLIC_BASE_URL = "https://dichvucong.laocai.gov.vn"


@pytest.fixture(scope="session")
def keystore() -> Keystore:
    return Keystore.load(dev_pki(), DEV_PASSPHRASE)


@pytest.fixture(scope="session")
def issuer(keystore: Keystore) -> ResultIssuer:
    return ResultIssuer(Sealer(keystore), PUBLIC_BASE_URL)
