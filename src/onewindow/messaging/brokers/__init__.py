"""Brokers carry outbox events to consumers: ``InMemoryBroker`` for the embedded default and
tests, ``NatsBroker`` (NATS JetStream) for the scaled-out deployment."""
