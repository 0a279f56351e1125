"""The seed article's four attention modules as runnable PyTorch, plus nn.MultiheadAttention.

Source: /work/shared/seeds/002_*.txt (sections 7.1-7.4). The web page lower-cased the code; it is
written here as the PyTorch it stands for, with the projections named Wq, Wk, Wv as the seed's
000 text writes them, so that state_dict keys are "Wq.weight", "fc.bias", "proj_in.weight"...

The computation is the seed's, line for line: the same parameters and biases, the same scales
(division by math.sqrt in the self and multi-head modules, multiplication by emb_dim ** -0.5 in
BOTH cross modules, the multi-head one included), masked_fill with -1e9, the view/transpose
head split, the einsums. Only the seed's typos are fixed:
  - cross_multiattention.forward uses an undefined `batch_size`: it means `b`;
  - the print(out.shape) calls are dropped;
  - einops is not needed: rearrange is written with permute/reshape.
Two additions, both defaulting to the seed's behaviour:
  - scale=None: None is the module's own scale; a float is a factor multiplied onto the scores;
  - fill=-1e9: what masked_fill writes; float('-inf') is section 5's choice (a row that is
    padding throughout then becomes NaN after the softmax, as in PyTorch).

pad_mask is taken ALREADY EXPANDED, as the seed's modules take it (see expand_pad_mask):
  SelfAttention        [b, seq, seq]
  MultiHeadAttention   [b, seq, seq]   (the module repeats it over heads)
  CrossAttention       [b, h*w, seq]
  CrossMultiAttention  [b, h*w, seq]   (the module repeats it over heads)
Every module returns (output, att_weights).
"""

import math
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED_FILL = -1e9

# The module names of the CLI and of config.json.
MODULE_KINDS = ("self", "multihead", "cross", "cross-multihead", "torch-mha")


# 7.1 self-attention
class SelfAttention(nn.Module):
    def __init__(self, emb_dim, scale=None, fill=SEED_FILL):
        super(SelfAttention, self).__init__()
        self.emb_dim = emb_dim
        self.scale = scale
        self.fill = fill

        self.Wq = nn.Linear(emb_dim, emb_dim, bias=False)
        self.Wk = nn.Linear(emb_dim, emb_dim, bias=False)
        self.Wv = nn.Linear(emb_dim, emb_dim, bias=False)

        self.fc = nn.Linear(emb_dim, emb_dim)

    def forward(self, x, pad_mask=None):
        # x: [batch_size, seq_len, emb_dim] = [3, 5, 512]
        q = self.Wq(x)
        k = self.Wk(x)
        v = self.Wv(x)

        att_weights = torch.bmm(q, k.transpose(1, 2))  # [batch_size, seq_len, seq_len] = [3, 5, 5]
        if self.scale is None:
            att_weights = att_weights / math.sqrt(self.emb_dim)
        else:
            att_weights = att_weights * self.scale

        if pad_mask is not None:
            att_weights = att_weights.masked_fill(pad_mask, self.fill)

        att_weights = F.softmax(att_weights, dim=-1)
        output = torch.bmm(att_weights, v)  # [batch_size, seq_len, emb_dim] = [3, 5, 512]
        output = self.fc(output)

        return output, att_weights


# 7.2 multi-head attention
class MultiHeadAttention(nn.Module):
    def __init__(self, emb_dim, num_heads, att_dropout=0.0, scale=None, fill=SEED_FILL):
        super(MultiHeadAttention, self).__init__()
        self.emb_dim = emb_dim
        self.num_heads = num_heads
        self.att_dropout = att_dropout
        self.scale = scale
        self.fill = fill

        assert emb_dim % num_heads == 0, "emb_dim must be divisible by num_heads"
        self.depth = emb_dim // num_heads

        self.Wq = nn.Linear(emb_dim, emb_dim, bias=False)
        self.Wk = nn.Linear(emb_dim, emb_dim, bias=False)
        self.Wv = nn.Linear(emb_dim, emb_dim, bias=False)

        self.fc = nn.Linear(emb_dim, emb_dim)

    def forward(self, x, pad_mask=None):
        # x: [batch_size, seq_len, emb_dim] = [3, 5, 512]
        batch_size = x.size(0)

        q = self.Wq(x)
        k = self.Wk(x)
        v = self.Wv(x)

        # split heads: [batch_size, num_heads, seq_len, depth] = [3, 8, 5, 512/8=64]
        q = q.view(batch_size, -1, self.num_heads, self.depth).transpose(1, 2)
        k = k.view(batch_size, -1, self.num_heads, self.depth).transpose(1, 2)
        v = v.view(batch_size, -1, self.num_heads, self.depth).transpose(1, 2)

        # [batch_size, num_heads, seq_len, seq_len] = [3, 8, 5, 5]
        att_weights = torch.matmul(q, k.transpose(-2, -1))
        if self.scale is None:
            att_weights = att_weights / math.sqrt(self.depth)
        else:
            att_weights = att_weights * self.scale

        if pad_mask is not None:
            # [batch_size, seq_len, seq_len] -> [batch_size, num_heads, seq_len, seq_len]
            pad_mask = pad_mask.unsqueeze(1).repeat(1, self.num_heads, 1, 1)
            att_weights = att_weights.masked_fill(pad_mask, self.fill)

        att_weights = F.softmax(att_weights, dim=-1)

        # As in the seed: F.dropout's training flag defaults to True, so a nonzero att_dropout
        # drops even in eval mode. Every test uses the default 0.0.
        if self.att_dropout > 0.0:
            att_weights = F.dropout(att_weights, p=self.att_dropout)

        # [batch_size, num_heads, seq_len, depth] = [3, 8, 5, 64]
        output = torch.matmul(att_weights, v)

        # concatenate the heads: [batch_size, seq_len, emb_dim] = [3, 5, 512]
        output = output.transpose(1, 2).contiguous().view(batch_size, -1, self.emb_dim)

        output = self.fc(output)

        return output, att_weights


def rearrange_bchw_to_bnc(x):
    """einops' rearrange(x, 'b c h w -> b (h w) c')."""
    b, c, h, w = x.shape
    return x.permute(0, 2, 3, 1).reshape(b, h * w, c)


def rearrange_bnc_to_bchw(x, h, w):
    """einops' rearrange(x, 'b (h w) c -> b c h w', h=h, w=w)."""
    b, n, c = x.shape
    assert n == h * w, "h*w does not match the sequence length"
    return x.reshape(b, h, w, c).permute(0, 3, 1, 2)


# 7.3 cross_multiattention
class CrossMultiAttention(nn.Module):
    def __init__(self, in_channels, emb_dim, num_heads, att_dropout=0.0, aropout=0.0,
                 scale=None, fill=SEED_FILL):
        super(CrossMultiAttention, self).__init__()
        self.emb_dim = emb_dim
        self.num_heads = num_heads
        # The seed's choice: emb_dim ** -0.5 here too, not depth ** -0.5.
        self.scale = emb_dim ** -0.5 if scale is None else scale
        self.fill = fill

        assert emb_dim % num_heads == 0, "emb_dim must be divisible by num_heads"
        self.depth = emb_dim // num_heads

        self.proj_in = nn.Conv2d(in_channels, emb_dim, kernel_size=1, stride=1, padding=0)

        self.Wq = nn.Linear(emb_dim, emb_dim)
        self.Wk = nn.Linear(emb_dim, emb_dim)
        self.Wv = nn.Linear(emb_dim, emb_dim)

        self.proj_out = nn.Conv2d(emb_dim, in_channels, kernel_size=1, stride=1, padding=0)

    def forward(self, x, context, pad_mask=None):
        """
        x: [batch_size, c, h, w]
        context: [batch_size, seq_len, emb_dim]
        pad_mask: [batch_size, h*w, seq_len] (the seed's docstring says [batch_size, seq_len,
            seq_len]; its main expands the mask to [batch_size, h*w, seq_len])
        """
        b, c, h, w = x.shape

        x = self.proj_in(x)  # [batch_size, emb_dim, h, w]
        x = rearrange_bchw_to_bnc(x)  # [batch_size, h*w, emb_dim]

        q = self.Wq(x)  # [batch_size, h*w, emb_dim]
        k = self.Wk(context)  # [batch_size, seq_len, emb_dim]
        v = self.Wv(context)

        # The seed writes batch_size here, which is undefined in this scope: it means b.
        q = q.view(b, -1, self.num_heads, self.depth).transpose(1, 2)  # [b, num_heads, h*w, depth]
        k = k.view(b, -1, self.num_heads, self.depth).transpose(1, 2)  # [b, num_heads, seq_len, depth]
        v = v.view(b, -1, self.num_heads, self.depth).transpose(1, 2)

        # [batch_size, num_heads, h*w, seq_len]
        att_weights = torch.einsum('bnid,bnjd -> bnij', q, k)
        att_weights = att_weights * self.scale

        if pad_mask is not None:
            # [batch_size, h*w, seq_len] -> [batch_size, num_heads, h*w, seq_len]
            pad_mask = pad_mask.unsqueeze(1).repeat(1, self.num_heads, 1, 1)
            att_weights = att_weights.masked_fill(pad_mask, self.fill)

        att_weights = F.softmax(att_weights, dim=-1)
        out = torch.einsum('bnij, bnjd -> bnid', att_weights, v)
        out = out.transpose(1, 2).contiguous().view(b, -1, self.emb_dim)  # [batch_size, h*w, emb_dim]

        out = rearrange_bnc_to_bchw(out, h, w)  # [batch_size, emb_dim, h, w]
        out = self.proj_out(out)  # [batch_size, c, h, w]

        return out, att_weights


# 7.4 cross attention (the same as 000's VLCrossAttention, which returns only `out`)
class CrossAttention(nn.Module):
    def __init__(self, in_channels, emb_dim, att_dropout=0.0, aropout=0.0,
                 scale=None, fill=SEED_FILL):
        super(CrossAttention, self).__init__()
        self.emb_dim = emb_dim
        self.scale = emb_dim ** -0.5 if scale is None else scale
        self.fill = fill

        self.proj_in = nn.Conv2d(in_channels, emb_dim, kernel_size=1, stride=1, padding=0)

        self.Wq = nn.Linear(emb_dim, emb_dim)
        self.Wk = nn.Linear(emb_dim, emb_dim)
        self.Wv = nn.Linear(emb_dim, emb_dim)

        self.proj_out = nn.Conv2d(emb_dim, in_channels, kernel_size=1, stride=1, padding=0)

    def forward(self, x, context, pad_mask=None):
        """
        x: [batch_size, c, h, w]
        context: [batch_size, seq_len, emb_dim]
        pad_mask: [batch_size, h*w, seq_len]
        """
        b, c, h, w = x.shape

        x = self.proj_in(x)  # [batch_size, emb_dim, h, w]
        x = rearrange_bchw_to_bnc(x)  # [batch_size, h*w, emb_dim]

        q = self.Wq(x)  # [batch_size, h*w, emb_dim]
        k = self.Wk(context)  # [batch_size, seq_len, emb_dim]
        v = self.Wv(context)

        # [batch_size, h*w, seq_len]
        att_weights = torch.einsum('bid,bjd -> bij', q, k)
        att_weights = att_weights * self.scale

        if pad_mask is not None:
            # [batch_size, h*w, seq_len]
            att_weights = att_weights.masked_fill(pad_mask, self.fill)

        att_weights = F.softmax(att_weights, dim=-1)
        out = torch.einsum('bij, bjd -> bid', att_weights, v)  # [batch_size, h*w, emb_dim]

        out = rearrange_bnc_to_bchw(out, h, w)  # [batch_size, emb_dim, h, w]
        out = self.proj_out(out)  # [batch_size, c, h, w]

        return out, att_weights


def expand_pad_mask(kind, pad_mask, q_len=None):
    """Expands a [b, seq] padding mask (true = padding, input_ids.eq(0)) the way the seed does.

    pad_mask.unsqueeze(1).expand(b, q_len, seq): q_len is seq for "self" and "multihead" (the
    default) and h*w for "cross" and "cross-multihead". The multi-head modules repeat the result
    over heads themselves. "torch-mha" takes the [b, seq] mask as it is (key_padding_mask).
    """
    if pad_mask is None:
        return None
    assert pad_mask.dim() == 2, "pad_mask must be [b, seq]"
    if kind == "torch-mha":
        return pad_mask
    b, seq = pad_mask.shape
    if q_len is None:
        assert kind in ("self", "multihead"), "cross modules need q_len = h*w"
        q_len = seq
    return pad_mask.unsqueeze(1).expand(b, q_len, seq)


def make_torch_mha(emb_dim, num_heads):
    """PyTorch's own module, batch-first: x [b, L, emb], context [b, S, emb]."""
    return nn.MultiheadAttention(emb_dim, num_heads, batch_first=True)


def run_torch_mha(mha, x, context=None, pad_mask=None, attn_mask=None):
    """Calls nn.MultiheadAttention the normal way and returns (output, attn_weights).

    context=None is self-attention (query = key = value = x, the same tensor object); otherwise
    key = value = context. pad_mask is [b, S], true = padding (key_padding_mask).
    Weights come back per head: [b, heads, L, S] (need_weights=True, average_attn_weights=False).
    attn_mask is passed as it is: [L, S] or [b*heads, L, S], bool (True = not allowed), uint8
    (torch reads it as bool, with a deprecation warning) or float (added to the scores).

    NaN behaviour, as measured on this machine's torch 1.13: nn.MultiheadAttention fills padded
    keys with -inf, so a batch item whose keys are ALL padding gets NaN weights in every head and
    a NaN output row, on both code paths:
      - the "fast path" (torch._native_multi_head_attention), which 1.13 takes for
        self-attention in eval mode with grad disabled (or no parameter requiring grad), an even
        number of heads, batch_first and no attn_mask;
      - the Python path (F.multi_head_attention_forward) in every other case (training mode,
        grad enabled, odd heads, cross-attention).
    Both paths agree to ~6e-8 elsewhere. So the reference keeps the NaN; we call the module in
    eval mode under torch.no_grad(), the usual way of running it for inference.
    """
    mha.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Byte tensor for attn_mask ... is deprecated"
        kv = x if context is None else context
        out, w = mha(x, kv, kv, key_padding_mask=pad_mask, need_weights=True,
                     attn_mask=attn_mask, average_attn_weights=False)
    return out, w


# ----- shared by make_references.py and live_compare.py -----

def scale_factor(kind, emb_dim, heads, scale):
    """config.json's "scale" as the modules' `scale` argument: None for "module", else a float."""
    if scale == "module":
        return None
    if kind == "torch-mha":
        raise ValueError("nn.MultiheadAttention has no scale argument in torch 1.13: use 'module'")
    depth = emb_dim // (heads if kind in ("multihead", "cross-multihead") else 1)
    if scale == "depth":
        return 1.0 / math.sqrt(depth)
    if scale == "emb":
        return 1.0 / math.sqrt(emb_dim)
    return float(scale)


def fill_value(kind, mask_fill):
    """config.json's "mask_fill" as the modules' `fill` argument."""
    if kind == "torch-mha":
        if mask_fill not in ("module", "-inf"):
            raise ValueError("nn.MultiheadAttention always fills with -inf")
        return float("-inf")
    if mask_fill in ("module", "-1e9"):
        return SEED_FILL
    if mask_fill == "-inf":
        return float("-inf")
    raise ValueError("mask_fill must be module, -1e9 or -inf, got %r" % (mask_fill,))


def build_module(kind, emb_dim, heads=1, in_channels=3, scale="module", mask_fill="module"):
    """Constructs the module (PyTorch's default init, from the current torch RNG state)."""
    s = scale_factor(kind, emb_dim, heads, scale)
    f = fill_value(kind, mask_fill)
    if kind == "self":
        return SelfAttention(emb_dim, scale=s, fill=f)
    if kind == "multihead":
        return MultiHeadAttention(emb_dim, heads, scale=s, fill=f)
    if kind == "cross":
        return CrossAttention(in_channels, emb_dim, scale=s, fill=f)
    if kind == "cross-multihead":
        return CrossMultiAttention(in_channels, emb_dim, heads, scale=s, fill=f)
    if kind == "torch-mha":
        return make_torch_mha(emb_dim, heads)
    raise ValueError("unknown module %r" % (kind,))


def run_module(kind, module, x, context=None, pad_mask=None, attn_mask=None):
    """One forward pass from the engine's inputs: pad_mask is the [b, seq_k] bool mask;
    attn_mask only for torch-mha."""
    if kind == "torch-mha":
        return run_torch_mha(module, x, context, pad_mask, attn_mask)
    assert attn_mask is None, "only nn.MultiheadAttention takes an attn_mask"
    module.eval()
    with torch.no_grad():
        if kind in ("self", "multihead"):
            return module(x, expand_pad_mask(kind, pad_mask))
        h, w = x.shape[2], x.shape[3]
        return module(x, context, expand_pad_mask(kind, pad_mask, h * w))
