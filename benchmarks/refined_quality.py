"""Refine generated a-SiO2 samples with DM2's MD and report their figures, paired by seed with another model's.

The validation report refines two samples per model; a one-point difference there is within seed-to-seed noise.
This script takes a -o file of dm2_generation_quality.py (each sample carries its seed), refines every sample
with the Jakse potential in LAMMPS (DM2's 25 ps NVT + 25 ps NPT at 300 K, the report's velocity seed), and
prints per sample: Si fourfold and O twofold (Si-O within 2.0 Å), density, with --overlap the QUESTS overlap
with the simulated glasses at the samples' cooling rate, with --energy the energy per atom after minimising,
with --elastic the Hill moduli K, G, E (GPa) and nu. -o keeps the refined samples with their figures;
--paired-with B.extxyz (an earlier run's -o) adds the paired differences this run - B. Usage:
  python benchmarks/refined_quality.py SAMPLES.extxyz [--overlap] [--energy] [--elastic] [--processes 1]
      [--nvt-ps 25] [--npt-ps 25] [-o refined.extxyz] [--paired-with B.extxyz]
"""
import argparse
import time
from pathlib import Path

import ase.io

from dm2_generation_quality import print_paired, print_seeds, read_baseline, simulated_glasses
from ase_dm2.analysis import silica_defects
from ase_dm2.density import density_of
from ase_dm2.md import jakse_sio2, md_figures, refine_many


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samples", help="a -o file of dm2_generation_quality.py")
    parser.add_argument("--overlap", action="store_true", help="QUESTS overlap with the simulations at the rate")
    parser.add_argument("--energy", action="store_true", help="Jakse energy per atom after minimising")
    parser.add_argument("--elastic", action="store_true", help="Hill moduli K, G, E (GPa) and nu")
    parser.add_argument("--nvt-ps", type=float, default=25.0)
    parser.add_argument("--npt-ps", type=float, default=25.0)
    parser.add_argument("--processes", type=int, default=1, help="LAMMPS runs at once (one core each)")
    parser.add_argument("-o", "--output", help="write the refined samples here (extxyz) with their figures")
    parser.add_argument("--paired-with", metavar="B.extxyz",
                        help="an earlier run's -o: also print this run's paired differences from it")
    args = parser.parse_args()
    generated = [atoms for atoms in ase.io.read(args.samples, ":") if "seed" in atoms.info]
    if not generated:
        raise SystemExit(f"{args.samples} holds no samples with seeds: write them with dm2_generation_quality.py -o")
    baseline = read_baseline(args.paired_with) if args.paired_with else None
    potential = jakse_sio2()
    start = time.perf_counter()
    refined = refine_many(generated, potential, processes=args.processes, nvt_ps=args.nvt_ps, npt_ps=args.npt_ps)
    print(f"refined {len(refined)} samples in {time.perf_counter() - start:.0f} s")
    columns, keys = ["seed", "Si 4-fold %", "O 2-fold %", "density g/cm3"], ["seed", "si_fourfold", "o_twofold",
                                                                             "density"]
    reference_descriptors = None
    if args.overlap:
        from ase_dm2.analysis.entropy import descriptors, overlap_fraction

        rate = generated[0].info["cooling_rate"]
        reference = [a for a in simulated_glasses() if a.info["cooling_rate"] == rate]
        reference_descriptors = descriptors(reference)
        columns.append(f"QUESTS overlap ({len(reference)} sims)")
        keys.append("quests_overlap")
    if args.energy:
        columns.append("E min eV/atom")
        keys.append("energy_min")
    if args.elastic:
        columns += ["K GPa", "G GPa", "E GPa", "nu"]
        keys += ["K", "G", "E", "nu"]
    measure = md_figures(potential, minimised_energy=args.energy, elastic=args.elastic)
    rows = []
    for source, atoms in zip(generated, refined):
        atoms.info.update(seed=source.info["seed"], cooling_rate=source.info["cooling_rate"])
        d = silica_defects(atoms)
        row = [atoms.info["seed"], 100 * d["si_fourfold"], 100 * d["o_twofold"], density_of(atoms)]
        if reference_descriptors is not None:
            row.append(overlap_fraction(descriptors([atoms]), reference_descriptors))
        figures = measure(atoms)
        if args.energy:
            row.append(figures["minimised_energy"])
        if args.elastic:
            row += [figures["moduli"][k] for k in ("K", "G", "E", "nu")]
        atoms.info.update(zip(keys, row))
        rows.append(row)
        print_seeds(columns, [row], mean=False)
    print(f"\n{Path(args.samples).name} after {args.nvt_ps:g} ps NVT + {args.npt_ps:g} ps NPT at 300 K (Jakse)")
    print_seeds(columns, rows)
    if baseline is not None:
        print_paired(refined, baseline, args.paired_with, columns[1:], keys[1:])
    if args.output:
        ase.io.write(args.output, refined)


if __name__ == "__main__":
    main()
