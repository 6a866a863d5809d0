"""Attribute names motcua puts on spans (and the resource). The store lifts the `motcua.*` ones
into columns of `telemetry.spans`."""

SERVICE_NAME = "service.name"
AGENCY = "motcua.agency"
DOSSIER_ID = "motcua.dossier_id"
DOSSIER_CODE = "motcua.dossier_code"
EVENT_ID = "motcua.event_id"
EVENT_TYPE = "motcua.event_type"
