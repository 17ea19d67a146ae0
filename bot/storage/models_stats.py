"""Indexes the published figures need on existing tables (their reads are by time)."""

from __future__ import annotations

from sqlalchemy import Index

from bot.storage.models import Message

#: The figures count bot replies one month or week at a time.
MESSAGES_BY_TIME = Index("ix_messages_created_at", Message.created_at)
