"""The audit service: archives every record of the dossier topic (and its dead-letter topic) as
received, in an append-only table, and the auditors' tools that replay and verify the log
(`motcua audit replay`, `motcua audit bench`)."""

STAGE = "audit"
