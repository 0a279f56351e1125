// How a forward pass writes its trace: steps whose tensor was computed anyway ("held") and steps
// whose tensor is made only when someone asks for it ("lazy"). Each step also records the step it
// is computed from (TraceStep::from, by source_step of model/step_graph.h). Internal to core/model.
#pragma once

#include "model/config.h"
#include "model/ops.h"
#include "model/step_graph.h"
#include "model/trace.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace attn::detail {

inline TensorPtr hold(Tensor t) {
    return std::make_shared<const Tensor>(std::move(t));
}

inline NamedShape named(std::vector<std::string> names, Shape sizes) {
    return NamedShape{std::move(names), std::move(sizes)};
}

class Recorder {
public:
    explicit Recorder(Trace& trace) : trace_(trace) {}

    // A step whose tensor the forward pass computed anyway. `shape` may drop a size-1 heads dim.
    void held(std::string name, std::string code, NamedShape shape, std::string change, TensorPtr t) {
        TraceStep s{std::move(name), std::move(code), std::move(shape), std::move(change), t->dtype, {}};
        Shape sizes = s.shape.sizes;
        s.produce = [t, sizes] { return reshaped(*t, sizes); };
        push(std::move(s));
    }

    // A step whose tensor is made only when someone asks for it, in the step's own shape.
    void lazy(std::string name, std::string code, NamedShape shape, std::string change, DType dtype,
              std::function<Tensor()> produce) {
        Shape sizes = shape.sizes;
        push(TraceStep{std::move(name), std::move(code), std::move(shape), std::move(change), dtype,
                       [produce = std::move(produce), sizes] { return reshaped(produce(), sizes); }});
    }

private:
    void push(TraceStep s) {
        trace_.steps.push_back(std::move(s));
        trace_.steps.back().from = source_step(trace_.steps, trace_.steps.size() - 1);
    }

    Trace& trace_;
};

inline std::string format_number(double v) {
    std::ostringstream os;
    os.precision(6);
    os << v;
    return os.str();
}

// The names the seed gives the dims of each module.
struct DimNames {
    std::string q_len;  // query positions: "seq", "h*w", "L"
    std::string k_len;  // key positions: "seq", "S"
};

inline DimNames dim_names(ModuleKind kind) {
    if (is_cross(kind)) return {"h*w", "seq"};
    if (kind == ModuleKind::TorchMHA) return {"L", "S"};
    return {"seq", "seq"};
}

// Everything one pass knows: its settings, its sizes and where its steps go.
// The pad mask as the seed expands it: [b, seq] -> [b, queries, seq] (-> [b, heads, queries, seq]).
// The expanded copies are never needed to compute (masked_fill_keys reads the [b, seq] mask),
// so they are lazy. `sizes` is {b, heads, Lq, Lk}.
void record_mask_steps(Recorder& rec, ModuleKind kind, const DimNames& dn, const Shape& sizes, TensorPtr mask);

}  // namespace attn::detail
