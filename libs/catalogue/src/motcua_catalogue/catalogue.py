"""Loading and validating the catalogue files. A bad row stops start-up with the file, the line
and the reason: a procedure with a wrong step plan must never reach a citizen."""

from __future__ import annotations

import csv
from dataclasses import dataclass
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

    _split_stages = field_validator("stages", mode="before")(_split)

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, stages: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stages {sorted(unknown)}; known: {', '.join(STAGES)}")
        return stages


class Procedure(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    code: str = Field(pattern=r"^\d\.\d{6}$")
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)
    agency: str = Field(description="Code of the lead (competent) agency.")
    coordinating_agencies: tuple[str, ...] = ()
    limit_value: int = Field(ge=0, le=365)
    limit_unit: Literal["working_days", "calendar_days", "working_hours", "same_day"]
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


@dataclass(frozen=True)
class Catalogue:
    agencies: dict[str, Agency]
    procedures: dict[str, Procedure]


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


def load_catalogue(agencies_file: Path | None = None,
                   procedures_file: Path | None = None) -> Catalogue:
    data = resources.files("motcua_catalogue") / "data"
    agencies_path = Path(agencies_file or str(data / "agencies.csv"))
    procedures_path = Path(procedures_file or str(data / "procedures.csv"))
    agencies = _unique(agencies_path, _read_rows(agencies_path, Agency), "agency")
    procedures = _unique(procedures_path, _read_rows(procedures_path, Procedure), "procedure")
    for line, procedure in procedures.values():
        for code in (procedure.agency, *procedure.coordinating_agencies):
            if code not in agencies:
                raise CatalogueError(f"{procedures_path}:{line}: procedure {procedure.code} names "
                                     f"agency {code}, which is not in {agencies_path}")
    return Catalogue({code: item for code, (_, item) in agencies.items()},
                     {code: item for code, (_, item) in procedures.items()})


@cache
def default_catalogue() -> Catalogue:
    return load_catalogue()
