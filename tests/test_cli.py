"""A newcomer's bad input: every case is refused in one line before any work, and no file is written or replaced."""
import argparse
import importlib
import os
import signal
import subprocess
import sys
import time

import ase.io
import pytest

from ase_dm2.cli import build_parser, main
from ase_dm2.io.output import write_structures
from helpers import random_silica

GENERATE = ["generate", "a-SiO2", "--atoms", "30", "--rate", "1", "--steps", "3"]


@pytest.fixture
def existing(tmp_path):
    """An output file a user already has: it must survive every refused command."""
    path = tmp_path / "out.extxyz"
    ase.io.write(path, random_silica(2, seed=1))
    return path


def refused(argv, capsys, *phrases, code=2):
    """Run the CLI; check the exit code and a one-line message holding every phrase."""
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for phrase in phrases:
        assert phrase in err, err


@pytest.mark.parametrize("options, phrases", [
    (["--steps", "0"], ["--steps must be at least 1"]),
    (["--steps", "-5"], ["--steps must be at least 1"]),
    (["--calls", "0"], ["--calls must be at least 1"]),
    (["--n-samples", "0"], ["--n-samples and --batch-size must be at least 1"]),
    (["--n-samples", "-1"], ["--n-samples and --batch-size must be at least 1"]),
    (["--batch-size", "0"], ["--n-samples and --batch-size must be at least 1"]),
    (["--rate", "1e9"], ["beyond the model's range 0.01-1000 K/ps", "--extrapolate"]),
    (["--rate", "-1"], ["must be positive"]),
    (["--atoms", "0"], ["need at least one O2Si unit (3 atoms), got 0"]),
    (["--noiseless-steps", "-2"], ["noiseless_steps must lie in [0"]),
    (["--sampler", "fancy"], ["unknown sampler 'fancy'", "dm2"]),
    (["--compile", "--scheduler", "tcp://127.0.0.1:1"], ["--compile is for generation on this machine's CPU"]),
])
def test_generate_refuses_bad_numbers_and_keeps_the_file(options, phrases, existing, capsys):
    before = existing.read_bytes()
    refused(GENERATE + options + ["-o", str(existing)], capsys, *phrases)
    assert existing.read_bytes() == before


@pytest.mark.parametrize("name, phrase", [
    ("out.foo", "ASE cannot tell a structure format"),
    ("out", "ASE cannot tell a structure format"),
    (".", "is a directory"),
])
def test_generate_checks_the_output_before_any_work(name, phrase, tmp_path, capsys, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("generation started before the output name was checked")

    monkeypatch.setattr(importlib.import_module("ase_dm2.sampling.generate"), "generate", no_work)
    refused(GENERATE + ["-o", str(tmp_path / name)], capsys, phrase)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_generate_refuses_several_samples_into_a_one_structure_format(tmp_path, capsys):
    refused(GENERATE + ["--n-samples", "2", "-o", str(tmp_path / "POSCAR")], capsys, "multi-frame format")
    assert not (tmp_path / "POSCAR").exists()


def test_generate_extrapolates_when_told_and_says_it_replaced_a_file(existing, capsys):
    assert main(GENERATE + ["--rate", "5000", "--extrapolate", "-o", str(existing)]) == 0
    assert "replacing the file there" in capsys.readouterr().out
    assert len(ase.io.read(existing)) == 30 and ase.io.read(existing).info["cooling_rate"] == 5000


def test_a_write_that_fails_at_the_end_rescues_the_structures(tmp_path, monkeypatch):
    """The format was checked, but writing still fails: the structures land in an extxyz file that is named."""
    structures = [random_silica(2, seed=k) for k in range(2)]
    real_write = ase.io.write

    def failing_cif(filename, images, format=None, **kwargs):
        if format == "cif":
            raise OSError("disk full")
        return real_write(filename, images, format=format, **kwargs)

    monkeypatch.setattr(ase.io, "write", failing_cif)
    with pytest.raises(RuntimeError, match="disk full.*saved in") as error:
        write_structures(tmp_path / "out.cif", structures, "cif")
    rescued = str(error.value).rsplit("saved in ", 1)[1]
    assert not (tmp_path / "out.cif").exists()
    assert [len(a) for a in ase.io.read(rescued, ":")] == [6, 6]


def test_refine_checks_its_output_before_lammps(existing, tmp_path, capsys):
    refused(["refine", str(existing), "--potential", "sio2", "-o", str(tmp_path / "r.foo")], capsys,
            "ASE cannot tell a structure format")
    assert not (tmp_path / "r.foo").exists()


def test_train_refuses_to_overwrite_a_run(existing, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.safetensors").write_bytes(b"a model the user wants to keep")
    refused(["train", str(existing), "--unconditional", "-o", str(run)], capsys, "already holds a run",
            "--resume", "--overwrite")
    assert (run / "model.safetensors").read_bytes() == b"a model the user wants to keep"
    refused(["train", str(existing), "--unconditional", "--steps", "0", "-o", str(tmp_path / "new")], capsys,
            "steps must be at least 1")
    refused(["train", str(existing), "--unconditional", "--output-scale", "0.05", "-o", str(tmp_path / "new")],
            capsys, "needs a noise-conditioned network", "--noise-conditional")
    refused(["train", str(existing), "--unconditional", "--sparse-noise", "2", "-o", str(tmp_path / "new")],
            capsys, "sparse_noise is a share of the structures")


@pytest.mark.parametrize("argv, environment, phrase", [
    (["--threads", "0"] + GENERATE, {}, "the number of threads must be at least 1"),
    (GENERATE, {"ASE_DM2_NUM_THREADS": "two"}, "ASE_DM2_NUM_THREADS is 'two'"),
])
def test_bad_thread_counts_are_refused(argv, environment, phrase, existing, capsys, monkeypatch):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    refused(argv + ["-o", str(existing)], capsys, phrase)


def test_analyze_of_a_directory_says_so(tmp_path, capsys):
    refused(["analyze", str(tmp_path)], capsys, "is a directory")


def test_a_bad_lammps_command_names_the_variable(existing, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASE_LAMMPSRUN_COMMAND", "no-such-lmp -in")
    refused(["refine", str(existing), "--potential", "sio2", "-o", str(tmp_path / "r.extxyz")], capsys,
            "ASE_LAMMPSRUN_COMMAND", "'no-such-lmp' is not a command")
    assert not (tmp_path / "r.extxyz").exists()


def test_ctrl_c_ends_in_one_line_and_code_130(existing, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module("ase_dm2.sampling.generate"), "generate", interrupted)
    before = existing.read_bytes()
    refused(GENERATE + ["-o", str(existing)], capsys, "interrupted; nothing was written", code=130)
    assert existing.read_bytes() == before


def test_ctrl_c_during_training_keeps_the_last_checkpoint(tmp_path):
    """A real SIGINT to a training process: one line naming the checkpoint kept, exit code 130."""
    data = tmp_path / "glass.extxyz"
    ase.io.write(data, [random_silica(10, seed=k) for k in range(2)])
    run = tmp_path / "run"
    command = [sys.executable, "-m", "ase_dm2", "train", str(data), "--unconditional", "-o", str(run),
               "--steps", "100000", "--batch-size", "1", "--checkpoint-interval", "1", "--layers", "1",
               "--hidden-scalars", "4", "--hidden-vectors", "2", "--validation-fraction", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "ASE_DM2_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while not (run / "checkpoint.pt").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and last.startswith("ase-dm2 train: interrupted; the last checkpoint is kept in")
    assert "--resume" in last


def test_help_loads_no_torch_and_every_option_says_what_it_does():
    code = ("import sys; from ase_dm2.cli import build_parser; build_parser().format_help(); "
            "assert 'torch' not in sys.modules and 'sklearn' not in sys.modules, 'heavy import at parse time'")
    subprocess.run([sys.executable, "-c", code], check=True)
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, command in {"ase-dm2": parser, **commands}.items():
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue  # each command's own help is checked
            assert action.help, f"{name} {action.option_strings or action.dest} has no help text"
            if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
                assert "default" in action.help, f"{name} {action.option_strings} does not give its default"
    with pytest.raises(SystemExit) as exit_code:
        main(["--version"])
    assert exit_code.value.code == 0


def test_the_projects_data_is_found_in_a_wheel_install(tmp_path, monkeypatch):
    """A wheel puts data/cuzr in <prefix>/share/ase_dm2 (setup.cfg data_files): found without the checkout."""
    import ase_dm2.paths

    (tmp_path / "prefix" / "share" / "ase_dm2" / "cuzr").mkdir(parents=True)
    monkeypatch.setattr(ase_dm2.paths, "CHECKOUT", tmp_path / "site-packages")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert ase_dm2.paths.repository_data() == tmp_path / "prefix" / "share" / "ase_dm2"
