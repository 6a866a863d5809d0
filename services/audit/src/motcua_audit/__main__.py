"""`python -m motcua_audit`: run the audit archive consumer."""

from motcua_audit import STAGE
from motcua_audit.app import run
from motcua_audit.settings import AuditSettings
from motcua_runtime.entrypoint import service_main

if __name__ == "__main__":
    service_main(STAGE, AuditSettings, run)
