"""Intake's front door over HTTP: filing a dossier (`POST /api/dossiers`, idempotent with an
`Idempotency-Key`), the applicant's actions after filing (supplement, fees, withdrawal), and the
public catalogue with its working calendar. Each writes its event to the outbox in the
transaction that records it; the consumer side (motcua_intake.handlers) takes it from there."""
