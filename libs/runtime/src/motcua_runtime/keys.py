"""Signing keys and the key registry: who may sign events, with which Ed25519 key, and when.

The registry is a JSON file (`registry.json` in the keys folder), not a database table: it is a
trust list that every agency and every auditor must be able to read without trusting, or even
reaching, any service's database, and that an administrator publishes like a certificate list.
Each entry maps a key id to the service and agency it signs for, its public key, and its
validity: `valid_from`, `valid_until`, `revoked_at`. Rotation adds a new key; the old one stays in
the registry so past events still verify. Private keys are PKCS#8 PEM files, one per key id,
readable by their owner only.

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
from motcua_runtime.scope import AgencyScope
from motcua_runtime.settings import ServiceSettings

log = structlog.get_logger(__name__)

REGISTRY_FILE = "registry.json"
PRIVATE_DIR = "private"


class KeyProblem(LookupError):
    """A key or registry that cannot be used; the message says what to do."""


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
    def load(cls, keys_dir: Path, record: KeyRecord) -> Signer:
        return cls.from_file(private_key_path(keys_dir, record.key_id), record)

    @classmethod
    def from_file(cls, path: Path, record: KeyRecord) -> Signer:
        try:
            private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise KeyProblem(f"no private key file {path}") from None
        except ValueError as error:
            raise KeyProblem(f"{path} is not a PEM private key: {error}") from None
        if not isinstance(private_key, Ed25519PrivateKey):
            raise KeyProblem(f"{path} is not an Ed25519 key")
        public = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                       serialization.PublicFormat.Raw)
        if public != record.public_key:
            raise KeyProblem(f"{path} does not match key {record.key_id} in the registry")
        return cls(record.key_id, record.service, record.agency, private_key)


def private_key_path(keys_dir: Path, key_id: str) -> Path:
    return keys_dir / PRIVATE_DIR / f"{key_id}.pem"


def load_registry(keys_dir: Path) -> KeyRegistry:
    return KeyRegistry.load(keys_dir / REGISTRY_FILE)


def signer_for(keys_dir: Path, service: str, agency: str | None) -> Signer:
    """The current key of an instance, with its private half from the keys folder."""
    registry = load_registry(keys_dir)
    record = registry.current(service, agency)
    if record is None:
        raise KeyProblem(f"no valid key for {instance_name(service, agency)} in "
                        f"{registry.path}: run `motcua keys init`")
    return Signer.load(keys_dir, record)


def create_key(keys_dir: Path, service: str, agency: str | None, *,
               valid_from: datetime | None = None,
               except_agencies: Iterable[str] = ()) -> KeyRecord:
    """A fresh key for an instance, added to the registry; its id counts the instance's keys.
    `except_agencies`: for a shared instance, the agencies its key may not sign for."""
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
    path = private_key_path(keys_dir, record.key_id)
    # Created with owner-only permissions from the first byte, not chmod-ed afterwards.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
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
                exclusions: Mapping[str, frozenset[str]] | None = None) -> list[KeyRecord]:
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
            created.append(create_key(keys_dir, service, agency, except_agencies=wanted or ()))
        elif wanted is not None and record.except_agencies != wanted:
            created.append(rotate(keys_dir, service, agency, grace=timedelta(0),
                                  except_agencies=wanted))
    return created


def rotate(keys_dir: Path, service: str, agency: str | None, *,
           grace: timedelta = timedelta(hours=24),
           except_agencies: Iterable[str] | None = None) -> KeyRecord:
    """A new key for an instance; the old ones stop signing after `grace` (time for running
    services to restart with the new key) and stay in the registry to verify the past. The new
    key keeps the scope of the instance's newest key unless `except_agencies` is given."""
    now = datetime.now(timezone.utc)
    if except_agencies is None:
        newest = max((r for r in _load_or_empty(keys_dir).keys.values()
                      if r.instance == instance_name(service, agency)),
                     key=lambda r: (r.valid_from, r.key_id), default=None)
        except_agencies = newest.except_agencies if newest else ()
    new = create_key(keys_dir, service, agency, valid_from=now, except_agencies=except_agencies)
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


def _load_or_empty(keys_dir: Path) -> KeyRegistry:
    path = keys_dir / REGISTRY_FILE
    if not path.exists():
        return KeyRegistry({}, path)
    return KeyRegistry.load(path)


def signer_from_settings(settings: ServiceSettings, service: str) -> Signer:
    """The key a service instance signs with: `<STAGE>_SIGNING_KEY` if set, else the
    instance's current key in MOTCUA_KEYS_DIR."""
    registry = KeyRegistry.load(settings.registry_path())
    instance = instance_name(service, settings.agency)
    if settings.signing_key is not None:
        record = registry.keys.get(settings.signing_key.stem)
        if record is None:
            raise KeyProblem(f"signing key {settings.signing_key.name}: no key "
                             f"{settings.signing_key.stem!r} in {registry.path}")
        if record.instance != instance:
            raise KeyProblem(f"signing key {record.key_id} belongs to {record.instance}, "
                             f"not to {instance}")
        _check_scope(record, settings)
        return Signer.from_file(settings.signing_key, record)
    if settings.keys_dir is None:
        raise KeyProblem(f"no signing key for {instance}: set MOTCUA_KEYS_DIR or "
                         f"{service.upper()}_SIGNING_KEY")
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
