"""The civil-status domain: value objects, aggregates, their events and rules (pure, no I/O)."""
