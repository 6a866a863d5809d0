"""What citizens and managers see of intake's tracking view over HTTP: a dossier followed by its
id, or by its code and the applicant's ID number (JSON and the lookup page /tra-cuu), its control
sheet (form 06), the applicant's rating, the signed result's download, and the managers' reports.
The view itself is folded from the topic by motcua_intake.handlers; this package only reads it
(and records ratings)."""
