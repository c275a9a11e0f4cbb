"""Messaging: the outbox relay, brokers (in-memory and NATS JetStream) and event consumers."""
