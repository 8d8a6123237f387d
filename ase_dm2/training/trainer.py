"""Training a Denoiser by denoising score matching (DM2's recipe), resumable and data-parallel.

Every step draws a batch of structures, gives each one sigma ~ U[0.001, 0.75] Å
(DM2's; `sigma_distribution` may put as many structures in each decade of sigma)
and per-coordinate Gaussian noise of that scale (with `per_atom_noise`, of a
scale drawn again for each atom below that sigma, so one structure mixes scales as
DM2's sampler noise does), and minimises MSE(model(noisy), noise) with AdamW,
each structure's error weighted by `loss_weight` (LOSS_WEIGHTS). A model with
`noise_conditional` is told each structure's sigma. Optionally the learning rate decays on a
cosine to `final_learning_rate`, and an exponential moving average of the
weights (`ema_decay`, as in most diffusion models) is what validation sees and
what is saved: both help when few, noisy steps are affordable (batch 1 on a
CPU). With `crop_radius`, finite structures (an experimental nanoparticle)
are seen as spherical crops whose loss counts only inner, bulk atoms
(ase_dm2.training.crops). Under torchrun the global batch is split
across processes (DistributedDataParallel); all processes draw the same random
numbers, so a run is reproducible whatever the number of processes.
"""
import csv
import datetime
import hashlib
import math
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.distributed as dist
from ase.formula import Formula
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from ase_dm2.density import DensityModel, density_of
from ase_dm2.io.atomic import atomic_path
from ase_dm2.io.structures import cooling_rates
from ase_dm2.network.convolution import compile_convolutions
from ase_dm2.network.denoiser import Denoiser, DenoiserConfig
from ase_dm2.training.crops import crop_centres, interior_density, spherical_crop
from ase_dm2.training.noise import noisy_copy
from ase_dm2.training.settings import LOSS_WEIGHTS, TrainingSettings

CHECKPOINT = "checkpoint.pt"
MODEL = "model.safetensors"


def loss_weight(name: str, sigma: float, sigma_w: float) -> float:
    """Weight of a structure's squared error at noise scale `sigma` (Å), one of LOSS_WEIGHTS.

    "none": 1 (DM2). "inverse": sigma_w^2 / (sigma^2 + sigma_w^2), so the small scales, where the error is
    small but bonds and tetrahedra form, count about as much as the large ones. "edm": Karras et al. (2022)'s
    lambda = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2 times sigma_data^2, with sigma_data = sigma_w
    (the error of x - eps is the error of eps, so EDM's denoiser weighting applies as it is). A constant
    factor changes nothing under AdamW.
    """
    if name == "none":
        return 1.0
    if name == "inverse":
        return sigma_w**2 / (sigma**2 + sigma_w**2)
    if name == "edm":
        return 1.0 + sigma_w**2 / sigma**2
    raise ValueError(f"unknown loss weight {name!r}; choose one of {', '.join(LOSS_WEIGHTS)}")


def _rank_and_world():
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _file_digest(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def split_validation(structures: Sequence, fraction: float, seed: int):
    """(train, validation): a seeded random `fraction` held out, at least one if there are two or more."""
    n_val = int(round(fraction * len(structures)))
    if fraction > 0 and len(structures) > 1:
        n_val = max(1, n_val)
    order = np.random.default_rng(seed).permutation(len(structures))
    val = [structures[k] for k in sorted(order[:n_val])]
    train = [structures[k] for k in sorted(order[n_val:])]
    return train, val


class Trainer:
    """Trains a Denoiser on ASE structures, writing checkpoints, loss curves and the model to `out_dir`."""

    def __init__(self, structures: Sequence, out_dir, config: DenoiserConfig, settings: TrainingSettings = None,
                 validation: Optional[Sequence] = None, initial: Optional[Denoiser] = None):
        """`initial`: a model of this `config` to start from (fine-tuning) instead of random weights."""
        self.settings = settings = settings or TrainingSettings()
        self.out_dir = Path(out_dir)
        self.rank, self.world = _rank_and_world()
        if settings.device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for, but torch sees no CUDA GPU; use --device cpu")
        self.device = torch.device(settings.device)
        if self.device.type == "cuda" and self.world > 1:
            self.device = torch.device("cuda", self.rank % torch.cuda.device_count())
        if validation is None:
            structures, validation = split_validation(list(structures), settings.validation_fraction, settings.seed)
        if not structures:
            raise ValueError("no training structures left after the validation split; give more structures")
        self.train_set, self.validation_set = list(structures), list(validation)
        self.crops = {}  # structure index -> atoms whose environments count in the loss
        if settings.crop_radius is not None:
            self.crops = {k: crop_centres(a, settings.crop_margin) for k, a in enumerate(self.train_set)
                          if not a.pbc.any()}
        self.rates = self.val_rates = None
        if config.conditional:
            self.rates = cooling_rates(self.train_set, settings.rate_key)
            self.val_rates = cooling_rates(self.validation_set, settings.rate_key)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(settings.seed)  # reproducible initial weights
            model = Denoiser(config, self._fit_density(), self._provenance())
        if initial is not None:
            self._load_initial(model, initial)
            model.provenance["initialised_from"] = {key: initial.provenance.get(key)
                                                    for key in ("bundled_as", "steps", "finished", "hardware")}
        self.model = model.to(self.device)
        if settings.cuequivariance:  # before the moving average copies the model: both compute alike
            from ase_dm2.network.cue import use_cuequivariance

            use_cuequivariance(self.model)
        self.ddp = (
            torch.nn.parallel.DistributedDataParallel(self.model) if self.world > 1 else self.model
        )
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        self.average = None
        if settings.ema_decay > 0:
            self.average = AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(settings.ema_decay))
        if settings.compile:  # after the moving average's copy, which only validates and is saved
            compile_convolutions(self.model)
        self.generator = torch.Generator().manual_seed(settings.seed)
        self.step = 0
        self.history = []
        self.observers = []  # (function, seconds): see attach

    def attach(self, function: Callable[[], None], seconds: float) -> None:
        """Call `function()` every `seconds` of wall clock while run() trains, and once when it stops: ASE's
        Dynamics.attach by time instead of steps, e.g. to write a state that a run stopped early keeps."""
        if not seconds > 0:
            raise ValueError(f"an observer's interval must be positive, got {seconds} s")
        self.observers.append((function, seconds))

    @staticmethod
    def _load_initial(model: Denoiser, initial) -> None:
        """`initial`'s weights into `model`: the same architecture, or the same plus a noise-level embedding,
        which starts at zero (the fine-tuned model starts as `initial`, sigma-blind), or plus an output scale."""
        if not isinstance(initial, Denoiser):
            raise ValueError(f"fine-tuning starts from an ase_dm2 model, not a {type(initial).__name__} "
                             "(a DM2 checkpoint's network is another architecture): train without --init")
        allowed = dict(noise_conditional=model.config.noise_conditional, output_scale=model.config.output_scale)
        if replace(initial.config, **allowed) != model.config:
            raise ValueError("the initial model's architecture differs from `config`; give it initial.config "
                             "(adding noise conditioning or an output scale are the changes allowed)")
        missing, unexpected = model.load_state_dict(initial.state_dict(), strict=False)
        if unexpected or any(not key.startswith("noise_embedding.") for key in missing):
            raise ValueError(f"the initial model's weights do not fit (missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]})")

    @property
    def final_model(self) -> Denoiser:
        """The weights that are validated and saved: the moving average if there is one."""
        return self.model if self.average is None else self.average.module

    def _fit_density(self):
        periodic = [a for a in self.train_set if a.pbc.all()]
        if not periodic and self.crops:  # bulk density of the particle's interior
            margin = self.settings.crop_margin
            return DensityModel(mean_density=np.mean([interior_density(self.train_set[k], margin)
                                                      for k in self.crops]))
        if not periodic:
            return None
        rates = None
        if self.rates is not None:
            rates = [r for a, r in zip(self.train_set, self.rates) if a.pbc.all()]
            if len(set(rates)) < 2:
                rates = None
        return DensityModel.fit(rates, [density_of(a) for a in periodic])

    def _provenance(self) -> dict:
        sources = sorted({a.info.get("source", "?") for a in self.train_set + self.validation_set})
        formula, _ = Formula(
            "".join(a.get_chemical_formula(empirical=False) for a in self.train_set)
        ).reduce()
        return {
            "composition": formula.count(),
            "training_files": [
                {"name": Path(s).name, "sha256": _file_digest(s)} if Path(s).is_file() else {"name": s} for s in sources
            ],
            "num_train": len(self.train_set),
            "num_validation": len(self.validation_set),
            "settings": asdict(self.settings),
            "processes": self.world,
            "torch": torch.__version__,
        }

    # -- one step -------------------------------------------------------------------------
    def _loss(self, model, noisy, noise, rates, sigmas, masks=None, weights=None) -> torch.Tensor:
        """Mean squared error over atoms and coordinates; `weights` (one per structure) scale each one's rows."""
        graph = self.model.graph(noisy, rates, sigmas)
        target = torch.from_numpy(np.concatenate(noise)).to(graph.positions)
        predicted = model(graph)
        row_weights = None
        if weights is not None:
            row_weights = torch.as_tensor(weights, dtype=target.dtype, device=target.device)[graph.batch]
        if masks is not None:
            counted = torch.from_numpy(np.concatenate(masks)).to(graph.positions.device)
            predicted, target = predicted[counted], target[counted]
            row_weights = None if row_weights is None else row_weights[counted]
        if row_weights is None:
            return torch.nn.functional.mse_loss(predicted, target)
        return (row_weights[:, None] * (predicted - target) ** 2).mean()

    def _sample(self, k: int):
        """(structure, loss mask or None) for training structure k: a random crop where it is cropped."""
        atoms = self.train_set[k]
        if k not in self.crops:
            return atoms, None
        centres = self.crops[k]
        centre = centres[int(torch.randint(len(centres), (), generator=self.generator))]
        counted = np.zeros(len(atoms), dtype=bool)
        counted[centres] = True
        return spherical_crop(atoms, centre, self.settings.crop_radius, self.settings.crop_margin, counted)

    def train_step(self) -> float:
        """One optimiser step on a global batch of `batch_size` structures."""
        s = self.settings
        sigmas = (s.sigma_min, s.sigma_max)
        indices = torch.randint(len(self.train_set), (s.batch_size,), generator=self.generator).tolist()
        # every process draws the crops and noise of the whole batch, then keeps its own share
        structures, masks = zip(*(self._sample(k) for k in indices))
        samples = [noisy_copy(atoms, self.generator, sigmas, s.per_atom_noise, s.sigma_distribution, s.sparse_noise)
                   for atoms in structures]
        share = slice(self.rank * s.batch_size // self.world, (self.rank + 1) * s.batch_size // self.world)
        noisy, noise, drawn = zip(*samples[share])
        weights = None
        if s.loss_weight != "none":
            weights = [loss_weight(s.loss_weight, sigma, s.loss_weight_sigma) for sigma in drawn]
        masks = None if all(m is None for m in masks) else [
            np.ones(len(a), dtype=bool) if m is None else m for a, m in zip(structures[share], masks[share])]
        rates = None if self.rates is None else [self.rates[k] for k in indices[share]]
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = s.learning_rate_at(self.step)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._loss(self.ddp, noisy, noise, rates, drawn, masks, weights)
        loss.backward()
        self.optimizer.step()
        if self.average is not None:
            self.average.update_parameters(self.model)
        self.step += 1
        loss = loss.detach()
        if self.world > 1:
            dist.all_reduce(loss)
            loss /= self.world
        return float(loss)

    @torch.no_grad()
    def validation_loss(self) -> float:
        """MSE on the held-out structures at fixed sigmas and fixed noise (comparable across steps and runs,
        whatever noise the training draws)."""
        if not self.validation_set:
            return math.nan
        s = self.settings
        generator = torch.Generator().manual_seed(s.seed + 1)
        model = self.final_model.eval()
        losses = []
        for sigma in np.linspace(s.sigma_min, s.sigma_max, s.validation_sigmas):
            for k, atoms in enumerate(self.validation_set):
                noisy, noise, _ = noisy_copy(atoms, generator, (sigma, sigma))
                rates = None if self.val_rates is None else [self.val_rates[k]]
                losses.append(float(self._loss(model, [noisy], [noise], rates, [sigma])))
        return float(np.mean(losses))

    # -- the loop, checkpoints and outputs ------------------------------------------------
    def run(self, steps: Optional[int] = None, progress: bool = True, seconds: Optional[float] = None) -> Denoiser:
        """Train until `steps` in total (default: settings.steps), or until the next step would end after
        `seconds` of wall-clock time (the longest step so far is the estimate); then write the model and call the
        attached observers. A budget shorter than one step is refused once that step is done, writing nothing."""
        s = self.settings
        steps = s.steps if steps is None else steps
        if seconds is not None and not seconds > 0:
            raise ValueError(f"a training budget must be positive, got {seconds} s")
        start, longest, first = time.monotonic(), 0.0, self.step
        called = [start] * len(self.observers)
        window = []
        with tqdm(total=None if seconds else steps, initial=self.step, desc="training", unit="step",
                  disable=not progress or self.rank != 0) as bar:  # closed on Ctrl-C too, before the CLI says so
            while self.step < steps:
                if seconds is not None and self.step > first and time.monotonic() - start + longest > seconds:
                    break
                began = time.monotonic()
                window.append(self.train_step())
                bar.update(1)
                if self.step % s.validation_interval == 0 or self.step == steps:
                    bar.set_postfix(self._record(window))
                    window = []
                if self.step % s.checkpoint_interval == 0 or self.step == steps:
                    self.save_checkpoint()
                for k, (function, interval) in enumerate(self.observers):
                    if time.monotonic() - called[k] >= interval:
                        function()
                        called[k] = time.monotonic()
                longest = max(longest, time.monotonic() - began)
        elapsed = time.monotonic() - start
        if seconds is not None and self.step - first == 1 and elapsed > seconds:
            raise ValueError(f"one training step took {elapsed:.1f} s, more than the budget of {seconds:g} s; "
                             "nothing written")
        if window:  # stopped by the clock between validations
            self._record(window)
            self.save_checkpoint()
        self.finish()
        for function, _ in self.observers:
            function()
        return self.final_model

    def _record(self, window) -> dict:
        """Append the mean training loss of `window` and the validation loss to the history; what to show."""
        record = {"step": self.step, "train_loss": float(np.mean(window)), "validation_loss": math.nan}
        if self.rank == 0:
            record["validation_loss"] = self.validation_loss()
        self.history.append(record)
        shown = {"loss": f"{record['train_loss']:.4g}"}
        if not math.isnan(record["validation_loss"]):  # nothing held out: nothing shown
            shown["val"] = f"{record['validation_loss']:.4g}"
        return shown

    def save_checkpoint(self) -> None:
        """Everything needed to continue exactly: weights, optimiser, step, RNG, history."""
        if self.rank != 0:
            return
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "rng": self.generator.get_state(),
            "history": self.history,
            "config": self.model.config.to_dict(),
        }
        if self.average is not None:
            state["average"] = self.average.state_dict()
        with atomic_path(self.out_dir / CHECKPOINT) as tmp:
            torch.save(state, tmp)

    def resume(self) -> None:
        """Continue from out_dir/checkpoint.pt (weights-only load: no code is unpickled)."""
        path = self.out_dir / CHECKPOINT
        if not path.is_file():
            raise FileNotFoundError(f"nothing to resume: {path} does not exist (train without --resume first)")
        state = torch.load(path, map_location=self.device, weights_only=True)
        if state["config"] != self.model.config.to_dict():
            raise ValueError(f"{path} was written for another architecture or species; resume with the same settings")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.average is not None:
            if "average" not in state:
                raise ValueError(f"{path} was written without weight averaging; resume with the same --ema-decay")
            self.average.load_state_dict(state["average"])
        self.generator.set_state(state["rng"])
        self.step = int(state["step"])
        self.history = list(state["history"])

    def finish(self) -> None:
        """Write the model file (with final losses in its provenance) and the loss curves."""
        if self.rank != 0:
            return
        last = self.history[-1] if self.history else {}
        model = self.final_model
        model.provenance.update(
            steps=self.step,
            final_train_loss=last.get("train_loss"),
            final_validation_loss=last.get("validation_loss"),
            finished=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            device=str(self.device),
        )
        model.save(self.out_dir / MODEL)
        write_loss_curves(self.history, self.out_dir)


def write_loss_curves(history, out_dir) -> None:
    """losses.csv and losses.png in out_dir."""
    out_dir = Path(out_dir)
    with atomic_path(out_dir / "losses.csv") as tmp:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["step", "train_loss", "validation_loss"])
            writer.writeheader()
            writer.writerows(history)
    if not history:
        return
    from ase_dm2.analysis.plots import save_figure, subplots

    steps = [h["step"] for h in history]
    fig, ax = subplots(figsize=(5, 3.5))
    ax.plot(steps, [h["train_loss"] for h in history], label="train")
    ax.plot(steps, [h["validation_loss"] for h in history], label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("MSE (Å²)")
    ax.set_yscale("log")
    ax.legend()
    save_figure(fig, out_dir / "losses.png")
