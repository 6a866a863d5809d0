"""`python -m motcua_intake [--agency CODE]`: run the intake service and its HTTP API."""

from motcua_intake import STAGE
from motcua_intake.app import run
from motcua_intake.settings import IntakeSettings
from motcua_runtime.entrypoint import service_main

if __name__ == "__main__":
    service_main(STAGE, IntakeSettings, run)
