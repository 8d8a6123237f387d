"""DM2's published checkpoints: safe import and a network reproducing their outputs."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "checkpoint": ["DM2CheckpointError"],
    "importer": ["import_dm2"],
    "network": ["DM2Config", "DM2Network"],
})
