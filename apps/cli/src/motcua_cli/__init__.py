"""The `motcua` command: run the whole system on one machine (`up`), drive it (`demo`), and the
one-shot setup steps production runs before the services (`migrate`, `topics`)."""

STAGES = ("intake", "appraisal", "approval", "signing", "delivery")
# Every service process `motcua up` runs: the stages, then the audit archive, the operations
# centre's view and the national portal's sync (which emit nothing, so need no signing key; the
# sync runs only when PORTAL_URL is set: motcua_cli.supervisor.portal_configured), then the
# officers' workspace (which consumes nothing: it calls the stages' work queues).
SERVICES = (*STAGES, "audit", "operations", "portal", "workspace")
# Who signs events beside the stages: `motcua import-legacy`, with the import key (producer
# service `import`, a shared key for every agency), which only DossierImported may carry.
IMPORT_PRODUCER = "import"
SIGNERS = (*STAGES, IMPORT_PRODUCER)
# The services that keep an outbox, an inbox and dead letters (all but the workspace).
CONSUMERS = (*STAGES, "audit", "operations", "portal")


def parse_service_row(value: str, example: str) -> tuple[str, int]:
    """`SERVICE:ID`, how the commands that act on one service's table row (`motcua dlq`,
    `motcua outbox`) name it; anything else stops the command with the expected form."""
    service, _, row_id = value.partition(":")
    if service not in CONSUMERS or not row_id.isdigit():
        raise SystemExit(f"{value!r}: expected SERVICE:ID, e.g. {example} (services: "
                         f"{', '.join(CONSUMERS)})")
    return service, int(row_id)
