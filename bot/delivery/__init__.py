"""Delivery: the inbox (webhook events stored first, processed once) and the outbox."""
