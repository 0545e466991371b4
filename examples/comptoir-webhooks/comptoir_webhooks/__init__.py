"""An example Comptoir plugin: signed webhooks for business events.

Events are written to an outbox (``webhooks_delivery``) inside the transaction of the
action that caused them, so a rolled-back action sends nothing; the scheduler job then
POSTs them, signed with HMAC-SHA256, and retries failures with backoff.
"""
