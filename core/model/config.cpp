#include "model/config.h"

#include "errors.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace attn {

std::string module_name(ModuleKind kind) {
    switch (kind) {
        case ModuleKind::Self:
            return "self";
        case ModuleKind::MultiHead:
            return "multihead";
        case ModuleKind::Cross:
            return "cross";
        case ModuleKind::CrossMultiHead:
            return "cross-multihead";
        case ModuleKind::TorchMHA:
            return "torch-mha";
    }
    return "?";
}

std::string module_class_name(ModuleKind kind) {
    switch (kind) {
        case ModuleKind::Self:
            return "SelfAttention";
        case ModuleKind::MultiHead:
            return "MultiHeadAttention";
        case ModuleKind::Cross:
            return "CrossAttention";
        case ModuleKind::CrossMultiHead:
            return "CrossMultiAttention";
        case ModuleKind::TorchMHA:
            return "nn.MultiheadAttention";
    }
    return "?";
}

ModuleKind parse_module_kind(const std::string& name) {
    for (ModuleKind k : {ModuleKind::Self, ModuleKind::MultiHead, ModuleKind::Cross, ModuleKind::CrossMultiHead,
                         ModuleKind::TorchMHA}) {
        if (name == module_name(k)) return k;
    }
    throw ConfigError("unknown module \"" + name + "\": expected self, multihead, cross, cross-multihead or torch-mha");
}

bool is_cross(ModuleKind kind) {
    return kind == ModuleKind::Cross || kind == ModuleKind::CrossMultiHead;
}

bool has_heads(ModuleKind kind) {
    return kind == ModuleKind::MultiHead || kind == ModuleKind::CrossMultiHead || kind == ModuleKind::TorchMHA;
}

ScaleChoice parse_scale(const std::string& text) {
    ScaleChoice s;
    if (text == "module") return s;
    if (text == "depth") {
        s.kind = ScaleChoice::Kind::Depth;
        return s;
    }
    if (text == "emb") {
        s.kind = ScaleChoice::Kind::Emb;
        return s;
    }
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0.0)
        throw ConfigError("scale \"" + text + "\" is not module, depth, emb or a positive number");
    s.kind = ScaleChoice::Kind::Number;
    s.value = v;
    return s;
}

std::string scale_name(const ScaleChoice& scale) {
    switch (scale.kind) {
        case ScaleChoice::Kind::Module:
            return "module";
        case ScaleChoice::Kind::Depth:
            return "depth";
        case ScaleChoice::Kind::Emb:
            return "emb";
        case ScaleChoice::Kind::Number: {
            std::ostringstream os;  // shortest form: "0.3", not std::to_string's "0.300000"
            os.precision(9);
            os << scale.value;
            return os.str();
        }
    }
    return "?";
}

MaskFill parse_mask_fill(const std::string& text) {
    if (text == "module") return MaskFill::Module;
    if (text == "-1e9") return MaskFill::NegBillion;
    if (text == "-inf") return MaskFill::NegInf;
    throw ConfigError("mask fill \"" + text + "\" is not module, -1e9 or -inf");
}

std::string mask_fill_name(MaskFill fill) {
    switch (fill) {
        case MaskFill::Module:
            return "module";
        case MaskFill::NegBillion:
            return "-1e9";
        case MaskFill::NegInf:
            return "-inf";
    }
    return "?";
}

void ModuleConfig::validate() const {
    if (emb_dim <= 0) throw ConfigError("emb_dim must be positive, got " + std::to_string(emb_dim));
    if (emb_dim > 65536) throw ConfigError("emb_dim " + std::to_string(emb_dim) + " is larger than 65536");
    if (has_heads(kind)) {
        if (heads <= 0) throw ConfigError("heads must be positive, got " + std::to_string(heads));
        if (emb_dim % heads != 0)
            throw ConfigError("heads " + std::to_string(heads) + " does not divide emb_dim " + std::to_string(emb_dim) +
                              " (emb_dim % heads = " + std::to_string(emb_dim % heads) +
                              "): each head takes depth = emb_dim / heads dimensions, so choose "
                              "heads among the divisors of emb_dim");
    }
    if (is_cross(kind) && in_channels <= 0)
        throw ConfigError("in_channels must be positive, got " + std::to_string(in_channels));
}

double ModuleConfig::scale_factor() const {
    switch (scale.kind) {
        case ScaleChoice::Kind::Number:
            return scale.value;
        case ScaleChoice::Kind::Depth:
            return 1.0 / std::sqrt(static_cast<double>(depth()));
        case ScaleChoice::Kind::Emb:
            return 1.0 / std::sqrt(static_cast<double>(emb_dim));
        case ScaleChoice::Kind::Module:
            break;
    }
    switch (kind) {
        case ModuleKind::Self:
            return 1.0 / std::sqrt(static_cast<double>(emb_dim));
        case ModuleKind::MultiHead:
        case ModuleKind::TorchMHA:
            return 1.0 / std::sqrt(static_cast<double>(depth()));
        // The seed multiplies by emb_dim ** -0.5 in both cross modules, the multi-head one too.
        case ModuleKind::Cross:
        case ModuleKind::CrossMultiHead:
            return std::pow(static_cast<double>(emb_dim), -0.5);
    }
    return 1.0;
}

float ModuleConfig::fill_value() const {
    MaskFill f = mask_fill;
    if (f == MaskFill::Module) f = kind == ModuleKind::TorchMHA ? MaskFill::NegInf : MaskFill::NegBillion;
    return f == MaskFill::NegInf ? -std::numeric_limits<float>::infinity() : -1e9f;
}

}  // namespace attn
