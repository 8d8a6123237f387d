"""The test suite runs the tutorials small (their size switch); a reader running them gets the full size."""
import os

os.environ.setdefault("ASE_DM2_TUTORIAL_SIZE", "small")
