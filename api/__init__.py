"""HTTP: FastAPI routers per audience, schemas, problem+json errors."""
