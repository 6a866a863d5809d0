"""The test portal (tests.portal.server) in its own process on a free local port, and its
controls: the faults to switch on and off, what it received, what it holds."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from motcua_cli.embedded import free_port
from tests.portal.server import PASSWORD, UNIT, USERNAME


class PortalStandIn:
    def __init__(self, url: str) -> None:
        self.url = url

    def env(self, **overrides: str) -> dict[str, str]:
        """What the portal sync needs to reach this portal (development: plain http)."""
        return {"PORTAL_URL": self.url, "PORTAL_UNIT_CODE": UNIT, "PORTAL_USERNAME": USERNAME,
                "PORTAL_PASSWORD": PASSWORD, **overrides}

    async def faults(self, **faults: Any) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            (await client.post("/control/faults", json=faults)).raise_for_status()

    async def received(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            return (await client.get("/control/received")).raise_for_status().json()

    async def dossiers(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            return (await client.get("/control/dossiers")).raise_for_status().json()


@contextmanager
def running_portal(log_path: Path, tls: tuple[Path, Path, Path] | None = None,
                   catalogue: Path | None = None) -> Iterator[PortalStandIn]:
    """`tls`: (certificate, key, the CA that issued it): the portal serves https.
    `catalogue`: the portal's own catalogue (tests.portal.server's --catalogue)."""
    port = free_port()
    command = [sys.executable, "-m", "tests.portal.server", "--port", str(port)]
    if catalogue is not None:
        command += ["--catalogue", str(catalogue)]
    if tls is not None:
        command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/control/received", timeout=1, verify=ssl.create_default_context(
                    cafile=str(tls[2])) if tls else True).raise_for_status()
                break
            except httpx.HTTPError:
                assert process.poll() is None, f"the test portal exited; see {log_path}"
                assert time.monotonic() < deadline, "the test portal did not start"
                time.sleep(0.2)
        yield PortalStandIn(url)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
