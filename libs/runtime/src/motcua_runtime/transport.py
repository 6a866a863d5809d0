"""How every Kafka client reaches the broker: TLS and SASL from the environment, in one place, so
the producers, consumers, admin clients, the FastStream broker and the health probe cannot differ.

    KAFKA_SECURITY_PROTOCOL   PLAINTEXT (default) | SSL | SASL_PLAINTEXT | SASL_SSL
    KAFKA_SASL_MECHANISM      SCRAM-SHA-512 (default) | SCRAM-SHA-256 | PLAIN
    KAFKA_SASL_USERNAME       or KAFKA_SASL_USERNAME_FILE (a mounted secret)
    KAFKA_SASL_PASSWORD       or KAFKA_SASL_PASSWORD_FILE
    KAFKA_SSL_CAFILE          CA bundle the broker's certificate must chain to (default: the
                              system's); the host name is always checked
    KAFKA_SSL_CERTFILE        client certificate for mutual TLS (optional), with
    KAFKA_SSL_KEYFILE         its key, and KAFKA_SSL_KEY_PASSWORD(_FILE) if the key is encrypted

A bad combination is refused at start-up with the variable named, never discovered as a broker
that "does not answer": a TLS or SASL setting while the protocol would ignore it (credentials that
would silently not be sent), SASL without a password, PLAIN without TLS (the password would cross
the network in clear). Cleartext transport to a broker that is not on this machine is allowed, as
compose runs it, but logged once as a warning."""

from __future__ import annotations

import functools
import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

log = structlog.get_logger(__name__)

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512, "PLAIN": SASLPlaintext}
DEFAULT_MECHANISM = "SCRAM-SHA-512"
_SASL_VARS = ("KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_USERNAME_FILE",
              "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE")
_SSL_VARS = ("KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE",
             "KAFKA_SSL_KEY_PASSWORD", "KAFKA_SSL_KEY_PASSWORD_FILE")
ENV_VARS = ("KAFKA_SECURITY_PROTOCOL", *_SASL_VARS, *_SSL_VARS)


class TransportSettingError(ValueError):
    """A transport variable is missing or contradicts another; the message names it."""


@dataclass(frozen=True)
class KafkaTransport:
    protocol: str = "PLAINTEXT"
    mechanism: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    key_password: str | None = field(default=None, repr=False)

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KafkaTransport:
        source = os.environ if environ is None else environ
        env = {name: value.strip() for name, value in source.items()
               if name in ENV_VARS and value.strip()}
        return _parse(tuple(sorted(env.items())))

    @functools.cached_property
    def ssl_context(self) -> ssl.SSLContext | None:
        """Built once per settings: the health probe makes a client every few seconds."""
        if not self.uses_tls:
            return None
        try:
            return create_ssl_context(cafile=self.cafile, certfile=self.certfile,
                                      keyfile=self.keyfile, password=self.key_password)
        except (ssl.SSLError, OSError) as error:
            named = [f"{name}={path!r}" for name, path in (
                ("KAFKA_SSL_CAFILE", self.cafile), ("KAFKA_SSL_CERTFILE", self.certfile),
                ("KAFKA_SSL_KEYFILE", self.keyfile)) if path]
            raise TransportSettingError(
                f"{', '.join(named) or 'the system CAs'} could not be loaded: {error}") from None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin, AIOKafkaClient)."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context
        if self.uses_sasl:
            options.update(sasl_mechanism=self.mechanism, sasl_plain_username=self.username,
                           sasl_plain_password=self.password)
        return options

    def broker_security(self) -> BaseSecurity | None:
        """FastStream's `KafkaBroker(security=...)`, which it turns into the same client options."""
        if self.uses_sasl:
            assert self.mechanism and self.username and self.password is not None
            return MECHANISMS[self.mechanism](self.username, self.password,
                                              ssl_context=self.ssl_context,
                                              use_ssl=self.uses_tls)
        if self.uses_tls:
            return BaseSecurity(ssl_context=self.ssl_context, use_ssl=True)
        return None


def _secret(env: dict[str, str], name: str) -> str | None:
    """NAME or the contents of the file NAME_FILE (trailing newlines dropped), never both."""
    file_name = f"{name}_FILE"
    if name in env and file_name in env:
        raise TransportSettingError(f"both {name} and {file_name} are set: keep one")
    if file_name not in env:
        return env.get(name)
    try:
        value = Path(env[file_name]).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise TransportSettingError(
            f"{file_name}={env[file_name]!r} cannot be read: {error.strerror}") from None
    if not value:
        raise TransportSettingError(f"{file_name}={env[file_name]!r} is empty")
    return value


def _existing_file(env: dict[str, str], name: str) -> str | None:
    path = env.get(name)
    if path is not None and not Path(path).is_file():
        raise TransportSettingError(f"{name}={path!r}: no such file")
    return path


@functools.lru_cache(maxsize=8)
def _parse(items: tuple[tuple[str, str], ...]) -> KafkaTransport:
    env = dict(items)
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise TransportSettingError(
            f"KAFKA_SECURITY_PROTOCOL={env['KAFKA_SECURITY_PROTOCOL']!r}: one of "
            f"{', '.join(PROTOCOLS)}")
    # Settings the protocol would ignore are a mistake in the deployment (a forgotten
    # KAFKA_SECURITY_PROTOCOL): refuse rather than connect without what the operator asked for.
    sasl = protocol.startswith("SASL_")
    tls = protocol in ("SSL", "SASL_SSL")
    for group, wanted, needs in ((_SASL_VARS, sasl, "SASL_SSL or SASL_PLAINTEXT"),
                                 (_SSL_VARS, tls, "SSL or SASL_SSL")):
        stray = [name for name in group if name in env]
        if stray and not wanted:
            raise TransportSettingError(
                f"{', '.join(stray)} set but KAFKA_SECURITY_PROTOCOL={protocol} does not use "
                f"it: set KAFKA_SECURITY_PROTOCOL to {needs}, or unset it")
    files: dict[str, str | None] = {}
    if tls:
        if "KAFKA_SSL_KEYFILE" in env and "KAFKA_SSL_CERTFILE" not in env:
            raise TransportSettingError("KAFKA_SSL_KEYFILE set without KAFKA_SSL_CERTFILE")
        files = {"cafile": _existing_file(env, "KAFKA_SSL_CAFILE"),
                 "certfile": _existing_file(env, "KAFKA_SSL_CERTFILE"),
                 "keyfile": _existing_file(env, "KAFKA_SSL_KEYFILE"),
                 "key_password": _secret(env, "KAFKA_SSL_KEY_PASSWORD")}
        if files["key_password"] is not None and files["certfile"] is None:
            raise TransportSettingError("KAFKA_SSL_KEY_PASSWORD set without KAFKA_SSL_CERTFILE")
    credentials: dict[str, str | None] = {}
    if sasl:
        mechanism = env.get("KAFKA_SASL_MECHANISM", DEFAULT_MECHANISM).upper()
        if mechanism not in MECHANISMS:
            raise TransportSettingError(
                f"KAFKA_SASL_MECHANISM={env['KAFKA_SASL_MECHANISM']!r}: one of "
                f"{', '.join(MECHANISMS)}")
        if mechanism == "PLAIN" and not tls:
            raise TransportSettingError(
                "KAFKA_SASL_MECHANISM=PLAIN with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the "
                "password in clear: use SASL_SSL, or a SCRAM mechanism")
        credentials = {"mechanism": mechanism, "username": _secret(env, "KAFKA_SASL_USERNAME"),
                       "password": _secret(env, "KAFKA_SASL_PASSWORD")}
        for name, value in (("KAFKA_SASL_USERNAME", credentials["username"]),
                            ("KAFKA_SASL_PASSWORD", credentials["password"])):
            if not value:
                raise TransportSettingError(
                    f"KAFKA_SECURITY_PROTOCOL={protocol} needs {name} (or {name}_FILE)")
    transport = KafkaTransport(protocol=protocol, **credentials, **files)
    transport.ssl_context  # noqa: B018 - a CA or key that does not load fails here, at start-up
    return transport


def _local(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_hosts(bootstrap_servers: str) -> list[str]:
    """The bootstrap hosts that are not this machine."""
    hosts = [server.strip().rsplit(":", 1)[0] for server in bootstrap_servers.split(",")
             if server.strip()]
    return [host for host in hosts if not _local(host)]


_warned: set[tuple[str, str]] = set()


def kafka_transport(bootstrap_servers: str | None = None,
                    environ: Mapping[str, str] | None = None) -> KafkaTransport:
    """The settings in force; warns once per process about cleartext to a remote broker (the
    embedded broker on 127.0.0.1 is not worth a warning, compose's `kafka:9092` is)."""
    transport = KafkaTransport.from_env(environ)
    if bootstrap_servers and not transport.uses_tls \
            and (transport.protocol, bootstrap_servers) not in _warned:
        remote = remote_hosts(bootstrap_servers)
        if remote:
            _warned.add((transport.protocol, bootstrap_servers))
            log.warning("Kafka traffic is not encrypted: records (with personal data) cross the "
                        "network in clear; set KAFKA_SECURITY_PROTOCOL=SASL_SSL",
                        protocol=transport.protocol, brokers=remote)
    return transport


def kafka_client_options(bootstrap_servers: str | None = None) -> dict[str, Any]:
    """`AIOKafkaProducer(bootstrap_servers=..., **kafka_client_options(...))`, and so on."""
    return kafka_transport(bootstrap_servers).client_options()


def kafka_broker_security(bootstrap_servers: str | None = None) -> BaseSecurity | None:
    return kafka_transport(bootstrap_servers).broker_security()
