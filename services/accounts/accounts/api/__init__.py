"""accounts' HTTP API: the OAuth token endpoint, organisations and their API clients."""
