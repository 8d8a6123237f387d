"""Cu50Zr50 glasses melt-quenched with LAMMPS and the Cheng-Sheng EAM: the bundled "CuZr" model's training
glasses (2,000 atoms, seeds 1-4) and DM2's size (5,000 atoms, as the two glasses of Wang et al. 2020: seeds 1-2
for training, 3 held out; models/train_gpu.py CuZr).

Each sample: --atoms atoms placed at random (2 Å apart) at 7.0 g/cm3, minimised, 10 ps NVT and 10 ps NPT
at 300 K, 50 ps NPT melt at 2,000 K (zero pressure), cooled to 300 K at --rate K/ps (170 ps at 10 K/ps)
under NPT, then 50 ps NPT at 300 K; 1 fs steps. The samples differ only by their seed. Written here as
cuzr_<atoms>_<rate>k_sample<seed>.extxyz with the cooling rate in the header; existing files are kept. The
three 5,000-atom glasses took 106 min each, run at once on two cores (2.3e5 atom-steps/s each), and came out
at 7.293-7.314 g/cm3 (the 2,000-atom ones 7.30).
Usage: python data/cuzr/make_glasses.py [--atoms 2000] [--rate 10] [--seeds 1 2 3 4]
       [--eam ZrCu.lammps.eam]
"""
import argparse
from pathlib import Path

import ase.io

from ase_dm2.density import density_of
from ase_dm2.io.atomic import atomic_path
from ase_dm2.md.meltquench import melt_quench
from ase_dm2.md.potentials import cheng_sheng_cuzr
from ase_dm2.paths import shared_data

HERE = Path(__file__).resolve().parent
SETTINGS = dict(density=7.0, melt_temperature=2000.0, nvt_ps=10.0, npt_ps=10.0, melt_ps=50.0, final_ps=50.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--atoms", type=int, default=2000, help="atoms per glass (default 2000)")
    parser.add_argument("--rate", type=float, default=10.0, help="cooling rate, K/ps (default 10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4], help="one glass per seed")
    parser.add_argument("--eam", default=str(shared_data() / "potentials" / "ZrCu.lammps.eam"),
                        help="the Cheng-Sheng EAM file (default: in the shared reference data)")
    args = parser.parse_args()
    potential = cheng_sheng_cuzr(args.eam)
    for seed in args.seeds:
        path = HERE / f"cuzr_{args.atoms}_{args.rate:g}k_sample{seed}.extxyz"
        if path.exists():
            continue
        glass = melt_quench({"Cu": 1, "Zr": 1}, n_atoms=args.atoms, rate=args.rate, potential=potential, seed=seed,
                            **SETTINGS)
        glass.info.update(source="ase_dm2 data/cuzr/make_glasses.py", seed=seed)
        with atomic_path(path) as tmp:
            ase.io.write(tmp, glass, format="extxyz")
        print(f"{path.name}: {density_of(glass):.3f} g/cm3, {glass.info['md_steps']} MD steps, "
              f"{glass.info['atom_steps_per_second']:.3g} atom-steps/s", flush=True)


if __name__ == "__main__":
    main()
