#!/usr/bin/python3
"""pytorch_model.bin files written by Debian's torch, and malicious pickles, for
tests/unit/test_torch_checkpoint.cpp (which runs this into a temporary folder).

    /usr/bin/python3 tests/torch/make_torch_checkpoints.py OUT_DIR
    /usr/bin/python3 tests/torch/make_torch_checkpoints.py --corpus DIR   (small fuzz seeds)

OUT_DIR gets
  - <format>.bin for each format: torch.save(sd, f) (zip, pickle protocol 2), the same with
    pickle_protocol=4 (FRAME, MEMOIZE, STACK_GLOBAL...), and the legacy stream
    (_use_new_zipfile_serialization=False) at protocols 2 and 4;
  - expected/<i>.npy: each tensor's values as numpy writes them (float32 for every floating
    dtype: float16 and bfloat16 widen exactly, float64 rounds to nearest; int64 for the integer
    dtypes; bool), and manifest.json: the formats, the tensor names in order, their .npy files;
  - evil/*: files whose pickle would run `touch <marker>` (or eval, getattr...) if unpickled, and
    manifest["evil"]: each file, the global or opcode the reader must name, and its marker.
    Each payload is checked here to be real: a copy aimed at another marker, unpickled by
    Python, must create that marker.
Exits 77 when torch or numpy cannot be imported.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

try:
    import numpy as np
    import torch
except Exception:
    print("SKIPPED: torch not available to /usr/bin/python3")
    sys.exit(77)


def bert_like_state_dict():
    """A small BERT-shaped state_dict with every case the reader must rebuild."""
    torch.manual_seed(0)
    sd = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.LayerNorm(8)).state_dict()  # has _metadata
    sd["embeddings.word_embeddings.weight"] = torch.randn(50, 8)
    sd["embeddings.position_embeddings.weight"] = torch.randn(16, 8).half()
    sd["embeddings.token_type_embeddings.weight"] = torch.randn(2, 8).to(torch.bfloat16)
    sd["embeddings.LayerNorm.weight"] = torch.randn(8, dtype=torch.float64)
    # BERT's buffer: arange expanded to [1, L], stride 0 on the first dim.
    sd["embeddings.position_ids"] = torch.arange(16).expand((1, -1))
    sd["embeddings.token_type_ids"] = torch.zeros(1, 16, dtype=torch.int32)
    # A transposed view (strides [1, 8]) and a row of a bigger tensor (storage offset 24).
    sd["encoder.layer.0.attention.self.query.weight"] = torch.randn(8, 6).t()
    big = torch.randn(10, 8)
    sd["encoder.layer.0.attention.self.query.bias"] = big[3]
    sd["encoder.layer.0.attention.self.key.weight"] = big[2:8, 1:7]  # a strided block of the same storage
    # Tied weights: two names, one storage.
    sd["cls.predictions.decoder.weight"] = sd["embeddings.word_embeddings.weight"]
    sd["misc.mask"] = torch.tensor([True, False, True])
    sd["misc.bytes"] = torch.tensor([0, 7, 255], dtype=torch.uint8)
    sd["misc.chars"] = torch.tensor([-128, 5, 127], dtype=torch.int8)
    sd["misc.shorts"] = torch.tensor([-32768, 300, 32767], dtype=torch.int16)
    sd["misc.scalar"] = torch.tensor(2.5)
    sd["misc.empty"] = torch.zeros(0, 3)
    sd["misc.half_specials"] = torch.tensor([float("inf"), -0.0, 6e-8, 65504.0, float("nan")]).half()
    sd["misc.parameter"] = torch.nn.Parameter(torch.randn(4))
    return sd


def expected_array(t):
    t = t.detach()
    if t.dtype.is_floating_point:
        return t.to(torch.float32).contiguous().numpy()
    if t.dtype == torch.bool:
        return t.contiguous().numpy()
    return t.to(torch.int64).contiguous().numpy()


class Shell:
    """Unpickling this runs os.system(command)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class Eval:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


def legacy_stream(main_pickle):
    """A legacy torch.save stream around `main_pickle` (magic, version, sys_info, it, no storages)."""
    f = io.BytesIO()
    pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump({"protocol_version": 1001, "little_endian": True, "type_sizes": {}}, f, protocol=2)
    f.write(main_pickle)
    pickle.dump([], f, protocol=2)
    return f.getvalue()


def zip_archive(main_pickle):
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", main_pickle)
        z.writestr("archive/version", "3\n")
    return f.getvalue()


def make_evil(out):
    """Each entry: the file, what the reader must name, the marker its payload would create."""
    os.makedirs(os.path.join(out, "evil"), exist_ok=True)
    cases = []

    def payloads(marker):
        touch = f"touch {marker}"
        return {
            "os_system.pkl": (pickle.dumps(Shell(touch), protocol=2), "posix.system"),
            # Protocol 2 spells builtins the Python 2 way: the pickle names __builtin__.eval.
            "builtins_eval.pkl": (pickle.dumps(Eval(f"__import__('os').system('{touch}')"), protocol=2),
                                  "__builtin__.eval"),
            # Protocol 4 names its callables with STACK_GLOBAL instead of GLOBAL.
            "os_system_proto4.pkl": (pickle.dumps(Shell(touch), protocol=4), "posix.system"),
            # Python 2's spelling: __builtin__.getattr(__import__('os'), 'system')(...), by hand.
            "builtin_getattr.pkl": (
                b"\x80\x02c__builtin__\ngetattr\nc__builtin__\n__import__\nX\x02\x00\x00\x00os\x85R"
                + b"X\x06\x00\x00\x00system\x86RX" + struct.pack("<I", len(touch)) + touch.encode() + b"\x85R.",
                "__builtin__.getattr"),
        }

    # Check that each payload really runs: the same payload aimed at a control marker.
    control = os.path.join(out, "evil", "control_marker")
    for name, (data, _) in payloads(control).items():
        if os.path.exists(control):
            os.remove(control)
        if name == "builtin_getattr.pkl":
            data = data.replace(b"c__builtin__\n", b"cbuiltins\n")  # Python 3 has no __builtin__
        pickle.loads(data)
        assert os.path.exists(control), f"payload {name} does not run: the test would prove nothing"
        os.remove(control)

    for name in payloads("").keys():
        stem = name[:-4]
        marker = os.path.join(out, "evil", stem + ".marker")
        data, must_name = payloads(marker)[name]
        for kind, blob in [("raw", data), ("zip", zip_archive(data)), ("legacy", legacy_stream(data))]:
            path = os.path.join(out, "evil", f"{stem}.{kind}.bin")
            with open(path, "wb") as f:
                f.write(blob)
            cases.append({"file": path, "names": must_name, "marker": marker})

    # Inside an otherwise real state_dict, written by torch.save itself.
    marker = os.path.join(out, "evil", "state_dict.marker")
    sd = collections.OrderedDict(w=torch.ones(2), evil=Shell(f"touch {marker}"))
    for kind, kwargs in [("zip", {}), ("legacy", {"_use_new_zipfile_serialization": False})]:
        path = os.path.join(out, "evil", f"state_dict_with_payload.{kind}.bin")
        torch.save(sd, path, **kwargs)
        cases.append({"file": path, "names": "posix.system", "marker": marker})
    # numpy arrays in a checkpoint: their reconstruction is a call of a numpy global.
    path = os.path.join(out, "evil", "numpy_array.zip.bin")
    torch.save({"a": np.zeros(3)}, path)
    cases.append({"file": path, "names": "numpy.core.multiarray._reconstruct", "marker": ""})
    # A REDUCE of a global that is allowed as a value only: torch.FloatStorage() is never called.
    path = os.path.join(out, "evil", "storage_call.raw.bin")
    with open(path, "wb") as f:
        f.write(legacy_stream(b"\x80\x02ctorch\nFloatStorage\n)R."))
    cases.append({"file": path, "names": "torch.FloatStorage", "marker": ""})
    # An opcode outside a state_dict's: INST (protocol 0's way of calling a class).
    path = os.path.join(out, "evil", "inst_opcode.raw.bin")
    with open(path, "wb") as f:
        f.write(legacy_stream(b"\x80\x02(ios\nsystem\nX\x04\x00\x00\x00true."))
    cases.append({"file": path, "names": "INST", "marker": ""})
    return cases


def main():
    if sys.argv[1] == "--corpus":
        return make_corpus(sys.argv[2])
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    sd = bert_like_state_dict()
    names = list(sd.keys())
    for i, name in enumerate(names):
        np.save(os.path.join(out, "expected", f"{i}.npy"), expected_array(sd[name]))
    formats = {
        "zip": {},
        "zip_proto4": {"pickle_protocol": 4},
        "legacy": {"_use_new_zipfile_serialization": False},
        "legacy_proto4": {"_use_new_zipfile_serialization": False, "pickle_protocol": 4},
    }
    files = {}
    for fmt, kwargs in formats.items():
        path = os.path.join(out, f"{fmt}.bin")
        torch.save(sd, path, **kwargs)
        # The file must hold what was saved (torch's own reading of it, as a sanity check).
        back = torch.load(path)
        assert list(back.keys()) == names and all(torch.equal(back[n], sd[n]) for n in names
                                                  if not sd[n].is_floating_point() or not sd[n].isnan().any())
        files[fmt] = path
    manifest = {"formats": files, "names": names, "expected": [f"expected/{i}.npy" for i in range(len(names))],
                "evil": make_evil(out), "torch": torch.__version__}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"make_torch_checkpoints: {len(names)} tensors in {len(files)} formats, {len(manifest['evil'])} evil "
          f"files, torch {torch.__version__}")


def make_corpus(folder):
    """Small valid checkpoints in every layout: seeds for tests/fuzz/fuzz_torch_checkpoint.cpp."""
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(1)
    sd = torch.nn.Linear(3, 2).state_dict()
    sd["t"] = torch.randn(3, 2).t()
    sd["h"] = torch.ones(2, dtype=torch.float16)
    sd["b"] = torch.ones(2, dtype=torch.bfloat16)
    sd["ids"] = torch.arange(3).expand((1, -1))
    sd["tied"] = sd["weight"]
    for name, kwargs in [("zip_proto2", {}), ("zip_proto4", {"pickle_protocol": 4}),
                         ("legacy_proto2", {"_use_new_zipfile_serialization": False}),
                         ("legacy_proto4", {"_use_new_zipfile_serialization": False, "pickle_protocol": 4})]:
        torch.save(sd, os.path.join(folder, f"{name}.bin"), **kwargs)
    with open(os.path.join(folder, "evil_os_system.bin"), "wb") as f:
        f.write(zip_archive(pickle.dumps(Shell("true"), protocol=2)))


if __name__ == "__main__":
    main()
