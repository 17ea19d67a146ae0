"""The web chat: the page, its JSON API and photo upload."""
