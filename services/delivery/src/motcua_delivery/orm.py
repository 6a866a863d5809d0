"""Delivery's tables, in schema "delivery": its work items, outbox and inbox."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from motcua_delivery import STAGE
from motcua_runtime.chains import chain_links_table
from motcua_runtime.db import dead_letters_table, inbox_table, outbox_table
from motcua_runtime.work_items import WorkItemColumns


class Base(DeclarativeBase):
    metadata = MetaData(schema=STAGE)


class WorkItem(WorkItemColumns, Base):
    pass


OUTBOX = outbox_table(Base.metadata)
INBOX = inbox_table(Base.metadata)
DEAD_LETTERS = dead_letters_table(Base.metadata)
CHAIN_LINKS = chain_links_table(Base.metadata)
