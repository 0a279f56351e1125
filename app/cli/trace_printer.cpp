#include "trace_printer.h"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace attn::cli {

namespace {

std::string scale_text(const ModuleConfig& m, double factor) {
    std::ostringstream os;
    os << std::setprecision(6) << factor << " (";
    switch (m.scale.kind) {
        case ScaleChoice::Kind::Module:
            os << "the module's own";
            break;
        case ScaleChoice::Kind::Depth:
            os << "1/sqrt(depth), chosen";
            break;
        case ScaleChoice::Kind::Emb:
            os << "1/sqrt(emb_dim), chosen";
            break;
        case ScaleChoice::Kind::Number:
            os << "a number, chosen";
            break;
    }
    os << ")";
    return os.str();
}

void print_tokens(std::ostream& out, const TokenBatch& tb) {
    out << "tokens (pad id 0, ids from 1 in order of first appearance):\n";
    const int64_t b = tb.input_ids.dim(0), seq = tb.input_ids.dim(1);
    for (int64_t i = 0; i < b; ++i) {
        out << "  [" << i << "]";
        for (int64_t j = 0; j < seq; ++j) {
            const auto& row = tb.tokens[static_cast<size_t>(i)];
            out << ' ' << (j < static_cast<int64_t>(row.size()) ? row[static_cast<size_t>(j)] : "<pad>");
        }
        out << '\n';
    }
    out << "input_ids [b, seq] = [" << b << ", " << seq << "]\n";
    for (int64_t i = 0; i < b; ++i) {
        out << "  [";
        for (int64_t j = 0; j < seq; ++j)
            out << (j ? ", " : "") << std::setw(3) << static_cast<int64_t>(tb.input_ids.data[i * seq + j]);
        out << "]\n";
    }
    out << "pad_mask = input_ids.eq(0) [b, seq] = [" << b << ", " << seq << "]\n";
    for (int64_t i = 0; i < b; ++i) {
        out << "  [";
        for (int64_t j = 0; j < seq; ++j)
            out << (j ? ", " : "") << (tb.pad_mask.data[i * seq + j] != 0 ? " True" : "False");
        out << "]\n";
    }
    out << '\n';
}

}  // namespace

void print_steps(std::ostream& out, const Trace& trace, const std::string& code_title) {
    size_t name_w = 4, shape_w = 5;
    for (const TraceStep& s : trace.steps) {
        name_w = std::max(name_w, s.name.size());
        shape_w = std::max(shape_w, s.shape.to_string().size());
    }
    out << std::left << std::setw(4) << " #" << std::setw(static_cast<int>(name_w) + 2) << "step"
        << std::setw(static_cast<int>(shape_w) + 2) << "shape" << code_title << '\n';
    for (size_t i = 0; i < trace.steps.size(); ++i) {
        const TraceStep& s = trace.steps[i];
        out << std::right << std::setw(2) << i << "  " << std::left << std::setw(static_cast<int>(name_w) + 2) << s.name
            << std::setw(static_cast<int>(shape_w) + 2) << s.shape.to_string() << s.code << '\n';
    }
}

void print_trace(std::ostream& out, const Scene& scene, const Trace& trace) {
    const ModuleConfig& m = scene.module;
    out << trace.module << ": emb_dim " << m.emb_dim << ", heads " << m.head_count() << " (depth " << m.depth() << ")";
    if (is_cross(m.kind)) out << ", in_channels " << m.in_channels;
    out << "\n  scale " << scale_text(m, trace.scale) << ", mask fill " << (std::isinf(trace.fill) ? "-inf" : "-1e9")
        << (m.mask_fill == MaskFill::Module ? " (the module's own)" : "") << "\n";
    if (scene.inputs.causal) out << "  attn_mask: causal, bool [L, S], True where key j comes after query i\n";
    if (const auto& am = scene.inputs.attn_mask)
        out << "  attn_mask: " << (am->dtype == DType::Bool ? "bool " : "float ") << shape_string(am->shape)
            << (am->dtype == DType::Bool ? ", True = not allowed to attend\n" : ", added to the scores\n");
    out << "\n";
    if (scene.tokens) print_tokens(out, *scene.tokens);

    print_steps(out, trace, "PyTorch");
    out << "\noutput " << shape_string(trace.output().shape) << ", att_weights " << shape_string(trace.attn().shape)
        << '\n';
}

}  // namespace attn::cli
