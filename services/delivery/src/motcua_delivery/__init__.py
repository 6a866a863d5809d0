"""Delivery (Trả kết quả), stage 5: the result goes back to the applicant at the counter, by
post, or online, and whether the dossier was on time is recorded."""

STAGE = "delivery"
