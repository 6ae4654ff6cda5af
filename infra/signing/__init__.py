"""Ed25519 keys that sign every event, and the public keys that check them."""
