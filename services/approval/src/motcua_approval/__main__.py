"""`python -m motcua_approval [--agency CODE]`: run the approval stage service."""

from motcua_approval import STAGE
from motcua_approval.app import run
from motcua_approval.settings import ApprovalSettings
from motcua_runtime.entrypoint import service_main

if __name__ == "__main__":
    service_main(STAGE, ApprovalSettings, run)
