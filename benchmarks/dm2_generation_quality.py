"""Generate a-SiO2 with any model and sampler, with paired seeds; report defects, QUESTS overlap and energy.

Sample k starts from the random structure of seed k and draws its noise from seed k, so two models or samplers
run with the same --samples are compared seed by seed (paired). Per sample: Si fourfold and O twofold (Si-O
within 2.0 Å); with --overlap, the QUESTS overlap with the simulated glasses at --rate (fraction of the
sample's environments with dH <= 0 against all of theirs); with --energy, the energy per atom after
minimising positions in the fixed cell with the Jakse potential (LAMMPS; simulations at 1 K/ps: -18.505).
The last row is the mean ± standard error over seeds; -o keeps each sample's figures in its info, and
--paired-with A.extxyz (an earlier run's -o) adds the paired differences this run - A over the seeds both hold.
The density comes from a linear fit of density on log10(rate) over the reference a-SiO2 structures (as DM2
does). DM2's own code gave Si fourfold 99.0 % and O twofold 97.5 % for 300 atoms at 1 K/ps. Usage:
  python benchmarks/dm2_generation_quality.py [--checkpoint PT_OR_MODEL] [--atoms 300] [--rate 1]
      [--sampler dm2|edm|pc] [--calls N] [--samples 2] [--first-seed 0] [--overlap] [--energy]
      [--schedule dm2|fast] [--noiseless-steps N] [--decay linear|geometric|cosine|window] [--sigma-max 1.0]
      [--window 0.7 0.3] [--window-share 0.8] [--told matched|rms|top] [-o samples.extxyz] [--paired-with A.extxyz]
      [--compile] [--repair ROUNDS [--repair-calls 30] [--repair-sigma 0.8]
      [--repair-tail 0.2 30]]
The schedule options shape the dm2 sampler (e.g. --schedule fast, or --calls 300 --noiseless-steps 40);
options left out keep the named schedule's values.
"""
import argparse
import time
from dataclasses import replace
from pathlib import Path

import ase.io

from _util import SHARED_DATA as DATA, mean_and_error, print_table
from ase_dm2 import DensityModel, DiffusionDynamics, load_model, configure_runtime
from ase_dm2.analysis import silica_defects
from ase_dm2.build import random_structure
from ase_dm2.density import density_of
from ase_dm2.io.structures import cooling_rates, read_structures
from ase_dm2.network.convolution import compile_convolutions
from ase_dm2.sampling.repair import repair_defects
from ase_dm2.sampling.samplers import DEFAULT_SAMPLER, SAMPLERS, DM2Sampler, make_sampler
from ase_dm2.sampling.schedule import SCHEDULES, NoiseSchedule


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(DATA / "dm2-checkpoints" / "gen-a-sio2-cond-v1.pt"))
    parser.add_argument("--atoms", type=int, default=300)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--sampler", choices=list(SAMPLERS), help="default: the model's")
    parser.add_argument("--calls", "--steps", type=int, dest="calls",
                        help="network calls (default 3000 for dm2, 300 for fast, edm and pc)")
    parser.add_argument("--schedule", choices=list(SCHEDULES), default="dm2")
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--overlap", action="store_true", help="QUESTS overlap with the simulations at --rate")
    parser.add_argument("--energy", action="store_true", help="Jakse energy per atom after minimising (LAMMPS)")
    parser.add_argument("--noiseless-steps", type=int, help="steps without noise at the end")
    parser.add_argument("--decay", help="noise decay: linear, geometric, cosine or window")
    parser.add_argument("--sigma-max", type=float, help="first step's noise in Å")
    parser.add_argument("--window", type=float, nargs=2, metavar=("UPPER", "LOWER"), help="window decay's range, Å")
    parser.add_argument("--window-share", type=float, help="window decay's fraction of noisy steps in the window")
    parser.add_argument("--told", choices=list(DM2Sampler.TOLD),
                        help="dm2 sampler: the noise level told a noise-conditioned model (default: matched)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compile", action="store_true", help="the network's edge convolutions through torch.compile "
                        "(the first sample's time includes the compiling)")
    parser.add_argument("--repair", type=int, default=0, metavar="ROUNDS",
                        help="after the sampler, this many defect-repair rounds (ase_dm2.sampling.repair)")
    parser.add_argument("--repair-calls", type=int, default=30, help="network calls per repair round")
    parser.add_argument("--repair-sigma", type=float, default=0.8, help="the repair rounds' noise scale (Å)")
    parser.add_argument("--repair-tail", type=float, nargs=2, default=(0.2, 30), metavar=("SIGMA", "CALLS"),
                        help="after the repair rounds, DM2 steps of every atom from SIGMA (CALLS 0: none)")
    parser.add_argument("-o", "--output", help="write the samples here (extxyz), each with its figures in its info")
    parser.add_argument("--paired-with", metavar="A.extxyz",
                        help="an earlier run's -o: also print this run's paired differences from it")
    args = parser.parse_args()
    configure_runtime(args.threads)
    model = load_model(args.checkpoint)
    if args.compile:
        compile_convolutions(model)
    reference = simulated_glasses()
    density_model = DensityModel.fit(cooling_rates(reference), [density_of(a) for a in reference])
    density = density_model.predict(args.rate)
    if (args.sampler or DEFAULT_SAMPLER) == "dm2":
        schedule = NoiseSchedule.named(args.schedule, args.calls, args.noiseless_steps)
        overrides = dict(decay=args.decay, sigma_max=args.sigma_max, window=args.window,
                         window_share=args.window_share)
        schedule = replace(schedule, **{k: v for k, v in overrides.items() if v is not None})
        sampler = make_sampler("dm2", model, schedule=schedule)
        if args.told:
            sampler = DM2Sampler(schedule, told=args.told, mixture=sampler.mixture)
    else:
        sampler = make_sampler(args.sampler, model, args.calls)
    baseline = read_baseline(args.paired_with) if args.paired_with else None
    columns, keys = ["seed", "Si 4-fold %", "O 2-fold %"], ["seed", "si_fourfold", "o_twofold"]
    reference_descriptors = potential = None
    if args.overlap:
        from ase_dm2.analysis.entropy import descriptors, overlap_fraction

        at_rate = [a for a in reference if a.info["cooling_rate"] == args.rate]
        reference_descriptors = descriptors(at_rate)
        columns.append(f"QUESTS overlap ({len(at_rate)} sims)")
        keys.append("quests_overlap")
    if args.energy:
        from ase_dm2.md import jakse_sio2, minimise

        potential = jakse_sio2()
        columns.append("E min eV/atom")
        keys.append("energy_min")
    columns.append("time s")
    rows, samples = [], []
    for seed in range(args.first_seed, args.first_seed + args.samples):
        atoms = random_structure("SiO2", n_atoms=args.atoms, density=density, rate=args.rate, seed=seed)
        start = time.perf_counter()
        DiffusionDynamics(atoms, model, rate=args.rate, seed=seed, sampler=sampler).run()
        if args.repair:
            repair_defects(atoms, model, args.repair, args.repair_calls, args.repair_sigma,
                           tail_sigma=args.repair_tail[0], tail_calls=int(args.repair_tail[1]), seed=seed,
                           rate=args.rate if model.conditional else None)
        elapsed = time.perf_counter() - start
        d = silica_defects(atoms)
        row = [seed, 100 * d["si_fourfold"], 100 * d["o_twofold"]]
        if reference_descriptors is not None:
            row.append(overlap_fraction(descriptors([atoms]), reference_descriptors))
        if potential is not None:
            row.append(minimise(atoms, potential).get_potential_energy() / len(atoms))
        rows.append(row + [elapsed])
        atoms.info.update(zip(keys, row))
        samples.append(atoms)
        print_seeds(columns, rows[-1:], mean=False)
    repairs = f", then {args.repair} repair rounds of {args.repair_calls} calls at {args.repair_sigma} Å and " \
        f"{int(args.repair_tail[1])} calls of every atom from {args.repair_tail[0]} Å" if args.repair else ""
    print(f"\n{Path(args.checkpoint).name}, {args.atoms} atoms, {args.rate} K/ps, density {density:.3f} g/cm3, "
          f"{sampler.calls} calls: {sampler.describe()}{repairs}, {args.threads} thread(s)")
    print_seeds(columns, rows)
    if baseline is not None:
        print_paired(samples, baseline, args.paired_with, columns[1:-1], keys[1:])
    if args.output:
        ase.io.write(args.output, samples)


def print_seeds(columns: list, rows: list, mean: bool = True) -> None:
    """One row per seed (seed first, then figures), and with `mean` a last row of mean ± standard error."""
    table = [[f"{v:.6g}" if isinstance(v, float) else v for v in row] for row in rows]
    if mean:
        table.append(["mean ± s.e."] + [mean_and_error(column) for column in list(zip(*rows))[1:]])
    print_table(columns, table)


def simulated_glasses() -> list:
    """The shared data's simulated a-SiO2 glasses, each with its cooling rate in info."""
    return read_structures(sorted((DATA / "a-SiO2").glob("*.dat")), rate_from_name=True)


def read_baseline(path: str) -> dict:
    """An earlier run's samples by seed, refused where the file is missing or its samples carry no figures."""
    if not Path(path).is_file():
        raise SystemExit(f"{path} not found: write the baseline first (this script's or refined_quality.py's -o)")
    baseline = {atoms.info["seed"]: atoms for atoms in ase.io.read(path, ":") if "seed" in atoms.info}
    if not baseline:
        raise SystemExit(f"{path} holds no samples with figures: rerun that model with -o to write them")
    return baseline


def print_paired(samples: list, baseline: dict, path: str, columns: list, keys: list) -> None:
    """Mean ± standard error of this run's figures minus the baseline's, seed by seed."""
    pairs = [(atoms.info, baseline[atoms.info["seed"]].info) for atoms in samples if atoms.info["seed"] in baseline]
    if not pairs:
        print(f"\nno seed of this run is in {path}: nothing to pair")
        return
    cells = [f"this run - {Path(path).name}, {len(pairs)} seeds"]
    for key in keys:
        differences = [b[key] - a[key] for b, a in pairs if key in a]
        cells.append(mean_and_error(differences, 4, signed=True) if differences else "–")
    print()
    print_table(["paired"] + columns, [cells])


if __name__ == "__main__":
    main()
