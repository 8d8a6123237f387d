"""LAMMPS MD throughput (atom-steps/s) for 3,000-atom a-SiO2 and Cu-Zr on this CPU, and the
melt-quench cost it implies at 100 ... 0.01 K/ps for 3,000 and 112,848 atoms (linear scaling in N).

Protocol cost (DM2's melt-quench): 50 ps NVT + 50 ps NPT + 50 ps melt + (4,700 / rate) ps quench + 100 ps, 1 fs steps.
Usage: python benchmarks/lammps_throughput.py [--steps 500]
"""
import argparse

from _util import SHARED_DATA, print_table
from ase_dm2.md import cheng_sheng_cuzr, jakse_sio2, quench_ps, run_lammps
from ase_dm2.md.meltquench import separated_random_structure
from ase_dm2.md.refine import md_commands

RATES = [100.0, 10.0, 1.0, 0.1, 0.01]
FIXED_PS = 50 + 50 + 50 + 100


def throughput(atoms, potential, steps: int) -> float:
    """Atom-steps per second of NVT MD at 300 K (1 fs), from LAMMPS' own loop time."""
    body = md_commands(300.0, 1, 0.001, [("nvt", steps / 1000, "300 300", None)], thermo_every=steps)
    log = run_lammps(atoms, potential, body).log
    loop = [line for line in log.splitlines() if line.startswith("Loop time")][-1]
    return len(atoms) * steps / float(loop.split()[3])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    systems = {
        "a-SiO2 (Jakse, born/coul/dsf 8 Å)": (separated_random_structure("SiO2", 3000, 2.2, seed=1), jakse_sio2()),
        "Cu50Zr50 (Cheng-Sheng EAM)": (separated_random_structure("CuZr", 3000, 7.4, min_distance=2.2, seed=1),
                                       cheng_sheng_cuzr(SHARED_DATA / "potentials" / "ZrCu.lammps.eam")),
    }
    rows = []
    for name, (atoms, potential) in systems.items():
        rate = throughput(atoms, potential, args.steps)
        for n in (3000, 112848):
            hours = [(FIXED_PS + quench_ps(r)) * 1000 * n / rate / 3600 for r in RATES]
            rows.append([name, n, f"{rate:.3g}"] + [f"{h:.3g}" for h in hours])
    print(f"LAMMPS, 1 process, {args.steps} NVT steps per system; melt-quench cost in CPU hours")
    print_table(["system", "atoms", "atom-steps/s"] + [f"{r:g} K/ps h" for r in RATES], rows)


if __name__ == "__main__":
    main()
