"""Appraisal's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from motcua_catalogue.catalogue import default_catalogue
from motcua_appraisal.handlers import appraisal_stage
from motcua_appraisal.settings import AppraisalSettings
from motcua_runtime.service import run_stage


async def run(settings: AppraisalSettings, stop: asyncio.Event | None = None) -> None:
    await run_stage(settings, appraisal_stage(default_catalogue()), stop=stop)
