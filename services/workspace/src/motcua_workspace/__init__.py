"""The officers' workspace: the web application where the agencies' officers sign in, work their
stage's queue and decide on a dossier with everything they need to see. It holds the officers'
accounts and sessions (schema `workspace`), mints each officer's short-lived token itself and
calls the stages' own work-queue APIs and intake's officer API server-side: it adds no second
way to change a dossier, and no token ever reaches the browser."""

SERVICE = "workspace"
