"""Generation against melt-quench MD on the same CPU (DM2 Fig. 3d): hours for 3,000 and 112,848 atoms.

MD: LAMMPS throughput measured here (lammps_throughput.py) times DM2's melt-quench protocol's steps at each rate.
Generation: the time of one DiffusionDynamics step with a model (default: the bundled "a-SiO2"), measured
here at each size, times the 3,000 steps of DM2's protocol. Both on one core. Writes cost_vs_md.png.
Usage: python benchmarks/cost_vs_md.py [--model a-SiO2] [--sizes 3000 112848] [--md-steps 500]
"""
import argparse
from pathlib import Path

from _util import print_table, step_seconds
from lammps_throughput import FIXED_PS, RATES, throughput
from ase_dm2 import configure_runtime, load_model
from ase_dm2.analysis.plots import save_figure, subplots
from ase_dm2.build import random_structure
from ase_dm2.md import jakse_sio2, quench_ps
from ase_dm2.md.meltquench import separated_random_structure

PROTOCOL_STEPS = 3000


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="a-SiO2")
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 112848])
    parser.add_argument("--md-steps", type=int, default=500)
    parser.add_argument("--output", default=str(Path(__file__).with_name("cost_vs_md.png")))
    args = parser.parse_args()
    configure_runtime(1)
    model = load_model(args.model)
    md_rate = throughput(separated_random_structure("SiO2", 3000, 2.2, seed=1), jakse_sio2(), args.md_steps)
    rows = []
    fig, ax = subplots(figsize=(5.5, 4))
    for k, n in enumerate(args.sizes):
        atoms = random_structure("SiO2", n_atoms=n, rate=1.0, model=model, seed=0)
        step = step_seconds(atoms, model, 1.0, repeat=3 if n <= 3000 else 1)
        gen_hours = step * PROTOCOL_STEPS / 3600
        md_hours = [(FIXED_PS + quench_ps(r)) * 1000 * n / md_rate / 3600 for r in RATES]
        rows.append([n, f"{step:.3g}", f"{gen_hours:.3g}"] + [f"{m:.3g} ({m / gen_hours:.3g}x)" for m in md_hours])
        ax.loglog(RATES, md_hours, "o-", color=f"C{k}", label=f"melt-quench MD, {n:,} atoms")
        ax.loglog(RATES, [gen_hours] * len(RATES), "s--", color=f"C{k}", label=f"generation, {n:,} atoms")
    ax.invert_xaxis()
    ax.set(xlabel="cooling rate (K/ps)", ylabel="CPU-hours (1 core)", title="cost of one amorphous structure")
    ax.legend(fontsize=7)
    save_figure(fig, args.output)
    print(f"a-SiO2 on 1 core: LAMMPS {md_rate:.3g} atom-steps/s; model {args.model} "
          f"({model.architecture}, {sum(p.numel() for p in model.parameters()):,} parameters), "
          f"{PROTOCOL_STEPS} steps; MD hours (MD / generation) at each cooling rate")
    print_table(["atoms", "gen step s", "gen h"] + [f"MD h {r:g} K/ps" for r in RATES], rows)
    print(f"plot: {args.output}")


if __name__ == "__main__":
    main()
