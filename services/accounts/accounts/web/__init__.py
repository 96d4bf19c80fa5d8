"""accounts' own pages: people's sign-in (the OAuth2 authorization endpoint), sign-out, and
accepting an invitation."""
