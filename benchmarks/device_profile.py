"""Where a device-loop step goes: torch profiler tables of --steps steps, op by op and replayed.

The op-by-op table names the operators behind each kernel; on a GPU it also shows the host's share
(cudaLaunchKernel calls and time) against the kernels' CUDA time, which is what a CUDA graph removes.
Usage: python benchmarks/device_profile.py [--device cuda] [--model a-SiO2] [--atoms 3000] [--steps 10] [--rows 25]
"""
from torch.profiler import ProfilerActivity, profile

from _util import device_model, device_parser, silica
from ase_dm2 import NoiseSchedule
from ase_dm2.sampling.engine import denoise


def main():
    parser = device_parser(__doc__, steps=10)
    parser.add_argument("--rows", type=int, default=25)
    args = parser.parse_args()
    model, density = device_model(args)
    atoms = silica(args.atoms, 1, density)
    cuda = args.device.startswith("cuda")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    for replay in (False, True) if cuda else (False,):
        def run(steps):
            denoise(atoms, model, NoiseSchedule(steps=steps, noiseless_steps=0), [0], [1.0],
                              progress=False, cuda_graph=replay)
        run(3)  # warm-up
        with profile(activities=activities) as prof:
            run(args.steps)
        print(f"\n{args.atoms} atoms, {args.steps} steps, {'CUDA graph' if replay else 'op by op'}:")
        sort = "cuda_time_total" if cuda else "cpu_time_total"
        print(prof.key_averages().table(sort_by=sort, row_limit=args.rows))


if __name__ == "__main__":
    main()
