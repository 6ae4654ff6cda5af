"""The signed event store: envelopes, the mapper, the store and its verification."""
