"""`python -m motcua_delivery [--agency CODE]`: run the delivery stage service."""

from motcua_delivery import STAGE
from motcua_delivery.app import run
from motcua_delivery.settings import DeliverySettings
from motcua_runtime.entrypoint import service_main

if __name__ == "__main__":
    service_main(STAGE, DeliverySettings, run)
