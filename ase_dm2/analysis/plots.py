"""PNG plots of a comparison: partial PDFs, bond angles, rings, entropy and overlap."""
from pathlib import Path

import numpy as np

from ase_dm2.io.atomic import atomic_path

COLOURS = {"generated": "tab:red", "reference": "tab:blue"}


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


def _mean_curve(figures, getter):
    return np.mean([getter(f) for f in figures], axis=0)


def plot_summary(summary: dict, out_dir: Path) -> list:
    sets = summary["figures"]
    first = sets["reference"][0]
    written = []
    pairs = [k for k in first["rdf"] if k != "r"]
    fig, axes = subplots(1, len(pairs), figsize=(4 * len(pairs), 3.2), squeeze=False)
    for ax, pair in zip(axes[0], pairs):
        for name, figures in sets.items():
            ax.plot(first["rdf"]["r"], _mean_curve(figures, lambda f: f["rdf"][pair]), color=COLOURS[name], label=name)
        ax.set(title=f"g(r) {pair}", xlabel="r (Å)")
    axes[0][0].legend()
    written.append(save_figure(fig, out_dir / "pdfs.png"))
    if "angles" in first:
        triplets = list(first["angles"])
        fig, axes = subplots(1, len(triplets), figsize=(4 * len(triplets), 3.2), squeeze=False)
        for ax, triplet in zip(axes[0], triplets):
            for name, figures in sets.items():
                density = _mean_curve(figures, lambda f: f["angles"][triplet]["density"])
                ax.plot(first["angles"][triplet]["centres"], density, color=COLOURS[name], label=name)
            ax.set(title=f"{triplet} angles", xlabel="angle (deg)")
        axes[0][0].legend()
        written.append(save_figure(fig, out_dir / "angles.png"))
    if "rings" in first:
        sizes = sorted({int(n) for figures in sets.values() for f in figures for n in f["rings"]})
        fig, ax = subplots(figsize=(5, 3.2))
        width = 0.4
        for k, (name, figures) in enumerate(sets.items()):
            fractions = _mean_curve(figures, lambda f: [f["rings"].get(str(n), 0) / max(sum(f["rings"].values()), 1)
                                                        for n in sizes])
            ax.bar(np.array(sizes) + (k - 0.5) * width, fractions, width, color=COLOURS[name], label=name)
        ax.set(xlabel="ring size (Si)", ylabel="fraction", title="rings")
        ax.legend()
        written.append(save_figure(fig, out_dir / "rings.png"))
    if "vdos" in first:
        fig, axes = subplots(1, 2, figsize=(8, 3.2))
        grid = np.array(first["vdos"]["grid"])
        for name, figures in sets.items():
            dos = _mean_curve(figures, lambda f: f["vdos"]["dos"])
            axes[0].plot(grid, dos, color=COLOURS[name], label=name)
            keep = grid > 0.2
            axes[1].plot(grid[keep], dos[keep] / grid[keep] ** 2, color=COLOURS[name], label=name)
        axes[0].set(title="VDOS", xlabel="frequency (THz)")
        axes[1].set(title="reduced VDOS g/nu^2 (boson peak)", xlabel="frequency (THz)", xlim=(0, 5))
        axes[0].legend()
        written.append(save_figure(fig, out_dir / "vdos.png"))
    entropy = [(name, [f["entropy"] for f in figures]) for name, figures in sets.items() if "entropy" in figures[0]]
    if entropy:
        fig, axes = subplots(1, 2, figsize=(8, 3.2))
        axes[0].boxplot([values for _, values in entropy], tick_labels=[n for n, _ in entropy])
        axes[0].set(title="QUESTS entropy", ylabel="H (nats)")
        overlap = summary["distances"].get("QUESTS overlap", {})
        bars = [(label, value[0]) for label, value in overlap.items() if value[0] is not None]
        axes[1].bar([b[0] for b in bars], [b[1] for b in bars], color=["tab:red", "tab:blue"][: len(bars)])
        axes[1].set(title="QUESTS overlap with references", ylim=(0, 1))
        written.append(save_figure(fig, out_dir / "entropy.png"))
    return written
