"""Webhook delivery: which deliveries an event makes, the retry schedule, signing and the dispatcher."""
