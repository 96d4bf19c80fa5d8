"""notifications: organisations' webhook endpoints, signed event delivery and the delivery log.

Events arrive from the broker into the inbox; handlers turn each referral.* / organisation.* event
into one delivery per matching endpoint of the organisations concerned; the dispatcher POSTs them,
signed per Standard Webhooks, retrying on the published schedule (`delivery/schedule.py`).
"""
