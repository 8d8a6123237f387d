"""Cu50Zr50 training glasses for the bundled "CuZr" model, melt-quenched with LAMMPS and the Cheng-Sheng EAM.

Each sample: 2,000 atoms placed at random (2 Å apart) at 7.0 g/cm3, minimised, 10 ps NVT and 10 ps NPT
at 300 K, 50 ps NPT melt at 2,000 K (zero pressure), cooled to 300 K at 10 K/ps (170 ps) under NPT, then
50 ps NPT at 300 K; 1 fs steps. The samples differ only by their seed. Written here as
cuzr_2000_10k_sample<seed>.extxyz with the cooling rate in the header.
Usage: python data/cuzr/make_glasses.py [--samples 4] [--eam ../shared/data/potentials/ZrCu.lammps.eam]
"""
import argparse
from pathlib import Path

import ase.io

from ase_dm2.density import density_of
from ase_dm2.io.atomic import atomic_path
from ase_dm2.md.meltquench import melt_quench
from ase_dm2.md.potentials import cheng_sheng_cuzr

HERE = Path(__file__).resolve().parent
SETTINGS = dict(n_atoms=2000, rate=10.0, density=7.0, melt_temperature=2000.0, nvt_ps=10.0, npt_ps=10.0,
                melt_ps=50.0, final_ps=50.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--eam", default=str(HERE.parents[2] / "shared" / "data" / "potentials" / "ZrCu.lammps.eam"))
    args = parser.parse_args()
    potential = cheng_sheng_cuzr(args.eam)
    for seed in range(1, args.samples + 1):
        path = HERE / f"cuzr_{SETTINGS['n_atoms']}_{SETTINGS['rate']:g}k_sample{seed}.extxyz"
        if path.exists():
            continue
        glass = melt_quench({"Cu": 1, "Zr": 1}, potential=potential, seed=seed, **SETTINGS)
        glass.info.update(source="ase_dm2 data/cuzr/make_glasses.py", seed=seed)
        with atomic_path(path) as tmp:
            ase.io.write(tmp, glass, format="extxyz")
        print(f"{path.name}: {density_of(glass):.3f} g/cm3, {glass.info['md_steps']} MD steps, "
              f"{glass.info['atom_steps_per_second']:.3g} atom-steps/s", flush=True)


if __name__ == "__main__":
    main()
