"""The event backbone: topology, broker connections, transactional outbox, inbox consumers.

Flow: a service writes its state change and an outbox row in one transaction (`outbox.add_event`);
the relay publishes pending rows with publisher confirms and marks them sent after the broker's
ack; a consumer stores each delivered message in its inbox and only then acks; the inbox processor
runs the service's handler with retries, back-off and a dead state operators can replay.
"""
