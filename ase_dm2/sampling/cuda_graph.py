"""A model's forward pass captured once as a CUDA graph and replayed at every denoising step.

On a GPU, a step of a few thousand atoms is bound by the host launching
kernels, not by the GPU (an H200 at 3,000 atoms: about 240 launches and 6 ms of
Python against 3 ms of GPU work); a replayed graph launches them all at once.
A CUDA graph has fixed shapes, but the number of edges changes from step to
step, so the edges are padded to a capacity with self-edges of one extra,
dummy atom: real atoms never receive a message from it, so their outputs are
unchanged for any network that only passes messages along edges (both network
kinds here; one that pooled over a structure's atoms would see the dummy), and
its own output is dropped. When the edges outgrow the capacity the graph is
captured again with room to spare.
"""
from dataclasses import replace

import torch

from ase_dm2.graph import Graph


def padded(graph: Graph, capacity: int, cutoff: float) -> Graph:
    """`graph` plus a dummy atom (index N) and self-edges of it, 2 cutoffs long, up to `capacity` edges."""
    n, extra = graph.positions.shape[0], capacity - graph.center.shape[0]
    if extra < 0:
        raise ValueError(f"{graph.center.shape[0]} edges do not fit a capacity of {capacity}")
    dummy_edges = graph.center.new_full((extra,), n)
    dummy_offsets = graph.offsets.new_zeros(extra, 3)
    dummy_offsets[:, 0] = 2.0 * cutoff  # a scalar fill: no copy from the host
    return replace(graph, species=torch.cat([graph.species, graph.species[:1]]),
                   positions=torch.cat([graph.positions, graph.positions[:1]]),
                   batch=torch.cat([graph.batch, graph.batch[:1]]),
                   center=torch.cat([graph.center, dummy_edges]), neighbor=torch.cat([graph.neighbor, dummy_edges]),
                   offsets=torch.cat([graph.offsets, dummy_offsets]))


class ReplayedModel:
    """`model` on the graphs of one batch of structures through a CUDA graph: positions and edges may change.

    The output is the graph's own buffer, valid until the next call. Padded edges cost GPU time at every step
    (with 20 % room an H200 spent 36 % more GPU time on a step than op by op) and a capture costs about two
    steps, so `headroom` is small.
    """

    def __init__(self, model, headroom: float = 1.05):
        self.model, self.headroom = model, headroom
        self.cuda_graph = self.inputs = self.output = None
        self.captures = 0

    def __call__(self, graph: Graph) -> torch.Tensor:
        n, edges = graph.positions.shape[0], graph.center.shape[0]
        if self.inputs is None or n + 1 != self.inputs.positions.shape[0] or edges > self.inputs.center.shape[0]:
            self._capture(padded(graph, int(edges * self.headroom) + 1, self.model.cutoff))
        else:
            for name, value in vars(padded(graph, self.inputs.center.shape[0], self.model.cutoff)).items():
                if isinstance(value, torch.Tensor):
                    getattr(self.inputs, name).copy_(value)
        self.cuda_graph.replay()
        return self.output[:n]

    def _capture(self, inputs: Graph):
        """One pass on a side stream (lazy caches, cuBLAS handles), then record one forward pass on `inputs`."""
        self.cuda_graph = self.output = None  # the old graph's memory goes first
        device = inputs.positions.device
        stream = torch.cuda.Stream(device)
        stream.wait_stream(torch.cuda.current_stream(device))
        with torch.no_grad(), torch.cuda.stream(stream):
            self.model(inputs)
        torch.cuda.current_stream(device).wait_stream(stream)
        self.cuda_graph = torch.cuda.CUDAGraph()
        with torch.no_grad(), torch.cuda.graph(self.cuda_graph):
            self.output = self.model(inputs)
        self.inputs = inputs
        self.captures += 1
