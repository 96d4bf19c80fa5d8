"""How much load each phase offers: the full bench, and `--quick` (a smoke run in under a minute)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sizes:
    """Counts are upper bounds: every phase also stops at `max_phase_seconds` (paced: 2 x `paced_seconds`),
    and waits at most `delivery_wait_seconds` for webhooks still on their way."""

    # baselines
    kombu_messages: int = 5000
    post_requests: int = 6000
    sequential_requests: int = 300
    concurrency: int = 4
    pipeline_saturated: int = 3000
    rates: list[float] = field(default_factory=lambda: [50.0, 100.0])
    paced_seconds: float = 10.0
    max_phase_seconds: float = 25.0
    # the hub: closed-loop creates (API alone), saturated create -> webhook, paced rates, backbone events
    hub_creates: int = 1000
    hub_saturated: int = 1000
    backbone_events: int = 3000
    embedded_rates: list[float] = field(default_factory=lambda: [50.0, 100.0])
    embedded_creates: int = 600
    embedded_saturated: int = 400
    embedded_backbone_events: int = 1000
    # real mode, full run: rates tried after `rates` while p99 stays under 250 ms
    ladder: list[float] = field(default_factory=lambda: [150.0, 200.0, 300.0])
    delivery_wait_seconds: float = 60.0
    quick: bool = False

    @classmethod
    def quick_sizes(cls) -> "Sizes":
        return cls(kombu_messages=300, post_requests=300, sequential_requests=30, concurrency=4,
                   pipeline_saturated=100, rates=[50.0], paced_seconds=1.0, max_phase_seconds=8.0, hub_creates=60,
                   hub_saturated=40, backbone_events=200, embedded_rates=[50.0], embedded_creates=40,
                   embedded_saturated=30, embedded_backbone_events=100, ladder=[], delivery_wait_seconds=15.0,
                   quick=True)
