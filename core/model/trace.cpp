#include "model/trace.h"

namespace attn {

const TraceStep* Trace::find(const std::string& name) const {
    for (const TraceStep& s : steps)
        if (s.name == name) return &s;
    return nullptr;
}

}  // namespace attn
