"""The catalogue shipped for the merged Lào Cai province (data/lao-cai.json): a valid export on
the agencies as they are since the 2025 reforms, both levels, at least 60 procedures in at least
12 fields, with the criminal-record certificate at the provincial police."""

from __future__ import annotations

from collections import Counter

import pytest

from motcua_catalogue.catalogue import configured_catalogue

PRE_2025 = {"SKHDT", "STNMT", "SGTVT", "SLDTBXH", "STTTT"}  # merged into other departments


@pytest.fixture(scope="module")
def shipped():
    return configured_catalogue({})  # no MOTCUA_CATALOGUE: what an installation starts with


def test_it_has_60_procedures_in_12_fields_at_both_levels(shipped):
    procedures = shipped.procedures.values()
    assert len(shipped.procedures) >= 60
    assert len({p.field for p in procedures}) >= 12
    levels = Counter(p.level for p in procedures)
    assert levels["commune"] >= 20 and levels["provincial"] >= 30
    # A commune-level procedure is handled by a commune-level unit, and the reverse.
    for procedure in procedures:
        assert shipped.agencies[procedure.agency].level == procedure.level, procedure.code


def test_the_departments_are_those_after_the_mergers(shipped):
    assert not PRE_2025 & set(shipped.agencies)
    lead = {code: p.agency for code, p in shipped.procedures.items()}
    assert lead["2.001610"] == "STC"  # business registration: Finance since 2025
    assert lead["1.012760"] == "SNNMT"  # land: Agriculture and Environment
    assert lead["1.002809"] == "CAT"  # driving licences: the police
    assert lead["1.000105"] == "SNV"  # work permits: Home Affairs
    communes = [a for a in shipped.agencies.values() if a.level == "commune"]
    assert len(communes) >= 5
    assert len({a.electronic_id for a in shipped.agencies.values()}) == len(shipped.agencies)


def test_the_criminal_record_certificate_is_the_provincial_polices(shipped):
    record = shipped.procedures["3.000333"]
    assert (record.agency, record.level) == ("CAT", "provincial")
    assert (record.limit_value, record.limit_unit, record.fee_counter) == (10, "working_days",
                                                                           200000)
    assert record.result_title == "Phiếu lý lịch tư pháp"
    special = record.for_case("phuc-tap")
    assert (special.limit_value, special.fee_counter) == (15, 200000)
    assert sum(special.step_hours().values()) == 15 * 8


def test_every_procedure_has_steps_performed_by_someone_and_its_components(shipped):
    for procedure in shipped.procedures.values():
        assert procedure.steps and all(step.performer for step in procedure.steps)
        assert procedure.required_documents, procedure.code
        assert [c.code for c in procedure.cases][0] == "mac-dinh"


def test_the_codes_the_tests_use_are_in_it(shipped):
    assert {"1.001193", "3.000333", "2.001610", "1.004194", "1.009975"} <= set(
        shipped.procedures)
