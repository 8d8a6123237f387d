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


def with_dummy(tensor: torch.Tensor) -> torch.Tensor:
    """Atom rows plus the dummy atom's, a copy of atom 0's."""
    return torch.cat([tensor, tensor[:1]])


def write_dummy_edges(center: torch.Tensor, neighbor: torch.Tensor, offsets: torch.Tensor, dummy: int,
                      cutoff: float) -> None:
    """Fills edge buffers (or their unused rows) with self-edges of atom `dummy`, 2 cutoffs long: scalar fills,
    nothing copied from the host."""
    center.fill_(dummy)
    neighbor.fill_(dummy)
    offsets.zero_()
    offsets[:, 0] = 2.0 * cutoff


def padded(graph: Graph, capacity: int, cutoff: float) -> Graph:
    """`graph` plus a dummy atom (index N, a copy of atom 0) and self-edges of it, 2 cutoffs long, up to `capacity`."""
    edges = graph.center.shape[0]
    if edges > capacity:
        raise ValueError(f"{edges} edges do not fit a capacity of {capacity}")

    def room(tensor):
        return tensor.new_empty((capacity, *tensor.shape[1:]))

    # species, batch and rates are fixed for one batch of structures: written here once, not by fill
    out = replace(graph, species=with_dummy(graph.species), positions=with_dummy(graph.positions),
                  batch=with_dummy(graph.batch), center=room(graph.center), neighbor=room(graph.neighbor),
                  offsets=room(graph.offsets), rate=None if graph.rate is None else graph.rate.clone(),
                  sigma=None if graph.sigma is None else graph.sigma.clone())
    fill(out, graph, cutoff)
    return out


def fill(target: Graph, graph: Graph, cutoff: float) -> None:
    """Writes what changes between steps of one batch into the padded `target` in place: positions, noise levels,
    then the edges followed by dummy self-edges. Species, batch and rates are the batch's own and stay as padded
    wrote them.

    The dummy atom's own row is left as it is: its edge vectors are the fixed offsets whatever its position.
    """
    n, edges = graph.positions.shape[0], graph.center.shape[0]
    target.positions[:n].copy_(graph.positions)
    if graph.sigma is not None:
        target.sigma.copy_(graph.sigma)
    for name in ("center", "neighbor", "offsets"):
        getattr(target, name)[:edges].copy_(getattr(graph, name))
    write_dummy_edges(target.center[edges:], target.neighbor[edges:], target.offsets[edges:], n, cutoff)


class ReplayedModel:
    """`model` on the graphs of one batch of structures through a CUDA graph: positions and edges may change.

    The output is the graph's own buffer, valid until the next call. Padded edges cost GPU time at every step
    (with 20 % room an H200 spent 36 % more GPU time on a step than op by op) and a capture costs about two
    steps, so `headroom` is small: on an H100 a 3,000-atom step took 3.33 ms with 5 % room and 3.20 ms with 2 %,
    and a 3,000-step sample was captured once either way.
    """

    def __init__(self, model, headroom: float = 1.02):
        self.model, self.headroom = model, headroom
        self.cuda_graph = self.inputs = self.output = None
        self.captures = 0

    def __call__(self, graph: Graph) -> torch.Tensor:
        n, edges = graph.positions.shape[0], graph.center.shape[0]
        if self.inputs is None or n + 1 != self.inputs.positions.shape[0] or edges > self.inputs.center.shape[0]:
            self._capture(padded(graph, int(edges * self.headroom) + 1, self.model.cutoff))
        else:
            fill(self.inputs, graph, self.model.cutoff)  # into the captured inputs: no padded copy each step
        self.cuda_graph.replay()
        return self.output[:n]

    def _capture(self, inputs: Graph):
        self.cuda_graph = self.output = None  # the old graph's memory goes first
        self.cuda_graph, self.output = record(lambda: self.model(inputs), inputs.positions.device)
        self.inputs = inputs
        self.captures += 1


def record(function, device) -> tuple:
    """`function()` run once on a side stream (lazy caches, cuBLAS handles), then recorded as a CUDA graph:
    (graph, output). Replaying the graph rewrites the output; the graph reads its inputs where they were."""
    stream = torch.cuda.Stream(device)
    stream.wait_stream(torch.cuda.current_stream(device))
    with torch.no_grad(), torch.cuda.stream(stream):
        function()
    torch.cuda.current_stream(device).wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.no_grad(), torch.cuda.graph(graph):
        output = function()
    return graph, output
