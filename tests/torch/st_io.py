"""Minimal safetensors reading and writing with numpy (no `safetensors` package here).

Format (https://github.com/huggingface/safetensors, "Format"):
  8 bytes     N, little-endian unsigned 64-bit: the length of the header
  N bytes     JSON: {name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
                     "__metadata__": {str: str}}  (optional metadata)
  rest        the tensors' bytes, little-endian, C order; offsets are relative to the start of
              this data block.
Writing: F32 only (the header is padded with spaces to a multiple of 8 bytes, as the reference
implementation does, so the data starts aligned). Reading: F32, F16, BF16 and F64.
"""

import collections
import json
import struct

import numpy as np

# dtype name -> (numpy dtype of the stored bytes, bytes per element)
_READ_DTYPES = {
    "F32": (np.dtype("<f4"), 4),
    "F16": (np.dtype("<f2"), 2),
    "BF16": (np.dtype("<u2"), 2),  # numpy has no bfloat16: widened to float32 below
    "F64": (np.dtype("<f8"), 8),
}


class SafetensorsError(ValueError):
    pass


def _to_numpy_f32(value):
    if hasattr(value, "detach"):  # a torch.Tensor; avoid importing torch here
        value = value.detach().cpu().contiguous().numpy()
    # np.array, not np.ascontiguousarray, which turns a 0-d scalar into shape (1,).
    return np.array(value, dtype=np.float32, order="C")


def encode(tensors, metadata=None):
    """bytes of a safetensors file holding `tensors` ({name: array or torch.Tensor}) as F32,
    in the dict's order."""
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        if name == "__metadata__":
            raise SafetensorsError("'__metadata__' is not a valid tensor name")
        arr = _to_numpy_f32(value)
        raw = arr.astype("<f4", copy=False).tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def save(path, tensors, metadata=None):
    """Writes `tensors` ({name: numpy array or torch.Tensor}) as F32 to `path`."""
    data = encode(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)


def decode(data, name="<bytes>"):
    """(OrderedDict name -> numpy array, metadata dict) from safetensors bytes.

    Tensors come back in the order of their data offsets. F32/F16/F64 keep their precision
    (float32/float16/float64); BF16 becomes float32 (exactly: bf16 is the top half of an f32).
    """
    if len(data) < 8:
        raise SafetensorsError("%s: %d bytes, too short for the 8-byte header length" % (name, len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise SafetensorsError("%s: header length %d runs past the end of the file (%d bytes)"
                               % (name, n, len(data)))
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SafetensorsError("%s: header is not valid JSON: %s" % (name, e))
    if not isinstance(header, dict):
        raise SafetensorsError("%s: header is not a JSON object" % name)
    body = data[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    entries = []
    for tname, info in header.items():
        try:
            dtype = info["dtype"]
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise SafetensorsError("%s: tensor %r: malformed entry %r" % (name, tname, info))
        if dtype not in _READ_DTYPES:
            raise SafetensorsError("%s: tensor %r has dtype %s; supported: %s"
                                   % (name, tname, dtype, ", ".join(_READ_DTYPES)))
        np_dtype, size = _READ_DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if any(d < 0 for d in shape) or not 0 <= begin <= end <= len(body) or end - begin != count * size:
            raise SafetensorsError("%s: tensor %r %s %s: data_offsets [%d, %d] do not fit (%d data bytes)"
                                   % (name, tname, dtype, shape, begin, end, len(body)))
        if count == 0:
            arr = np.zeros(shape, dtype=np_dtype)
        else:
            arr = np.frombuffer(body, dtype=np_dtype, count=count, offset=begin).reshape(shape)
        if dtype == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        entries.append((begin, tname, arr.copy()))
    entries.sort(key=lambda e: e[0])
    return collections.OrderedDict((t, a) for _, t, a in entries), metadata


def load(path):
    """(OrderedDict name -> numpy array, metadata dict) from the file at `path`."""
    with open(path, "rb") as f:
        data = f.read()
    return decode(data, path)


def load_torch(path, dtype=None):
    """The file's tensors as an OrderedDict of torch tensors (for load_state_dict)."""
    import torch

    tensors, _ = load(path)
    out = collections.OrderedDict()
    for k, v in tensors.items():
        t = torch.from_numpy(np.ascontiguousarray(v))
        out[k] = t.to(dtype) if dtype is not None else t
    return out
