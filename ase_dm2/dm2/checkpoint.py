"""Reading DM2's pickled checkpoints without running any of their code.

A DM2 file is `torch.save(model)` of whole graphite/e3nn modules. A restricted
unpickler rebuilds only tensors and plain containers: every class the file
names must be on an allow-list and is replaced by an inert stand-in that just
records its constructor arguments and state; nothing is imported from graphite
or e3nn, no embedded TorchScript is compiled, and any other global makes
reading stop with an error.
"""
import collections
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

ROOT_CLASSES = {
    "graphite.nn.models.e3nn_nequip.NequIP_CoolingRateEmbed": True,  # conditional
    "graphite.nn.models.e3nn_nequip.NequIP": False,
}
INERT_CLASSES = set(ROOT_CLASSES) | {
    "__main__.InitialEmbedding",
    "builtins.getattr",
    "e3nn.math._normalize_activation.normalize2mom",
    "e3nn.nn._activation.Activation",
    "e3nn.nn._extract.Extract",
    "e3nn.nn._fc.FullyConnectedNet",
    "e3nn.nn._fc._Layer",
    "e3nn.nn._gate.Gate",
    "e3nn.nn._gate._Sortcut",
    "e3nn.o3._irreps.Irrep",
    "e3nn.o3._irreps.Irreps",
    "e3nn.o3._irreps._MulIr",
    "e3nn.o3._tensor_product._instruction.Instruction",
    "e3nn.o3._tensor_product._sub.ElementwiseTensorProduct",
    "e3nn.o3._tensor_product._sub.FullyConnectedTensorProduct",
    "e3nn.o3._tensor_product._tensor_product.TensorProduct",
    "functools.partial",
    "graphite.nn.basis.bessel",
    "graphite.nn.conv.e3nn_nequip.Interaction",
    "graphite.nn.models.e3nn_nequip.Compose",
    "graphite.nn.models.e3nn_nequip.GaussianBasisEmbedding",
    "torch._C._VariableFunctionsClass",
    "torch.nn.functional.silu",
    "torch.nn.modules.activation.SiLU",
    "torch.nn.modules.activation.Softplus",
    "torch.nn.modules.container.ModuleList",
    "torch.nn.modules.container.Sequential",
    "torch.nn.modules.linear.Linear",
    "torch.nn.modules.sparse.Embedding",
}
STORAGE_DTYPES = {"torch.FloatStorage": torch.float32, "torch.DoubleStorage": torch.float64,
                  "torch.LongStorage": torch.int64, "torch.IntStorage": torch.int32}


class DM2CheckpointError(ValueError):
    """The file is not a DM2 checkpoint this importer understands; nothing in it was executed."""


class Inert:
    """Stand-in for a pickled object: keeps its class name, constructor arguments and state."""

    qualname = "?"

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.args, self.state = args, None
        return self

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.state = state

    def __repr__(self):
        return f"<inert {self.qualname}>"


def _inert_class(qualname: str) -> type:
    return type(qualname.rsplit(".", 1)[-1], (Inert,), {"qualname": qualname})


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    return torch.as_strided(storage, size, stride, offset).clone()


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data


def _encode(text, encoding="latin1"):
    if encoding != "latin1":
        raise DM2CheckpointError(f"unexpected byte encoding {encoding!r}")
    return text.encode("latin1")


SAFE_CALLABLES = {
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "collections.OrderedDict": collections.OrderedDict,
    "builtins.set": set,
    "_codecs.encode": _encode,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, prefix: str, path):
        super().__init__(file)
        self.archive, self.prefix, self.path = archive, prefix, path

    def find_class(self, module, name):
        qualname = f"{'builtins' if module == '__builtin__' else module}.{name}"
        if qualname in SAFE_CALLABLES:
            return SAFE_CALLABLES[qualname]
        if qualname in STORAGE_DTYPES:
            return STORAGE_DTYPES[qualname]
        if qualname in INERT_CLASSES:
            return _inert_class(qualname)
        raise DM2CheckpointError(
            f"{self.path}: unexpected class {qualname} in the checkpoint; refusing to go on (nothing was executed)"
        )

    def persistent_load(self, saved_id):
        kind, dtype, key, _location, numel = saved_id
        if kind != "storage" or not isinstance(dtype, torch.dtype):
            raise DM2CheckpointError(f"{self.path}: unexpected storage record {saved_id[:2]}")
        raw = self.archive.read(f"{self.prefix}/data/{key}")
        itemsize = torch.empty((), dtype=dtype).element_size()
        if len(raw) != numel * itemsize:
            raise DM2CheckpointError(f"{self.path}: storage {key} has {len(raw)} bytes, expected {numel * itemsize}")
        return torch.from_numpy(np.frombuffer(raw, dtype=torch.empty((), dtype=dtype).numpy().dtype).copy())


def read_checkpoint(path):
    """(root Inert object, state dict of tensors) of a DM2 checkpoint file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise DM2CheckpointError(f"{path} is not a DM2 checkpoint (not a torch zip archive)") from error
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise DM2CheckpointError(f"{path} is not a DM2 checkpoint (no single data.pkl in the archive)")
        prefix = pickles[0][: -len("/data.pkl")]
        with archive.open(pickles[0]) as f:
            try:
                root = _Unpickler(f, archive, prefix, path).load()
            except DM2CheckpointError:
                raise
            except Exception as error:
                raise DM2CheckpointError(
                    f"{path}: cannot read the checkpoint ({type(error).__name__}: {error})"
                ) from error
    if not isinstance(root, Inert) or root.qualname not in ROOT_CLASSES:
        found = getattr(root, "qualname", type(root).__name__)
        raise DM2CheckpointError(f"{path} holds {found}, not a DM2 NequIP model")
    return root, module_state_dict(root)


def module_state_dict(module: Inert, prefix: str = "") -> dict:
    """The state dict a torch module pickled as `module` would have."""
    state = module.state if isinstance(module.state, dict) else {}
    tensors = {}
    skip = state.get("_non_persistent_buffers_set", set())
    for group in ("_parameters", "_buffers"):
        for name, value in (state.get(group) or {}).items():
            if value is not None and name not in skip:
                tensors[prefix + name] = value
    for name, child in (state.get("_modules") or {}).items():
        if isinstance(child, Inert):
            tensors.update(module_state_dict(child, f"{prefix}{name}."))
    return tensors


def irreps_string(irreps: Inert) -> str:
    """'64x0e+32x1e' from a pickled e3nn Irreps (tuple of (mul, (l, p)))."""
    def items(obj):  # a pickled tuple subclass is rebuilt as cls.__new__(cls, tuple_of_items)
        return obj.args[0] if isinstance(obj, Inert) else obj

    terms = []
    for mul_ir in items(irreps):
        mul, ir = items(mul_ir)
        degree, parity = items(ir)
        terms.append(f"{mul}x{degree}{'e' if parity == 1 else 'o'}")
    return "+".join(terms)
