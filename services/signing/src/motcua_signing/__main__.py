"""`python -m motcua_signing [--agency CODE]`: run the signing stage service."""

from motcua_runtime.entrypoint import service_main
from motcua_signing import STAGE
from motcua_signing.app import run
from motcua_signing.settings import SigningSettings

if __name__ == "__main__":
    service_main(STAGE, SigningSettings, run)
