"""`python -m motcua_appraisal [--agency CODE]`: run the appraisal stage service."""

from motcua_appraisal import STAGE
from motcua_appraisal.app import run
from motcua_appraisal.settings import AppraisalSettings
from motcua_runtime.entrypoint import service_main

if __name__ == "__main__":
    service_main(STAGE, AppraisalSettings, run)
