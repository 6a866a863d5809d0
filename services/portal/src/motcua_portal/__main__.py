"""`python -m motcua_portal`: run the national portal's sync."""

from motcua_portal import STAGE
from motcua_portal.app import run
from motcua_portal.settings import PortalSettings
from motcua_runtime.entrypoint import service_main

if __name__ == "__main__":
    service_main(STAGE, PortalSettings, run)
