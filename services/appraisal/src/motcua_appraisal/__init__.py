"""Appraisal (Thẩm định), stage 2: the competent agency's specialist examines the dossier and
drafts the result, or an automatic policy does it for simple procedures."""

STAGE = "appraisal"
