"""Our catalogue written as the national portal would answer it (LayThuTuc's and
LayDanhMucCoQuan's field names, docs/portal.md), for the test portal to serve: everything
matching, until a test changes some of it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from motcua_catalogue import Agency, Catalogue, Procedure

UNIT_TEXT = {"working_days": "Ngày làm việc", "calendar_days": "Ngày",
             "working_hours": "Giờ làm việc", "same_day": "Trong ngày"}
# How the national database names a commune-level procedure's performer: the level, no ID.
COMMUNE_LEVEL = {"people_committee": "Ủy ban nhân dân cấp xã", "police": "Công an cấp xã"}


def performing_agency(lead: Agency) -> dict[str, str]:
    if lead.level == "commune":
        return {"MADONVI": "", "TENDONVI": COMMUNE_LEVEL[lead.commune_unit or "people_committee"]}
    return {"MADONVI": lead.electronic_id, "TENDONVI": lead.name}


def portal_procedure(procedure: Procedure, lead: Agency) -> dict[str, Any]:
    def way(channel: str, fee: int) -> dict[str, Any]:
        return {"KENH": channel, "THOIGIAN": [{
            "THOIGIANGIAIQUYET": procedure.limit_value, "DONVITINH":
                UNIT_TEXT[procedure.limit_unit], "MOTA": "",
            "PHILEPHI": [{"MAPHILEPHI": "LP", "SOTIEN": fee, "DONVI": "Đồng", "MOTA": ""}]}]}

    return {"ID": f"id-{procedure.code}", "MATTHC": procedure.code,
            "TENTTHC": procedure.name, "LINHVUCTHUCHIEN": [
                {"MALINHVUC": "LV", "TENLINHVUC": procedure.field}],
            "CACHTHUCTHUCHIEN": [way("1", procedure.fee_counter),
                                 way("2", procedure.fee_online)],
            "COQUANTHUCHIEN": [performing_agency(lead)]}


def portal_view(catalogue: Catalogue) -> dict[str, list[dict[str, Any]]]:
    return {"procedures": [portal_procedure(item, catalogue.agencies[item.agency])
                           for item in catalogue.procedures.values()],
            "agencies": [{"MADONVI": agency.electronic_id, "TENDONVI": agency.name,
                          "CAPDONVI": "2" if agency.level == "provincial" else "3"}
                         for agency in catalogue.agencies.values()]}


def with_differences(catalogue: Catalogue) -> tuple[dict[str, Any], dict[str, str]]:
    """The portal's view with one difference of each kind, and which code each is about:
    picked by position among the sorted codes (the catalogue's data may change)."""
    view = copy.deepcopy(portal_view(catalogue))
    procedures = {item["MATTHC"]: item for item in view["procedures"]}
    codes = sorted(code for code, procedure in catalogue.procedures.items()
                   if procedure.limit_unit == "working_days" and procedure.fee_counter > 0)
    picked = {"procedure_unknown": codes[0], "procedure_name": codes[1],
              "time_limit": codes[2], "fee_counter": codes[3], "fee_online": codes[4]}
    # A provincial procedure the portal says another department performs.
    picked["procedure_agency"] = next(
        code for code in sorted(catalogue.procedures)
        if catalogue.procedures[code].level == "provincial" and code not in picked.values())
    del procedures[picked["procedure_unknown"]]
    procedures[picked["procedure_name"]]["TENTTHC"] += " (sửa đổi)"
    procedures[picked["time_limit"]]["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0][
        "THOIGIANGIAIQUYET"] += 5
    procedures[picked["fee_counter"]]["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["PHILEPHI"][0][
        "SOTIEN"] += 10_000
    procedures[picked["fee_online"]]["CACHTHUCTHUCHIEN"][1]["THOIGIAN"][0]["PHILEPHI"][0][
        "SOTIEN"] += 1_000
    procedures[picked["procedure_agency"]]["COQUANTHUCHIEN"] = [
        {"MADONVI": "000.00.99.H99", "TENDONVI": "Sở khác"}]
    view["procedures"] = list(procedures.values())
    agencies = sorted(view["agencies"], key=lambda item: item["MADONVI"])
    picked["agency_unknown"], picked["agency_name"] = (agencies[0]["MADONVI"],
                                                       agencies[1]["MADONVI"])
    agencies[1]["TENDONVI"] = "Sở khác"
    view["agencies"] = agencies[1:]
    return view, picked


def write(view: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(view, ensure_ascii=False), encoding="utf-8")
    return path
