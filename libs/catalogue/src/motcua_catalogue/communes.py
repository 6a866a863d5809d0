"""Which commune handles a commune-level dossier. Pure rules on the catalogue, no I/O.

Since 1 July 2025 a commune-level procedure (birth registration, temporary residence...) is
handled by the unit of the applicant's commune: its People's Committee, or its police for the
residence procedures. The catalogue names one such unit as a procedure's competent agency (the
kind of unit that handles it); the filing names the commune, and the dossier goes to that
commune's unit of the same kind. Where it is received is another matter: any centre of the
province may receive it (Decree 118/2025, docs/domain.md), and the dossier code follows the
receiving unit.

A commune-level unit is an agency of `level` commune; `commune_unit` says what it is
(`people_committee`, the default, or `police`); a People's Committee is its commune, any other
unit names its commune's People's Committee in `commune`."""

from __future__ import annotations

from collections.abc import Mapping

from motcua_catalogue.catalogue import Agency, Catalogue, Procedure

UNIT_NAMES = {"people_committee": "Ủy ban nhân dân", "police": "Công an"}


class NotRoutable(ValueError):
    """A filing that names no commune, or one that cannot handle the procedure; the message
    names the field (`commune`) and the reason."""


def commune_of(agency: Agency) -> str | None:
    """The code of the commune (its People's Committee) a commune-level unit serves."""
    if agency.level != "commune":
        return None
    return agency.code if agency.commune_unit == "people_committee" else agency.commune


def commune_problem(agency: Agency, agencies: Mapping[str, Agency]) -> str | None:
    """What is wrong with a unit's commune among the file's agencies (None: nothing): the
    commune it names must be a People's Committee, and a commune has one unit of each kind."""
    commune = commune_of(agency)
    if commune is None or commune == agency.code:
        return None
    committee = agencies.get(commune)
    if committee is None or committee.commune_unit != "people_committee":
        return (f"commune {commune!r} is not a commune's People's Committee among the "
                "catalogue's agencies")
    for other in agencies.values():  # the first of two is the one, the second at fault
        if other.code == agency.code:
            return None
        if commune_of(other) == commune and other.commune_unit == agency.commune_unit:
            return f"commune {commune} has a {agency.commune_unit} unit already: {other.code}"
    return None


def level_problem(procedure: Procedure, lead: Agency) -> str | None:
    """A commune-level procedure's competent agency must be a commune-level unit: it says which
    kind of unit of the applicant's commune handles it."""
    if procedure.level == "commune" and lead.level != "commune":
        return (f"a commune-level procedure (Cấp Xã) is handled by a commune-level unit; "
                f"{lead.code} is provincial")
    return None


def routing_problem(catalogue: Catalogue, procedure: Procedure, agency: str) -> str | None:
    """Why a dossier of `procedure` addressed to `agency` cannot be handled there, in the
    Vietnamese the applicant reads (None: it can). A commune-level procedure is handled by a
    commune's unit of its kind and by no other agency; a filing over HTTP is routed so
    (`competent_agency`), but a portal publishing its DossierSubmitted on the topic names the
    agency itself, so intake checks it. A provincial procedure's agency is not judged here."""
    if routed_by_commune(catalogue, procedure) and agency not in {
            unit.code for unit in units_for(catalogue, procedure)}:
        kind = unit_name(catalogue, procedure)
        return (f"Thủ tục {procedure.code} là thủ tục cấp xã, do {kind} cấp xã nơi người nộp "
                f"cư trú giải quyết; {agency} không phải là {kind} cấp xã trong danh mục")
    return None


def routed_by_commune(catalogue: Catalogue, procedure: Procedure) -> bool:
    """Whether `procedure` is handled by the applicant's commune (its unit of the kind named)."""
    lead = catalogue.agencies.get(procedure.agency)
    return procedure.level == "commune" and lead is not None and lead.level == "commune"


def unit_name(catalogue: Catalogue, procedure: Procedure) -> str:
    """What kind of unit handles `procedure` in each commune, in Vietnamese (Ủy ban nhân dân,
    Công an)."""
    kind = catalogue.agencies[procedure.agency].commune_unit or ""
    return UNIT_NAMES.get(kind, kind)


def unit_in(catalogue: Catalogue, commune: str, kind: str | None) -> Agency | None:
    """Commune `commune`'s unit of kind `kind` (a People's Committee, its police)."""
    return next((a for a in catalogue.agencies.values()
                 if commune_of(a) == commune and a.commune_unit == kind), None)


def units_for(catalogue: Catalogue, procedure: Procedure) -> list[Agency]:
    """The units that may handle `procedure`: for a commune-level one, each commune's unit of
    the kind its catalogue entry names (by name); for a provincial one, its competent agency."""
    lead = catalogue.agencies[procedure.agency]
    if procedure.level != "commune" or lead.level != "commune":
        return [lead]
    return sorted((a for a in catalogue.agencies.values()
                   if a.level == "commune" and a.commune_unit == lead.commune_unit),
                  key=lambda a: a.name)


def commune_choices(catalogue: Catalogue, procedure: Procedure) -> list[dict[str, object]]:
    """What a filing may name in `commune` for `procedure`, as the API lists it: each commune
    (its People's Committee's code and name) with the unit that then handles the dossier;
    empty for a provincial procedure."""
    if procedure.level != "commune":
        return []
    choices: list[dict[str, object]] = []
    for unit in units_for(catalogue, procedure):
        home = commune_of(unit)
        if home is not None:
            choices.append({"code": home, "name": catalogue.agencies[home].name,
                            "competent_agency": {"code": unit.code, "name": unit.name}})
    return choices


def competent_agency(catalogue: Catalogue, procedure: Procedure, commune: str | None,
                     receiving_unit: str | None = None) -> Agency:
    """The agency that handles a dossier of `procedure` filed for `commune` (a commune's People's
    Committee or any unit of that commune, by code) and received at `receiving_unit`'s desk.

    Provincial procedure: its competent agency; naming a commune is an error. Commune-level:
    the named commune's unit of the procedure's kind; none named, the receiving desk's own
    commune when it is a commune-level unit (a commune centre handles its own residents'
    dossiers unless told otherwise); else NotRoutable: the portal and the provincial centre
    must say which commune (they receive for every commune of the province)."""
    lead = catalogue.agencies[procedure.agency]
    if procedure.level != "commune" or lead.level != "commune":
        if commune is not None:
            raise NotRoutable(f"commune: procedure {procedure.code} is handled at provincial "
                              f"level by {lead.code} ({lead.name}); a commune is chosen only for "
                              "a commune-level procedure")
        return lead
    kind = lead.commune_unit
    if commune is None:
        desk = catalogue.agencies.get(receiving_unit) if receiving_unit else None
        commune = commune_of(desk) if desk is not None else None
        if commune is None:
            raise NotRoutable(
                f"commune: procedure {procedure.code} ({procedure.name}) is a commune-level "
                "procedure, handled by the applicant's commune: name the commune (its People's "
                f"Committee's code; GET /api/procedures/{procedure.code} lists them in "
                "`communes`)")
    named = catalogue.agencies.get(commune)
    if named is None:
        raise NotRoutable(f"commune: {commune!r} is not an agency of the catalogue in force "
                          "(GET /api/agencies lists them)")
    home = commune_of(named)
    if home is None:
        raise NotRoutable(f"commune: {commune} ({named.name}) is not a commune-level unit; name "
                          "the applicant's commune (its People's Committee's code)")
    unit = unit_in(catalogue, home, kind)
    if unit is None:
        committee = catalogue.agencies[home]
        raise NotRoutable(
            f"commune: {committee.name} has no {UNIT_NAMES.get(kind or '', kind)} unit in the "
            f"catalogue to handle procedure {procedure.code} (handled by the commune's "
            f"{kind})")
    return unit
