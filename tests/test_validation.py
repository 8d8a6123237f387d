"""Validation reports: the pipeline from a model to report.md, and DM2's quality bar."""
import json

import ase.io
import numpy as np
import pytest

from ase_dm2 import DensityModel
from ase_dm2.analysis import silica_defects
from ase_dm2.cli import main
from ase_dm2.validation import quality_bar
from helpers import tiny_model


def test_validate_cli_writes_a_consistent_report(shared_data, tmp_path):
    """With --compile, the network's convolutions through torch.compile, as reports/a-SiO2 is made."""
    model = tiny_model(conditional=True, num_layers=1)
    model.density_model = DensityModel.fit([0.1, 1, 10, 100], [2.11, 2.13, 2.15, 2.17])
    model.provenance["composition"] = {"O": 2, "Si": 1}
    model.save(tmp_path / "tiny.safetensors")
    references = [shared_data / "a-SiO2" / f"sio2_3000_glass_{name}.dat"
                  for name in ("1k_sample0", "1k_sample1", "100k_sample0")]
    out = tmp_path / "report"
    assert main(["validate", str(tmp_path / "tiny.safetensors"), "-o", str(out), "--reference", *map(str, references),
                 "--rate-from-filename", "--atoms", "60", "--samples", "2", "--steps", "4",
                 "--trend-rates", "1", "100", "--no-md", "--compile"]) == 0
    text = (out / "report.md").read_text()
    report = json.loads((out / "report.json").read_text())
    generated = ase.io.read(out / "generated.extxyz", ":")
    assert len(generated) == 2 and all(len(a) == 60 and a.info["cooling_rate"] == 1.0 for a in generated)
    si = np.mean([silica_defects(a)["si_fourfold"] for a in generated])
    criterion, value, target, met = report["quality_bar"][0]
    assert criterion == "Si fourfold" and value.startswith(f"{100 * si:.2f} %") and met == (si >= 0.995)
    assert "compared with 2 reference structures" in text  # the main comparison uses the 1 K/ps glasses only
    assert set(report["trends"]["generated"]) == {"1.0", "100.0"}
    assert set(report["trends"]["reference"]) == {"1.0", "100.0"}
    assert "| 100 |" in text and (out / "trends.png").stat().st_size > 1000
    assert (out / "comparison" / "pdfs.png").is_file() and "![pdfs](comparison/pdfs.png)" in text


def _summary(si, o, gen_overlap, sim_overlap, refined_moduli, reference_moduli):
    return {"figures": {"generated": [{"defects": {"si_fourfold": s, "o_twofold": x}} for s, x in zip(si, o)],
                        "refined": [{"moduli": m} for m in refined_moduli],
                        "reference": [{"moduli": m} for m in reference_moduli]},
            "distances": {"QUESTS overlap": {"gen_vs_sim": [gen_overlap, 0.0], "sim_vs_sim": [sim_overlap, 0.01]}}}


@pytest.mark.parametrize("si, o, gen_overlap, moduli_k, expected", [
    ([1.0, 0.995], [0.995, 0.99], 0.89, [54.0], [True, True, True, True]),
    ([0.99, 0.995], [0.995, 0.99], 0.89, [54.0], [False, True, True, True]),
    ([1.0, 1.0], [0.98, 0.99], 0.85, [50.0], [True, False, False, False]),
])
def test_quality_bar(si, o, gen_overlap, moduli_k, expected):
    reference = [{"K": 53.0, "G": 38.0, "E": 92.0, "nu": 0.21}, {"K": 55.0, "G": 39.0, "E": 95.0, "nu": 0.22}]
    generated = [{"K": k, "G": 38.5, "E": 93.0, "nu": 0.215} for k in moduli_k]
    rows = quality_bar(_summary(si, o, gen_overlap, 0.90, generated, reference))
    assert [r[0] for r in rows] == ["Si fourfold", "O twofold", "QUESTS overlap gen-vs-sim", "K after refinement",
                                    "G after refinement", "E after refinement", "nu after refinement"]
    assert [r[3] for r in rows[:4]] == expected
    assert all(r[3] for r in rows[4:])
