"""The catalogue in force against the national portal's (`motcua portal check-catalogue`): pure
rules, no I/O. What differs is a list of `Difference`s, each naming the procedure or agency,
what we hold and what the portal says:

- a procedure whose national code (MATTHC) the portal does not know, or whose name differs;
- a time limit that is none of those the portal gives for the procedure (on the counter
  channel, KENH 1, when it gives one; else on any channel);
- a counter or online fee that is none of the portal's on that channel (a THOIGIAN row's fee
  is the sum of its PHILEPHI, a fee and a charge both applying, as the catalogue's export
  format reads it: docs/catalogue.md);
- a performing agency (COQUANTHUCHIEN) that is not ours: a provincial procedure's must be our
  lead agency (its electronic ID, or its name); a commune-level procedure is handled by the
  applicant's commune, so the portal names a level ("Ủy ban nhân dân cấp xã") or some commune's
  unit, and it matches when one of those it names is a commune-level unit of our lead's kind
  (a People's Committee, or the commune police for the residence procedures): by name, or by
  the electronic ID of one of our commune units of that kind;
- an agency whose electronic ID (MADONVI) the portal does not list, or lists under another name.

A figure the portal does not give (no THOIGIAN, no PHILEPHI) is not compared: the portal is
not saying it differs. Names are compared after Unicode normalisation (NFC), with case and runs
of spaces ignored: "Sở Tư pháp" and "Sở Tư Pháp" are the same name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from motcua_catalogue import Catalogue, Procedure
from motcua_catalogue.export import UNITS as EXPORT_UNITS
from motcua_portal.portal_catalogue import (
    PerformingAgency,
    PortalCatalogue,
    PortalProcedure,
    PortalTimeLimit,
)

COUNTER, ONLINE = "1", "2"  # KENH: how it is filed

# DONVITINH as the portal writes it -> our limit unit: the export format's words, and two
# shorter forms a portal's record may use.
UNITS = {**EXPORT_UNITS, "ngày lịch": "calendar_days", "giờ": "working_hours"}
UNIT_WORDS = {"working_days": "ngày làm việc", "calendar_days": "ngày",
              "working_hours": "giờ làm việc", "same_day": "trong ngày"}

# A commune-level unit as the national database names it: the kind of unit, then the level or
# the kind of commune ("Ủy ban nhân dân cấp xã", "UBND phường ...", "Công an xã ..."), after an
# optional "Chủ tịch" (the chair decides some commune procedures). Matched on _normal() names.
COMMUNE_KIND_WORDS = {"people_committee": "ủy ban nhân dân", "police": "công an"}
COMMUNE_WORDS = "cấp xã|xã|phường|thị trấn|đặc khu"
COMMUNE_LEVEL_NAMES = {"people_committee": "Ủy ban nhân dân cấp xã", "police": "Công an cấp xã"}


@dataclass(frozen=True)
class Difference:
    kind: str  # procedure_unknown, procedure_name, time_limit, fee_counter, fee_online,
    #            procedure_agency, agency_unknown, agency_name
    code: str  # the procedure's national code or the agency's electronic ID
    what: str  # our procedure's or agency's name (and our agency code)
    ours: str
    portal: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(catalogue: Catalogue, portal: PortalCatalogue) -> list[Difference]:
    """Every difference, procedures first (by code), then agencies (by electronic ID)."""
    found: list[Difference] = []
    for code in sorted(catalogue.procedures):
        procedure = catalogue.procedures[code]
        theirs = portal.procedures.get(code)
        found += _procedure(procedure, theirs)
        if theirs is not None:
            found += _performing_agency(catalogue, procedure, theirs)
    for agency in sorted(catalogue.agencies.values(), key=lambda item: item.electronic_id):
        theirs = portal.agencies.get(agency.electronic_id)
        what = f"{agency.code} {agency.name}"
        if theirs is None:
            found.append(Difference("agency_unknown", agency.electronic_id, what,
                                    agency.electronic_id, ""))
        elif not same_name(agency.name, theirs.name):
            found.append(Difference("agency_name", agency.electronic_id, what, agency.name,
                                    theirs.name))
    return found


def same_name(ours: str, theirs: str) -> bool:
    return _normal(ours) == _normal(theirs)


def _procedure(ours: Procedure, theirs: PortalProcedure | None) -> list[Difference]:
    if theirs is None:
        return [Difference("procedure_unknown", ours.code, ours.name, ours.code, "")]
    found = []
    if not same_name(ours.name, theirs.name):
        found.append(Difference("procedure_name", ours.code, ours.name, ours.name, theirs.name))
    limits = _on_channel(theirs.limits, COUNTER) or list(theirs.limits)
    given = [limit for limit in limits if limit.value is not None or limit.unit]
    if given and not any(_same_limit(ours, limit) for limit in given):
        found.append(Difference("time_limit", ours.code, ours.name, _our_limit(ours),
                                "; ".join(sorted({_their_limit(limit) for limit in given}))))
    for kind, channel, fee in (("fee_counter", COUNTER, ours.fee_counter),
                               ("fee_online", ONLINE, ours.fee_online)):
        amounts = {sum(limit.fees) for limit in _on_channel(theirs.limits, channel)
                   if limit.fees}
        if amounts and float(fee) not in amounts:
            found.append(Difference(kind, ours.code, ours.name, f"{fee:,} đ",
                                    "; ".join(f"{amount:,.0f} đ" for amount in sorted(amounts))))
    return found


def _performing_agency(catalogue: Catalogue, ours: Procedure,
                       theirs: PortalProcedure) -> list[Difference]:
    """Whether the agency the portal says performs the procedure is ours (none given: not
    compared)."""
    if not theirs.agencies:
        return []
    lead = catalogue.agencies[ours.agency]
    if lead.level == "commune":
        kind = lead.commune_unit or "people_committee"
        our_ids = {agency.electronic_id for agency in catalogue.agencies.values()
                   if agency.level == "commune" and agency.commune_unit == kind}
        matches = any(agency.code in our_ids or _names_commune_unit(agency.name, kind)
                      for agency in theirs.agencies)
        expected = f"{COMMUNE_LEVEL_NAMES[kind]} (any commune's)"
    else:
        matches = any(agency.code == lead.electronic_id or same_name(agency.name, lead.name)
                      for agency in theirs.agencies)
        expected = f"{lead.electronic_id} {lead.name}"
    if matches:
        return []
    return [Difference("procedure_agency", ours.code, ours.name, expected,
                       "; ".join(_their_agency(agency) for agency in theirs.agencies))]


def _names_commune_unit(name: str, kind: str) -> bool:
    normal = _normal(name).replace("uỷ", "ủy")  # both tone-mark placements are written
    normal = re.sub(r"^ubnd\b", "ủy ban nhân dân", re.sub(r"^chủ tịch\s+", "", normal))
    return re.match(rf"{COMMUNE_KIND_WORDS[kind]} ({COMMUNE_WORDS})\b", normal) is not None


def _their_agency(agency: PerformingAgency) -> str:
    return f"{agency.code} {agency.name}".strip()


def _on_channel(limits: tuple[PortalTimeLimit, ...], channel: str) -> list[PortalTimeLimit]:
    return [limit for limit in limits if limit.channel == channel]


def _same_limit(ours: Procedure, limit: PortalTimeLimit) -> bool:
    unit = UNITS.get(_normal(limit.unit))
    if ours.limit_unit == "same_day":  # "trong ngày", or 0 (or a half) of a day
        return unit == "same_day" or (unit in ("working_days", "calendar_days")
                                      and limit.value is not None and limit.value < 1)
    return unit == ours.limit_unit and limit.value == ours.limit_value


def _our_limit(ours: Procedure) -> str:
    if ours.limit_unit == "same_day":
        return UNIT_WORDS["same_day"]
    return f"{ours.limit_value} {UNIT_WORDS[ours.limit_unit]}"


def _their_limit(limit: PortalTimeLimit) -> str:
    value = "" if limit.value is None else f"{limit.value:g} "
    return f"{value}{limit.unit}".strip()


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()
