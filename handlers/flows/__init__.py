"""Guided procedures inside the conversation: steps, answers, summary, stop and resume."""
