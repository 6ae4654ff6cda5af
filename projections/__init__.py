"""Read models built only from events: each takes (event, position) and stores both together."""
