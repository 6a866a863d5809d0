"""Signing keys and the key registry: who may sign events, with which Ed25519 key, and when.

The registry is a JSON file (`registry.json` in the keys folder), not a database table: it is a
trust list that every agency and every auditor must be able to read without trusting, or even
reaching, any service's database, and that an administrator publishes like a certificate list.
Each entry maps a key id to the service and agency it signs for, its public key, and its
validity: `valid_from`, `valid_until`, `revoked_at`. Rotation adds a new key; the old one stays in
the registry so past events still verify. Private keys are PKCS#8 PEM files, one per key id,
readable by their owner only and encrypted at rest under the passphrase in MOTCUA_KEY_PASSPHRASE
or the file named by MOTCUA_KEY_PASSPHRASE_FILE (`motcua keys init` and `motcua up` use the
published `dev-only-` one, which services refuse outside development). A key written before
encryption still loads, with a warning: `motcua keys encrypt` encrypts it.

A service is given the registry and its own key file only (`<STAGE>_SIGNING_KEY`, any file
name: the key is found in the registry by its public half), never the folder of everybody's
private keys; MOTCUA_KEYS_DIR, that whole folder, remains a development convenience.

What a key may sign for is stated in its entry (motcua_runtime.scope): `agency: "STP"` for an
agency's own instance, that agency alone; `agency: null` for the shared instance, every agency
but those in `except_agencies` (the agencies with an instance of their own). An entry without
`except_agencies`, as written before scopes existed, means every agency, so an old log still
verifies. A scope is never edited in place, which would re-judge what the key signed before:
when the set of own instances changes, `ensure_keys` gives the shared instance a new key with
the new scope and ends the old one at that moment. Fields the verifier does not know are refused
rather than ignored: an unknown field may be a restriction it would fail to enforce."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from motcua_contracts import Producer
from motcua_runtime import private_pem
from motcua_runtime.scope import AgencyScope
from motcua_runtime.settings import ServiceSettings

log = structlog.get_logger(__name__)

REGISTRY_FILE = "registry.json"
PRIVATE_DIR = "private"
PASSPHRASE_ENV = "MOTCUA_KEY_PASSPHRASE"
PASSPHRASE_FILE_ENV = "MOTCUA_KEY_PASSPHRASE_FILE"
# Published here, so a placeholder (motcua_runtime.placeholders refuses it outside development):
# what `motcua keys init` and `motcua up` encrypt with when neither variable is set.
DEV_PASSPHRASE = "dev-only-motcua-event-keys"
_SET_PASSPHRASE = f"set {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}"


class KeyProblem(LookupError):
    """A key or registry that cannot be used; the message says what to do."""


def passphrase_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The private keys' passphrase: MOTCUA_KEY_PASSPHRASE, or the contents of the file named by
    MOTCUA_KEY_PASSPHRASE_FILE (a mounted secret; its final newline is not part of it). Both set
    is refused rather than one silently preferred: they may disagree. Empty counts as unset."""
    environ = os.environ if environ is None else environ
    value, file = environ.get(PASSPHRASE_ENV, ""), environ.get(PASSPHRASE_FILE_ENV, "")
    if value and file:
        raise KeyProblem(f"both {PASSPHRASE_ENV} and {PASSPHRASE_FILE_ENV} are set: set one "
                         "(the file where the platform mounts secrets as files)")
    if not file:
        return value or None
    try:
        contents = Path(file).read_text().rstrip("\r\n")
    except OSError as error:
        raise KeyProblem(f"{PASSPHRASE_FILE_ENV}={file}: cannot read it "
                         f"({error.strerror or error})") from None
    if not contents:
        raise KeyProblem(f"{PASSPHRASE_FILE_ENV}={file} is empty")
    return contents


def _passphrase(given: str | None) -> str | None:
    return given if given is not None else passphrase_from_env()


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    service: str
    agency: str | None  # None: an instance serving all agencies
    public_key: bytes  # raw 32-byte Ed25519 public key
    valid_from: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None
    # Only for a shared key (agency None): the agencies it may not sign for.
    except_agencies: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.agency is not None and self.except_agencies:
            raise ValueError(f"key {self.key_id} of agency {self.agency} cannot also list "
                             "except_agencies: an agency's key signs for that agency alone")

    @property
    def instance(self) -> str:
        return instance_name(self.service, self.agency)

    @property
    def scope(self) -> AgencyScope:
        """The agencies this key may sign for."""
        return AgencyScope(self.agency, self.except_agencies)

    def problem_at(self, moment: datetime) -> str | None:
        """Why this key cannot vouch for an event that occurred at `moment`, or None.

        A revocation dates the compromise: what the key signed before it still stands."""
        if moment < self.valid_from:
            return f"key {self.key_id} is valid from {self.valid_from.isoformat()}, " \
                   f"after the event ({moment.isoformat()})"
        if self.valid_until is not None and moment >= self.valid_until:
            return f"key {self.key_id} expired at {self.valid_until.isoformat()}, " \
                   f"before the event ({moment.isoformat()})"
        if self.revoked_at is not None and moment >= self.revoked_at:
            return f"key {self.key_id} was revoked at {self.revoked_at.isoformat()}, " \
                   f"before the event ({moment.isoformat()})"
        return None

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["public_key"] = base64.b64encode(self.public_key).decode()
        for name in ("valid_from", "valid_until", "revoked_at"):
            value = document[name]
            document[name] = value.isoformat() if value else None
        if self.agency is None:  # a shared key says whom it leaves out, even nobody
            document["except_agencies"] = sorted(self.except_agencies)
        else:
            del document["except_agencies"]
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> KeyRecord:
        def moment(name: str) -> datetime | None:
            value = document.get(name)
            if value is None:
                return None
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError(f"{name} {value!r} has no UTC offset")
            return parsed

        unknown = set(document) - _FIELDS
        if unknown:
            raise ValueError(f"key {document.get('key_id')!r} has fields this version does not "
                             f"know: {', '.join(sorted(unknown))} (a shared key's scope is "
                             "`except_agencies`)")
        public_key = base64.b64decode(document["public_key"], validate=True)
        if len(public_key) != 32:
            raise ValueError("public_key is not a 32-byte Ed25519 key")
        excluded = document.get("except_agencies") or []
        if not isinstance(excluded, list) or not all(isinstance(a, str) for a in excluded):
            raise ValueError(f"key {document['key_id']!r}: except_agencies is not a list of "
                             "agency codes")
        valid_from = moment("valid_from")
        if valid_from is None:
            raise ValueError(f"key {document['key_id']!r} has no valid_from: a key is trusted "
                             "from a stated moment")
        return cls(key_id=document["key_id"], service=document["service"],
                   agency=document.get("agency"), public_key=public_key,
                   valid_from=valid_from, valid_until=moment("valid_until"),
                   revoked_at=moment("revoked_at"), except_agencies=frozenset(excluded))


_FIELDS = {f.name for f in fields(KeyRecord)}


def instance_name(service: str, agency: str | None) -> str:
    return service if agency is None else f"{service}.{agency}"


class KeyRegistry:
    """The registry file in memory. `refresh()` re-reads it if it changed on disk, so a key
    added by rotation is known without restarting consumers."""

    def __init__(self, keys: dict[str, KeyRecord], path: Path | None = None) -> None:
        self.keys = keys
        self.path = path
        self._stamp = _stamp(path) if path else None

    @classmethod
    def load(cls, path: Path) -> KeyRegistry:
        try:
            document = json.loads(path.read_text())
            records = [KeyRecord.from_json(entry) for entry in document["keys"]]
        except FileNotFoundError:
            raise KeyProblem(f"no key registry at {path}: run `motcua keys init`") from None
        except (ValueError, KeyError, TypeError) as error:
            raise KeyProblem(f"key registry {path} is not valid: {error}") from None
        return cls({record.key_id: record for record in records}, path)

    def get(self, key_id: str) -> KeyRecord | None:
        record = self.keys.get(key_id)
        if record is None and self.refresh():
            record = self.keys.get(key_id)
        return record

    def refresh(self) -> bool:
        """Re-read the file if it changed; True if it did."""
        if self.path is None or _stamp(self.path) == self._stamp:
            return False
        fresh = KeyRegistry.load(self.path)
        self.keys, self._stamp = fresh.keys, fresh._stamp
        return True

    def save(self, path: Path | None = None) -> Path:
        path = path or self.path
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        ordered = sorted(self.keys.values(), key=lambda r: (r.instance, r.valid_from, r.key_id))
        temporary.write_text(json.dumps({"keys": [r.to_json() for r in ordered]}, indent=2)
                             + "\n")
        temporary.replace(path)
        self.path, self._stamp = path, _stamp(path)
        return path

    def by_public_key(self, public_key: bytes) -> KeyRecord | None:
        return next((r for r in self.keys.values() if r.public_key == public_key), None)

    def current(self, service: str, agency: str | None,
                at: datetime | None = None) -> KeyRecord | None:
        """The newest key of an instance usable at `at` (now by default)."""
        moment = at or datetime.now(timezone.utc)
        usable = [r for r in self.keys.values() if r.service == service and r.agency == agency
                  and r.problem_at(moment) is None]
        return max(usable, key=lambda r: (r.valid_from, r.key_id), default=None)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size


class Signer:
    """Signs the canonical bytes of the events one service instance emits."""

    def __init__(self, key_id: str, service: str, agency: str | None,
                 private_key: Ed25519PrivateKey) -> None:
        self.key_id = key_id
        self.producer = Producer(service=service, agency=agency, key_id=key_id)
        self._private_key = private_key

    def sign(self, canonical: bytes) -> str:
        return base64.b64encode(self._private_key.sign(canonical)).decode()

    def sign_token(self, claims: dict[str, Any]) -> str:
        """A JWT (EdDSA) of this instance, `kid` = this key: a service token
        (motcua_runtime.tokens, which says why the event key serves for both)."""
        return jwt.encode(claims, self._private_key, algorithm="EdDSA",
                          headers={"kid": self.key_id})

    @classmethod
    def load(cls, keys_dir: Path, record: KeyRecord, passphrase: str | None = None) -> Signer:
        return cls.from_file(private_key_path(keys_dir, record.key_id), record, passphrase)

    @classmethod
    def from_file(cls, path: Path, record: KeyRecord, passphrase: str | None = None) -> Signer:
        private_key = read_private_key(path, passphrase)
        if _public_bytes(private_key) != record.public_key:
            raise KeyProblem(f"{path} does not match key {record.key_id} in the registry")
        return cls(record.key_id, record.service, record.agency, private_key)


_warned_unencrypted: set[Path] = set()


def read_private_key(path: Path, passphrase: str | None = None) -> Ed25519PrivateKey:
    """An instance's private key from its PEM file, decrypted with `passphrase` (default: the
    environment's, see `passphrase_from_env`)."""
    try:
        data = path.read_bytes()
    except OSError as error:  # missing, or a directory Docker made for a missing bind mount
        raise KeyProblem(f"cannot read the private key {path}: {error.strerror or error}") \
            from None
    encrypted = private_pem.is_encrypted(data)
    passphrase = _passphrase(passphrase) if encrypted else None
    if encrypted and not passphrase:
        raise KeyProblem(f"{path} is encrypted and no passphrase is set: {_SET_PASSPHRASE}")
    try:
        key = private_pem.read(data, passphrase)
    except (TypeError, ValueError) as error:
        if encrypted:
            raise KeyProblem(f"cannot decrypt {path} ({error}): the passphrase is wrong; "
                             f"{_SET_PASSPHRASE} to the one it was written with") from None
        raise KeyProblem(f"{path} is not a PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path} is not an Ed25519 key")
    if not encrypted and path not in _warned_unencrypted:
        # Still accepted, so a data folder made before encryption keeps working; once per file.
        _warned_unencrypted.add(path)
        log.warning("private key not encrypted at rest", path=str(path),
                    fix=f"run `motcua keys encrypt` ({_SET_PASSPHRASE} first)")
    return key


def _public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)


def private_key_path(keys_dir: Path, key_id: str) -> Path:
    return keys_dir / PRIVATE_DIR / f"{key_id}.pem"


def load_registry(keys_dir: Path) -> KeyRegistry:
    return KeyRegistry.load(keys_dir / REGISTRY_FILE)


def signer_for(keys_dir: Path, service: str, agency: str | None, *,
               passphrase: str | None = None) -> Signer:
    """The current key of an instance, with its private half from the keys folder."""
    registry = load_registry(keys_dir)
    record = registry.current(service, agency)
    if record is None:
        raise KeyProblem(f"no valid key for {instance_name(service, agency)} in "
                        f"{registry.path}: run `motcua keys init`")
    return Signer.load(keys_dir, record, passphrase)


def create_key(keys_dir: Path, service: str, agency: str | None, *,
               valid_from: datetime | None = None,
               except_agencies: Iterable[str] = (),
               passphrase: str | None = None) -> KeyRecord:
    """A fresh key for an instance, added to the registry; its id counts the instance's keys.
    `except_agencies`: for a shared instance, the agencies its key may not sign for. The
    private key is written encrypted under `passphrase` (default: the environment's); without
    one nothing is written."""
    passphrase = _passphrase(passphrase)
    if not passphrase:
        raise KeyProblem(f"no passphrase to encrypt the new private key with: {_SET_PASSPHRASE}")
    registry = _load_or_empty(keys_dir)
    instance = instance_name(service, agency)
    number = 1 + sum(1 for r in registry.keys.values() if r.instance == instance)
    private_key = Ed25519PrivateKey.generate()
    record = KeyRecord(
        key_id=f"{instance}-{number}", service=service, agency=agency,
        public_key=private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw),
        valid_from=valid_from or datetime(2000, 1, 1, tzinfo=timezone.utc),
        except_agencies=frozenset(except_agencies))
    private_dir = keys_dir / PRIVATE_DIR
    private_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(private_dir, 0o700)
    private_pem.write(private_key_path(keys_dir, record.key_id), private_key, passphrase)
    registry.keys[record.key_id] = record
    registry.save(keys_dir / REGISTRY_FILE)
    return record


def own_instances(instances: Iterable[tuple[str, str | None]]) -> dict[str, frozenset[str]]:
    """For each service, the agencies that run an instance of their own: what its shared
    instance, and so its shared key, leaves out."""
    own: dict[str, set[str]] = {}
    for service, agency in instances:
        own.setdefault(service, set())
        if agency is not None:
            own[service].add(agency)
    return {service: frozenset(agencies) for service, agencies in own.items()}


def ensure_keys(keys_dir: Path, instances: list[tuple[str, str | None]], *,
                exclusions: Mapping[str, frozenset[str]] | None = None,
                passphrase: str | None = None) -> list[KeyRecord]:
    """Create a key for each (service, agency) instance that has no usable one; returns the
    keys created. Development convenience behind `motcua keys init` and `motcua up`.

    With `exclusions` (service -> agencies with their own instance, see `own_instances`), each
    shared key must leave out exactly those agencies: a shared key with another scope is
    replaced now by one with this scope, and stops signing now (no grace: during one the shared
    instance could still sign for an agency that has just got its own). Without it, keys are
    only created, unscoped: a test registry serving stacks of different shapes."""
    created = []
    for service, agency in instances:
        registry = _load_or_empty(keys_dir)
        record = registry.current(service, agency)
        wanted = None if exclusions is None or agency is not None else \
            exclusions.get(service, frozenset())
        if record is None or not private_key_path(keys_dir, record.key_id).exists():
            created.append(create_key(keys_dir, service, agency, except_agencies=wanted or (),
                                      passphrase=passphrase))
        elif wanted is not None and record.except_agencies != wanted:
            created.append(rotate(keys_dir, service, agency, grace=timedelta(0),
                                  except_agencies=wanted, passphrase=passphrase))
    return created


def rotate(keys_dir: Path, service: str, agency: str | None, *,
           grace: timedelta = timedelta(hours=24),
           except_agencies: Iterable[str] | None = None,
           passphrase: str | None = None) -> KeyRecord:
    """A new key for an instance; the old ones stop signing after `grace` (time for running
    services to restart with the new key) and stay in the registry to verify the past. The new
    key keeps the scope of the instance's newest key unless `except_agencies` is given."""
    now = datetime.now(timezone.utc)
    if except_agencies is None:
        newest = max((r for r in _load_or_empty(keys_dir).keys.values()
                      if r.instance == instance_name(service, agency)),
                     key=lambda r: (r.valid_from, r.key_id), default=None)
        except_agencies = newest.except_agencies if newest else ()
    new = create_key(keys_dir, service, agency, valid_from=now, except_agencies=except_agencies,
                     passphrase=passphrase)
    registry = load_registry(keys_dir)
    for key_id, record in list(registry.keys.items()):
        if record.instance == new.instance and key_id != new.key_id and (
                record.valid_until is None or record.valid_until > now + grace):
            registry.keys[key_id] = replace(record, valid_until=now + grace)
    registry.save()
    return new


def revoke(keys_dir: Path, key_id: str, at: datetime | None = None) -> KeyRecord:
    registry = load_registry(keys_dir)
    record = registry.keys.get(key_id)
    if record is None:
        raise KeyProblem(f"no key {key_id!r} in {registry.path}")
    registry.keys[key_id] = record = replace(record, revoked_at=at or datetime.now(timezone.utc))
    registry.save()
    return record


def encrypt_keys(keys_dir: Path, passphrase: str | None = None) -> list[str]:
    """Encrypt every private key of the folder still written in clear (a folder made before
    encryption); returns their ids. Each file is replaced in one step, never left half
    written."""
    passphrase = _passphrase(passphrase)
    if not passphrase:
        raise KeyProblem(f"no passphrase to encrypt the private keys with: {_SET_PASSPHRASE}")
    encrypted = []
    for path in sorted((keys_dir / PRIVATE_DIR).glob("*.pem")):
        if not private_pem.is_encrypted(path.read_bytes()):
            private_pem.write(path, read_private_key(path), passphrase, replace=True)
            encrypted.append(path.stem)
    return encrypted


def _load_or_empty(keys_dir: Path) -> KeyRegistry:
    path = keys_dir / REGISTRY_FILE
    if not path.exists():
        return KeyRegistry({}, path)
    return KeyRegistry.load(path)


def signer_from_settings(settings: ServiceSettings, service: str) -> Signer:
    """The key a service instance signs with: its own key file `<STAGE>_SIGNING_KEY` if set
    (what production mounts, alone), else the instance's current key in MOTCUA_KEYS_DIR."""
    registry = KeyRegistry.load(settings.registry_path())
    instance = instance_name(service, settings.agency)
    if settings.signing_key is not None:
        path = settings.signing_key
        private_key = read_private_key(path)
        # Found by its public half, so the file's name may stay the same across rotations
        # (a mounted Secret's key, a compose bind target).
        record = registry.by_public_key(_public_bytes(private_key))
        if record is None:
            raise KeyProblem(f"signing key {path}: its public key is in no entry of "
                             f"{registry.path}: give {instance} its current key file "
                             "(`motcua keys list`) and the registry that lists it")
        if record.instance != instance:
            raise KeyProblem(f"signing key {path} is {record.key_id}, which belongs to "
                             f"{record.instance}, not to {instance}")
        problem = record.problem_at(datetime.now(timezone.utc))
        if problem is not None:  # all it signed would be refused by every consumer
            raise KeyProblem(f"signing key {path}: {problem}; give {instance} its current key "
                             "(`motcua keys list`)")
        _check_scope(record, settings)
        return Signer(record.key_id, record.service, record.agency, private_key)
    if settings.keys_dir is None:
        raise KeyProblem(f"no signing key for {instance}: set {service.upper()}_SIGNING_KEY "
                         "(its own key file) or, in development, MOTCUA_KEYS_DIR")
    record = registry.current(service, settings.agency)
    if record is None:
        raise KeyProblem(f"no valid key for {instance} in {registry.path}: "
                         "run `motcua keys init`")
    _check_scope(record, settings)
    return Signer.load(settings.keys_dir, record)


def _check_scope(record: KeyRecord, settings: ServiceSettings) -> None:
    """Refuse to start an instance that serves an agency its key may not sign for: everything
    it emitted for that agency would be refused by every consumer."""
    if not record.scope.covers(settings.scope):
        raise KeyProblem(f"key {record.key_id} may sign for {record.scope}, but "
                         f"{record.instance} serves {settings.scope}: give the instance a key "
                         "of its scope (`motcua keys init` with the instances you run) or set "
                         f"{record.service.upper()}_EXCEPT_AGENCIES to match")
    if record.scope != settings.scope:
        # Tolerated (a registry from before scopes, a test registry), but such a key, if stolen,
        # signs for the agencies that have their own instance too.
        log.warning("signing key broader than the instance", key_id=record.key_id,
                    key_scope=str(record.scope), serves=str(settings.scope),
                    fix="`motcua keys init` with the instances you run")
