"""Hand-off to staff: escalations, office hours, and what staff actions share."""
