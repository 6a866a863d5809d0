"""The catalogue's versions: each import stored whole with its effective time (table
`intake.catalogue_versions`), the version in force at a given time, and the parsed versions this
process has read.

Intake owns them because intake is where the catalogue becomes a dossier's terms: it chooses the
version in force when the dossier is received, records it on the dossier and in its
DossierSubmitted, and computes from it the appointment and the step deadlines that every later
stage receives in the dossier's facts. A new version therefore never moves an accepted dossier's
deadlines, and a dossier accepted after a supplement is still counted under the version it was
received under (docs/catalogue.md)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from motcua_catalogue import Catalogue, CatalogueError
from motcua_catalogue.export import Export, parse_export
from motcua_intake.orm import CatalogueVersion
from motcua_runtime.db import create_engine
from motcua_runtime.settings import ServiceSettings

log = structlog.get_logger(__name__)


class UnknownCatalogueVersion(LookupError):
    """A dossier names a version this process has not read (yet): it is not handled under
    another one instead."""


@dataclass(frozen=True)
class StoredVersion:
    version: int
    effective_from: datetime
    title: str
    source: str
    sha256: str
    procedures: int
    agencies: int
    imported_at: datetime
    imported_by: str


class CatalogueVersions:
    """The shipped catalogue (version 0, in force until a first import) and the imported ones
    this process has parsed; a stored version never changes, so a parsed one is kept."""

    def __init__(self, shipped: Catalogue) -> None:
        self.shipped = shipped
        self._parsed: dict[int, Catalogue] = {}

    def get(self, version: int | None) -> Catalogue:
        if not version:
            return self.shipped
        try:
            return self._parsed[version]
        except KeyError:
            raise UnknownCatalogueVersion(
                f"catalogue version {version} has not been read by this process yet") from None

    def known(self) -> list[int]:
        return sorted(self._parsed)

    def remember(self, catalogue: Catalogue) -> None:
        """Keep a parsed version (its `version` set): what reading it from the table does."""
        if not catalogue.version:
            raise ValueError("the shipped catalogue is version 0, not one to remember")
        self._parsed[catalogue.version] = catalogue

    async def in_force(self, session: AsyncSession | AsyncConnection, at: datetime) -> Catalogue:
        """The catalogue new dossiers are received under at `at`: the newest version whose
        effective time has come (the shipped one before any)."""
        query = (select(CatalogueVersion.version).where(CatalogueVersion.effective_from <= at)
                 .order_by(CatalogueVersion.effective_from.desc(),
                           CatalogueVersion.version.desc()).limit(1))
        version = (await session.execute(query)).scalar_one_or_none()
        if version is None:
            return self.shipped
        if version not in self._parsed:
            await self._read(session, [version])
        return self._parsed[version]

    async def refresh(self, session: AsyncSession | AsyncConnection) -> None:
        """Read every stored version this process has not parsed yet."""
        stored = await session.execute(select(CatalogueVersion.version))
        await self._read(session, [v for v in stored.scalars() if v not in self._parsed])

    async def _read(self, session: AsyncSession | AsyncConnection, versions: list[int]) -> None:
        if not versions:
            return
        rows = await session.execute(
            select(CatalogueVersion.version, CatalogueVersion.document)
            .where(CatalogueVersion.version.in_(versions)))
        for version, document in rows:
            self.remember(catalogue_of(version, document))


def catalogue_of(version: int, document: str) -> Catalogue:
    export = parse_export(document, f"catalogue version {version}")
    return replace(export.catalogue, version=version)


async def store_version(session: AsyncSession, export: Export, document: str, *, source: str,
                        imported_by: str) -> StoredVersion:
    """Store a validated export as the next version, inside the caller's transaction. An
    effective time before the newest version's would rewrite what was in force in the past:
    refused (and so is the same file imported twice for the same time)."""
    newest = (await session.execute(
        select(CatalogueVersion.version, CatalogueVersion.effective_from, CatalogueVersion.sha256)
        .order_by(CatalogueVersion.version.desc()).limit(1).with_for_update())).first()
    sha256 = hashlib.sha256(document.encode()).hexdigest()
    if newest is not None and export.effective_from <= newest.effective_from:
        raise CatalogueError(
            f"{source}:1: effective_from {export.effective_from.isoformat()} is not after "
            f"version {newest.version}'s ({newest.effective_from.isoformat()}): a version takes "
            "effect after the ones before it")
    version = (newest.version if newest is not None else 0) + 1
    row = CatalogueVersion(
        version=version, effective_from=export.effective_from, title=export.title,
        source=source, sha256=sha256, document=document,
        procedures=len(export.catalogue.procedures), agencies=len(export.catalogue.agencies),
        imported_by=imported_by)
    session.add(row)
    await session.flush()
    stored = await session.get(CatalogueVersion, version)
    assert stored is not None
    return _stored(stored)


async def list_versions(session: AsyncSession) -> list[StoredVersion]:
    rows = await session.execute(select(CatalogueVersion).order_by(CatalogueVersion.version))
    return [_stored(row) for row in rows.scalars()]


def _stored(row: CatalogueVersion) -> StoredVersion:
    return StoredVersion(row.version, row.effective_from, row.title, row.source, row.sha256,
                         row.procedures, row.agencies, row.imported_at, row.imported_by)


async def read_versions(settings: ServiceSettings, versions: CatalogueVersions) -> None:
    """Read every stored version once, at start (the service's own short-lived engine)."""
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=1)
    try:
        async with engine.connect() as connection:
            await versions.refresh(connection)
    finally:
        await engine.dispose()


async def refresh_versions(engine: AsyncEngine, versions: CatalogueVersions,
                           stopping: asyncio.Event, *, every: float) -> None:
    """Read versions imported since, until `stopping`; a database fault is retried next time."""
    while not stopping.is_set():
        try:
            async with engine.connect() as connection:
                await versions.refresh(connection)
        except (OSError, DBAPIError) as error:
            log.warning("catalogue versions not refreshed", error=str(error))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
