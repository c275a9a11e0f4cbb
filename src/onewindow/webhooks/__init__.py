"""Webhooks: a declarant's organisation is told of its events by a signed POST, retried with
backoff until it is received, without ever holding up a submission (推送通知)."""
