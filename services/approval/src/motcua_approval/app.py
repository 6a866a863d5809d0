"""Approval's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from motcua_catalogue.catalogue import default_catalogue
from motcua_approval.handlers import approval_stage
from motcua_approval.settings import ApprovalSettings
from motcua_runtime.service import run_stage


async def run(settings: ApprovalSettings, stop: asyncio.Event | None = None) -> None:
    await run_stage(settings, approval_stage(default_catalogue()), stop=stop)
