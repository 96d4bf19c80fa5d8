"""The referrals HTTP API (/v1), documented in the service's OpenAPI 3.1 document."""
