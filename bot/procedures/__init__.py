"""No-visit procedures: applications, attachments and photos, retention, answer parsers."""
