"""The hotich command line."""
