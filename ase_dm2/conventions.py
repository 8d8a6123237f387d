"""Conventions every layer shares (the bottom of the package: it imports nothing of ase_dm2)."""

RATE_KEY = "cooling_rate"  # atoms.info key of a structure's cooling rate, K/ps
