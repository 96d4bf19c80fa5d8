"""accounts: organisations, API clients, the token issuer and its JWKS."""
