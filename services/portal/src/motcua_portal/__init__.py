"""The link to the national public service portal (Cổng DVCQG): consumes every event on the
dossier topic (its own consumer group), keeps each dossier's sync position and a queue of the
portal calls it owes, and sends them (DongBoHoSoMC, CapNhatTienDoHoSoMC) in order per dossier,
retrying a portal that is down without holding back the other dossiers."""

STAGE = "portal"
