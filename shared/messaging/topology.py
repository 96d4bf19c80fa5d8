"""Every exchange, queue and binding of the hub, in one place, declared by every process at start.

Declaring everything everywhere matters twice: kombu's virtual transports (the embedded broker)
keep bindings per process, so a publisher that has not declared the consumers' queues would drop
messages; and on RabbitMQ a message with no matching binding is unroutable. Every event type must
be bound to at least one queue (a test checks it).
"""
from __future__ import annotations

import re
from functools import lru_cache

from kombu import Exchange, Queue

EXCHANGE_NAME = "hub.events"
DEAD_LETTER_EXCHANGE_NAME = "hub.events.dead"
# RabbitMQ's own safety net: after this many redeliveries a quorum queue dead-letters a message.
DELIVERY_LIMIT = 20

# queue name -> binding keys (topic patterns). The queue name is also the inbox consumer's name.
BINDINGS: dict[str, tuple[str, ...]] = {
    "referrals.events": (
        "organisation.*",
        "api_client.revoked",
        "person.*",
        "notification.delivered",
        "notification.failed",
    ),
    "notifications.events": (
        "referral.*",
        "organisation.*",
        "api_client.revoked",
        "person.*",
        "webhook.disabled",
    ),
}

# The queue each consuming service reads (accounts only produces, so it has none).
SERVICE_QUEUE = {"referrals": "referrals.events", "notifications": "notifications.events"}

exchange = Exchange(EXCHANGE_NAME, type="topic", durable=True)
dead_letter_exchange = Exchange(DEAD_LETTER_EXCHANGE_NAME, type="direct", durable=True)


def _topic_regex(pattern: str) -> re.Pattern:
    words = []
    for word in pattern.split("."):
        words.append({"*": r"[^.]+", "#": r".*"}.get(word, re.escape(word)))
    return re.compile("^" + r"\.".join(words) + "$")


@lru_cache(maxsize=None)
def queues_for(routing_key: str) -> tuple[str, ...]:
    """The queues a routing key reaches: the embedded broker's check against silent drops."""
    return tuple(queue for queue, keys in BINDINGS.items()
                 if any(_topic_regex(key).match(routing_key) for key in keys))


def queue(name: str, *, rabbitmq: bool) -> Queue:
    """A kombu Queue with its bindings; on RabbitMQ a quorum queue with dead-lettering."""
    from kombu import binding

    arguments = None
    if rabbitmq:
        arguments = {
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE_NAME,
            "x-dead-letter-routing-key": name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
    return Queue(name, exchange=exchange, bindings=[binding(exchange, routing_key=key) for key in BINDINGS[name]],
                 durable=True, queue_arguments=arguments)


def dead_letter_queue(name: str) -> Queue:
    return Queue(f"{name}.dead", exchange=dead_letter_exchange, routing_key=name, durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def declare(channel, *, rabbitmq: bool) -> None:
    """Declare the whole topology on a channel (idempotent)."""
    exchange(channel).declare()
    if rabbitmq:
        dead_letter_exchange(channel).declare()
    for name in BINDINGS:
        bound = queue(name, rabbitmq=rabbitmq)(channel)
        bound.declare()
        if rabbitmq:
            dead_letter_queue(name)(channel).declare()
