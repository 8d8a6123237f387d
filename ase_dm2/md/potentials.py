"""Interatomic potentials for LAMMPS as presets: Jakse a-SiO2, Cheng-Sheng Cu-Zr EAM, any eam/alloy file, or
your own."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ase_dm2.paths import shared_data

# Bouhadja, Jakse & Pasturel 2013: Born-Mayer-Huggins with damped shifted-force Coulomb (metal units)
JAKSE_BORN = {("O", "O"): (0.0120, 0.2630, 3.6430, 85.0840), ("O", "Si"): (0.0070, 0.1560, 2.5419, 46.2930),
              ("Si", "Si"): (0.0012, 0.0460, 1.4408, 25.1873)}
CHENG_SHENG_FILE = "ZrCu.lammps.eam"  # in the reference data's potentials/


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


def eam_alloy(path) -> Potential:
    """Any eam/alloy (setfl) file; its elements are read from the header's fourth line."""
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"potential file {path} not found")
    header = path.read_text(errors="replace").splitlines()[3:4]
    words = header[0].split() if header else []
    if not words or not words[0].isdigit() or len(words) != int(words[0]) + 1:
        raise ValueError(f"{path} is not an eam/alloy (setfl) file: its fourth line should be 'N El1 ... ElN'")
    elements = tuple(words[1:])
    return Potential(f"EAM {path.name}", elements, "eam/alloy", (f"* * {path} {' '.join(elements)}",),
                     files=(str(path),))


def custom(elements, pair_style: str, pair_coeffs, charges: Optional[dict] = None, files=()) -> Potential:
    """Any LAMMPS pair style: types 1..n are `elements` in that order."""
    return Potential("custom", tuple(elements), pair_style, tuple(pair_coeffs), charges, tuple(files))


def preset(name: str, path=None) -> Potential:
    """'sio2' / 'jakse', 'cuzr' / 'cheng-sheng' (its EAM file at `path`, default the reference data's), or the
    path of an eam/alloy file."""
    if Path(name).is_file():
        return eam_alloy(name)
    key = name.lower().replace("_", "-")
    if key in ("sio2", "jakse", "a-sio2"):
        return jakse_sio2()
    if key in ("cuzr", "cheng-sheng", "zrcu"):
        path = path or shared_data() / "potentials" / CHENG_SHENG_FILE
        if not Path(path).is_file():
            raise FileNotFoundError(f"the Cu-Zr EAM preset needs its file, not found at {path}: give "
                                    f"--potential-file {CHENG_SHENG_FILE} (or set ASE_DM2_SHARED_DATA)")
        return cheng_sheng_cuzr(path)
    raise ValueError(f"unknown potential {name!r}; presets: sio2 (Jakse), cuzr (Cheng-Sheng EAM), or an "
                     "eam/alloy file")
