"""Appraisal's composition root: the one place where its parts are wired."""

from __future__ import annotations

import asyncio

from motcua_appraisal.handlers import Appraisal, appraisal_stage
from motcua_appraisal.orm import WorkItem
from motcua_appraisal.settings import AppraisalSettings
from motcua_catalogue.catalogue import default_catalogue
from motcua_runtime.gauges import open_work_items
from motcua_runtime.service import live_calendar, run_stage
from motcua_runtime.work_queue import work_queue_server


async def run(settings: AppraisalSettings, stop: asyncio.Event | None = None) -> None:
    async with live_calendar(settings) as calendar:
        policy = Appraisal(default_catalogue(), calendar.live(), officers=settings.officers,
                           supplement_window_days=settings.supplement_window_days)
        stage = appraisal_stage(policy)
        api = work_queue_server(settings, stage, WorkItem, policy.work_queue())
        await run_stage(settings, stage, api=api,
                        open_work=open_work_items(WorkItem, settings.scope), stop=stop)
