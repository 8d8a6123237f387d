"""Samples spread over a local Dask cluster of two worker processes equal a local run with the same seeds."""
import numpy as np
import pytest

from ase_dm2.sampling.generate import generate
from ase_dm2.sampling.schedule import NoiseSchedule
from helpers import tiny_model

distributed = pytest.importorskip("distributed", reason="needs Dask: pip install 'ase_dm2[distributed]'")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def test_cluster_equals_local_run(tmp_path, cluster):
    from ase_dm2.sampling.distributed import generate_on_cluster

    path = tmp_path / "model.safetensors"
    model = tiny_model(seed=4, conditional=True)
    model.save(path)
    options = dict(n_atoms=30, composition={"Si": 1, "O": 2}, rate=1.0, density=2.2, schedule=NoiseSchedule.dm2(20))
    local = generate(model, seed=7, n_samples=3, progress=False, **options)
    remote = generate_on_cluster(cluster.scheduler_address, path, 3, seed=7, progress=False, **options)
    assert len(remote) == 3
    for a, b in zip(local, remote):
        assert a.info["seed"] == b.info["seed"]
        np.testing.assert_array_equal(a.positions, b.positions)
        np.testing.assert_array_equal(a.cell.array, b.cell.array)
    assert not np.allclose(remote[0].positions, remote[1].positions)  # different seeds, different samples


def test_cli_with_scheduler(tmp_path, cluster):
    from ase.io import read

    from ase_dm2.cli import main

    path = tmp_path / "model.safetensors"
    tiny_model(seed=4).save(path)
    out = tmp_path / "samples.extxyz"
    assert main(["generate", str(path), "--atoms", "24", "--formula", "SiO2", "--density", "2.2", "--steps", "10",
                 "--n-samples", "2", "--scheduler", cluster.scheduler_address, "-o", str(out)]) == 0
    frames = read(out, ":")
    assert [f.info["seed"] for f in frames] == [0, 1]


def test_local_files_are_refused(tmp_path, cluster):
    from ase_dm2.sampling.distributed import generate_on_cluster

    with pytest.raises(ValueError, match="trajectory"):
        generate_on_cluster(cluster.scheduler_address, tmp_path / "m.safetensors", 1, trajectory="x.traj")
