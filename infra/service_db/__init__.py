"""Users and bearer tokens (hashed) in the embedded SQLite file or in PostgreSQL."""
