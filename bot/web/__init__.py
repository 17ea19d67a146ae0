"""The web chat page: its template, script and stylesheet (served by bot.channels.web)."""
