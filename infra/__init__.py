"""Adapters and wiring: settings, the signed event store, keys, the CLI and service scripts."""
