"""Kafka: the relay that publishes the stored log, and the consumers that feed projections."""
