"""The catalogue files: the shipped ones load; a bad one stops start-up with file, line, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from motcua_catalogue import CatalogueError, load_catalogue
from motcua_catalogue.catalogue import STAGES

AGENCIES_HEADER = "code,name,electronic_id,stages"
STP = "STP,Sở Tư pháp tỉnh Lào Cai,000.00.15.H38,intake;appraisal;approval;signing;delivery"
CAT = "CAT,Công an tỉnh Lào Cai,000.00.25.H38,intake;appraisal;approval;signing;delivery"
PROCEDURES_HEADER = (
    "code,name,field,agency,coordinating_agencies,limit_value,limit_unit,intake_hours,"
    "appraisal_hours,approval_hours,signing_hours,delivery_hours,fee_counter,fee_online,"
    "supplement_clock,required_documents,required_data,officer_stages")


def procedure_row(code: str = "2.000488", agency: str = "STP", coordinating: str = "CAT",
                  appraisal_hours: str = "56") -> str:
    # 10 working days = 80 hours: 4 + 56 + 12 + 4 + 4
    return (f"{code},Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,{agency},{coordinating},10,"
            f"working_days,4,{appraisal_hours},12,4,4,200000,200000,pause,Tờ khai;Căn cước,"
            "purpose,")


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(tmp_path: Path, agencies: list[str], procedures: list[str]):
    return load_catalogue(write(tmp_path, "agencies.csv", AGENCIES_HEADER, *agencies),
                          write(tmp_path, "procedures.csv", PROCEDURES_HEADER, *procedures))


def error_of(tmp_path: Path, agencies: list[str], procedures: list[str]) -> str:
    with pytest.raises(CatalogueError) as caught:
        load(tmp_path, agencies, procedures)
    return str(caught.value)


@pytest.fixture(scope="module")
def shipped():
    return load_catalogue()


def test_the_shipped_catalogue_has_at_least_14_procedures(shipped):
    assert len(shipped.procedures) >= 14


def test_every_shipped_procedure_names_agencies_that_exist(shipped):
    for procedure in shipped.procedures.values():
        assert procedure.agency in shipped.agencies, procedure.code
        for code in procedure.coordinating_agencies:
            assert code in shipped.agencies, procedure.code


def test_every_shipped_agency_runs_known_stages_and_can_take_in_dossiers(shipped):
    for agency in shipped.agencies.values():
        assert set(agency.stages) <= set(STAGES)
        assert "intake" in agency.stages, agency.code


def test_every_shipped_working_day_procedure_plans_8_hours_per_day(shipped):
    for procedure in shipped.procedures.values():
        if procedure.limit_unit == "working_days":
            assert sum(procedure.step_hours().values()) == procedure.limit_value * 8


def test_a_well_formed_pair_of_files_loads(tmp_path: Path):
    catalogue = load(tmp_path, [STP, CAT], [procedure_row()])

    procedure = catalogue.procedures["2.000488"]
    assert procedure.coordinating_agencies == ("CAT",)
    assert procedure.required_documents == ("Tờ khai", "Căn cước")
    assert catalogue.agencies["STP"].electronic_id == "000.00.15.H38"


def test_a_step_plan_that_does_not_sum_to_the_limit_names_file_line_and_sums(tmp_path: Path):
    message = error_of(tmp_path, [STP, CAT],
                       [procedure_row(), procedure_row("2.000489", appraisal_hours="50")])

    assert f"{tmp_path / 'procedures.csv'}:3:" in message
    assert "step plan sums to 74 working hours" in message
    assert "10 working_days = 80" in message


def test_an_unknown_stage_in_agencies_names_file_line_and_the_stage(tmp_path: Path):
    message = error_of(tmp_path, [STP, "CAT,Công an tỉnh,000.00.25.H38,intake;stamping"],
                       [procedure_row()])

    assert f"{tmp_path / 'agencies.csv'}:3:" in message
    assert "unknown stages ['stamping']" in message


def test_officer_stages_name_known_stages_intake_among_them(tmp_path: Path):
    desk = load(tmp_path, [STP, "CAT,Công an tỉnh,000.00.25.H38,intake;appraisal"],
                [procedure_row() + "intake;appraisal"])
    assert desk.procedures["2.000488"].decided_by_officer("intake")

    message = error_of(tmp_path, [STP, "CAT,Công an tỉnh,000.00.25.H38,intake;appraisal"],
                       [procedure_row() + "intake;stamping"])
    assert f"{tmp_path / 'procedures.csv'}:2:" in message
    assert "officer_stages" in message and "unknown stages ['stamping']" in message


def test_a_row_with_a_missing_column_names_file_line_and_the_column_count(tmp_path: Path):
    message = error_of(tmp_path, [STP, "CAT,Công an tỉnh Lào Cai,000.00.25.H38"],
                       [procedure_row()])

    assert f"{tmp_path / 'agencies.csv'}:3:" in message
    assert "expected 4 columns" in message


def test_a_row_with_an_extra_column_is_refused_too(tmp_path: Path):
    message = error_of(tmp_path, [STP, CAT], [procedure_row() + ",extra"])

    assert f"{tmp_path / 'procedures.csv'}:2:" in message
    assert "expected 18 columns" in message


def test_a_malformed_value_names_the_field(tmp_path: Path):
    message = error_of(tmp_path, [STP, "CAT,Công an tỉnh Lào Cai,25.H38,intake"],
                       [procedure_row()])

    assert f"{tmp_path / 'agencies.csv'}:3: electronic_id:" in message


def test_a_duplicate_procedure_code_names_the_file_and_the_code(tmp_path: Path):
    message = error_of(tmp_path, [STP, CAT], [procedure_row(), procedure_row()])

    assert str(tmp_path / "procedures.csv") in message
    assert "procedure 2.000488 appears twice" in message


def test_a_duplicate_code_names_the_line_of_the_second_row(tmp_path: Path):
    message = error_of(tmp_path, [STP, CAT, STP], [procedure_row()])

    assert f"{tmp_path / 'agencies.csv'}:4" in message
    assert "agency STP appears twice" in message


def test_an_unknown_agency_names_both_files_and_the_agency(tmp_path: Path):
    message = error_of(tmp_path, [STP], [procedure_row(coordinating="CAT")])

    assert str(tmp_path / "procedures.csv") in message
    assert str(tmp_path / "agencies.csv") in message
    assert "procedure 2.000488 names agency CAT" in message


def test_an_unknown_agency_names_the_line_of_the_procedure(tmp_path: Path):
    message = error_of(tmp_path, [STP, CAT],
                       [procedure_row(), procedure_row("2.000489", agency="SXD", coordinating="")])

    assert f"{tmp_path / 'procedures.csv'}:3" in message
    assert "agency SXD" in message


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path: Path):
    agencies = write(tmp_path, "agencies.csv", "\ufeff" + AGENCIES_HEADER, STP, CAT)
    procedures = write(tmp_path, "procedures.csv", "\ufeff" + PROCEDURES_HEADER, procedure_row())

    assert set(load_catalogue(agencies, procedures).agencies) == {"STP", "CAT"}
