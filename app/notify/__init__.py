"""Between sessions: reminders and digests by mail through an outbox, links in mails, calendar feeds."""
