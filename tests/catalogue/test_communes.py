"""Which commune handles a commune-level dossier (motcua_catalogue.communes), on the shipped
catalogue of the merged Lào Cai province: the applicant's commune, named at filing, by its
People's Committee (or its police, for the residence procedures); a commune desk's own commune
when none is named; a clear refusal otherwise. And the catalogue's own rules about communes,
each error naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

import motcua_catalogue
from motcua_catalogue import CatalogueError
from motcua_catalogue.catalogue import SHIPPED, configured_catalogue
from motcua_catalogue.communes import (
    NotRoutable,
    commune_choices,
    commune_of,
    competent_agency,
)
from motcua_catalogue.export import read_export
from tests.catalogue.export_sample import line_of, sample, write

SHIPPED_FILE = Path(motcua_catalogue.__file__).parent / "data" / SHIPPED
LAO_CAI = configured_catalogue({"MOTCUA_CATALOGUE": str(SHIPPED_FILE)})
BIRTH = LAO_CAI.procedures["1.001193"]  # the People's Committee of the commune, same day
RESIDENCE = LAO_CAI.procedures["1.004194"]  # temporary residence: the commune police
BUSINESS = LAO_CAI.procedures["2.001610"]  # provincial: Finance


def test_a_commune_level_dossier_goes_to_the_named_commune_of_the_procedures_kind():
    assert competent_agency(LAO_CAI, BIRTH, "UBNDPYB").code == "UBNDPYB"
    # Temporary residence is the police's: naming phường Yên Bái routes to its police.
    assert competent_agency(LAO_CAI, RESIDENCE, "UBNDPYB").code == "CAPYB"
    # A unit of the commune named instead of its committee names the same commune.
    assert competent_agency(LAO_CAI, BIRTH, "CAPYB").code == "UBNDPYB"
    # Received anywhere (the provincial centre, another commune's desk), handled there.
    assert competent_agency(LAO_CAI, BIRTH, "UBNDXBX", "TTPVHCC").code == "UBNDXBX"
    assert competent_agency(LAO_CAI, BIRTH, "UBNDXBX", "UBNDPCD").code == "UBNDXBX"


def test_without_a_commune_a_commune_desk_files_for_its_own_commune():
    assert competent_agency(LAO_CAI, BIRTH, None, "UBNDPCD").code == "UBNDPCD"
    assert competent_agency(LAO_CAI, RESIDENCE, None, "CAPYB").code == "CAPYB"


@pytest.mark.parametrize("procedure, commune, desk, message", [
    (BIRTH, None, None, "commune: procedure 1.001193 (Đăng ký khai sinh) is a commune-level "
                        "procedure, handled by the applicant's commune: name the commune"),
    (BIRTH, None, "TTPVHCC", "is a commune-level procedure, handled by the applicant's commune"),
    (BIRTH, "XYZ", None, "commune: 'XYZ' is not an agency of the catalogue in force"),
    (BIRTH, "STC", None, "commune: STC (Sở Tài chính tỉnh Lào Cai (Phòng Đăng ký kinh doanh)) "
                         "is not a commune-level unit"),
    (RESIDENCE, "UBNDPCD", None, "commune: Ủy ban nhân dân phường Cam Đường has no Công an "
                                 "unit in the catalogue to handle procedure 1.004194"),
    (BUSINESS, "UBNDPCD", None, "commune: procedure 2.001610 is handled at provincial level by "
                                "STC"),
])
def test_a_commune_that_cannot_handle_the_dossier_is_refused_with_the_reason(
        procedure, commune, desk, message):
    with pytest.raises(NotRoutable) as refused:
        competent_agency(LAO_CAI, procedure, commune, desk)
    assert message in str(refused.value)


def test_a_provincial_procedure_keeps_its_competent_agency_wherever_it_is_received():
    assert competent_agency(LAO_CAI, BUSINESS, None, "UBNDPCD").code == "STC"


def test_the_choices_are_the_communes_with_a_unit_of_the_procedures_kind():
    residence = commune_choices(LAO_CAI, RESIDENCE)
    assert [(c["code"], c["competent_agency"]["code"]) for c in residence] == [
        ("UBNDPLC", "CAPLC"), ("UBNDPYB", "CAPYB")]
    assert residence[0]["name"] == "Ủy ban nhân dân phường Lào Cai"
    births = {c["code"] for c in commune_choices(LAO_CAI, BIRTH)}
    assert births == {a.code for a in LAO_CAI.agencies.values()
                      if a.commune_unit == "people_committee"}
    assert len(births) == 6
    assert commune_choices(LAO_CAI, BUSINESS) == []


def test_the_shipped_units_say_which_commune_they_serve():
    assert commune_of(LAO_CAI.agencies["CAPLC"]) == "UBNDPLC"
    assert commune_of(LAO_CAI.agencies["UBNDPCD"]) == "UBNDPCD"
    assert commune_of(LAO_CAI.agencies["STC"]) is None
    assert LAO_CAI.agencies["CAPYB"].commune_unit == "police"


# -- the catalogue's rules about communes ----------------------------------------------------

def police(**fields: object) -> dict[str, object]:
    return {"code": "CAX1", "name": "Công an xã Một", "electronic_id": "000.31.11.H38",
            "stages": ["intake", "delivery"], "level": "commune", "commune_unit": "police",
            **fields}


def error_of(path: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        read_export(path)
    return str(caught.value)


def test_a_commune_police_names_a_peoples_committee_of_the_file(tmp_path):
    document = sample()
    document["agencies"].append(police(commune="STP"))
    path = write(tmp_path / "c.json", document)
    line = line_of(path, '"code": "CAX1"') - 1
    assert error_of(path) == (f"{path}:{line}: agency CAX1: commune 'STP' is not a commune's "
                              "People's Committee among the catalogue's agencies")
    document["agencies"][-1] = police()
    path = write(tmp_path / "c.json", document)
    assert "a commune-level police unit names its commune's People's Committee" in error_of(path)
    document["agencies"][-1] = police(commune="XA1")
    police_of_xa1 = read_export(write(tmp_path / "c.json", document)).catalogue.agencies["CAX1"]
    assert commune_of(police_of_xa1) == "XA1"


def test_a_commune_has_one_unit_of_each_kind(tmp_path):
    document = sample()
    document["agencies"] += [police(commune="XA1"),
                             police(code="CAX2", electronic_id="000.31.12.H38", commune="XA1")]
    path = write(tmp_path / "c.json", document)
    assert "agency CAX2: commune XA1 has a police unit already: CAX1" in error_of(path)


def test_a_provincial_agency_is_no_commune_unit(tmp_path):
    document = sample()
    document["agencies"][0]["commune_unit"] = "police"
    path = write(tmp_path / "c.json", document)
    line = line_of(path, '"code": "CAT"') - 1
    assert error_of(path).startswith(f"{path}:{line}: agency: ")
    assert "commune_unit and commune are for commune-level units only" in error_of(path)


def test_a_commune_level_procedure_is_handled_by_a_commune_unit(tmp_path):
    document = sample()
    document["procedures"][1]["COQUANTHUCHIEN"] = [{"MADONVI": "STP"}]
    path = write(tmp_path / "c.json", document)
    line = line_of(path, '"MATTHC": "1.001193"') - 1
    assert error_of(path) == (f"{path}:{line}: procedure 1.001193: a commune-level procedure "
                              "(Cấp Xã) is handled by a commune-level unit; STP is provincial")
