"""Crypto-shredding of personal data (issue 12): each dossier's personal fields travel sealed
under a data key of that dossier (motcua_contracts.sealed); the keys are in a key store outside
the log (`privacy.dossier_keys`, wrapped under a master key from the environment or a file);
erasing the key leaves every copy unreadable. docs/privacy.md says what holds and what does not."""

from motcua_privacy.crypto import (
    PersonalDataErased,
    PrivacyProblem,
    UnknownKey,
    new_data_key,
    open_json,
    seal_json,
    unwrap,
    wrap,
)
from motcua_privacy.master import (
    DEV_MASTER_KEY,
    MASTER_KEY_ENV,
    MASTER_KEY_FILE_ENV,
    generate_master_key,
    master_key,
    master_key_from_env,
    require_master_key,
)
from motcua_privacy.store import (
    DOSSIER_KEYS,
    Keyring,
    create_key,
    erase_key,
    key_record,
    load_keys,
    rewrap_all,
)

__all__ = [
    "DEV_MASTER_KEY", "DOSSIER_KEYS", "MASTER_KEY_ENV", "MASTER_KEY_FILE_ENV", "Keyring",
    "PersonalDataErased", "PrivacyProblem", "UnknownKey", "create_key", "erase_key",
    "generate_master_key", "key_record", "load_keys", "master_key", "master_key_from_env",
    "new_data_key", "open_json", "require_master_key", "rewrap_all", "seal_json", "unwrap", "wrap",
]
