"""Blob stores for scanned pages: a local directory, an S3/MinIO bucket and an in-memory fake."""
