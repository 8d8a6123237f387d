"""Conventions every layer shares (the bottom of the package: it imports nothing of ase_dm2)."""

RATE_KEY = "cooling_rate"  # atoms.info key of a structure's cooling rate, K/ps
REGION_KEY = "amorphous"  # atoms.arrays key (bool) marking the atoms a structure's figures and a model's loss count;
# the unmarked ones stay as their environment (an AET particle's crystalline grains)
