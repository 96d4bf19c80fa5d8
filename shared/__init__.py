"""The hub's common library: what all three services truly share.

Settings, the event contracts, the messaging backbone (topology, outbox, inbox), telemetry,
problem responses, JWT verification and the small web/database plumbing every service needs.
Nothing here knows about one service's domain.
"""
