"""Demo data: a synthetic province to explore hotich with."""
