"""Channels only translate: ``parse`` platform input into Incoming, ``send`` replies out."""
