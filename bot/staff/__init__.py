"""The staff console: sign-in, the queue, conversations, actions and the audit log."""
