"""Generation: the score calculator, the denoising dynamics and engine, samplers and noise schedules."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "calculator": ["ScoreCalculator"],
    "dynamics": ["DiffusionDynamics"],
    "generate": ["generate"],
    "samplers": ["DM2Sampler", "EDMSampler", "PCSampler", "make_sampler"],
    "schedule": ["NoiseSchedule"],
})
