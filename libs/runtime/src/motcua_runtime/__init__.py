"""Plumbing shared by the stage services: settings, database, outbox relay, inbox, the batch
consumer that applies a stage's handlers in one transaction, logging and telemetry."""
