"""The `motcua` command: run the whole system on one machine (`up`), drive it (`demo`), and the
one-shot setup steps production runs before the services (`migrate`, `topics`)."""

STAGES = ("intake", "appraisal", "approval", "signing", "delivery")
# Every service process `motcua up` runs: the stages, then the audit archive and the operations
# centre's view (which emit nothing, so need no signing key), then the officers' workspace
# (which consumes nothing: it calls the stages' work queues).
SERVICES = (*STAGES, "audit", "operations", "workspace")
# The services that keep an outbox, an inbox and dead letters (all but the workspace).
CONSUMERS = (*STAGES, "audit", "operations")
