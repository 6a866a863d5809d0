"""The operations centre's read model: consumes every event on the dossier topic (its own
consumer group), folds each dossier's state into a projection, scrapes every service's
Prometheus endpoint, and serves the live dashboard and each dossier's timeline."""

STAGE = "operations"
