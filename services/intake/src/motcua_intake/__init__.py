"""Intake (Tiếp nhận), stage 1: the HTTP API where dossiers are filed, the completeness check
that accepts or refuses them, and the tracking view of every dossier that citizens query."""

STAGE = "intake"
