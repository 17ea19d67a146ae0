"""Targeted notifications: who subscribed to which topic and area, and sending notices to them."""
