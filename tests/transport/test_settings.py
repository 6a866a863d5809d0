"""The Kafka transport settings: what each combination gives every aiokafka client and the
FastStream broker, and the refusals that name the variable."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest
import structlog
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from motcua_runtime.transport import (
    KafkaTransport,
    TransportSettingError,
    kafka_transport,
    remote_hosts,
)
from tests.transport.certs import CertificateAuthority


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("kafka-ca"))


def test_default_is_plaintext_with_nothing_else() -> None:
    transport = KafkaTransport.from_env({})
    assert transport.client_options() == {"security_protocol": "PLAINTEXT"}
    assert transport.broker_security() is None


def test_empty_values_count_as_unset() -> None:
    # compose passes `${KAFKA_SASL_USERNAME:-}`: an empty variable is no setting
    assert KafkaTransport.from_env({"KAFKA_SECURITY_PROTOCOL": "", "KAFKA_SASL_USERNAME": " "}
                                   ).client_options() == {"security_protocol": "PLAINTEXT"}


def test_ssl_with_a_ca_checks_the_broker_and_its_name(ca) -> None:
    transport = KafkaTransport.from_env({"KAFKA_SECURITY_PROTOCOL": "ssl",
                                         "KAFKA_SSL_CAFILE": str(ca.cert)})
    options = transport.client_options()
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "motcua test CA"),),)]
    security = transport.broker_security()
    assert type(security) is BaseSecurity and security.use_ssl
    assert security.ssl_context is context  # one context per settings, shared
    assert parse_security(security) == options  # FastStream's consumers get the same


def test_mutual_tls_loads_the_client_certificate(ca) -> None:
    client = ca.issue("client", dns=("intake",), ips=(), client=True)
    transport = KafkaTransport.from_env({
        "KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": str(ca.cert),
        "KAFKA_SSL_CERTFILE": str(client.cert), "KAFKA_SSL_KEYFILE": str(client.key)})
    assert transport.client_options()["ssl_context"] is not None


@pytest.mark.parametrize(("mechanism", "kind"), [
    ("SCRAM-SHA-512", SASLScram512), ("scram-sha-256", SASLScram256), ("PLAIN", SASLPlaintext)])
def test_sasl_ssl_gives_the_mechanism_and_credentials(ca, mechanism, kind) -> None:
    transport = KafkaTransport.from_env({
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": mechanism,
        "KAFKA_SASL_USERNAME": "intake", "KAFKA_SASL_PASSWORD": "s3cret",
        "KAFKA_SSL_CAFILE": str(ca.cert)})
    options = transport.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == mechanism.upper()
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("intake", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    security = transport.broker_security()
    assert type(security) is kind and security.use_ssl
    assert parse_security(security) == options
    assert "s3cret" not in repr(transport)


def test_sasl_defaults_to_scram_sha_512_and_reads_mounted_secrets(tmp_path: Path) -> None:
    (tmp_path / "user").write_text("audit\n")
    (tmp_path / "password").write_text("from a file\n")
    transport = KafkaTransport.from_env({
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_USERNAME_FILE": str(tmp_path / "user"),
        "KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "password")})
    assert transport.client_options() == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "audit", "sasl_plain_password": "from a file"}
    assert parse_security(transport.broker_security()) == {
        **transport.client_options(), "ssl_context": None}


@pytest.mark.parametrize(("environ", "message"), [
    ({"KAFKA_SECURITY_PROTOCOL": "TLS"},
     "KAFKA_SECURITY_PROTOCOL='TLS': one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u"},
     "needs KAFKA_SASL_PASSWORD"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_PASSWORD": "p"},
     "needs KAFKA_SASL_USERNAME"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "GSSAPI",
      "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"},
     "KAFKA_SASL_MECHANISM='GSSAPI': one of SCRAM-SHA-256, SCRAM-SHA-512, PLAIN"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "PLAIN",
      "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"},
     "sends the password in clear"),
    ({"KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"},
     "KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does "
     "not use it"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SSL_CAFILE": "/ca.crt",
      "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"},
     "KAFKA_SSL_CAFILE set but KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": "/nowhere/ca.crt"},
     "KAFKA_SSL_CAFILE='/nowhere/ca.crt': no such file"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u",
      "KAFKA_SASL_PASSWORD": "p", "KAFKA_SASL_PASSWORD_FILE": "/run/secrets/p"},
     "both KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are set"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u",
      "KAFKA_SASL_PASSWORD_FILE": "/nowhere/password"},
     "KAFKA_SASL_PASSWORD_FILE='/nowhere/password' cannot be read"),
])
def test_refusals_name_the_variable(environ, message) -> None:
    with pytest.raises(TransportSettingError, match=re.escape(message)):
        KafkaTransport.from_env(environ)


def test_a_key_without_its_certificate_and_a_file_that_is_no_ca_are_refused(ca, tmp_path) -> None:
    client = ca.issue("client2", client=True)
    with pytest.raises(TransportSettingError, match="KAFKA_SSL_KEYFILE set without "
                                                    "KAFKA_SSL_CERTFILE"):
        KafkaTransport.from_env({"KAFKA_SECURITY_PROTOCOL": "SSL",
                                 "KAFKA_SSL_KEYFILE": str(client.key)})
    (tmp_path / "not-a-ca.pem").write_text("hello\n")
    with pytest.raises(TransportSettingError, match="KAFKA_SSL_CAFILE=.*not-a-ca.pem' could not be "
                                                    "loaded"):
        KafkaTransport.from_env({"KAFKA_SECURITY_PROTOCOL": "SSL",
                                 "KAFKA_SSL_CAFILE": str(tmp_path / "not-a-ca.pem")})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(TransportSettingError, match="KAFKA_SASL_PASSWORD_FILE=.* is empty"):
        KafkaTransport.from_env({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                                 "KAFKA_SASL_USERNAME": "u",
                                 "KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "empty")})


def test_cleartext_to_a_remote_broker_is_a_warning_once_and_loopback_none() -> None:
    assert remote_hosts("127.0.0.1:9092,localhost:9093,[::1]:9094") == []
    assert remote_hosts("kafka:9092, 10.0.0.5:9092") == ["kafka", "10.0.0.5"]
    with structlog.testing.capture_logs() as logs:
        kafka_transport("127.0.0.1:9092", environ={})
        kafka_transport("kafka-test-warning:9092", environ={})
        kafka_transport("kafka-test-warning:9092", environ={})
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1
    assert warnings[0]["brokers"] == ["kafka-test-warning"]
    assert "KAFKA_SECURITY_PROTOCOL=SASL_SSL" in warnings[0]["event"]


def test_motcua_up_refuses_tls_or_sasl_for_the_embedded_broker(monkeypatch, tmp_path) -> None:
    from motcua_cli.embedded_stack import EmbeddedStack

    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "u")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "p")
    stack = EmbeddedStack(tmp_path, api_port=0)
    with pytest.raises(TransportSettingError, match="embedded broker speaks PLAINTEXT only"):
        stack.start()  # before any process or port
    assert stack.postgres is None and stack.broker is None
