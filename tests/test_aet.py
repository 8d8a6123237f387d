"""The experimental AET nanoparticle read as a finite ASE structure."""
import numpy as np
import pytest

from ase_dm2.analysis.pdf import partial_rdfs
from ase_dm2.io.aet import read_aet_nanoparticle


def test_reads_the_particle_and_its_amorphous_region(shared_data):
    particle = read_aet_nanoparticle(shared_data / "aet-nanoparticle")
    assert particle.symbols.formula.count() == {"Ni": 8322, "Pd": 6896, "Pt": 3138}
    assert not particle.pbc.any() and np.ptp(particle.positions, axis=0) == pytest.approx([90, 92, 90], abs=3)
    amorphous = read_aet_nanoparticle(shared_data / "aet-nanoparticle", amorphous_only=True)
    assert len(amorphous) == 15518
    assert amorphous.arrays["aet_voronoi"].shape == (15518, 4)
    # a dense metallic liquid-like packing: nearest neighbours at about 2.7 Å
    rdf = partial_rdfs(amorphous, r_max=6.0)
    peak = rdf["r"][np.argmax(rdf[("Ni", "Pd")])]
    assert 2.4 < peak < 3.0


def test_the_folder_reads_as_a_training_structure(shared_data):
    from ase_dm2.io.structures import read_structures

    (particle,) = read_structures([shared_data / "aet-nanoparticle"])
    assert len(particle) == 18356 and particle.arrays["amorphous"].sum() == 15518


def test_missing_folder_says_what_to_give(tmp_path):
    with pytest.raises(FileNotFoundError, match="AET .mat files"):
        read_aet_nanoparticle(tmp_path)
