"""Intake (Tiếp nhận), stage 1: the HTTP API where dossiers are filed, the completeness check
that accepts or refuses them, and the tracking view of every dossier that citizens query.

Layout:
- `filing/`: the front door (filing, the applicant's actions, the catalogue and calendar);
- `tracking/`: reading the tracking view (following a dossier, the lookup page, the control
  sheet, ratings, the result download, reports);
- the consumer: `handlers` (the use cases on the topic), `domain` (their rules, no I/O),
  `notices` (the applicant's e-mails), `repository` and `orm` (storage), `deadline_watch`;
- the composition root: `app` (wires everything), `api` (the HTTP app from both packages),
  `settings`, `__main__`, and `migrations/`."""

STAGE = "intake"
