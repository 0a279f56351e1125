#include "models/hf/hf_encoder.h"

#include "model/memory_budget.h"
#include "transformer/encoder_trace.h"

#include <cstdio>

namespace attn {

double HfEncoder::weight_bytes() const {
    double n = 0;
    for (const auto& l : layers)
        n += l->bytes();
    return n;
}

std::string eps_text(double eps) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", eps);
    return buf;
}

void check_hf_pass_memory(const HfEncoder& encoder, const std::string& model, int64_t b, int64_t L, double held_bytes) {
    const EncoderSpec& s = encoder.spec;
    const double layers = static_cast<double>(encoder.layers.size()), B = static_cast<double>(b);
    const double Ld = static_cast<double>(L);
    const double kept =
        layers * (B * static_cast<double>(s.heads) * Ld * Ld + B * Ld * static_cast<double>(s.hidden)) * sizeof(float);
    require_memory(held_bytes + kept + encoder_layer_work_bytes(s, B, Ld),
                   model + " on " + std::to_string(b) + " x " + std::to_string(L) + " tokens",
                   "give fewer or shorter inputs");
}

std::vector<LayerPass> run_hf_encoder(const HfEncoder& encoder, TensorPtr h0, TensorPtr mask_add,
                                      const ForwardControl* control, float from, float to) {
    std::vector<LayerPass> out;
    auto replay = std::make_shared<LayerReplay>();
    TensorPtr h = std::move(h0);
    const size_t n = encoder.layers.size();
    for (size_t l = 0; l < n; ++l) {
        checkpoint(control, "layer " + std::to_string(l), from + (to - from) * static_cast<float>(l) / n);
        LayerTensors t = run_encoder_layer(encoder.spec, *encoder.layers[l], *h, mask_add.get(), false);
        EncoderLayerRecord r;
        r.spec = encoder.spec;
        r.weights = encoder.layers[l];
        r.input = h;
        r.mask_add = mask_add;
        r.probs = std::make_shared<const Tensor>(std::move(t.probs));
        r.output = std::make_shared<const Tensor>(std::move(t.output));
        r.layer = static_cast<int64_t>(l);
        r.replay = replay;
        r.eps_text = encoder.eps_text;
        LayerPass pass;
        pass.attn = r.probs;
        pass.trace = record_encoder_layer(r);
        pass.value_norms = encoder_value_norms(r);
        h = r.output;
        out.push_back(std::move(pass));
    }
    checkpoint(control, "done", to);
    return out;
}

}  // namespace attn
