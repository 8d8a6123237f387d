"""An ensemble of samples spread over a Dask distributed cluster: one task per sample.

Sample k is `generate(model, seed=seed + k)`, exactly as in a local run, so a
cluster gives the same structures as one machine with the same seeds. Workers
load the model themselves: give a bundled model name or a path they can read.
"""
from functools import lru_cache

from tqdm.auto import tqdm

LOCAL_ONLY = ("trajectory", "logfile")


@lru_cache(maxsize=4)
def _worker_model(model: str, device: str):
    from ase_dm2.modelfile import load_model

    return load_model(model, device=device)


def _one_sample(k: int, model: str, device: str, seed: int, num_threads: int, options: dict):
    from ase_dm2.runtime import configure_runtime
    from ase_dm2.sampling.generate import generate

    configure_runtime(num_threads)
    return generate(_worker_model(model, device), seed=seed + k, n_samples=1, progress=False, **options)[0]


def generate_on_cluster(scheduler, model: str, n_samples: int, seed: int = 0, device: str = "cpu",
                        num_threads=None, progress: bool = True, **options) -> list:
    """`n_samples` structures generated on the Dask cluster at `scheduler` (an address or a Client), in order.

    `options` are those of `generate` (n_atoms, rate, schedule, ...), except the
    local files `trajectory` and `logfile`.
    """
    try:
        from distributed import Client, as_completed
    except ImportError as error:
        raise ImportError("generating on a cluster needs Dask: pip install 'ase_dm2[distributed]'") from error
    local = sorted(set(options) & set(LOCAL_ONLY))
    if local:
        raise ValueError(f"{', '.join(local)} cannot be written by remote workers; leave them out with a scheduler")
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = [client.submit(_one_sample, k, str(model), device, seed, num_threads, options, pure=False)
                   for k in range(n_samples)]
        for _ in tqdm(as_completed(futures), total=n_samples, desc="samples", disable=not progress):
            pass
        return client.gather(futures)
    finally:
        if client is not scheduler:
            client.close()
