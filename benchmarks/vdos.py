"""Time of the VDOS (minimise, LAMMPS force constants, phonopy at Gamma) for a 648-atom and a 3,000-atom a-SiO2.

The 648-atom glass is melt-quenched here at 1000 K/ps (short protocol); the 3,000-atom one is a reference glass.
Usage: python benchmarks/vdos.py
"""
import time

import ase.io

from _util import SHARED_DATA, print_table
from ase_dm2 import configure_runtime
from ase_dm2.md import jakse_sio2, melt_quench
from ase_dm2.md.vibrations import vibrational_dos


def main():
    configure_runtime(1)
    potential = jakse_sio2()
    small = melt_quench("SiO2", 648, 1000.0, potential, density=2.2, nvt_ps=0.5, npt_ps=0.5, melt_ps=2, final_ps=1)
    large = ase.io.read(SHARED_DATA / "a-SiO2" / "sio2_3000_glass_1k_sample0.dat", format="lammps-data")
    rows = []
    for name, atoms in (("quenched 1000 K/ps", small), ("reference 1 K/ps", large)):
        start = time.perf_counter()
        vdos = vibrational_dos(atoms, potential)
        elapsed = time.perf_counter() - start
        peak = vdos["grid"][5:][vdos["reduced_dos"][5:].argmax()]
        rows.append([name, len(atoms), vdos["modes"], vdos["imaginary_modes"], f"{peak:.2f}",
                     f"{vdos['heat_capacity_kB_per_atom']:.3f}", f"{elapsed:.1f}"])
    print("a-SiO2, Jakse potential, 1 core")
    print_table(["structure", "atoms", "modes", "imaginary", "boson peak THz", "Cv(300K) kB/atom", "time s"], rows)


if __name__ == "__main__":
    main()
