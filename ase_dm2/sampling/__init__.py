"""Generation: the score calculator, the denoising dynamics and engine, samplers, noise schedules and defect repair."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "calculator": ["ScoreCalculator"],
    "dynamics": ["DiffusionDynamics"],
    "generate": ["generate"],
    "repair": ["repair_defects"],
    "samplers": ["DM2Sampler", "EDMSampler", "PCSampler", "make_sampler"],
    "schedule": ["NoiseSchedule"],
})
