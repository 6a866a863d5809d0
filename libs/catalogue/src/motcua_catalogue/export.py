"""The catalogue export format (docs/catalogue.md): one JSON document with the agencies and the
procedures, each procedure keyed as the national procedure database (CSDL TTHC) publishes it
through `LayThuTuc` (`MATTHC`, `TENTTHC`, `CACHTHUCTHUCHIEN` with `KENH`, `THOIGIAN`,
`PHILEPHI`, `THANHPHANHOSO` with `GIAYTO`, `TRINHTUTHUCHIEN` with `TRINHTU`, `COQUANTHUCHIEN`),
with the few keys that are motcua's own (which stage a step belongs to, who decides).

`read_export` validates the whole file before anything is used: the first error stops it with
the file, the line and the reason, so a catalogue is loaded whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from motcua_catalogue import located_json
from motcua_catalogue.catalogue import Agency, Case, Catalogue, CatalogueError, Procedure, Step
from motcua_catalogue.communes import commune_problem, level_problem
from motcua_catalogue.working_time import HOURS_PER_DAY, VIETNAM

FORMAT = "motcua-catalogue"
FORMAT_VERSION = 1
DEFAULT_CASE = "mac-dinh"
# DONVITINH as the national database writes it -> our unit.
UNITS = {"ngày làm việc": "working_days", "ngày": "calendar_days",
         "giờ làm việc": "working_hours", "trong ngày": "same_day"}
LEVELS = {"cấp tỉnh": "provincial", "cấp xã": "commune"}
# KENH: 1 at the counter, 2 online, 3 through the public postal service (counter's fee).
COUNTER, ONLINE, POSTAL = 1, 2, 3


@dataclass(frozen=True)
class Export:
    """A validated export: the catalogue it describes and when it takes effect."""

    catalogue: Catalogue
    effective_from: datetime
    title: str


class _Where:
    """Raises CatalogueError naming the source and the line of the object at fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, at: Any, reason: str) -> CatalogueError:
        line = getattr(at, "line", 0)
        return CatalogueError(f"{self.source}:{line}: {reason}")

    def model(self, model: type[BaseModel], at: Any, values: dict[str, Any], what: str) -> Any:
        try:
            return model.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "value"
            raise self.fail(at, f"{what}: {field}: {first['msg']}") from None


def read_export(path: Path) -> Export:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path}:0: cannot read the file: {error}") from None
    return parse_export(text, str(path))


def parse_export(text: str, source: str) -> Export:
    where = _Where(source)
    try:
        document = located_json.loads(text)
    except located_json.JsonSyntaxError as error:
        raise CatalogueError(f"{source}:{error.line}: not JSON: {error}") from None
    except RecursionError:
        raise CatalogueError(f"{source}:1: nested too deeply for a catalogue") from None
    if not isinstance(document, dict):
        raise CatalogueError(f"{source}:1: the file is one JSON object (see docs/catalogue.md)")
    if document.get("format") != FORMAT or document.get("format_version") != FORMAT_VERSION:
        raise where.fail(document, f'"format" must be "{FORMAT}" and "format_version" '
                                   f"{FORMAT_VERSION}")
    effective_from = _moment(where, document)
    agencies = _agencies(where, _list(where, document, "agencies"))
    procedures: dict[str, Procedure] = {}
    for item in _list(where, document, "procedures"):
        procedure = _procedure(where, item, agencies)
        if procedure.code in procedures:
            raise where.fail(item, f"procedure {procedure.code} appears twice")
        procedures[procedure.code] = procedure
    if not procedures:
        raise where.fail(document, '"procedures" is empty')
    title = str(document.get("title") or "")
    return Export(Catalogue(agencies, procedures, effective_from=effective_from, title=title),
                  effective_from, title)


def _list(where: _Where, parent: Any, key: str, required: bool = True) -> list[Any]:
    value = parent.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise where.fail(parent, f'"{key}" must be a list')
    for item in value:
        if not isinstance(item, dict):
            raise where.fail(parent, f'every item of "{key}" is an object')
    return value


def _moment(where: _Where, document: Any) -> datetime:
    text = document.get("effective_from")
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise where.fail(document, f'"effective_from" {text!r} is not a date or time like '
                                   '2025-07-01 or 2025-07-01T00:00:00+07:00') from None
    if moment.tzinfo is None:  # a date, or a time without offset: Vietnam time
        moment = datetime.combine(moment.date(), moment.time() or time(), VIETNAM)
    return moment


def _agencies(where: _Where, items: list[Any]) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    electronic_ids: dict[str, str] = {}
    for item in items:
        values = {k: v for k, v in item.items() if v not in (None, "")}
        if isinstance(values.get("stages"), list):
            values["stages"] = ";".join(str(s) for s in values["stages"])
        agency = where.model(Agency, item, values, "agency")
        if agency.code in agencies:
            raise where.fail(item, f"agency {agency.code} appears twice")
        if agency.electronic_id in electronic_ids:
            raise where.fail(item, f"agency {agency.code} has the e-ID {agency.electronic_id} "
                                   f"of {electronic_ids[agency.electronic_id]}: dossier codes "
                                   "would collide")
        agencies[agency.code] = agency
        electronic_ids[agency.electronic_id] = agency.code
    if not agencies:
        raise CatalogueError(f"{where.source}:1: \"agencies\" is empty")
    for item, agency in zip(items, agencies.values(), strict=True):
        problem = commune_problem(agency, agencies)
        if problem:
            raise where.fail(item, f"agency {agency.code}: {problem}")
    return agencies


def _units(where: _Where, item: Any, key: str, agencies: dict[str, Agency]) -> list[str]:
    codes = []
    for unit in _list(where, item, key, required=key == "COQUANTHUCHIEN"):
        code = unit.get("MADONVI")
        if code not in agencies:
            raise where.fail(unit, f"{key}: agency {code!r} is not among the file's agencies")
        codes.append(code)
    return codes


def _procedure(where: _Where, item: Any, agencies: dict[str, Agency]) -> Procedure:
    code = item.get("MATTHC")
    what = f"procedure {code}"
    units = _units(where, item, "COQUANTHUCHIEN", agencies)
    if not units:
        raise where.fail(item, f"{what}: COQUANTHUCHIEN names no agency")
    lead, *more = units
    coordinating = [*more, *_units(where, item, "COQUANPHOIHOP", agencies)]
    level = LEVELS.get(str(item.get("CAPTHUCHIEN", "")).strip().lower())
    if level is None:
        raise where.fail(item, f"{what}: CAPTHUCHIEN must be one of {', '.join(LEVELS)}")
    cases = _cases(where, item, what)
    motcua = item.get("motcua") or {}
    if not isinstance(motcua, dict):
        raise where.fail(item, f'{what}: "motcua" must be an object')
    default = cases[0]
    hours = default.step_hours()
    values = {
        "code": code, "name": item.get("TENTTHC"), "field": item.get("LINHVUC"),
        "agency": lead, "coordinating_agencies": tuple(coordinating), "level": level,
        "limit_value": default.limit_value, "limit_unit": default.limit_unit,
        **{f"{stage}_hours": value for stage, value in hours.items()},
        "fee_counter": default.fee_counter, "fee_online": default.fee_online,
        "required_documents": default.required_documents, "cases": tuple(cases),
        "steps": default.steps, "result_title": _result_title(where, item, what), **motcua}
    procedure: Procedure = where.model(Procedure, item, values, what)
    problem = level_problem(procedure, agencies[lead])
    if problem:
        raise where.fail(item, f"{what}: {problem}")
    return procedure


def _result_title(where: _Where, item: Any, what: str) -> str:
    """The first KETQUATHUCHIEN's TENKETQUA (the result the procedure issues), if any."""
    results = _list(where, item, "KETQUATHUCHIEN", required=False)
    if not results:
        return ""
    name = results[0].get("TENKETQUA")
    if not isinstance(name, str) or not name.strip():
        raise where.fail(results[0], f"{what}: KETQUATHUCHIEN without TENKETQUA")
    return name.strip()


def _cases(where: _Where, item: Any, what: str) -> list[Case]:
    """The procedure's cases (TRUONGHOP; none listed: one default case), each with its time
    limit and fees from CACHTHUCTHUCHIEN, its components and its steps."""
    listed = _list(where, item, "TRUONGHOP", required=False)
    names = {str(c.get("MATRUONGHOP")): c for c in listed} or {DEFAULT_CASE: item}
    if len(names) != len(listed or [item]):
        raise where.fail(item, f"{what}: a MATRUONGHOP appears twice")
    timing = _timing(where, item, what, names)
    documents = _documents(where, item, what, names)
    steps = _steps(where, item, what, names)
    if None not in steps and DEFAULT_CASE not in steps and list(names)[0] not in steps:
        raise where.fail(item, f"{what}: TRINHTUTHUCHIEN gives no steps for the first case")
    cases = []
    for case_code, listed_case in names.items():
        if case_code not in timing:
            raise where.fail(item, f"{what}: CACHTHUCTHUCHIEN gives no THOIGIAN for case "
                                   f"{case_code!r} at the counter (KENH {COUNTER})")
        limit_value, limit_unit, fee_counter, fee_online = timing[case_code]
        own = steps.get(case_code) or steps.get(None) or steps.get(list(names)[0])
        values = {"code": case_code, "name": listed_case.get("TENTRUONGHOP") or item.get("TENTTHC"),
                  "limit_value": limit_value, "limit_unit": limit_unit,
                  "steps": own, "fee_counter": fee_counter, "fee_online": fee_online,
                  "required_documents": documents.get(case_code) or documents.get(None) or ()}
        case = where.model(Case, listed_case, values, f"{what}, case {case_code}")
        _check_step_plan(where, listed_case, f"{what}, case {case_code}", case)
        cases.append(case)
    return cases


def _case_of(where: _Where, row: Any, what: str, names: dict[str, Any]) -> str | None:
    code = row.get("MATRUONGHOP")
    if code is not None and str(code) not in names:
        raise where.fail(row, f"{what}: MATRUONGHOP {code!r} is not in TRUONGHOP")
    return None if code is None else str(code)


def _timing(where: _Where, item: Any, what: str, names: dict[str, Any]
            ) -> dict[str, tuple[int, str, int, int]]:
    """case -> (limit, unit, fee at the counter, fee online). The limit is the counter's; the
    fee of a channel is the sum of its PHILEPHI (a fee and a charge both apply)."""
    limits: dict[str, tuple[int, str]] = {}
    fees: dict[tuple[str, int], int] = {}
    for channel in _list(where, item, "CACHTHUCTHUCHIEN"):
        kenh = channel.get("KENH")
        if kenh not in (COUNTER, ONLINE, POSTAL):
            raise where.fail(channel, f"{what}: KENH must be 1 (counter), 2 (online) or 3 (post)")
        for row in _list(where, channel, "THOIGIAN"):
            case = _case_of(where, row, what, names)
            targets = [case] if case is not None else list(names)
            unit = UNITS.get(str(row.get("DONVITINH", "")).strip().lower())
            value = row.get("THOIGIANGIAIQUYET")
            if unit is None:
                raise where.fail(row, f"{what}: DONVITINH must be one of {', '.join(UNITS)}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise where.fail(row, f"{what}: THOIGIANGIAIQUYET must be a whole number ≥ 0")
            if unit == "same_day" and value != 0:
                raise where.fail(row, f"{what}: a same-day limit (Trong ngày) is written 0")
            fee = 0
            for charge in _list(where, row, "PHILEPHI", required=False):
                amount = charge.get("SOTIEN")
                if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                    raise where.fail(charge, f"{what}: SOTIEN must be a whole number of đồng ≥ 0")
                fee += amount
            for target in targets:
                if kenh == COUNTER:
                    limits[target] = (value, unit)
                fees[(target, kenh)] = fee
    return {case: (*limit, fees.get((case, COUNTER), 0),
                   fees.get((case, ONLINE), fees.get((case, COUNTER), 0)))
            for case, limit in limits.items()}


def _documents(where: _Where, item: Any, what: str, names: dict[str, Any]
               ) -> dict[str | None, tuple[str, ...]]:
    """case (None: every case) -> the names of the required components (BATBUOC, default
    true)."""
    result: dict[str | None, tuple[str, ...]] = {}
    for group in _list(where, item, "THANHPHANHOSO", required=False):
        case = _case_of(where, group, what, names)
        names_required = []
        for paper in _list(where, group, "GIAYTO"):
            name = paper.get("TENGIAYTO")
            if not isinstance(name, str) or not name.strip():
                raise where.fail(paper, f"{what}: GIAYTO without TENGIAYTO")
            if paper.get("BATBUOC", True) is True:
                names_required.append(name.strip())
        result[case] = tuple(names_required)
    return result


def _steps(where: _Where, item: Any, what: str, names: dict[str, Any]
           ) -> dict[str | None, tuple[Step, ...]]:
    result: dict[str | None, tuple[Step, ...]] = {}
    for group in _list(where, item, "TRINHTUTHUCHIEN"):
        case = _case_of(where, group, what, names)
        steps = []
        for row in _list(where, group, "TRINHTU"):
            steps.append(where.model(Step, row, {
                "stage": row.get("BUOC"), "name": row.get("TENTRINHTU"),
                "performer": row.get("NGUOITHUCHIEN"), "hours": row.get("SOGIO")},
                f"{what}, step"))
        result[case] = tuple(steps)
    return result


def _check_step_plan(where: _Where, at: Any, what: str, case: Case) -> None:
    total = sum(step.hours for step in case.steps)
    expected = {"working_days": case.limit_value * HOURS_PER_DAY,
                "working_hours": case.limit_value}.get(case.limit_unit)
    if expected is not None and abs(total - expected) > 1e-9:
        raise where.fail(at, f"{what}: the steps (TRINHTU, SOGIO) sum to {total:g} working "
                             f"hours but the limit is {case.limit_value} {case.limit_unit} = "
                             f"{expected:g}")
    missing = {"intake", "delivery"} - {step.stage for step in case.steps}
    if missing:
        raise where.fail(at, f"{what}: no step at {', '.join(sorted(missing))}")
