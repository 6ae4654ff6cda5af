"""Read-store adapters: where projections keep their views."""
