"""Each service's Postgres role on a real migrated database: every read and write outside what its
code needs is refused, its own tables work, the archive's role cannot rewrite or unprotect the
archive, and nobody can create objects or log in without the password."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from motcua_runtime.roles import AUDITOR, SERVICES, ensure_service_roles, login_role
from tests.support import TEST_ROLE_PASSWORDS

ROLES = (*SERVICES, AUDITOR)
SCHEMAS = (*SERVICES, "calendar", "telemetry", "privacy")
OPERATIONS = ("SELECT", "INSERT", "UPDATE", "DELETE")

# Everything a role may do outside its own schema, written out here (not taken from the code
# under test): the calendar for everyone, spans written by everyone, the auditor's reads.
SHARED = {
    *{(role, "calendar.overrides", "SELECT") for role in SERVICES},
    *{(role, "telemetry.spans", "INSERT") for role in SERVICES},
    *{("intake", "calendar.overrides", op) for op in OPERATIONS},
    ("operations", "telemetry.spans", "SELECT"),
    # The wallboard's staff sign in with their workspace account: read, never written.
    ("operations", "workspace.accounts", "SELECT"),
    # The key store of personal data: intake makes and erases keys, signing and delivery read.
    *{("intake", "privacy.dossier_keys", op) for op in ("SELECT", "INSERT", "UPDATE")},
    ("signing", "privacy.dossier_keys", "SELECT"),
    ("delivery", "privacy.dossier_keys", "SELECT"),
    ("auditor", "audit.events", "SELECT"),
    ("auditor", "intake.dossiers", "SELECT"),
    ("auditor", "intake.timeline", "SELECT"),
}


def allowed(role: str, table: str, operation: str) -> bool:
    schema, name = table.split(".")
    if (role, table, operation) in SHARED:
        return True
    if schema != role or name == "alembic_version":
        return False
    return not (table == "audit.events" and operation in ("UPDATE", "DELETE"))


async def connect(url: str, password: str | None = None) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(user=parsed.username, database=parsed.database,
                                 password=password if password is not None else parsed.password,
                                 host=parsed.query.get("host") or parsed.host, port=parsed.port)


async def refused(connection: asyncpg.Connection, statement: str) -> bool:
    """Whether Postgres refuses the statement for want of a privilege; anything it tried is
    rolled back (a NOT NULL violation of an empty INSERT means the privilege was there)."""
    try:
        async with connection.transaction():
            await connection.execute(statement)
            raise _Rollback
    except _Rollback:
        return False
    except asyncpg.InsufficientPrivilegeError:
        return True
    except asyncpg.PostgresError:
        return False


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
async def roles_database(infra):
    database_url, _ = await infra.isolated("roles")
    urls = ensure_service_roles(database_url, TEST_ROLE_PASSWORDS)
    admin = await connect(database_url)
    tables = {}
    for schema, table, column in await admin.fetch(
            "SELECT DISTINCT ON (c.table_schema, c.table_name) c.table_schema, c.table_name, "
            "c.column_name FROM information_schema.columns c JOIN information_schema.tables t "
            "USING (table_schema, table_name) WHERE c.table_schema = ANY($1::text[]) "
            "AND t.table_type = 'BASE TABLE' ORDER BY c.table_schema, c.table_name, "
            "c.ordinal_position", list(SCHEMAS)):
        tables[f"{schema}.{table}"] = column
    await admin.close()
    assert {t.split(".")[0] for t in tables} == set(SCHEMAS)
    assert "audit.events" in tables and "intake.dossiers" in tables
    return database_url, urls, tables


@pytest.mark.parametrize("role", ROLES)
async def test_a_role_may_do_only_what_its_code_needs_on_every_table(roles_database, role):
    _, urls, tables = roles_database
    connection = await connect(urls[role])
    wrong = []
    try:
        for table, column in tables.items():
            schema, name = table.split(".")
            quoted = f'"{schema}"."{name}"'
            statements = {
                "SELECT": f"SELECT * FROM {quoted} LIMIT 1",
                "INSERT": f"INSERT INTO {quoted} DEFAULT VALUES",
                "UPDATE": f'UPDATE {quoted} SET "{column}" = "{column}"',
                "DELETE": f"DELETE FROM {quoted}",
            }
            for operation, statement in statements.items():
                if await refused(connection, statement) == allowed(role, table, operation):
                    wrong.append(f"{operation} {table}: "
                                 + ("refused" if allowed(role, table, operation) else "allowed"))
            if await refused(connection, f"TRUNCATE {quoted}") is False:
                wrong.append(f"TRUNCATE {table}: allowed")
    finally:
        await connection.close()
    assert not wrong, wrong


@pytest.mark.parametrize("role", ROLES)
async def test_no_role_creates_objects_owns_anything_or_becomes_someone_else(roles_database,
                                                                             role):
    database_url, urls, _ = roles_database
    connection = await connect(urls[role])
    try:
        for statement in ("CREATE TABLE public.planted (i int)",
                          "CREATE SCHEMA planted",
                          "CREATE TEMP TABLE planted (i int)",
                          f'CREATE TABLE "{role if role in SCHEMAS else "intake"}".planted (i int)',
                          "SET session_replication_role = replica",
                          "SET ROLE postgres",
                          f"SET ROLE motcua_{role if role in SCHEMAS else 'audit'}_owner",
                          f"ALTER ROLE {login_role(role)} SUPERUSER",
                          f"CREATE ROLE planted_{role}"):
            assert await refused(connection, statement), statement
    finally:
        await connection.close()
    admin = await connect(database_url)
    try:
        attributes = await admin.fetchrow(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, "
            "rolcanlogin, (SELECT count(*) FROM pg_class WHERE relowner = r.oid) AS relations, "
            "(SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) AS schemas, "
            "(SELECT count(*) FROM pg_auth_members WHERE member = r.oid) AS memberships "
            "FROM pg_roles r WHERE rolname = $1", login_role(role))
    finally:
        await admin.close()
    assert dict(attributes) == {"rolsuper": False, "rolcreaterole": False, "rolcreatedb": False,
                                "rolbypassrls": False, "rolreplication": False,
                                "rolcanlogin": True, "relations": 0, "schemas": 0,
                                "memberships": 0}


async def test_the_archive_role_appends_but_cannot_rewrite_or_unprotect_the_archive(
        roles_database):
    _, urls, _ = roles_database
    audit = await connect(urls["audit"])
    try:
        async with audit.transaction():
            await audit.execute(
                "INSERT INTO audit.events (topic, partition, \"offset\", value, value_sha256, "
                "headers) VALUES ('t', 0, 0, 'v', 'h', '[]')")
        assert await audit.fetchval("SELECT count(*) FROM audit.events") == 1
        for statement in ("DELETE FROM audit.events",
                          "UPDATE audit.events SET value = 'forged'",
                          "TRUNCATE audit.events",
                          "ALTER TABLE audit.events DISABLE TRIGGER ALL",
                          "ALTER TABLE audit.events DISABLE TRIGGER events_no_update_or_delete",
                          "DROP TRIGGER events_no_update_or_delete ON audit.events",
                          "DROP TABLE audit.events",
                          "SELECT setval('audit.events_id_seq', 1)",
                          "SET LOCAL session_replication_role = replica"):
            assert await refused(audit, statement), statement
        # A grant without the grant option is only a warning, and gives nothing.
        await audit.execute("GRANT DELETE ON audit.events TO PUBLIC")
        assert not await audit.fetchval(
            "SELECT has_table_privilege('motcua_intake', 'audit.events', 'DELETE')")
        assert await audit.fetchval("SELECT count(*) FROM audit.events") == 1
        # Refused by the privileges themselves, not only by the archive's triggers (which raise
        # the same SQLSTATE, and which an owner could disable).
        for privilege in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES"):
            assert not await audit.fetchval(
                "SELECT has_table_privilege('audit.events', $1)", privilege), privilege
        assert await audit.fetchval("SELECT tableowner FROM pg_tables WHERE schemaname = "
                                    "'audit' AND tablename = 'events'") == "motcua_audit_owner"
    finally:
        await audit.close()


async def test_running_it_again_takes_back_rights_granted_by_hand(roles_database):
    database_url, urls, _ = roles_database
    admin = await connect(database_url)
    try:
        await admin.execute("GRANT DELETE, TRUNCATE ON audit.events TO motcua_audit")
        await admin.execute("GRANT motcua_audit_owner TO motcua_audit")
        await admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA intake TO PUBLIC")
        await admin.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
    finally:
        await admin.close()
    assert ensure_service_roles(database_url, TEST_ROLE_PASSWORDS) == urls
    audit = await connect(urls["audit"])
    try:
        assert await refused(audit, "DELETE FROM audit.events")
        assert await refused(audit, "SET ROLE motcua_audit_owner")
        assert await refused(audit, "SELECT * FROM intake.dossiers")
        assert await refused(audit, "CREATE TABLE public.planted (i int)")
    finally:
        await audit.close()


@pytest.mark.skipif(bool(os.environ.get("MOTCUA_TEST_DATABASE_URL")),
                    reason="the embedded server's pg_hba.conf is ours; another server's is not")
@pytest.mark.parametrize("role", ROLES)
async def test_a_role_cannot_log_in_without_its_password(roles_database, role):
    _, urls, _ = roles_database
    for password in ("", "wrong", TEST_ROLE_PASSWORDS["intake" if role != "intake" else "audit"]):
        with pytest.raises((asyncpg.InvalidPasswordError,
                            asyncpg.InvalidAuthorizationSpecificationError)):
            await connect(urls[role], password=password)
    (await connect(urls[role])).terminate()


async def test_a_migration_role_that_is_not_a_superuser_sets_up_the_same_roles(
        infra, roles_database):
    # Production migrates as a role with CREATEROLE that owns the database. On a fresh cluster it
    # creates the service roles and so administers them; here other tests' superuser made them
    # first (roles_database), so the superuser hands it that administration, as creating them
    # would have.
    from motcua_cli.embedded import create_database
    from motcua_cli.up import migrate_all
    from motcua_runtime.roles import owner_role, role_url

    server = await connect(infra.server_url)
    migrator, password = "motcua_test_migrator", "migrator-password-0123456789"
    try:
        if not await server.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", migrator):
            await server.execute(f"CREATE ROLE {migrator} LOGIN CREATEROLE")
        await server.execute(f"ALTER ROLE {migrator} PASSWORD '{password}'")
        database_url = await create_database(infra.server_url, f"migrator_{os.getpid()}")
        await server.execute(f"ALTER DATABASE {make_url(database_url).database} "
                             f"OWNER TO {migrator}")
        for role in [*map(login_role, ROLES), *map(owner_role, SCHEMAS)]:
            await server.execute(f"GRANT {role} TO {migrator} WITH ADMIN OPTION, "
                                 "INHERIT FALSE, SET FALSE")
    finally:
        await server.close()
    migrator_url = role_url(database_url, "test_migrator", password)
    await asyncio.to_thread(migrate_all, migrator_url)
    urls = ensure_service_roles(migrator_url, TEST_ROLE_PASSWORDS)
    await asyncio.to_thread(migrate_all, migrator_url)  # migrations still run on owned tables
    ensure_service_roles(migrator_url, TEST_ROLE_PASSWORDS)
    audit = await connect(urls["audit"])
    try:
        assert await audit.fetchval("SELECT count(*) FROM audit.events") == 0
        assert await refused(audit, "DELETE FROM audit.events")
        assert await refused(audit, "ALTER TABLE audit.events DISABLE TRIGGER ALL")
        assert await refused(audit, "SELECT * FROM intake.dossiers")
        assert await audit.fetchval("SELECT tableowner FROM pg_tables WHERE schemaname = "
                                    "'audit' AND tablename = 'events'") == "motcua_audit_owner"
    finally:
        await audit.close()


async def test_a_role_left_out_of_a_run_loses_what_it_had(roles_database):
    database_url, urls, _ = roles_database
    without_auditor = {k: v for k, v in TEST_ROLE_PASSWORDS.items() if k != AUDITOR}
    try:
        ensure_service_roles(database_url, without_auditor)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="CONNECT"):
            await connect(urls[AUDITOR])
    finally:
        ensure_service_roles(database_url, TEST_ROLE_PASSWORDS)
    (await connect(urls[AUDITOR])).terminate()
