"""People's notices: what an organisation is told of (in-app), its people's read markers and email
settings, and which of them get an email at once (the daily digest and the sending are in `email/`)."""
