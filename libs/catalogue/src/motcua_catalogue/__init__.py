"""The province's public catalogue: the agencies that staff the centre and the administrative
procedures they handle, loaded from data files and validated at start-up; and the working-time
calendar that turns a procedure's time limit into an appointment and per-step deadlines."""

from motcua_catalogue.catalogue import (
    Agency,
    Catalogue,
    CatalogueError,
    Procedure,
    load_catalogue,
)
from motcua_catalogue.office_hours import OfficeHours
from motcua_catalogue.working_time import VIETNAM, WorkingCalendar

__all__ = ["VIETNAM", "Agency", "Catalogue", "CatalogueError", "OfficeHours", "Procedure",
           "WorkingCalendar", "load_catalogue"]
