"""Loading and validating the catalogue files. A bad row stops start-up with the file, the line
and the reason: a procedure with a wrong step plan must never reach a citizen."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from motcua_catalogue.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours

STAGES = ("intake", "appraisal", "approval", "signing", "delivery")


class CatalogueError(ValueError):
    """A catalogue file is wrong; the message names the file, the line and the reason."""


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


class Agency(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")
    name: str = Field(min_length=1)
    electronic_id: str = Field(pattern=r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$",
                               description="Electronic ID used as the dossier code's prefix.")
    stages: tuple[str, ...]
    office_hours: OfficeHours = Field(
        default=DEFAULT_OFFICE_HOURS,
        description="e.g. `mon-fri 07:00-11:30 13:30-17:00; sat 07:00-11:30`; empty: the default.")
    level: Literal["provincial", "commune"] = Field(
        default="provincial", description="A provincial unit (department, the centre, a vertical "
                                          "agency seated in the province) or a commune-level one.")
    commune_unit: Literal["people_committee", "police"] | None = Field(
        default=None, description="What a commune-level unit is: the commune's People's "
                                  "Committee (the default at commune level) or its police; "
                                  "none at provincial level (motcua_catalogue.communes).")
    commune: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{2,16}$",
        description="For a commune-level unit other than the People's Committee (the commune "
                    "police): the code of its commune's People's Committee.")

    _split_stages = field_validator("stages", mode="before")(_split)

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, stages: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stages {sorted(unknown)}; known: {', '.join(STAGES)}")
        return stages

    @model_validator(mode="before")
    @classmethod
    def _committee_by_default(cls, data: Any) -> Any:
        # A commune-level unit is the commune's People's Committee unless it says otherwise.
        if isinstance(data, dict) and data.get("level") == "commune" \
                and not data.get("commune_unit"):
            return {**data, "commune_unit": "people_committee"}
        return data

    @model_validator(mode="after")
    def _commune_of_a_commune_unit(self) -> Agency:
        if self.level == "provincial":
            if self.commune_unit is not None or self.commune is not None:
                raise ValueError("commune_unit and commune are for commune-level units only")
            return self
        if self.commune_unit == "people_committee" and self.commune not in (None, self.code):
            raise ValueError("a commune's People's Committee is the commune: it names no "
                             "other commune")
        if self.commune_unit != "people_committee" and self.commune is None:
            raise ValueError(f"a commune-level {self.commune_unit} unit names its commune's "
                             "People's Committee (commune)")
        return self


LimitUnit = Literal["working_days", "calendar_days", "working_hours", "same_day"]


class Step(BaseModel):
    """One step of a procedure's internal process (trình tự thực hiện): the stage it belongs
    to, what is done, who performs it and its allotted working hours."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    stage: Literal["intake", "appraisal", "approval", "signing", "delivery"]
    name: str = Field(min_length=1, max_length=500)
    performer: str = Field(min_length=1, max_length=300)
    hours: float = Field(ge=0, le=365 * 24)


class Case(BaseModel):
    """A case (trường hợp) of a procedure as the national database publishes it: its own time
    limit, fees, components and step plan (e.g. the criminal-record certificate: 10 working
    days, 15 when the applicant lived in several provinces)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    name: str = Field(min_length=1, max_length=500)
    limit_value: int = Field(ge=0, le=365)
    limit_unit: LimitUnit
    steps: tuple[Step, ...]
    fee_counter: int = Field(ge=0)
    fee_online: int = Field(ge=0)
    required_documents: tuple[str, ...] = ()

    def step_hours(self) -> dict[str, float]:
        return {stage: sum(s.hours for s in self.steps if s.stage == stage) for stage in STAGES}


class Procedure(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    code: str = Field(pattern=r"^\d\.\d{6}$")
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)
    agency: str = Field(description="Code of the lead (competent) agency.")
    coordinating_agencies: tuple[str, ...] = ()
    limit_value: int = Field(ge=0, le=365)
    limit_unit: LimitUnit
    intake_hours: float = Field(ge=0)
    appraisal_hours: float = Field(ge=0)
    approval_hours: float = Field(ge=0)
    signing_hours: float = Field(ge=0)
    delivery_hours: float = Field(ge=0)
    fee_counter: int = Field(ge=0, description="Fee in đồng at the counter.")
    fee_online: int = Field(ge=0, description="Fee in đồng when filed online.")
    supplement_clock: Literal["pause", "restart"]
    required_documents: tuple[str, ...] = ()
    required_data: tuple[str, ...] = ()
    retention_years: int = Field(
        default=5, ge=0, le=100,
        description="Years the applicant's personal data is kept after the dossier ended; "
                    "`motcua privacy erase` refuses earlier without a lawful request (column "
                    "`retention_years`, optional: 5 when absent).")
    officer_stages: tuple[str, ...] = Field(
        default=(), description="Stages where an officer decides; the others run the automatic "
                                "policy.")
    level: Literal["provincial", "commune"] = Field(
        default="provincial", description="Cấp thực hiện: the province's departments or the "
                                          "commune People's Committees.")
    cases: tuple[Case, ...] = Field(
        default=(), description="The cases the national database publishes; the first is the "
                                "default, whose limit, fees and steps are the fields above.")
    steps: tuple[Step, ...] = Field(default=(), description="The default case's steps.")
    result_title: str = Field(
        default="", max_length=200,
        description="What the result is called (KETQUATHUCHIEN: a birth certificate, a licence), "
                    "the title of the result document; empty: signing's own table decides.")

    _split_lists = field_validator("coordinating_agencies", "required_documents", "required_data",
                                   "officer_stages", mode="before")(_split)

    @field_validator("officer_stages")
    @classmethod
    def _known_officer_stages(cls, stages: tuple[str, ...]) -> tuple[str, ...]:
        # `intake`: the desk's officers check completeness (motcua_intake.desk_queue).
        unknown = set(stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stages {sorted(unknown)}; known: {', '.join(STAGES)}")
        return stages

    @model_validator(mode="after")
    def _step_plan_sums_to_limit(self) -> Procedure:
        total = sum(self.step_hours().values())
        expected = {"working_days": self.limit_value * 8, "working_hours": self.limit_value}
        if self.limit_unit in expected and abs(total - expected[self.limit_unit]) > 1e-9:
            raise ValueError(f"the step plan sums to {total:g} working hours but the limit is "
                             f"{self.limit_value} {self.limit_unit} = {expected[self.limit_unit]}")
        if self.limit_unit == "same_day" and self.limit_value != 0:
            raise ValueError("a same-day procedure has limit_value 0")
        return self

    def decided_by_officer(self, stage: str) -> bool:
        """Whether an officer takes this stage's decision (else the automatic policy does)."""
        return stage in self.officer_stages

    def step_hours(self) -> dict[str, float]:
        return {stage: getattr(self, f"{stage}_hours") for stage in STAGES}

    def for_case(self, code: str | None) -> Procedure:
        """The procedure as a dossier of case `code` is handled (None: the default case).
        Raises KeyError for a case the procedure does not have."""
        if code is None or not self.cases or code == self.cases[0].code:
            return self
        case = next((c for c in self.cases if c.code == code), None)
        if case is None:
            raise KeyError(f"procedure {self.code} has no case {code!r} (cases: "
                           f"{', '.join(c.code for c in self.cases)})")
        hours = {f"{stage}_hours": value for stage, value in case.step_hours().items()}
        return self.model_copy(update={
            "limit_value": case.limit_value, "limit_unit": case.limit_unit, **hours,
            "fee_counter": case.fee_counter, "fee_online": case.fee_online,
            "required_documents": case.required_documents or self.required_documents,
            "steps": case.steps})


@dataclass(frozen=True)
class Catalogue:
    agencies: dict[str, Agency]
    procedures: dict[str, Procedure]
    # Which imported version this is (motcua_catalogue.export, intake's catalogue_versions);
    # 0 for the catalogue shipped with the code, in force until a first import.
    version: int = 0
    effective_from: datetime | None = None
    title: str = ""


def _read_rows(path: Path, model: type[BaseModel]) -> list[tuple[int, Any]]:
    """(line number, validated row) for every row of a CSV file."""
    items = []
    with path.open(newline="", encoding="utf-8-sig") as file:  # tolerate Excel's BOM
        reader = csv.DictReader(file)
        for row in reader:
            line = reader.line_num
            if None in row or None in row.values():
                raise CatalogueError(f"{path}:{line}: expected {len(reader.fieldnames or [])} "
                                     "columns as in the header")
            try:
                filled = {k: v for k, v in row.items() if v != ""}
                items.append((line, model.model_validate(filled)))
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "row"
                raise CatalogueError(f"{path}:{line}: {where}: {first['msg']}") from None
    return items


def _unique(path: Path, rows: list[tuple[int, Any]], kind: str) -> dict[str, tuple[int, Any]]:
    by_code: dict[str, tuple[int, Any]] = {}
    for line, item in rows:
        if item.code in by_code:
            raise CatalogueError(f"{path}:{line}: {kind} {item.code} appears twice (first on "
                                 f"line {by_code[item.code][0]})")
        by_code[item.code] = (line, item)
    return by_code


# The catalogue an installation runs on when nothing is imported: a catalogue export (JSON,
# motcua_catalogue.export) or a folder with agencies.csv and procedures.csv; unset: the merged
# Lào Cai province's, shipped in data/ (docs/catalogue.md).
CATALOGUE_SETTING = "MOTCUA_CATALOGUE"
SHIPPED = "lao-cai.json"


def load_catalogue(agencies_file: Path | None = None,
                   procedures_file: Path | None = None) -> Catalogue:
    """The two CSV files given, or without them the configured catalogue (MOTCUA_CATALOGUE,
    else the shipped one)."""
    if agencies_file is None and procedures_file is None:
        return configured_catalogue()
    if agencies_file is None or procedures_file is None:
        raise CatalogueError("the CSV form of the catalogue is two files: agencies and "
                             "procedures")
    return _load_csv(Path(agencies_file), Path(procedures_file))


def configured_catalogue(environ: Mapping[str, str] | None = None) -> Catalogue:
    from motcua_catalogue.export import read_export  # export builds on this module's models

    configured = (os.environ if environ is None else environ).get(CATALOGUE_SETTING, "").strip()
    if not configured:
        return read_export(Path(str(resources.files("motcua_catalogue") / "data" / SHIPPED)))\
            .catalogue
    path = Path(configured)
    if path.is_dir():
        return _load_csv(path / "agencies.csv", path / "procedures.csv")
    if not path.is_file():
        raise CatalogueError(f"{CATALOGUE_SETTING}={configured}: no such file or folder")
    return read_export(path).catalogue


def _load_csv(agencies_path: Path, procedures_path: Path) -> Catalogue:
    agencies = _unique(agencies_path, _read_rows(agencies_path, Agency), "agency")
    procedures = _unique(procedures_path, _read_rows(procedures_path, Procedure), "procedure")
    from motcua_catalogue.communes import commune_problem, level_problem

    for line, agency in agencies.values():
        problem = commune_problem(agency, {code: item for code, (_, item) in agencies.items()})
        if problem:
            raise CatalogueError(f"{agencies_path}:{line}: agency {agency.code}: {problem}")
    for line, procedure in procedures.values():
        for code in (procedure.agency, *procedure.coordinating_agencies):
            if code not in agencies:
                raise CatalogueError(f"{procedures_path}:{line}: procedure {procedure.code} names "
                                     f"agency {code}, which is not in {agencies_path}")
        problem = level_problem(procedure, agencies[procedure.agency][1])
        if problem:
            raise CatalogueError(f"{procedures_path}:{line}: procedure {procedure.code}: "
                                 f"{problem}")
    return Catalogue({code: item for code, (_, item) in agencies.items()},
                     {code: item for code, (_, item) in procedures.items()})


@cache
def default_catalogue() -> Catalogue:
    """The configured catalogue, read once per process (version 0: in force until an import)."""
    return load_catalogue()
