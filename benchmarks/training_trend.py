"""How a chain's generated a-SiO2 improves with training steps, and how far its trend is from issue 24's goal.

Each argument is STEPS=FILE[,FILE...]: the samples `dm2_generation_quality.py -o` wrote for the model of a chain
state with STEPS steps, all with one protocol (e.g. 300 window calls, 3,000 atoms, 1 K/ps). Per state it prints Si
fourfold and O twofold, QUESTS overlap and minimised energy (from the samples' info) and the oxygen defects
(`silica_defects`), mean ± standard error over the sampling seeds that every state has. It then fits each defect
share (100 - Si fourfold, 100 - O twofold) as a power of the steps, least squares on log-log, and extrapolates where
issue 24's goal (Si fourfold 98.5 %, O twofold 98 %) would be met if the trend held: a guide to what more training
buys, not a measurement.
Usage: python benchmarks/training_trend.py 47101=runs/q-c47101-300.extxyz 93839=runs/q-c93839-300f.extxyz ...
       [--plot trend.png]
"""
import argparse

import ase.io
import numpy as np

from _util import mean_and_error, print_table, standard_error
from ase_dm2.analysis.coordination import silica_defects

GOALS = {"si_fourfold": 98.5, "o_twofold": 98.0}  # issue 24, with at most 300 network calls
FIGURES = {"si_fourfold": "Si 4-fold %", "o_twofold": "O 2-fold %", "quests_overlap": "QUESTS overlap",
           "energy_min": "E min eV/atom"}


def read_states(arguments: list) -> dict:
    """{steps: samples} from STEPS=FILE[,FILE...] arguments, kept to the sampling seeds every state has (the same
    starts and noise throughout the trend); refused where a sample carries no figures."""
    states = {}
    for argument in arguments:
        steps, _, files = argument.partition("=")
        if not steps.isdigit() or not files:
            raise SystemExit(f"{argument!r}: give STEPS=FILE[,FILE...], e.g. 93839=runs/q-c93839-300f.extxyz")
        samples = [atoms for name in files.split(",") for atoms in ase.io.read(name, ":")]
        if any("si_fourfold" not in atoms.info or "seed" not in atoms.info for atoms in samples):
            raise SystemExit(f"{files}: samples without figures; write them with dm2_generation_quality.py -o")
        states[int(steps)] = samples
    common = set.intersection(*({atoms.info["seed"] for atoms in samples} for samples in states.values()))
    if not common:
        raise SystemExit("the states share no sampling seed: generate each with the same seeds (--samples)")
    return {steps: [atoms for atoms in states[steps] if atoms.info["seed"] in common] for steps in sorted(states)}


def state_figures(samples: list) -> dict:
    """Each figure's values over the samples (percentages for the shares, defects per 1,000 O)."""
    figures = {key: np.array([atoms.info[key] for atoms in samples], dtype=float) for key in FIGURES}
    defects = [silica_defects(atoms) for atoms in samples]
    oxygens = np.array([np.count_nonzero(atoms.numbers == 8) for atoms in samples])
    figures["onefold_o"] = np.array([d["non_bridging_oxygens"] for d in defects]) / oxygens * 1000
    figures["threefold_o"] = np.array([d["overcoordinated_oxygens"] for d in defects]) / oxygens * 1000
    return figures


def power_law(steps: np.ndarray, deficits: np.ndarray) -> tuple:
    """(exponent, prefactor) of deficit = prefactor * steps**exponent, least squares on log-log."""
    exponent, log_prefactor = np.polyfit(np.log(steps), np.log(deficits), 1)
    return exponent, np.exp(log_prefactor)


def plot(path: str, steps: np.ndarray, table: dict, fits: dict) -> None:
    """Each figure's mean ± s.e. against the steps (log axis), the defect shares with their power-law fits
    ({key: (exponent, prefactor)})."""
    from ase_dm2.analysis.plots import save_figure, subplots

    keys = list(FIGURES) + ["threefold_o"]
    fig, axes = subplots(1, len(keys), figsize=(3.2 * len(keys), 3.2))
    for ax, key in zip(axes, keys):
        means = [v.mean() for v in table[key]]
        errors = np.nan_to_num([standard_error(v) for v in table[key]])
        ax.errorbar(steps, means, yerr=errors, marker="o", capsize=3)
        if key in GOALS:
            exponent, prefactor = fits[key]
            ax.plot(steps, 100 - prefactor * steps ** exponent, "--", color="grey",
                    label=f"fit, exponent {exponent:.2f}")
            ax.axhline(GOALS[key], color="tab:green", lw=1, label="issue 24 goal")
            ax.legend(fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("training steps")
        ax.set_title(FIGURES.get(key, "threefold O per 1,000 O"), fontsize=9)
    save_figure(fig, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("states", nargs="+", metavar="STEPS=FILE[,FILE...]")
    parser.add_argument("--plot", metavar="PNG", help="also draw the figures against the steps")
    args = parser.parse_args()
    states = read_states(args.states)
    if len(states) < 2:
        parser.error("give at least two chain states to see a trend")
    per_state = {steps: state_figures(samples) for steps, samples in states.items()}
    keys = list(FIGURES) + ["onefold_o", "threefold_o"]
    digits = {key: 6 if key == "energy_min" else 4 for key in keys}
    rows = [[f"{steps:,}", len(states[steps])] + [mean_and_error(figures[key], digits[key]) for key in keys]
            for steps, figures in per_state.items()]
    print_table(["steps", "samples"] + list(FIGURES.values()) + ["onefold O /1000", "threefold O /1000"], rows)
    steps = np.array(list(per_state), dtype=float)
    table = {key: [figures[key] for figures in per_state.values()] for key in keys}
    print()
    fits = {key: power_law(steps, 100 - np.array([v.mean() for v in table[key]])) for key in GOALS}
    rows = []
    for key, (exponent, prefactor) in fits.items():
        reach = (100 - GOALS[key]) / prefactor  # steps**exponent at the goal
        at = reach ** (1 / exponent) if exponent < 0 else float("inf")
        rows.append([FIGURES[key], f"{exponent:.2f}", f"{GOALS[key]:g}", f"{at:,.0f}" if np.isfinite(at) else "never"])
    print_table(["100 - figure ∝ steps^a", "a", "goal", "steps at the goal if the trend held"], rows)
    if args.plot:
        plot(args.plot, steps, table, fits)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
