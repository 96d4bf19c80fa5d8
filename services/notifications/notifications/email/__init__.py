"""Email to people: composing it in their language, sending it over SMTP (or into a Maildir), retrying,
and the daily digest. Rows in `emails` are the queue and the delivery log at once."""

#: NOTIFY channel that wakes the sending loop when a transaction has queued email.
WAKEUP_CHANNEL = "hub_emails"
