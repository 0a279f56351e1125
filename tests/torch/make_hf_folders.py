"""Hugging Face model folders with random weights, in the exact layout and names transformers'
save_pretrained writes (modeling_bert.py's BertModel / BertForMaskedLM, modeling_vit.py's ViTModel
/ ViTForImageClassification), for the live comparison (hf_compare.py) and the benchmark.

    make_bert_folder(DIR, BertSpec(...))   config.json, model.safetensors, vocab.txt, tokenizer_config.json
    make_vit_folder(DIR, VitSpec(...))     config.json, model.safetensors, preprocessor_config.json

Options cover what real checkpoints vary in: the "bert." / "vit." prefix (with the heads that come
with it: cls.*, pooler.*, classifier.*), F32 / F16 / BF16 tensors, old LayerNorm.gamma/beta names,
an int64 embeddings.position_ids buffer, layer_norm_eps, hidden_act, qkv_bias, odd image sizes.
Weights are random but scaled so that attention is far from uniform.
"""

import collections
import json
import os
import struct

import numpy as np
import torch

# A vocabulary with subwords, accents, CJK, Hangul jamo (what NFD makes of syllables), Greek and
# punctuation; [PAD] deliberately not at id 0.
BASE_VOCAB = [
    "[unused0]", "[UNK]", "[CLS]", "[PAD]", "[SEP]", "[MASK]",
    "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/", ":", ";", "<", "=", ">",
    "?", "@", "[", "\\", "]", "^", "_", "`", "{", "|", "}", "~", "¡", "¿", "«", "»", "—", "…", "。", "、",
    "the", "cat", "sat", "on", "mat", "because", "it", "was", "tired", "a", "dog", "run", "##s", "##ing",
    "##ed", "play", "un", "##believ", "##able", "hello", "world", "cafe", "naive", "resume", "café",
    "naïve", "Hello", "World", "The", "Cat", "##é", "é", "e", "##e", "i", "##i", "istanbul", "οδος",
    "οδοσ", "σ", "ς", "我", "爱", "北", "京", "天", "安", "门", "日", "本", "ᄒ", "##ᅡ", "##ᆫ", "ᄀ",
    "##ᅮ", "##ᆨ", "한", "국", "abc", "ａｂｃ", "1", "2", "3", "##1", "##2", "##3", "12", "x", "##x",
    "q", "##q", "straße", "strasse", "##ß", "ß", "ﬁ", "fi", "##fi", "naïve", "e\u0301", "##ᄀ",
    "control", "chars", "and", "zero", "width", "replacement", "tabs", "new", "lines", "ideographic",
    "spaces", "here", "decomposed", "accents", "emoji", "unknown", "words", "long", "##chars", "😀",
    "👍", "##🏽", "οδυσσευσ", "ΣΑ", "Σ", "Café", "résumé", "İstanbul", "ΟΔΟΣ", "##국", "zx", "##cv",
]


def vocab_words():
    seen = set()
    out = []
    for w in BASE_VOCAB:
        out.append(w)  # a duplicate stays (load_vocab keeps its last line)
        seen.add(w)
    for i in range(40):  # filler words so the vocabulary is not tiny
        out.append("w%d" % i)
    return out


class BertSpec:
    def __init__(self, hidden=64, heads=4, layers=2, intermediate=128, eps=1e-12, act="gelu",
                 max_positions=64, type_vocab=2, prefix=True, dtype="F32", old_norm_names=False,
                 position_ids=True, heads_tensors=True, do_lower_case=True, strip_accents=None,
                 tokenize_chinese_chars=True, model_max_length=512, seed=0, zero_ffn=False):
        self.__dict__.update(locals())
        del self.__dict__["self"]


class VitSpec:
    def __init__(self, hidden=48, heads=4, layers=2, intermediate=96, eps=1e-12, act="gelu",
                 image=(32, 32), patch=8, channels=3, qkv_bias=True, prefix=True, dtype="F32",
                 heads_tensors=True, seed=0, classes=5):
        self.__dict__.update(locals())
        del self.__dict__["self"]


_DTYPES = {
    "F32": (torch.float32, "F32"),
    "F16": (torch.float16, "F16"),
    "BF16": (torch.bfloat16, "BF16"),
    "I64": (torch.int64, "I64"),
}


def write_safetensors(path, tensors):
    """{name: (torch tensor, dtype name)} -> a safetensors file, the header padded to 8 bytes."""
    header = collections.OrderedDict()
    blobs = []
    offset = 0
    for name, (t, dtype) in tensors.items():
        torch_dtype, _ = _DTYPES[dtype]
        t = t.detach().to(torch_dtype).contiguous()
        if dtype == "BF16":
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        elif dtype == "I64":
            raw = t.numpy().astype("<i8").tobytes()
        elif dtype == "F16":
            raw = t.numpy().astype("<f2").tobytes()
        else:
            raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def _gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def _normal(g, shape, std):
    return torch.randn(*shape, generator=g) * std


def _linear(g, out, inp, scale=1.0, bias=True):
    w = _normal(g, (out, inp), scale / inp ** 0.5)
    b = _normal(g, (out,), 0.1) if bias else None
    return w, b


def _norm(g, n):
    return 1.0 + _normal(g, (n,), 0.1), _normal(g, (n,), 0.1)


def _norm_names(base, old):
    return (base + (".gamma" if old else ".weight"), base + (".beta" if old else ".bias"))


def bert_state_dict(spec, vocab_size):
    g = _gen(spec.seed)
    E, I = spec.hidden, spec.intermediate
    sd = collections.OrderedDict()
    sd["embeddings.word_embeddings.weight"] = _normal(g, (vocab_size, E), 1.0)
    sd["embeddings.position_embeddings.weight"] = _normal(g, (spec.max_positions, E), 0.5)
    sd["embeddings.token_type_embeddings.weight"] = _normal(g, (spec.type_vocab, E), 0.5)
    w, b = _norm(g, E)
    n_w, n_b = _norm_names("embeddings.LayerNorm", spec.old_norm_names)
    sd[n_w], sd[n_b] = w, b
    for i in range(spec.layers):
        p = "encoder.layer.%d." % i
        for part, scale in (("query", 2.0), ("key", 2.0), ("value", 1.0)):
            sd[p + "attention.self.%s.weight" % part], sd[p + "attention.self.%s.bias" % part] = _linear(g, E, E, scale)
        sd[p + "attention.output.dense.weight"], sd[p + "attention.output.dense.bias"] = _linear(g, E, E)
        n_w, n_b = _norm_names(p + "attention.output.LayerNorm", spec.old_norm_names)
        sd[n_w], sd[n_b] = _norm(g, E)
        w1, b1 = _linear(g, I, E)
        w2, b2 = _linear(g, E, I)
        if spec.zero_ffn:
            w1, b1, w2, b2 = (torch.zeros_like(t) for t in (w1, b1, w2, b2))
        sd[p + "intermediate.dense.weight"], sd[p + "intermediate.dense.bias"] = w1, b1
        sd[p + "output.dense.weight"], sd[p + "output.dense.bias"] = w2, b2
        n_w, n_b = _norm_names(p + "output.LayerNorm", spec.old_norm_names)
        sd[n_w], sd[n_b] = _norm(g, E)
        if spec.zero_ffn:
            sd[n_w], sd[n_b] = torch.ones(E), torch.zeros(E)
    return sd


def make_bert_folder(folder, spec, vocab=None):
    os.makedirs(folder, exist_ok=True)
    vocab = vocab or vocab_words()
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(w + "\n" for w in vocab))
    vocab_size = len(vocab) + 3  # embeddings with a few rows past vocab.txt, as real ones may have
    pad_id = vocab.index("[PAD]")
    config = {
        "architectures": ["BertForMaskedLM" if spec.prefix else "BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": spec.act,
        "hidden_dropout_prob": 0.1,
        "hidden_size": spec.hidden,
        "initializer_range": 0.02,
        "intermediate_size": spec.intermediate,
        "layer_norm_eps": spec.eps,
        "max_position_embeddings": spec.max_positions,
        "model_type": "bert",
        "num_attention_heads": spec.heads,
        "num_hidden_layers": spec.layers,
        "pad_token_id": pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[spec.dtype],
        "transformers_version": "4.40.0",
        "type_vocab_size": spec.type_vocab,
        "use_cache": True,
        "vocab_size": vocab_size,
    }
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tok = {
        "clean_up_tokenization_spaces": True,
        "cls_token": "[CLS]",
        "do_basic_tokenize": True,
        "do_lower_case": spec.do_lower_case,
        "mask_token": "[MASK]",
        "model_max_length": spec.model_max_length,
        "never_split": None,
        "pad_token": "[PAD]",
        "sep_token": "[SEP]",
        "strip_accents": spec.strip_accents,
        "tokenize_chinese_chars": spec.tokenize_chinese_chars,
        "tokenizer_class": "BertTokenizer",
        "unk_token": "[UNK]",
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(tok, f, indent=2)

    sd = bert_state_dict(spec, vocab_size)
    prefix = "bert." if spec.prefix else ""
    out = collections.OrderedDict()
    if spec.position_ids:
        out[prefix + "embeddings.position_ids"] = (torch.arange(spec.max_positions)[None, :], "I64")
    for k, v in sd.items():
        out[prefix + k] = (v, spec.dtype)
    if spec.heads_tensors:
        g = _gen(spec.seed + 1000)
        out[prefix + "pooler.dense.weight"] = (_normal(g, (spec.hidden, spec.hidden), 0.02), spec.dtype)
        out[prefix + "pooler.dense.bias"] = (torch.zeros(spec.hidden), spec.dtype)
        if spec.prefix:
            out["cls.predictions.bias"] = (torch.zeros(vocab_size), spec.dtype)
            out["cls.predictions.transform.dense.weight"] = (_normal(g, (spec.hidden, spec.hidden), 0.02), spec.dtype)
            out["cls.predictions.transform.LayerNorm.weight"] = (torch.ones(spec.hidden), spec.dtype)
    write_safetensors(os.path.join(folder, "model.safetensors"), out)
    return folder


def vit_state_dict(spec):
    g = _gen(spec.seed)
    E, I = spec.hidden, spec.intermediate
    ph = pw = spec.patch
    patches = (spec.image[0] // ph) * (spec.image[1] // pw)
    sd = collections.OrderedDict()
    sd["embeddings.cls_token"] = _normal(g, (1, 1, E), 1.0)
    sd["embeddings.position_embeddings"] = _normal(g, (1, patches + 1, E), 0.5)
    sd["embeddings.patch_embeddings.projection.weight"] = _normal(g, (E, spec.channels, ph, pw),
                                                                  1.0 / (spec.channels * ph * pw) ** 0.5)
    sd["embeddings.patch_embeddings.projection.bias"] = _normal(g, (E,), 0.1)
    for i in range(spec.layers):
        p = "encoder.layer.%d." % i
        sd[p + "layernorm_before.weight"], sd[p + "layernorm_before.bias"] = _norm(g, E)
        for part, scale in (("query", 2.0), ("key", 2.0), ("value", 1.0)):
            w, b = _linear(g, E, E, scale, bias=spec.qkv_bias)
            sd[p + "attention.attention.%s.weight" % part] = w
            if spec.qkv_bias:
                sd[p + "attention.attention.%s.bias" % part] = b
        sd[p + "attention.output.dense.weight"], sd[p + "attention.output.dense.bias"] = _linear(g, E, E)
        sd[p + "layernorm_after.weight"], sd[p + "layernorm_after.bias"] = _norm(g, E)
        sd[p + "intermediate.dense.weight"], sd[p + "intermediate.dense.bias"] = _linear(g, I, E)
        sd[p + "output.dense.weight"], sd[p + "output.dense.bias"] = _linear(g, E, I)
    sd["layernorm.weight"], sd["layernorm.bias"] = _norm(g, E)
    return sd


def make_vit_folder(folder, spec):
    os.makedirs(folder, exist_ok=True)
    image = spec.image[0] if spec.image[0] == spec.image[1] else list(spec.image)
    config = {
        "architectures": ["ViTForImageClassification" if spec.prefix else "ViTModel"],
        "attention_probs_dropout_prob": 0.0,
        "encoder_stride": spec.patch,
        "hidden_act": spec.act,
        "hidden_dropout_prob": 0.0,
        "hidden_size": spec.hidden,
        "image_size": image,
        "initializer_range": 0.02,
        "intermediate_size": spec.intermediate,
        "layer_norm_eps": spec.eps,
        "model_type": "vit",
        "num_attention_heads": spec.heads,
        "num_channels": spec.channels,
        "num_hidden_layers": spec.layers,
        "patch_size": spec.patch,
        "qkv_bias": spec.qkv_bias,
        "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[spec.dtype],
        "transformers_version": "4.40.0",
    }
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    pre = {
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.485, 0.456, 0.406],
        "image_processor_type": "ViTImageProcessor",
        "image_std": [0.229, 0.224, 0.225],
        "resample": 2,
        "rescale_factor": 0.00392156862745098,
        "size": {"height": spec.image[0], "width": spec.image[1]},
    }
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2)
    sd = vit_state_dict(spec)
    prefix = "vit." if spec.prefix else ""
    out = collections.OrderedDict((prefix + k, (v, spec.dtype)) for k, v in sd.items())
    if spec.heads_tensors:
        g = _gen(spec.seed + 1000)
        if spec.prefix:
            out["classifier.weight"] = (_normal(g, (spec.classes, spec.hidden), 0.02), spec.dtype)
            out["classifier.bias"] = (torch.zeros(spec.classes), spec.dtype)
        else:
            out["pooler.dense.weight"] = (_normal(g, (spec.hidden, spec.hidden), 0.02), spec.dtype)
            out["pooler.dense.bias"] = (torch.zeros(spec.hidden), spec.dtype)
    write_safetensors(os.path.join(folder, "model.safetensors"), out)
    return folder
