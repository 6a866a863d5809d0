"""Approval (Phê duyệt), stage 3: the head of unit, or a leader with delegated authority,
approves the drafted result or denies the application."""

STAGE = "approval"
