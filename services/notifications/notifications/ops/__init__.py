"""The operator console's knowledge: the hub's services and queues, failing endpoints, a referral's timeline.

Served as JSON under `/v1/ops/...` (`notifications.api.ops`) and as HTML pages (`notifications.web`);
operators only. Nothing here shows a payload beyond the thin events' ids and statuses.
"""
