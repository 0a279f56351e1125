"""BERT and ViT in PyTorch, written from transformers' equations (modeling_bert.py: BertEmbeddings,
BertSelfAttention, BertSelfOutput, BertIntermediate, BertOutput, BertModel.get_extended_attention_mask;
modeling_vit.py: ViTEmbeddings, ViTPatchEmbeddings, ViTSelfAttention, ViTLayer, ViTModel) without
the transformers package, which Debian does not have. Reads a Hugging Face folder's config.json
and model.safetensors (F32, F16, BF16; integer buffers skipped), with or without the "bert." /
"vit." prefix, old LayerNorm.gamma/beta names renamed as transformers renames them.

    model = load(DIR)                          # BertReference or VitReference
    out = model.forward(input_ids, attention_mask)     # BERT
    out = model.forward(pixel_values)                  # ViT
    out["last_hidden_state"], out["attentions"] (one [b, heads, L, L] per layer),
    out["value_norms"] (one [b, heads, L] per layer), out["layers"] (every intermediate)
"""

import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

_NP = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"), "F64": np.dtype("<f8")}


def read_safetensors(path):
    """{name: float32 torch tensor} for the float tensors; integer tensors (buffers) are skipped."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if info["dtype"] not in _NP:
            continue
        begin, end = info["data_offsets"]
        arr = np.frombuffer(body[begin:end], dtype=_NP[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


def read_checkpoint(folder):
    """model.safetensors, else pytorch_model.bin (through torch.load: these are files the tests
    wrote themselves)."""
    path = os.path.join(folder, "model.safetensors")
    if os.path.exists(path):
        return read_safetensors(path)
    sd = torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu")
    return {k: v.to(torch.float32) for k, v in sd.items() if v.is_floating_point()}


def state_dict(folder, prefix):
    raw = read_checkpoint(folder)
    prefixed = any(k.startswith(prefix + "embeddings.") for k in raw)
    sd = {}
    for k, v in raw.items():
        if prefixed:
            if not k.startswith(prefix):
                continue  # the task heads: cls.*, classifier.*
            k = k[len(prefix):]
        # modeling_utils' _fix_key: the names of TensorFlow-era LayerNorms.
        if k.endswith(".gamma"):
            k = k[:-6] + ".weight"
        elif k.endswith(".beta"):
            k = k[:-5] + ".bias"
        sd[k] = v
    return sd


def activation(name):
    if name in ("gelu", "gelu_python"):
        return lambda x: F.gelu(x)
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "relu":
        return F.relu
    if name in ("silu", "swish"):
        return F.silu
    raise ValueError("hidden_act %r" % name)


class _Encoder:
    """What both families share: the self-attention and the FFN of one layer."""

    def __init__(self, config, sd, attention_prefix):
        self.c = config
        self.sd = sd
        self.E = config["hidden_size"]
        self.H = config["num_attention_heads"]
        self.D = self.E // self.H
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.act = activation(config.get("hidden_act", "gelu"))
        self.attention_prefix = attention_prefix  # "attention.self" (BERT), "attention.attention" (ViT)

    def linear(self, x, name):
        return F.linear(x, self.sd[name + ".weight"], self.sd.get(name + ".bias"))

    def norm(self, x, name):
        return F.layer_norm(x, (self.E,), self.sd[name + ".weight"], self.sd[name + ".bias"], self.eps)

    def transpose_for_scores(self, x):
        b, L, _ = x.shape
        return x.view(b, L, self.H, self.D).permute(0, 2, 1, 3)

    def self_attention(self, p, hidden_states, extended_mask, keep, lean=False):
        a = p + self.attention_prefix + "."
        query_layer = self.transpose_for_scores(self.linear(hidden_states, a + "query"))
        key_layer = self.transpose_for_scores(self.linear(hidden_states, a + "key"))
        value_layer = self.transpose_for_scores(self.linear(hidden_states, a + "value"))
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        keep["scores"] = attention_scores
        attention_scores = attention_scores / math.sqrt(self.D)
        keep["scaled"] = attention_scores
        if extended_mask is not None:
            attention_scores = attention_scores + extended_mask
            keep["masked"] = attention_scores
        attention_probs = F.softmax(attention_scores, dim=-1)
        context = torch.matmul(attention_probs, value_layer)
        keep["context"] = context
        context = context.permute(0, 2, 1, 3).contiguous().view(hidden_states.shape[0], -1, self.E)
        if lean:
            return context, attention_probs
        keep.update(q=query_layer, k=key_layer, v=value_layer, probs=attention_probs, merged=context)
        # ||v_j^h W_O[:, h]^T|| per head and position (Kobayashi et al. 2020), the bias left out.
        W = self.sd[p + "attention.output.dense.weight"]  # [E, E]
        norms = []
        for h in range(self.H):
            f = value_layer[:, h] @ W[:, h * self.D:(h + 1) * self.D].t()  # [b, L, E]
            norms.append(f.norm(dim=-1))
        keep["value_norms"] = torch.stack(norms, dim=1)
        return context, attention_probs


class BertReference(_Encoder):
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        super().__init__(config, state_dict(folder, "bert."), "attention.self")
        self.layers = config["num_hidden_layers"]

    @torch.no_grad()
    def forward(self, input_ids, attention_mask, lean=False):
        """lean: only what BertModel(output_attentions=True) returns (for the benchmark)."""
        input_ids = torch.as_tensor(input_ids, dtype=torch.long)
        attention_mask = torch.as_tensor(attention_mask, dtype=torch.long)
        b, L = input_ids.shape
        sd = self.sd
        token_type_ids = torch.zeros_like(input_ids)
        position_ids = torch.arange(L)[None, :]
        inputs_embeds = F.embedding(input_ids, sd["embeddings.word_embeddings.weight"])
        token_type_embeddings = F.embedding(token_type_ids, sd["embeddings.token_type_embeddings.weight"])
        embeddings = inputs_embeds + token_type_embeddings
        embeddings = embeddings + F.embedding(position_ids, sd["embeddings.position_embeddings.weight"])
        summed = embeddings
        hidden_states = self.norm(embeddings, "embeddings.LayerNorm")
        # transformers 4.x get_extended_attention_mask
        extended = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        out = {"attentions": [], "value_norms": [], "layers": [],
               "embeddings": {"inputs_embeds": inputs_embeds, "embeddings": summed, "normed": hidden_states,
                              "extended": extended}}
        for i in range(self.layers):
            p = "encoder.layer.%d." % i
            keep = {"input": hidden_states}
            context, probs = self.self_attention(p, hidden_states, extended, keep, lean)
            dense = self.linear(context, p + "attention.output.dense")
            attention_output = self.norm(dense + hidden_states, p + "attention.output.LayerNorm")
            intermediate = self.act(self.linear(attention_output, p + "intermediate.dense"))
            ffn = self.linear(intermediate, p + "output.dense")
            layer_output = self.norm(ffn + attention_output, p + "output.LayerNorm")
            out["attentions"].append(probs)
            hidden_states = layer_output
            if lean:
                continue
            keep.update(attn_output=dense, attn_residual=dense + keep["input"], attn_normed=attention_output,
                        ffn_hidden=intermediate, ffn_dense=ffn, ffn_residual=ffn + attention_output,
                        output=layer_output)
            out["value_norms"].append(keep["value_norms"])
            out["layers"].append(keep)
        out["last_hidden_state"] = hidden_states
        return out


class VitReference(_Encoder):
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        super().__init__(config, state_dict(folder, "vit."), "attention.attention")
        self.layers = config["num_hidden_layers"]
        self.patch = config.get("patch_size", 16)

    @torch.no_grad()
    def forward(self, pixel_values, lean=False):
        """lean: only what ViTModel(output_attentions=True) returns (for the benchmark)."""
        pixel_values = torch.as_tensor(pixel_values, dtype=torch.float32)
        sd = self.sd
        b = pixel_values.shape[0]
        proj = F.conv2d(pixel_values, sd["embeddings.patch_embeddings.projection.weight"],
                        sd["embeddings.patch_embeddings.projection.bias"], stride=self.patch)
        embeddings = proj.flatten(2).transpose(1, 2)
        cls_tokens = sd["embeddings.cls_token"].expand(b, -1, -1)
        embeddings = torch.cat((cls_tokens, embeddings), dim=1)
        hidden_states = embeddings + sd["embeddings.position_embeddings"]
        out = {"attentions": [], "value_norms": [], "layers": [],
               "embeddings": {"projection": proj, "embeddings": hidden_states}}
        for i in range(self.layers):
            p = "encoder.layer.%d." % i
            keep = {"input": hidden_states}
            normed = self.norm(hidden_states, p + "layernorm_before")
            context, probs = self.self_attention(p, normed, None, keep, lean)
            dense = self.linear(context, p + "attention.output.dense")
            hidden = dense + hidden_states  # first residual connection
            layer_output = self.norm(hidden, p + "layernorm_after")
            intermediate = self.act(self.linear(layer_output, p + "intermediate.dense"))
            ffn = self.linear(intermediate, p + "output.dense")
            layer_output = ffn + hidden  # second residual connection
            out["attentions"].append(probs)
            hidden_states = layer_output
            if lean:
                continue
            keep.update(normed_input=normed, attn_output=dense, attn_residual=hidden,
                        attn_normed=self.norm(hidden, p + "layernorm_after"), ffn_hidden=intermediate,
                        ffn_dense=ffn, ffn_residual=layer_output, output=layer_output)
            out["value_norms"].append(keep["value_norms"])
            out["layers"].append(keep)
        out["last_hidden_state"] = self.norm(hidden_states, "layernorm")
        return out


def load(folder):
    with open(os.path.join(folder, "config.json")) as f:
        model_type = json.load(f).get("model_type")
    if model_type == "bert":
        return BertReference(folder)
    if model_type == "vit":
        return VitReference(folder)
    raise ValueError("%s: model_type %r" % (folder, model_type))
