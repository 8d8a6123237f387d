"""DM2's published checkpoints: safe import and a network reproducing their outputs."""
from ase_dm2.dm2.checkpoint import DM2CheckpointError
from ase_dm2.dm2.importer import import_dm2
from ase_dm2.dm2.network import DM2Config, DM2Network

__all__ = ["DM2CheckpointError", "DM2Config", "DM2Network", "import_dm2"]
