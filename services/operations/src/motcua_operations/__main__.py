"""`python -m motcua_operations`: run the operations read model and its dashboard."""

from motcua_operations import STAGE
from motcua_operations.app import run
from motcua_operations.settings import OperationsSettings
from motcua_runtime.entrypoint import service_main

if __name__ == "__main__":
    service_main(STAGE, OperationsSettings, run)
