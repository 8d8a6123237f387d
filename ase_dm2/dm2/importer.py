"""DM2 checkpoint -> DM2Network (safe: tensors only), ready to save in ase_dm2's model format."""
import re
from pathlib import Path
from typing import Optional, Sequence

from ase.data import atomic_numbers

from ase_dm2.dm2.checkpoint import ROOT_CLASSES, DM2CheckpointError, Inert, irreps_string, read_checkpoint
from ase_dm2.dm2.network import DM2Config, DM2Network

# DM2 indexes species by ascending atomic number; its files do not name them
PUBLISHED_SPECIES = {"sio2": ("O", "Si"), "cu50zr50": ("Cu", "Zr"), "cuzr": ("Cu", "Zr")}
DM2_GRAPH_CUTOFF = 5.0  # DM2's generation and training scripts build graphs at 5 Å for every model
# e3nn 0.6 keeps these Wigner-3j constants as buffers; e3nn 0.4.4 compiled them into code
CONSTANT_BUFFER = re.compile(r"\._w3j_")


def guess_species(path: Path, archive_name: str) -> tuple:
    text = f"{path.name} {archive_name}".lower().replace("-", "")
    for key, species in PUBLISHED_SPECIES.items():
        if key in text:
            return species
    raise DM2CheckpointError(
        f"{path}: DM2 files do not record their elements; give them in atomic-number order, "
        "e.g. species=('O', 'Si') (CLI: --species O Si)"
    )


def _child(module: Inert, *names):
    for name in names:
        module = module.state["_modules"][name]
    return module


def config_from_checkpoint(root: Inert, tensors: dict, species: Sequence[str]) -> DM2Config:
    state = root.state
    embed_edge = _child(root, "init_embed").state["embed_edge"]  # functools.partial(bessel, end=cutoff, ...)
    bessel_kwargs = embed_edge.state[2] if isinstance(embed_edge.state, tuple) else {}
    first = _child(root, "interactions", "0", "first").state
    num_species = tensors["init_embed.embed_node_x.weight"].shape[0]
    if len(species) != num_species:
        raise DM2CheckpointError(f"the checkpoint has {num_species} species but {len(species)} were given")
    return DM2Config(
        species=tuple(sorted(species, key=lambda s: atomic_numbers[s])),
        cutoff=DM2_GRAPH_CUTOFF,
        basis_cutoff=float(bessel_kwargs.get("end", 5.0)) - float(bessel_kwargs.get("start", 0.0)),
        conditional=ROOT_CLASSES[root.qualname],
        irreps_node=irreps_string(state["irreps_node_z"]),
        irreps_hidden=irreps_string(state["irreps_hidden"]),
        irreps_edge=irreps_string(state["irreps_edge"]),
        irreps_out=irreps_string(state["irreps_out"]),
        num_layers=int(state["num_convs"]),
        num_basis=int(bessel_kwargs.get("num_basis", 16)),
        radial_hidden=int(tensors["interactions.0.first.mlp.layer1.weight"].shape[0]),
        num_neighbors=float(first.get("num_neighbors", 12)),
        num_rate_basis=int(tensors["y_embed.means"].shape[0]) if "y_embed.means" in tensors else 9,
    )


def import_dm2(path, species: Optional[Sequence[str]] = None, density_model=None) -> DM2Network:
    """A DM2Network with the weights of a DM2 `.pt` checkpoint; no pickled code is run."""
    path = Path(path)
    root, tensors = read_checkpoint(path)
    if species is None:
        import zipfile

        with zipfile.ZipFile(path) as archive:
            species = guess_species(path, archive.namelist()[0].split("/")[0])
    try:
        config = config_from_checkpoint(root, tensors, species)
        model = DM2Network(config, density_model, {"imported_from": path.name, "source": "DM2 (Yang & "
                                                   "Schwalbe-Koda 2025), converted by ase_dm2"})
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise DM2CheckpointError(f"{path}: unexpected checkpoint layout ({type(error).__name__}: {error})") from error
    expected = model.state_dict()
    missing = [k for k in expected if k not in tensors and not CONSTANT_BUFFER.search(k)]
    unexpected = [k for k in tensors if k not in expected]
    wrong = [k for k in tensors if k in expected and tensors[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        raise DM2CheckpointError(f"{path}: weights do not fit DM2's network (missing {missing[:3]}, "
                                 f"unexpected {unexpected[:3]}, wrong shapes {wrong[:3]})")
    model.load_state_dict(tensors, strict=False)
    return model.eval()
