"""python -m ase_dm2: the ase-dm2 command line."""
import sys

from ase_dm2.cli import main

sys.exit(main())
