"""The catalogue export format: a valid file gives agencies, procedures, their cases, fees,
components and steps; every error names the file, the line of the object at fault and the
reason, and stops the whole file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from motcua_catalogue import CatalogueError
from motcua_catalogue.export import read_export
from motcua_catalogue.working_time import VIETNAM
from tests.catalogue.export_sample import line_of, sample, steps, write


def error_of(path: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        read_export(path)
    return str(caught.value)


def test_a_valid_export_gives_the_procedures_with_their_cases_fees_and_steps(tmp_path):
    export = read_export(write(tmp_path / "c.json", sample()))
    record = export.catalogue.procedures["2.000488"]
    assert export.effective_from == datetime(2026, 1, 1, tzinfo=VIETNAM)
    assert (record.agency, record.coordinating_agencies, record.level) == ("CAT", ("STP",),
                                                                           "provincial")
    assert (record.limit_value, record.limit_unit) == (10, "working_days")
    assert (record.fee_counter, record.fee_online) == (200000, 100000)
    assert record.required_documents == ("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",)
    assert record.step_hours() == {"intake": 4, "appraisal": 56, "approval": 12, "signing": 4,
                                   "delivery": 4}
    assert [c.code for c in record.cases] == ["thuong", "phuc-tap"]
    assert record.steps[0].performer == "Công chức"
    birth = export.catalogue.procedures["1.001193"]
    assert (birth.level, birth.limit_unit, birth.fee_counter) == ("commune", "same_day", 0)
    assert export.catalogue.agencies["XA1"].level == "commune"


def test_a_case_has_its_own_limit_steps_and_the_fees_of_every_case(tmp_path):
    record = read_export(write(tmp_path / "c.json", sample())).catalogue.procedures["2.000488"]
    special = record.for_case("phuc-tap")
    assert (special.limit_value, special.appraisal_hours) == (15, 96)
    assert special.fee_online == 100000  # the online row names no case: it is every case's
    assert record.for_case(None) is record
    with pytest.raises(KeyError, match="no case 'khac'"):
        record.for_case("khac")


def test_steps_that_do_not_sum_to_the_limit_name_the_case_line(tmp_path):
    document = sample()
    document["procedures"][0]["TRINHTUTHUCHIEN"][1]["TRINHTU"] = steps(4, 90, 12, 4, 4)
    path = write(tmp_path / "c.json", document)
    message = error_of(path)
    line = line_of(path, '"TENTRUONGHOP": "Cư trú ở nhiều nơi"') - 2  # the case's `{`
    assert message.startswith(f"{path}:{line}: procedure 2.000488, case phuc-tap: the steps")
    assert "sum to 114 working hours but the limit is 15 working_days = 120" in message


def test_an_unknown_agency_names_the_line_of_its_reference(tmp_path):
    document = sample()
    document["procedures"][1]["COQUANTHUCHIEN"] = [{"MADONVI": "SKHDT"}]
    path = write(tmp_path / "c.json", document)
    line = line_of(path, '"MADONVI": "SKHDT"') - 1
    assert error_of(path) == (f"{path}:{line}: COQUANTHUCHIEN: agency 'SKHDT' is not among "
                              "the file's agencies")


def test_a_procedure_twice_and_a_shared_electronic_id_are_refused(tmp_path):
    document = sample()
    document["procedures"].append(document["procedures"][1])
    path = write(tmp_path / "twice.json", document)
    assert "procedure 1.001193 appears twice" in error_of(path)
    document = sample()
    document["agencies"][2]["electronic_id"] = "000.00.25.H38"
    path = write(tmp_path / "eid.json", document)
    assert error_of(path).endswith("agency XA1 has the e-ID 000.00.25.H38 of CAT: dossier "
                                   "codes would collide")


def test_field_errors_name_the_field(tmp_path):
    document = sample()
    document["procedures"][0]["MATTHC"] = "2.488"
    document["procedures"][1]["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["DONVITINH"] = "tuần"
    path = write(tmp_path / "c.json", document)
    assert "procedure 2.488: code: String should match pattern" in error_of(path)
    document["procedures"][0]["MATTHC"] = "2.000488"
    path = write(tmp_path / "c.json", document)
    line = line_of(path, '"DONVITINH": "tuần"') - 2
    assert error_of(path).startswith(f"{path}:{line}: procedure 1.001193: DONVITINH must be")


def test_a_case_reference_that_is_not_listed_is_refused(tmp_path):
    document = sample()
    document["procedures"][0]["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][1]["MATRUONGHOP"] = "khac"
    path = write(tmp_path / "c.json", document)
    assert "MATRUONGHOP 'khac' is not in TRUONGHOP" in error_of(path)


def test_broken_json_names_its_line(tmp_path):
    path = tmp_path / "broken.json"
    text = write(tmp_path / "c.json", sample()).read_text().replace('"Hộ tịch",', '"Hộ tịch"')
    path.write_text(text, encoding="utf-8")
    line = line_of(path, '"Hộ tịch"') + 1
    assert error_of(path).startswith(f"{path}:{line}: not JSON: expected ','")


def test_a_key_twice_in_one_object_is_refused_rather_than_the_last_one_kept(tmp_path):
    path = tmp_path / "twice.json"
    text = write(tmp_path / "c.json", sample()).read_text()
    path.write_text(text.replace('"LINHVUC": "Hộ tịch",', '"LINHVUC": "Hộ tịch", '
                                 '"LINHVUC": "Chứng thực",'), encoding="utf-8")
    assert "key 'LINHVUC' appears twice in one object" in error_of(path)


def test_the_format_is_named(tmp_path):
    path = write(tmp_path / "c.json", sample(format="other"))
    assert error_of(path) == (f'{path}:1: "format" must be "motcua-catalogue" and '
                              '"format_version" 1')
