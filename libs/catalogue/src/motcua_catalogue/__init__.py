"""The province's public catalogue: the agencies that staff the centre and the administrative
procedures they handle, loaded from data files and validated at start-up; and the working-time
calendar that turns a procedure's time limit into an appointment."""

from motcua_catalogue.catalogue import (
    Agency, Catalogue, CatalogueError, Procedure, load_catalogue,
)
from motcua_catalogue.working_time import WorkingCalendar

__all__ = ["Agency", "Catalogue", "CatalogueError", "Procedure", "WorkingCalendar",
           "load_catalogue"]
