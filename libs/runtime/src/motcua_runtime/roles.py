"""Postgres roles: each service logs in as its own role with rights on its own schema and exactly
the shared tables its code touches; the schemas and tables belong to non-login owner roles, so no
service can alter, drop or disable triggers on anything. Run after the migrations, as the
administrative role; idempotent."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import hmac
import secrets
from collections.abc import Mapping

import asyncpg
from sqlalchemy.engine import make_url

from motcua_runtime.db import engine_url

SERVICES = ("intake", "appraisal", "approval", "signing", "delivery", "audit", "operations",
            "portal", "workspace")
SHARED_SCHEMAS = ("calendar", "telemetry", "privacy")
# Read-only role for auditors running `motcua audit replay` against the archive and intake.
AUDITOR = "auditor"
DML = ("SELECT", "INSERT", "UPDATE", "DELETE")

# Own-schema tables with less than DML: the archive's role appends and reads, never rewrites.
OWN_TABLE_RIGHTS: dict[str, dict[str, tuple[str, ...]]] = {
    "audit": {"events": ("SELECT", "INSERT")}}
# What a table a later migration adds to the schema gets before this step runs again.
DEFAULT_RIGHTS: dict[str, tuple[str, ...]] = {"audit": ("SELECT", "INSERT")}

# Rights outside a role's own schema, read from the code: every process reads the calendar
# overrides (CalendarSource) and writes its spans (PostgresSpanExporter, COPY = INSERT); intake's
# admin API edits the overrides; the operations dashboard draws traces from the spans.
_EVERYONE = {("calendar", "overrides"): ("SELECT",), ("telemetry", "spans"): ("INSERT",)}
SHARED_RIGHTS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    service: dict(_EVERYONE) for service in SERVICES}
SHARED_RIGHTS["intake"][("calendar", "overrides")] = DML
SHARED_RIGHTS["operations"][("telemetry", "spans")] = ("SELECT", "INSERT")
# The wallboard's staff sign in with their workspace account (motcua_operations.signin): read
# only, the sessions being the operations schema's own.
SHARED_RIGHTS["operations"][("workspace", "accounts")] = ("SELECT",)
# The key store of personal data (motcua_privacy): intake makes each dossier's data key when it
# files it and erases it (`motcua privacy erase`, as intake); signing (the name on the result)
# and delivery (the postal address, the receiver) read keys; no other role sees the table.
SHARED_RIGHTS["intake"][("privacy", "dossier_keys")] = ("SELECT", "INSERT", "UPDATE")
SHARED_RIGHTS["signing"][("privacy", "dossier_keys")] = ("SELECT",)
SHARED_RIGHTS["delivery"][("privacy", "dossier_keys")] = ("SELECT",)
# The replay reads the archive and compares it with intake's tracking view.
SHARED_RIGHTS[AUDITOR] = {("audit", "events"): ("SELECT",), ("intake", "dossiers"): ("SELECT",),
                          ("intake", "timeline"): ("SELECT",)}

_NOTHING_MORE = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def login_role(name: str) -> str:
    return f"motcua_{name}"


def owner_role(schema: str) -> str:
    return f"motcua_{schema}_owner"


def generate_passwords() -> dict[str, str]:
    return {name: secrets.token_urlsafe(24) for name in (*SERVICES, AUDITOR)}


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier Postgres stores (RFC 5802/7677), computed here so the password
    itself never reaches the server or its statement log."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = base64.b64encode
    return (f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
            f"${b64(stored_key).decode()}:{b64(server_key).decode()}")


def role_url(admin_url: str, name: str, password: str) -> str:
    """`admin_url` (SQLAlchemy form) with the role's name and password instead."""
    url = make_url(admin_url).set(username=login_role(name), password=password)
    return url.render_as_string(hide_password=False)


def ensure_service_roles(admin_url: str, passwords: Mapping[str, str]) -> dict[str, str]:
    """Create or update every service's role (and the auditor's, when given a password) with
    these passwords, grant what the model above says and nothing else; return each one's URL.
    Safe to call from a running event loop (it then runs on a thread of its own)."""
    missing = [service for service in SERVICES if not passwords.get(service)]
    if missing:
        raise ValueError(f"no database password for {', '.join(missing)}")
    unknown = set(passwords) - {*SERVICES, AUDITOR}
    if unknown:
        raise ValueError(f"no such database role: {', '.join(sorted(unknown))}")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_ensure(admin_url, dict(passwords)))
    else:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _ensure(admin_url, dict(passwords))).result()
    return {name: role_url(admin_url, name, password) for name, password in passwords.items()}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _ensure(admin_url: str, passwords: dict[str, str]) -> None:
    url = make_url(admin_url)
    connection = await asyncpg.connect(
        user=url.username, password=url.password or None, database=url.database,
        host=url.query.get("host") or url.host, port=url.port,
        ssl=engine_url(url).query.get("ssl"))  # TLS as the admin URL asks (None: PGSSLMODE)
    try:
        async with connection.transaction():
            # Roles are cluster-wide: one such step at a time on the whole server.
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('motcua roles'))")
            await _apply(connection, passwords)
    finally:
        await connection.close()


async def _apply(db: asyncpg.Connection, passwords: dict[str, str]) -> None:
    superuser = await db.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    database = _ident(await db.fetchval("SELECT current_database()"))
    schemas = [*SERVICES, *SHARED_SCHEMAS]
    present = {row[0] for row in await db.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])", schemas)}
    absent = [schema for schema in schemas if schema not in present]
    if absent:
        raise RuntimeError(f"schemas {', '.join(absent)} missing: run the migrations first")
    existing = {row[0] for row in await db.fetch("SELECT rolname FROM pg_roles")}
    # Only a role holding SUPERUSER, REPLICATION, BYPASSRLS or CREATEDB may even mention it; one
    # without cannot give it either, and the check below refuses a role that has any.
    attributes = _NOTHING_MORE if superuser else "NOCREATEROLE"

    for schema in schemas:
        owner = owner_role(schema)
        if owner not in existing:
            await db.execute(f"CREATE ROLE {_ident(owner)} NOLOGIN {attributes}")
        await db.execute(f"ALTER ROLE {_ident(owner)} NOLOGIN {attributes}")
        if not superuser:
            # A migration role that is not a superuser alters the owners' tables through
            # membership (Postgres 16+ syntax: inherit their rights and be able to hand objects
            # to them).
            await db.execute(f"GRANT {_ident(owner)} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE")

    logins = [login_role(name) for name in passwords]
    for name, password in passwords.items():
        role = _ident(login_role(name))
        if login_role(name) not in existing:
            await db.execute(f"CREATE ROLE {role} LOGIN {attributes}")
        # NOINHERIT as well: were the role ever made a member of an owner, it would still have
        # to SET ROLE on purpose; the memberships are revoked below anyway.
        await db.execute(f"ALTER ROLE {role} LOGIN NOINHERIT {attributes} "
                         f"PASSWORD '{scram_verifier(password)}'")
        for (granted,) in await db.fetch(
                "SELECT roleid::regrole::text FROM pg_auth_members "
                "WHERE member = $1::regrole", login_role(name)):
            await db.execute(f"REVOKE {granted} FROM {role}")

    # Take back from every motcua login role there is, also one left out of this run (the
    # auditor's, say), before granting to those given a password.
    known = [login_role(name) for name in (*SERVICES, AUDITOR)
             if login_role(name) in existing or name in passwords]
    granted = ", ".join(_ident(role) for role in logins)
    everyone = ", ".join(_ident(role) for role in known)
    await db.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC, {everyone}")
    await db.execute(f"GRANT CONNECT ON DATABASE {database} TO {granted}")
    await db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    await db.execute(f"REVOKE ALL ON SCHEMA public FROM {everyone}")

    for schema in schemas:
        await _own(db, schema)
        quoted = _ident(schema)
        for what in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            await db.execute(f"REVOKE ALL ON ALL {what} IN SCHEMA {quoted} FROM PUBLIC, {everyone}")
        await db.execute(f"REVOKE ALL ON SCHEMA {quoted} FROM PUBLIC, {everyone}")
        await db.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted} "
                         f"REVOKE ALL ON TABLES FROM {everyone}")
        await db.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted} "
                         f"REVOKE ALL ON SEQUENCES FROM {everyone}")

    for service in SERVICES:
        role = _ident(login_role(service))
        quoted = _ident(service)
        await db.execute(f"GRANT USAGE ON SCHEMA {quoted} TO {role}")
        rights = OWN_TABLE_RIGHTS.get(service, {})
        for (table,) in await db.fetch(
                "SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace "
                "AND relkind IN ('r', 'p', 'v', 'm') AND relname <> 'alembic_version'", service):
            privileges = ", ".join(rights.get(table, DML))
            await db.execute(f"GRANT {privileges} ON {quoted}.{_ident(table)} TO {role}")
        await db.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quoted} TO {role}")
        default = ", ".join(DEFAULT_RIGHTS.get(service, DML))
        await db.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted} "
                         f"GRANT {default} ON TABLES TO {role}")
        await db.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted} "
                         f"GRANT USAGE ON SEQUENCES TO {role}")

    powerful = await db.fetch(
        "SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) AND (rolsuper OR "
        "rolreplication OR rolbypassrls OR rolcreaterole OR rolcreatedb)",
        [*logins, *map(owner_role, schemas)])
    if powerful:
        raise RuntimeError(f"roles {', '.join(r[0] for r in powerful)} hold SUPERUSER, "
                           "REPLICATION, BYPASSRLS, CREATEDB or CREATEROLE: a superuser must "
                           "take it back")

    for name in passwords:
        role = _ident(login_role(name))
        for (schema, table), shared in SHARED_RIGHTS[name].items():
            await db.execute(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {role}")
            await db.execute(f"GRANT {', '.join(shared)} ON "
                             f"{_ident(schema)}.{_ident(table)} TO {role}")


async def _own(db: asyncpg.Connection, schema: str) -> None:
    """Hand the schema and everything in it to its owner role (a table takes its identity
    sequences with it)."""
    owner = _ident(owner_role(schema))
    await db.execute(f"ALTER SCHEMA {_ident(schema)} OWNER TO {owner}")
    for (relation,) in await db.fetch(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = $1::regnamespace "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')", schema):
        await db.execute(f"ALTER TABLE {relation} OWNER TO {owner}")
    for (sequence,) in await db.fetch(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = $1::regnamespace "
            "AND c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid "
            "AND d.deptype IN ('a', 'i'))", schema):
        await db.execute(f"ALTER SEQUENCE {sequence} OWNER TO {owner}")
    for (function,) in await db.fetch(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "WHERE p.pronamespace = $1::regnamespace", schema):
        await db.execute(f"ALTER ROUTINE {function} OWNER TO {owner}")
