"""E-mail notifications to applicants: Vietnamese templates (`templates`), a durable queue
table written in the handler's transaction (`queue`), and a background SMTP sender with retries
(`sender`). Any service that holds the applicant's e-mail address (intake) can use it."""

from motcua_notify.queue import NotificationColumns, notification
from motcua_notify.sender import NotificationSender, SmtpSettings
from motcua_notify.templates import Dossier, Message

__all__ = ["Dossier", "Message", "NotificationColumns", "NotificationSender", "SmtpSettings",
           "notification"]
