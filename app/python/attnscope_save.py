"""Save any model's attention for attnscope: `attnscope --attentions FILE` opens what this writes.

transformers hands out every layer's attention with output_attentions=True (GPT-2, RoBERTa, LLaMA,
CLIP, ViT, your own model...). save() writes that tuple, the tokens and the mask into one
.safetensors file in the format core/maps/attentions_file.h reads:

    import sys; sys.path.append("/usr/share/attnscope/python")   # PREFIX/share/attnscope/python
    import attnscope_save
    out = model(**enc, output_attentions=True)
    attnscope_save.save("cat.safetensors", out.attentions,
                        [tok.convert_ids_to_tokens(ids) for ids in enc["input_ids"]],
                        attention_mask=enc["attention_mask"], model="gpt2")

It needs only numpy; torch tensors are taken as they come (on any device, in any float dtype) but
torch is never imported. The safetensors format is written here (an 8-byte little-endian header
length, the header JSON, then the raw little-endian bytes), so the safetensors package is not
needed either. The file is written to a temporary name beside it and renamed: it is there whole
or not at all.
"""
import json
import os
import struct
import tempfile

import numpy as np

__all__ = ["save"]

_DTYPES = {"float32": ("F32", "<f4"), "float16": ("F16", "<f2"), "bfloat16": ("BF16", None)}


def _to_numpy(x, what):
    """A torch tensor (any device, any float dtype), a numpy array or nested lists -> numpy."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch.Tensor, without importing torch
        x = x.detach().cpu()
        if hasattr(x, "is_floating_point") and x.is_floating_point():
            x = x.float()  # bfloat16 has no numpy dtype
        return x.numpy()
    try:
        return np.asarray(x)
    except Exception as e:  # noqa: BLE001 - a clear message for anything numpy refuses
        raise TypeError("%s: cannot be read as an array (%s)" % (what, e)) from None


def _stack_layers(attentions):
    """transformers' tuple of per-layer [b, heads, Lq, Lk] tensors, or one [layers, b, heads, Lq, Lk]."""
    if isinstance(attentions, (tuple, list)):
        if not attentions:
            raise ValueError("attentions: an empty tuple (was the model called with output_attentions=True?)")
        for i, a in enumerate(attentions):
            if a is None:  # transformers' SDPA and flash attention give no weights
                raise ValueError("attentions[%d] is None: load the model with attn_implementation=\"eager\" "
                                 "to get its attention weights" % i)
        layers = [_to_numpy(a, "attentions[%d]" % i) for i, a in enumerate(attentions)]
        for i, a in enumerate(layers):
            if a.ndim != 4:
                raise ValueError("attentions[%d]: expected [b, heads, Lq, Lk] (rank 4), got shape %s"
                                 % (i, list(a.shape)))
            if a.shape != layers[0].shape:
                raise ValueError("attentions[%d]: shape %s differs from layer 0's %s"
                                 % (i, list(a.shape), list(layers[0].shape)))
        return np.stack(layers).astype(np.float32, copy=False)
    a = _to_numpy(attentions, "attentions")
    if a.ndim == 4:
        a = a[None]
    if a.ndim != 5:
        raise ValueError("attentions: expected a tuple of [b, heads, Lq, Lk] per layer or one "
                         "[layers, b, heads, Lq, Lk], got shape %s" % list(a.shape))
    return a.astype(np.float32, copy=False)


def _token_lists(tokens, batches, count, name, axis):
    """Per batch item, `count` strings; a flat list stands for batch 1."""
    if isinstance(tokens, str):
        raise TypeError("%s: expected a list of tokens per batch item, got one string" % name)
    tokens = list(tokens)
    if tokens and isinstance(tokens[0], str):
        tokens = [tokens]
    if len(tokens) != batches:
        raise ValueError("%s: %d token lists for %d batch items" % (name, len(tokens), batches))
    out = []
    for b, row in enumerate(tokens):
        row = [str(t) for t in row]
        if len(row) != count:
            raise ValueError("%s[%d]: %d tokens, but the attention has %s = %d" % (name, b, len(row), axis, count))
        out.append(row)
    return out


def _bf16_bytes(a):
    """float32 -> bfloat16, rounded to nearest even, as little-endian bytes."""
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(a.reshape(-1))
    out = rounded.astype("<u2").reshape(-1)
    out[nan] = 0x7FC0
    return out.tobytes()


def _write_atomically(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".attnscope-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)  # mkstemp makes the file 0600: give it the mode a plain open() would
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save(path, attentions, tokens=None, attention_mask=None, query_tokens=None, image=None,
         patch_grid=None, prefix_tokens=None, model=None, dtype="float32"):
    """Write `attentions` for `attnscope --attentions path` / `attnscope-cli run --attentions path`.

    attentions      transformers' output_attentions: a tuple of [b, heads, Lq, Lk] per layer (torch
                    tensors or numpy arrays), or one array [layers, b, heads, Lq, Lk].
    tokens          per batch item, its Lk key tokens (tokenizer.convert_ids_to_tokens); a flat list
                    for one item. May be left out for patch tokens (patch_grid).
    attention_mask  [b, Lk], 1 = token, 0 = padding (the tokenizer's own), saved as int64.
    query_tokens    per batch item, the Lq query tokens, when they are not the keys (cross-attention).
    image           a picture the patches cover (ViT): its path, stored relative to `path`.
    patch_grid      (rows, cols) or "14x14": the keys after prefix_tokens are that grid of patches.
    prefix_tokens   tokens before the patches (1 for [CLS]); default Lk - rows * cols.
    model           the model's name, shown in the window.
    dtype           "float32" (exact), "float16" or "bfloat16" (half the size).
    Raises ValueError / TypeError naming what does not fit; writes nothing then.
    """
    a = _stack_layers(attentions)
    layers, batches, heads, lq, lk = (int(d) for d in a.shape)
    if min(a.shape) < 1:
        raise ValueError("attentions: shape %s has an empty axis" % list(a.shape))
    if dtype not in _DTYPES:
        raise ValueError("dtype: one of %s, got %r" % (", ".join(_DTYPES), dtype))
    meta = {"format": "attnscope-attentions 1"}
    if model is not None:
        meta["model"] = str(model)
    grid = None
    if patch_grid is not None:
        if isinstance(patch_grid, str):
            rows, _, cols = patch_grid.partition("x")
            grid = (int(rows), int(cols))
        else:
            grid = tuple(int(v) for v in patch_grid)
        if len(grid) != 2 or min(grid) < 1:
            raise ValueError("patch_grid: (rows, cols) with positive sides, got %r" % (patch_grid,))
        prefix = lk - grid[0] * grid[1] if prefix_tokens is None else int(prefix_tokens)
        if prefix < 0 or prefix + grid[0] * grid[1] != lk:
            raise ValueError("patch_grid %dx%d with %d prefix token(s) makes %d tokens, but Lk = %d"
                             % (grid[0], grid[1], prefix, prefix + grid[0] * grid[1], lk))
        meta["patch_grid"] = "%dx%d" % grid
        meta["prefix_tokens"] = str(prefix)
    elif prefix_tokens is not None:
        raise ValueError("prefix_tokens goes with patch_grid")
    if tokens is not None:
        meta["tokens"] = json.dumps(_token_lists(tokens, batches, lk, "tokens", "Lk"), ensure_ascii=False)
    elif grid is None:
        raise ValueError("tokens: needed for text (per batch item, its %d key tokens)" % lk)
    if query_tokens is not None:
        meta["query_tokens"] = json.dumps(_token_lists(query_tokens, batches, lq, "query_tokens", "Lq"),
                                          ensure_ascii=False)
    elif lq != lk:
        raise ValueError("query_tokens: needed when queries (Lq = %d) are not the keys (Lk = %d)" % (lq, lk))
    if image is not None:
        if grid is None:
            raise ValueError("image goes with patch_grid (maps over a picture are drawn for patch tokens)")
        if not os.path.isfile(image):
            raise ValueError("image: %s is not a file" % image)
        meta["image"] = os.path.relpath(os.path.abspath(image), os.path.dirname(os.path.abspath(path)))

    tensors = []
    code, little = _DTYPES[dtype]
    data = _bf16_bytes(a) if code == "BF16" else np.ascontiguousarray(a, dtype=little).tobytes()
    tensors.append(("attentions", code, [layers, batches, heads, lq, lk], data))
    if attention_mask is not None:
        m = _to_numpy(attention_mask, "attention_mask")
        if m.shape != (batches, lk):
            raise ValueError("attention_mask: expected [b, Lk] = [%d, %d], got %s" % (batches, lk, list(m.shape)))
        if not np.isin(m, (0, 1)).all():
            raise ValueError("attention_mask: expected 1 (token) and 0 (padding) only")
        tensors.append(("attention_mask", "I64", [batches, lk], np.ascontiguousarray(m, dtype="<i8").tobytes()))

    header, offset = {"__metadata__": meta}, 0
    for name, code, shape, data in tensors:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data 8-byte aligned, as the safetensors writer does
    _write_atomically(path, b"".join([struct.pack("<Q", len(text)), text] + [t[3] for t in tensors]))
    return path
