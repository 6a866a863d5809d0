"""The comparison of our catalogue with the portal's, alone (no portal, no I/O): each kind of
difference found once and only where planted; what the portal does not give is not compared;
names equal but for case, spaces and Unicode form are the same; the portal's answers parsed
as the published clients read them, a wrong shape named."""

from __future__ import annotations

import unicodedata
from importlib import resources
from pathlib import Path

import pytest

from motcua_catalogue.catalogue import SHIPPED, default_catalogue
from motcua_catalogue.export import parse_export
from motcua_portal.catalogue_check import compare
from motcua_portal.client import Answer
from motcua_portal.portal_catalogue import (
    PortalAnswerError,
    PortalCatalogue,
    parse_agency,
    parse_procedure,
    results,
)
from tests.portal.portal_catalogue import portal_procedure, portal_view, with_differences


def parsed(view) -> PortalCatalogue:
    procedures = [parse_procedure(item) for item in view["procedures"]]
    agencies = [parse_agency(item) for item in view["agencies"]]
    return PortalCatalogue({item.code: item for item in procedures},
                           {item.code: item for item in agencies})


def test_the_same_catalogue_on_both_sides_differs_in_nothing():
    catalogue = default_catalogue()
    assert compare(catalogue, parsed(portal_view(catalogue))) == []


def test_each_difference_is_found_once_and_names_what_we_and_the_portal_hold():
    catalogue = default_catalogue()
    view, picked = with_differences(catalogue)
    found = compare(catalogue, parsed(view))
    assert sorted((item.kind, item.code) for item in found) == sorted(
        (kind, code) for kind, code in picked.items())
    by_kind = {item.kind: item for item in found}
    renamed = catalogue.procedures[picked["procedure_name"]]
    assert by_kind["procedure_name"].portal == renamed.name + " (sửa đổi)"
    limited = catalogue.procedures[picked["time_limit"]]
    assert by_kind["time_limit"].ours == f"{limited.limit_value} ngày làm việc"
    assert by_kind["time_limit"].portal == f"{limited.limit_value + 5} Ngày làm việc"
    fee = catalogue.procedures[picked["fee_counter"]].fee_counter
    assert by_kind["fee_counter"].ours == f"{fee:,} đ"
    assert by_kind["fee_counter"].portal == f"{fee + 10_000:,} đ"
    assert by_kind["agency_name"].portal == "Sở khác"
    assert by_kind["agency_unknown"].portal == ""


def test_what_the_portal_does_not_give_is_not_compared():
    catalogue = default_catalogue()
    view = portal_view(catalogue)
    for item in view["procedures"]:
        item["CACHTHUCTHUCHIEN"] = []  # no time limit, no fee on any channel
    assert compare(catalogue, parsed(view)) == []


def test_names_equal_but_for_case_spaces_and_unicode_form_are_the_same():
    catalogue = default_catalogue()
    view = portal_view(catalogue)
    for item in view["procedures"]:
        item["TENTTHC"] = "  " + unicodedata.normalize("NFD", item["TENTTHC"].upper()) + " "
    for agency in view["agencies"]:
        agency["TENDONVI"] = agency["TENDONVI"].replace(" ", "   ").lower()
    assert compare(catalogue, parsed(view)) == []


def test_a_limit_among_the_portals_cases_and_same_day_as_zero_days_match():
    catalogue = default_catalogue()
    view = portal_view(catalogue)
    same_day = next(code for code, item in catalogue.procedures.items()
                    if item.limit_unit == "same_day")
    for item in view["procedures"]:
        times = item["CACHTHUCTHUCHIEN"][0]["THOIGIAN"]
        if item["MATTHC"] == same_day:
            times[0].update(THOIGIANGIAIQUYET="0", DONVITINH="Ngày làm việc")
        else:  # another case of the procedure, with a longer limit, given first
            times.insert(0, {**times[0], "THOIGIANGIAIQUYET": 99, "MOTA": "Trường hợp khác"})
    assert compare(catalogue, parsed(view)) == []


def test_a_fee_and_a_charge_on_one_row_add_up_to_our_fee():
    catalogue = default_catalogue()
    view = portal_view(catalogue)
    code = next(code for code, item in sorted(catalogue.procedures.items())
                if item.fee_counter >= 2)
    item = next(item for item in view["procedures"] if item["MATTHC"] == code)
    charges = item["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["PHILEPHI"]
    whole = charges[0]["SOTIEN"]
    charges[:] = [{**charges[0], "SOTIEN": whole - 1}, {**charges[0], "SOTIEN": 1}]
    assert compare(catalogue, parsed(view)) == []
    charges[1]["SOTIEN"] = 2
    [found] = compare(catalogue, parsed(view))
    assert (found.kind, found.code, found.portal) == ("fee_counter", code, f"{whole + 1:,} đ")


def test_a_unit_we_do_not_know_is_reported_not_guessed():
    catalogue = default_catalogue()
    view = portal_view(catalogue)
    code = sorted(catalogue.procedures)[0]
    item = next(item for item in view["procedures"] if item["MATTHC"] == code)
    item["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["DONVITINH"] = "Tháng"
    [found] = compare(catalogue, parsed(view))
    assert (found.kind, found.code) == ("time_limit", code)
    assert "Tháng" in found.portal


def test_answers_are_read_as_the_published_clients_read_them():
    catalogue = default_catalogue()
    first = next(iter(catalogue.procedures.values()))
    item = portal_procedure(first, catalogue.agencies[first.agency])
    assert results("LayThuTuc", Answer("0", "", {"result": [item]})) == [item]
    assert results("LayThuTuc", Answer("0", "", {"result": []})) == []
    # Thanh Hóa's platform wraps the portal's answer as a JSON string in `message`.
    wrapped = '{"error_code": 0, "result": [{"MADONVI": "000.00.15.H38", "TENDONVI": "Sở"}]}'
    assert parse_agency(results("LayDanhMucCoQuan", Answer("0", wrapped, {}))[0]).code \
        == "000.00.15.H38"
    with pytest.raises(PortalAnswerError, match="error_code -1 Sai mã đơn vị"):
        results("LayThuTuc", Answer("-1", "Sai mã đơn vị", {}))
    with pytest.raises(PortalAnswerError, match="not a list"):
        results("LayThuTuc", Answer("0", "", {"result": {"MATTHC": "1.000001"}}))
    with pytest.raises(PortalAnswerError, match="SOTIEN 'hai trăm' is not a number"):
        parse_procedure({**item, "CACHTHUCTHUCHIEN": [{"KENH": 1, "THOIGIAN": [
            {"THOIGIANGIAIQUYET": 5, "PHILEPHI": [{"SOTIEN": "hai trăm"}]}]}]})
    with pytest.raises(PortalAnswerError, match="without MADONVI"):
        parse_agency({"TENDONVI": "Sở"})


def performers(view, code: str, *agencies: tuple[str, str]) -> None:
    item = next(item for item in view["procedures"] if item["MATTHC"] == code)
    item["COQUANTHUCHIEN"] = [{"MADONVI": madonvi, "TENDONVI": tendonvi}
                              for madonvi, tendonvi in agencies]


def by_unit(catalogue, level: str, unit: str | None) -> list[str]:
    return sorted(code for code, item in catalogue.procedures.items()
                  if item.level == level and catalogue.agencies[item.agency].commune_unit == unit)


def shipped_catalogue():
    """The catalogue shipped with the software: both levels, commune police and committees (the
    tests' default one is provincial only)."""
    shipped = Path(str(resources.files("motcua_catalogue") / "data" / SHIPPED))
    return parse_export(shipped.read_text(encoding="utf-8"), shipped.name).catalogue


def test_a_commune_procedure_matches_its_level_or_any_commune_of_its_kind():
    catalogue = shipped_catalogue()
    committee, police = by_unit(catalogue, "commune", "people_committee"), \
        by_unit(catalogue, "commune", "police")
    other_commune = next(agency for agency in catalogue.agencies.values()
                         if agency.commune_unit == "people_committee"
                         and agency.code != catalogue.procedures[committee[0]].agency)
    view = portal_view(catalogue)
    performers(view, committee[0], ("", "Uỷ ban nhân dân cấp xã"))  # the other tone mark
    performers(view, committee[1], ("000.77.01.H99", "UBND xã Tân Hợp"))  # a commune not ours
    performers(view, committee[2], (other_commune.electronic_id, ""))  # another of ours, by ID
    performers(view, committee[3], ("", "Chủ tịch Ủy ban nhân dân xã"))
    performers(view, committee[4], ("", "Sở Tư pháp"), ("", "Ủy ban nhân dân phường"))
    performers(view, police[0], ("", "Công an xã, phường, đặc khu"))
    assert compare(catalogue, parsed(view)) == []

    performers(view, committee[5], ("", "Công an cấp xã"))  # the police, not the committee
    performers(view, committee[6], ("000.00.15.H38", "Sở Tư pháp"))  # a department
    performers(view, police[1], ("", "Ủy ban nhân dân cấp xã"))  # the committee, not the police
    performers(view, police[2], ("", "Ủy ban nhân dân tỉnh"))
    found = compare(catalogue, parsed(view))
    assert sorted((item.kind, item.code) for item in found) == sorted(
        ("procedure_agency", code) for code in (committee[5], committee[6], police[1], police[2]))
    by_code = {item.code: item for item in found}
    assert by_code[committee[6]].ours == "Ủy ban nhân dân cấp xã (any commune's)"
    assert by_code[committee[6]].portal == "000.00.15.H38 Sở Tư pháp"
    assert by_code[police[1]].ours == "Công an cấp xã (any commune's)"


def test_a_provincial_procedure_must_name_the_same_department():
    catalogue = shipped_catalogue()
    [first, second, third, fourth] = by_unit(catalogue, "provincial", None)[:4]
    lead = catalogue.agencies[catalogue.procedures[first].agency]
    view = portal_view(catalogue)
    performers(view, first, ("", lead.name.upper()))  # by name, no ID
    performers(view, second, (catalogue.agencies[catalogue.procedures[second].agency]
                              .electronic_id, "Tên khác"))  # by ID, another spelling
    performers(view, third)  # none given: not compared
    assert compare(catalogue, parsed(view)) == []
    performers(view, fourth, ("", "Ủy ban nhân dân cấp xã"), ("000.00.99.H99", "Sở khác"))
    [found] = compare(catalogue, parsed(view))
    ours = catalogue.agencies[catalogue.procedures[fourth].agency]
    assert (found.kind, found.code, found.ours, found.portal) == (
        "procedure_agency", fourth, f"{ours.electronic_id} {ours.name}",
        "Ủy ban nhân dân cấp xã; 000.00.99.H99 Sở khác")
