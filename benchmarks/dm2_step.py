"""One denoising step with DM2's own network (an imported checkpoint): ase_dm2 against DM2's way, same run.

DM2's way, measured here as the baseline: ASE's neighbour list (`ase.neighborlist.neighbor_list`, rebuilt
every step) and the network evaluated with e3nn's tensor products as DM2's graphite code does (per-edge
outer products, one FullyConnectedTensorProduct per node). ase_dm2: vesin's compiled neighbour list and the
same network through EdgeConvolution and per-species matrices (outputs equal to float round-off, checked
here). A step is neighbour list + network + the rest (noise, wrapping). Ratios: baseline / ase_dm2.
A second table splits ase_dm2's network call into its parts.
Usage: python benchmarks/dm2_step.py [--sizes 300 3000] [--checkpoint PT] [--threads 1]
"""
import torch
from ase.neighborlist import neighbor_list

from _util import SHARED_DATA, best_time, print_table, size_parser, step_seconds
from ase_dm2 import configure_runtime, load_model
from ase_dm2.build import random_structure
from ase_dm2.graph import build_graph
from ase_dm2.network.species import SpeciesAttributes


def e3nn_forward(model, graph):
    """DM2Network's forward as graphite computes it: e3nn tensor products on node attributes and edges."""
    edge_sh, edge_basis = model.edge_features(graph)
    x = model.init_embed.embed_node_x(graph.species)
    z = model.init_embed.embed_node_z(graph.species)
    shift = model.y_projection(model.y_embed(torch.log10(graph.rate))[graph.batch]) if model.conditional else 0.0
    for layer in model.interactions:
        block = layer.first
        features = block.lin1(x, z)
        messages = block.conv(features[graph.center], edge_sh, block.mlp(edge_basis))  # DM2: from i onto j
        aggregated = torch.zeros(x.shape[0], messages.shape[1]).index_add_(0, graph.neighbor, messages) * block.norm
        mask = block.sc.output_mask
        alpha = (1 - mask) + block.alpha(aggregated, z) * mask
        x = layer.second(block.sc(x, z) + alpha * block.lin2(aggregated, z)) + shift
    return model.out(x, z)


def breakdown(model, graph, repeat) -> list:
    """Where a network call goes, each part timed on its own: edge features, then per layer the radial
    MLP, the rest of the convolution (tensor-product paths, gathers, sums onto atoms) and the node maps
    (per-species matrices) with the gate; the output map. The parts' sum is printed beside the whole call."""
    edge_sh, edge_basis = model.edge_features(graph)
    x = model.init_embed.embed_node_x(graph.species)
    z = SpeciesAttributes(model.init_embed.embed_node_z.weight, graph.species)
    rows = [["edge harmonics + basis", best_time(lambda: model.edge_features(graph), repeat)]]
    for k, layer in enumerate(model.interactions):
        block = layer.first
        features = z.apply(block.lin1, x)
        aggregated = block.convolution(features, edge_sh, edge_basis, block.mlp, graph.center, graph.neighbor)

        def node_maps():
            z.apply(block.lin1, x)
            mixed = z.apply(block.sc, x) + z.apply(block.alpha, aggregated) * z.apply(block.lin2, aggregated)
            layer.second(mixed)

        radial = best_time(lambda: block.mlp(edge_basis), repeat)
        convolution = best_time(lambda: block.convolution(features, edge_sh, edge_basis, block.mlp, graph.center,
                                                          graph.neighbor), repeat)
        rows += [[f"layer {k + 1} radial MLP", radial], [f"layer {k + 1} paths + sums", convolution - radial],
                 [f"layer {k + 1} node maps + gate", best_time(node_maps, repeat)]]
        x = layer.second(block(x, z, graph.center, graph.neighbor, edge_sh, edge_basis))
    rows.append(["output map", best_time(lambda: z.apply(model.out, x), repeat)])
    total = sum(seconds for _, seconds in rows)
    rows.append(["sum of the parts", total])
    rows.append(["whole call", best_time(lambda: model(graph), repeat)])
    return [[name, f"{seconds:.4f}", f"{100 * seconds / total:.0f}"] for name, seconds in rows]


def main():
    parser = size_parser(__doc__)
    parser.add_argument("--checkpoint", default=str(SHARED_DATA / "dm2-checkpoints" / "gen-a-sio2-cond-v1.pt"))
    parser.set_defaults(sizes=[300, 3000])
    args = parser.parse_args()
    configure_runtime(args.threads)
    model = load_model(args.checkpoint).eval()
    rows, parts = [], {}
    for n in args.sizes:
        atoms = random_structure("SiO2", n_atoms=n, density=2.2, seed=0)
        repeat = args.repeat if n <= 3000 else 1
        graph = model.graph([atoms], [1.0])
        with torch.no_grad():
            error = (model(graph) - e3nn_forward(model, graph)).abs().max().item()
            net_ours = best_time(lambda: model(graph), repeat)
            net_base = best_time(lambda: e3nn_forward(model, graph), repeat)
            parts[n] = breakdown(model, graph, repeat)
        nl_ours = best_time(lambda: build_graph([atoms], model.species, model.cutoff, [1.0]), repeat)
        nl_base = best_time(lambda: neighbor_list("ijS", atoms, model.cutoff), repeat)
        total = step_seconds(atoms, model, 1.0, repeat)
        rest = max(total - nl_ours - net_ours, 0.0)
        base_total = nl_base + net_base + rest
        rows.append([n, len(graph.center), f"{nl_base:.4f}", f"{net_base:.3f}", f"{base_total:.3f}",
                     f"{nl_ours:.4f}", f"{net_ours:.3f}", f"{rest:.4f}", f"{total:.3f}",
                     f"{base_total / total:.2f}", f"{error:.1e}"])
    print(f"{args.checkpoint.split('/')[-1]}, {args.threads} thread(s), torch {torch.__version__}; seconds per step")
    print_table(["atoms", "edges", "DM2 nl", "DM2 net", "DM2 step", "nl", "net", "rest", "step", "speed-up",
                 "max |diff| Å"], rows)
    print("per-atom step time, ase_dm2: " + ", ".join(
        f"{r[0]}: {float(r[8]) / r[0] * 1e6:.0f} us" for r in rows))
    for n, table in parts.items():
        print(f"\nase_dm2's network call at {n} atoms, part by part:")
        print_table(["part", "seconds", "% of parts"], table)


if __name__ == "__main__":
    main()
