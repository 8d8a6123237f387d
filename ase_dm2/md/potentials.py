"""Interatomic potentials for LAMMPS as presets: Jakse a-SiO2, Cheng-Sheng Cu-Zr EAM, or your own."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

# Bouhadja, Jakse & Pasturel 2013: Born-Mayer-Huggins with damped shifted-force Coulomb (metal units)
JAKSE_BORN = {("O", "O"): (0.0120, 0.2630, 3.6430, 85.0840), ("O", "Si"): (0.0070, 0.1560, 2.5419, 46.2930),
              ("Si", "Si"): (0.0012, 0.0460, 1.4408, 25.1873)}


@dataclass(frozen=True)
class Potential:
    """A LAMMPS pair style for atom types 1..n = `elements` (metal units).

    `pair_coeffs` are the arguments after `pair_coeff`; `charges` (e) per
    element switch the data file to atom_style charge; `files` must exist.
    """

    name: str
    elements: tuple
    pair_style: str
    pair_coeffs: tuple
    charges: Optional[dict] = None
    files: tuple = field(default=())

    def check(self, atoms) -> None:
        missing = sorted(set(atoms.get_chemical_symbols()) - set(self.elements))
        if missing:
            raise ValueError(f"the {self.name} potential covers {', '.join(self.elements)}, "
                             f"not {', '.join(missing)}; choose a potential for these elements")
        for path in self.files:
            if not Path(path).is_file():
                raise FileNotFoundError(f"potential file {path} not found; give the path to the {self.name} file")

    def commands(self, minimise: bool = False) -> str:
        """pair_style / pair_coeff lines; `minimise` adds an energy shift so minimisers converge."""
        lines = [f"pair_style {self.pair_style}"] + [f"pair_coeff {c}" for c in self.pair_coeffs]
        if minimise and self.charges:
            lines.append("pair_modify shift yes")
        return "\n".join(lines)


def jakse_sio2() -> Potential:
    """Jakse a-SiO2: born/coul/dsf (alpha 0.25 1/Å, 8 Å), charges Si +2.4, O -1.2."""
    elements = ("O", "Si")
    coeffs = tuple(f"{elements.index(a) + 1} {elements.index(b) + 1} {A} {rho} {sigma} {C} 0.0"
                   for (a, b), (A, rho, sigma, C) in JAKSE_BORN.items())
    return Potential("Jakse a-SiO2", elements, "born/coul/dsf 0.25 8.0", coeffs, {"O": -1.2, "Si": 2.4})


def cheng_sheng_cuzr(path) -> Potential:
    """Cheng-Sheng Cu-Zr EAM (eam/alloy file with elements Zr Cu, e.g. ZrCu.lammps.eam)."""
    path = str(Path(path).resolve())
    return Potential("Cheng-Sheng Cu-Zr EAM", ("Zr", "Cu"), "eam/alloy", (f"* * {path} Zr Cu",), files=(path,))


def custom(elements, pair_style: str, pair_coeffs, charges: Optional[dict] = None, files=()) -> Potential:
    """Any LAMMPS pair style: types 1..n are `elements` in that order."""
    return Potential("custom", tuple(elements), pair_style, tuple(pair_coeffs), charges, tuple(files))


def preset(name: str, path=None) -> Potential:
    """'sio2' / 'jakse' or 'cuzr' / 'cheng-sheng' (needs the EAM file path)."""
    key = name.lower().replace("_", "-")
    if key in ("sio2", "jakse", "a-sio2"):
        return jakse_sio2()
    if key in ("cuzr", "cheng-sheng", "zrcu"):
        if path is None:
            raise ValueError("the Cu-Zr EAM preset needs its file: give --potential-file ZrCu.lammps.eam")
        return cheng_sheng_cuzr(path)
    raise ValueError(f"unknown potential {name!r}; presets: sio2 (Jakse), cuzr (Cheng-Sheng EAM)")
