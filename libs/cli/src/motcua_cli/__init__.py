"""The `motcua` command: run the whole system on one machine (`up`), drive it (`demo`), and the
one-shot setup steps production runs before the services (`migrate`, `topics`)."""

SERVICES = ("intake", "appraisal", "approval", "signing", "delivery")
