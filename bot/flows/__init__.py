"""Guided flows: procedures asked step by step, each step answered in the citizen's own words."""
