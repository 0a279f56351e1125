#include "model/step_graph.h"

#include <initializer_list>
#include <string>

namespace attn {

namespace {

// The latest step before `before` called `name`, or -1.
int latest(const std::vector<TraceStep>& steps, const std::string& name, size_t before) {
    for (size_t j = before; j-- > 0;)
        if (steps[j].name == name) return static_cast<int>(j);
    return -1;
}

int first_of(const std::vector<TraceStep>& steps, size_t i, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (const int j = latest(steps, n, i); j >= 0) return j;
    return -1;
}

}  // namespace

int source_step(const std::vector<TraceStep>& steps, size_t i) {
    if (i >= steps.size()) return -1;
    const TraceStep& s = steps[i];
    if (s.change.rfind("input", 0) == 0) return -1;
    const std::string& n = s.name;
    int j = -1;
    if (n == "q")
        j = first_of(steps, i, {"flatten", "query", "x"});
    else if (n == "k" || n == "v")
        j = first_of(steps, i, {"context", "key", "query", "x"});
    else if (n == "q_heads")
        j = first_of(steps, i, {"q"});
    else if (n == "k_heads")
        j = first_of(steps, i, {"k"});
    else if (n == "v_heads")
        j = first_of(steps, i, {"v"});
    else if (n == "scores")
        j = first_of(steps, i, {"q_heads", "q"});
    else if (n == "masked")
        j = first_of(steps, i, {"scaled"});
    else if (n == "softmax")
        j = first_of(steps, i, {"masked", "scaled"});
    else if (n == "weighted_sum")
        j = first_of(steps, i, {"softmax"});
    else if (n == "pad_mask_expanded")
        j = first_of(steps, i, {"pad_mask"});
    else if (n == "pad_mask_heads")
        j = first_of(steps, i, {"pad_mask_expanded"});
    return j >= 0 ? j : static_cast<int>(i) - 1;
}

}  // namespace attn
