"""What officers do in intake over HTTP: read a dossier whole (its applicant opened, its form
data, documents, timeline and supplements) when their agency took part in it."""
