"""A training run's whole state in one safetensors file, small and safe enough to commit, so that each short
GPU run continues the last (models/train_gpu.py).

The tensors are the weights, AdamW's moments, the moving average and the random state; the bookkeeping (the
architecture, step, loss history, optimiser settings and the totals so far: steps, atom-passes, minutes per
device) is JSON in the file's metadata. Loading runs no code. The file is written atomically: a run killed
mid-step leaves the last complete state.
"""
import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ase_dm2.io.atomic import atomic_path

FORMAT = "ase_dm2 training state"
VERSION = 1


def describe(config: dict) -> str:
    """An architecture in a few words, for messages: species, channels, layers, lmax."""
    return (f"species {', '.join(config['species'])}, {config['hidden_scalars']}x0e+{config['hidden_vectors']}x1o, "
            f"{config['num_layers']} layers, lmax {config['lmax']}"
            + (", rate-conditional" if config.get("conditional") else "")
            + (", noise-conditional" if config.get("noise_conditional") else "")
            + (f", output scale {config['output_scale']} Å" if config.get("output_scale") else ""))


def save_state(trainer, path, totals: dict) -> None:
    """Write `trainer`'s state and the run's `totals` (steps, atom_passes, minutes) to `path` atomically."""
    tensors = {f"model.{k}": v for k, v in trainer.model.state_dict().items()}
    if trainer.average is not None:
        tensors.update({f"average.{k}": v for k, v in trainer.average.state_dict().items()})
    optimizer = trainer.optimizer.state_dict()
    for index, moments in optimizer["state"].items():
        tensors.update({f"optimizer.{index}.{name}": torch.as_tensor(value) for name, value in moments.items()})
    tensors["rng"] = trainer.generator.get_state()
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    bookkeeping = {"config": trainer.model.config.to_dict(), "step": trainer.step, "history": trainer.history,
                   "param_groups": optimizer["param_groups"], "totals": totals}
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata={"format": FORMAT, "version": str(VERSION),
                                          "state": json.dumps(bookkeeping)})


def read_bookkeeping(path) -> dict:
    """The JSON part of a state file (config, step, history, param_groups, totals), refused if not one."""
    path = Path(path)
    try:
        with safe_open(path, "pt") as f:
            metadata = f.metadata() or {}
    except Exception as error:
        raise ValueError(f"{path} is not a readable training state ({error})") from None
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is not an ase_dm2 training state")
    if int(metadata["version"]) > VERSION:
        raise ValueError(f"{path} is a training state of version {metadata['version']}; update ase_dm2 to read it")
    return json.loads(metadata["state"])


def load_state(trainer, path) -> dict:
    """Put the state at `path` into `trainer` (same architecture and species, refused otherwise naming both);
    returns the run's totals so far."""
    bookkeeping = read_bookkeeping(path)
    ours = json.loads(json.dumps(trainer.model.config.to_dict()))  # tuples as the JSON has them: lists
    if bookkeeping["config"] != ours:
        raise ValueError(f"{path} holds a network of {describe(bookkeeping['config'])}; this run trains "
                         f"{describe(ours)}: train with the state's architecture, or start a new state")
    with safe_open(path, "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if (trainer.average is None) != (not any(k.startswith("average.") for k in tensors)):
        raise ValueError(f"{path} was written {'with' if trainer.average is None else 'without'} weight averaging; "
                         "resume with the same EMA setting")
    trainer.model.load_state_dict(_part(tensors, "model."))
    if trainer.average is not None:
        trainer.average.load_state_dict(_part(tensors, "average."))
    moments = {}
    for key, value in _part(tensors, "optimizer.").items():
        index, name = key.split(".", 1)
        moments.setdefault(int(index), {})[name] = value
    trainer.optimizer.load_state_dict({"state": moments, "param_groups": bookkeeping["param_groups"]})
    trainer.generator.set_state(tensors["rng"])
    trainer.step = int(bookkeeping["step"])
    trainer.history = list(bookkeeping["history"])
    return dict(bookkeeping["totals"])


def _part(tensors: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
