"""Plots of a comparison, one function per figure of merit (analysis.figures.FIGURES names them), as
matplotlib Figure objects that leave pyplot and the user's backend alone."""
from pathlib import Path

import numpy as np

from ase_dm2.io.atomic import atomic_path

COLOURS = {"generated": "tab:red", "refined": "tab:orange", "reference": "tab:blue"}
OVERLAP_COLOURS = {"gen_vs_sim": "tab:red", "refined_vs_sim": "tab:orange", "sim_vs_sim": "tab:blue"}


def subplots(nrows: int = 1, ncols: int = 1, figsize=None, squeeze: bool = True):
    """(figure, axes) as matplotlib.figure.Figure objects: no pyplot, so a user's backend and open figures are
    left alone (a Figure writes PNG files by itself)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    return figure, figure.subplots(nrows, ncols, squeeze=squeeze)


def save_figure(fig, path) -> Path:
    """Write a figure as PNG atomically."""
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    return path


def _mean(values) -> np.ndarray:
    return np.mean(values, axis=0)


def _bars(ax, sets: dict, positions, fractions_of):
    """Side-by-side bars of each set's mean fractions (fractions_of: one structure's value -> list)."""
    width = 0.8 / len(sets)
    for k, (name, values) in enumerate(sets.items()):
        offset = (k - (len(sets) - 1) / 2) * width
        ax.bar(np.asarray(positions) + offset, _mean([fractions_of(v) for v in values]), width, color=COLOURS[name],
               label=name)
    ax.legend()


def _row_of_axes(n: int):
    fig, axes = subplots(1, n, figsize=(4 * n, 3.2), squeeze=False)
    return fig, axes[0]


def plot_pdfs(sets: dict, summary: dict):
    """Mean partial g(r) of each set, one panel per pair."""
    first = sets["reference"][0]
    pairs = [k for k in first if k != "r"]
    fig, axes = _row_of_axes(len(pairs))
    for ax, pair in zip(axes, pairs):
        for name, values in sets.items():
            ax.plot(first["r"], _mean([v[pair] for v in values]), color=COLOURS[name], label=name)
        ax.set(title=f"g(r) {pair}", xlabel="r (Å)")
    axes[0].legend()
    return fig


def plot_angles(sets: dict, summary: dict):
    """Mean bond-angle distributions of each set, one panel per triplet."""
    first = sets["reference"][0]
    fig, axes = _row_of_axes(len(first))
    for ax, triplet in zip(axes, first):
        for name, values in sets.items():
            ax.plot(first[triplet]["centres"], _mean([v[triplet]["density"] for v in values]), color=COLOURS[name],
                    label=name)
        ax.set(title=f"{triplet} angles", xlabel="angle (deg)")
    axes[0].legend()
    return fig


def plot_rings(sets: dict, summary: dict):
    """Mean fraction of rings of each size (Si atoms per ring), bars side by side."""
    sizes = sorted({int(n) for values in sets.values() for v in values for n in v})
    fig, ax = subplots(figsize=(5, 3.2))
    _bars(ax, sets, sizes, lambda v: [v.get(str(n), 0) / max(sum(v.values()), 1) for n in sizes])
    ax.set(xlabel="ring size (Si)", ylabel="fraction", title="rings")
    return fig


def plot_voronoi(sets: dict, summary: dict, top: int = 10):
    """Mean fractions of the references' `top` most frequent Voronoi motifs, bars side by side."""
    motifs = sorted({m for v in sets["reference"] for m in v["motifs"]},
                    key=lambda m: -np.mean([v["motifs"].get(m, 0.0) for v in sets["reference"]]))[:top]
    fig, ax = subplots(figsize=(7, 3.2))
    _bars(ax, sets, np.arange(len(motifs)), lambda v: [v["motifs"].get(m, 0.0) for m in motifs])
    ax.set_xticks(np.arange(len(motifs)), motifs, rotation=45, ha="right", fontsize=7)
    ax.set(ylabel="fraction of atoms", title="Voronoi motifs")
    return fig


def plot_vdos(sets: dict, summary: dict):
    """Mean VDOS of each set, and the reduced VDOS g/nu^2 where the boson peak shows."""
    fig, axes = _row_of_axes(2)
    grid = np.array(sets["reference"][0]["grid"])
    keep = grid > 0.2
    for name, values in sets.items():
        dos = _mean([v["dos"] for v in values])
        axes[0].plot(grid, dos, color=COLOURS[name], label=name)
        axes[1].plot(grid[keep], dos[keep] / grid[keep] ** 2, color=COLOURS[name], label=name)
    axes[0].set(title="VDOS", xlabel="frequency (THz)")
    axes[1].set(title="reduced VDOS g/nu^2 (boson peak)", xlabel="frequency (THz)", xlim=(0, 5))
    axes[0].legend()
    return fig


def plot_tension(sets: dict, summary: dict):
    """Every structure's true stress-strain curve under uniaxial tension, coloured by set."""
    fig, ax = subplots(figsize=(5, 3.5))
    for name, values in sets.items():
        for k, v in enumerate(values):
            ax.plot(v["strain"], v["stress"], color=COLOURS[name], lw=1, label=None if k else name)
    ax.set(title="uniaxial tension", xlabel="strain", ylabel="true stress (GPa)")
    ax.legend()
    return fig


def plot_entropy(sets: dict, summary: dict):
    """QUESTS entropy of each structure by set, and the overlap of each set with the references."""
    fig, axes = _row_of_axes(2)
    axes[0].boxplot(list(sets.values()), tick_labels=list(sets))
    axes[0].set(title="QUESTS entropy", ylabel="H (nats)")
    overlap = summary["distances"].get("QUESTS overlap", {})
    bars = [(label, value[0]) for label, value in overlap.items() if value[0] is not None]
    axes[1].bar([b[0] for b in bars], [b[1] for b in bars], color=[OVERLAP_COLOURS[b[0]] for b in bars])
    axes[1].set(title="QUESTS overlap with references", ylim=(0, 1))
    return fig
