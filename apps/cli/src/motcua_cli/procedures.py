"""`motcua procedures`: the public catalogue, one procedure a line (or JSON)."""

from __future__ import annotations

import json

UNITS = {"working_days": "working days", "calendar_days": "days", "working_hours": "hours"}


def limit_text(value: int, unit: str) -> str:
    return "same day (15:00 cut-off)" if unit == "same_day" else f"{value} {UNITS[unit]}"


def show(as_json: bool) -> int:
    from motcua_catalogue.catalogue import default_catalogue

    catalogue = default_catalogue()
    rows = [{"code": p.code, "name": p.name,
             "limit": {"value": p.limit_value, "unit": p.limit_unit},
             "lead_agency": {"code": p.agency, "name": catalogue.agencies[p.agency].name}}
            for p in catalogue.procedures.values()]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        limit = limit_text(row["limit"]["value"], row["limit"]["unit"])
        print(f"{row['code']}  {limit:26} {row['lead_agency']['code']:8} {row['name']}")
    return 0
