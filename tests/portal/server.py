"""A stand-in for the national portal's sync API, written from its published behaviour
(docs/domain.md): a login answering a `session` with `error_code` "0"; sessions that expire (401);
`DongBoHoSoMC` creating or (isUpdating) updating records, a create of a record it holds
answering error_code "-3" "đã tồn tại"; `CapNhatTienDoHoSoMC` adding progress rows to a record
it holds; `TraCuuHoSo` answering a record and its rows; `LayThuTuc` (a procedure by
`maTTHC`, an empty `result` for a code it does not know) and `LayDanhMucCoQuan` (every agency,
also at `/share`) from the catalogue it is given (`--catalogue FILE`: {"procedures": [...],
"agencies": [...]} in the portal's own field names, docs/portal.md). Run in its own process:
`python -m tests.portal.server --port N [--catalogue FILE]`.

For the tests, `/control/faults` switches faults on and off (an outage answering 503 to
everything, a burst of 429s or of 5xx, slow answers applied before they are sent, sessions
expiring, a dossier's record refused as invalid), and `/control/received` and
`/control/dossiers` say what it received and holds."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

USERNAME, PASSWORD, UNIT = "motcua", "mat-khau-thu", "000.00.00.H38"


class PortalState:
    def __init__(self) -> None:
        self.sessions: dict[str, float] = {}  # session -> when it expires
        self.session_seconds = 3600.0
        self.down = False
        self.burst_429 = 0  # the next N calls answer 429
        self.burst_5xx = 0  # the next N calls answer 500
        self.slow_calls = 0  # the next N service calls are applied, then answered late
        self.slow_seconds = 0.0
        self.refused: list[str] = []  # dossier codes whose records are refused as invalid
        self.records: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, list[str]] = {}  # each record's TrangThaiHoSo as applied
        self.progress: dict[str, list[dict[str, Any]]] = {}
        self.received: list[dict[str, Any]] = []  # every request, with the answer's status
        # The portal's own catalogue: LayThuTuc's items by MATTHC, LayDanhMucCoQuan's list.
        self.procedures: dict[str, dict[str, Any]] = {}
        self.agencies: list[dict[str, Any]] = []

    def load_catalogue(self, path: Path) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        self.procedures = {item["MATTHC"]: item for item in document.get("procedures", [])}
        self.agencies = list(document.get("agencies", []))

    def fault(self) -> JSONResponse | None:
        if self.down:
            return JSONResponse({"error_code": "-1", "message": "Service Unavailable"}, 503)
        if self.burst_429 > 0:
            self.burst_429 -= 1
            return JSONResponse({"error_code": "-1", "message": "Too Many Requests"}, 429,
                                headers={"Retry-After": "1"})
        if self.burst_5xx > 0:
            self.burst_5xx -= 1
            return JSONResponse({"error_code": "-1", "message": "Internal Server Error"}, 500)
        return None


def create_app(state: PortalState | None = None) -> FastAPI:
    app = FastAPI(title="Cổng DVCQG (test)")
    app.state.portal = portal = state or PortalState()

    def note(kind: str, body: dict[str, Any], answer: JSONResponse) -> JSONResponse:
        portal.received.append({"kind": kind, "service": body.get("service"),
                                "isUpdating": body.get("isUpdating"), "data": body.get("data"),
                                "status": answer.status_code,
                                "error_code": json.loads(answer.body).get("error_code"),
                                "at": time.time()})
        return answer

    @app.post("/login")
    async def login(request: Request) -> JSONResponse:
        body = await request.json()
        answer = portal.fault()
        if answer is None:
            if (body.get("username"), body.get("password")) != (USERNAME, PASSWORD):
                answer = JSONResponse({"error_code": "-1", "message": "Sai tài khoản"})
            else:
                session = secrets.token_hex(16)
                portal.sessions[session] = time.monotonic() + portal.session_seconds
                answer = JSONResponse({"error_code": "0", "message": "Thành công",
                                       "session": session})
        return note("login", {"service": "login"}, answer)

    @app.post("/service")
    async def service(request: Request) -> JSONResponse:
        return await serve(request, "service")

    @app.post("/share")  # the shared lists' endpoint (OpenCPS's share_endpoint)
    async def share(request: Request) -> JSONResponse:
        return await serve(request, "share")

    async def serve(request: Request, kind: str) -> JSONResponse:
        body = await request.json()
        answer = portal.fault()
        if answer is None:
            expires = portal.sessions.get(str(body.get("session")))
            if expires is None or expires < time.monotonic():
                answer = JSONResponse({"error_code": "-1", "message": "Phiên hết hạn"}, 401)
            elif body.get("madonvi") != UNIT:
                answer = JSONResponse({"error_code": "-1", "message": "Sai mã đơn vị"})
            else:
                answer = apply(portal, body)
                if portal.slow_calls > 0:  # applied, but the answer comes late
                    portal.slow_calls -= 1
                    await asyncio.sleep(portal.slow_seconds)
        return note(kind, body, answer)

    @app.post("/control/faults")
    async def faults(request: Request) -> dict[str, Any]:
        for name, value in (await request.json()).items():
            if name == "expire_sessions":
                portal.sessions.clear()
            elif hasattr(portal, name):
                setattr(portal, name, value)
        return {"ok": True}

    @app.get("/control/received")
    async def received() -> list[dict[str, Any]]:
        return portal.received

    @app.get("/control/dossiers")
    async def dossiers() -> dict[str, Any]:
        return {code: {"record": record, "statuses": portal.statuses[code],
                       "progress": portal.progress.get(code, [])}
                for code, record in portal.records.items()}

    return app


def apply(portal: PortalState, body: dict[str, Any]) -> JSONResponse:
    name, data = body.get("service"), body.get("data") or []
    if name == "DongBoHoSoMC":
        for record in data:
            code = record.get("MaHoSo")
            if not code:
                return JSONResponse({"error_code": "-1", "message": "Thiếu MaHoSo"})
            if code in portal.refused:
                return JSONResponse({"error_code": "-1",
                                     "message": f"Hồ sơ {code}: dữ liệu không hợp lệ"})
            if not body.get("isUpdating") and code in portal.records:
                return JSONResponse({"error_code": "-3", "message": f"Hồ sơ {code} đã tồn tại"})
            if body.get("isUpdating") and code not in portal.records:
                return JSONResponse({"error_code": "-1", "message": f"Không có hồ sơ {code}"})
        for record in data:
            portal.records[record["MaHoSo"]] = record
            portal.statuses.setdefault(record["MaHoSo"], []).append(record["TrangThaiHoSo"])
        return JSONResponse({"error_code": "0", "message": "Đồng bộ thành công"})
    if name == "CapNhatTienDoHoSoMC":
        unknown = {row.get("MaHoSo") for row in data} - set(portal.records)
        if unknown:
            return JSONResponse({"error_code": "-1", "message": f"Không có hồ sơ {unknown}"})
        for row in data:
            portal.progress.setdefault(row["MaHoSo"], []).append(row)
        return JSONResponse({"error_code": "0", "message": "Cập nhật tiến độ thành công"})
    if name == "TraCuuHoSo":
        code = body.get("mahoso")
        if code not in portal.records:
            return JSONResponse({"error_code": "-1", "message": f"Không có hồ sơ {code}"})
        return JSONResponse({"error_code": "0", "message": "Thành công", "result": {
            **portal.records[code], "QuaTrinhXuLy": portal.progress.get(code, [])}})
    if name == "LayThuTuc":
        known = portal.procedures.get(str(body.get("maTTHC")))
        return JSONResponse({"error_code": "0", "message": "Thành công",
                             "result": [known] if known else []})
    if name == "LayDanhMucCoQuan":
        return JSONResponse({"error_code": "0", "message": "Thành công",
                             "result": portal.agencies})
    return JSONResponse({"error_code": "-1", "message": f"Không có dịch vụ {name}"})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.portal.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    parser.add_argument("--tls-key", help="and this key")
    parser.add_argument("--catalogue", type=Path,
                        help="the portal's catalogue that LayThuTuc and LayDanhMucCoQuan answer")
    args = parser.parse_args()
    state = PortalState()
    if args.catalogue:
        state.load_catalogue(args.catalogue)
    uvicorn.run(create_app(state), host="127.0.0.1", port=args.port, log_level="warning",
                ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key)


if __name__ == "__main__":
    main()
