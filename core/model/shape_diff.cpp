#include "model/shape_diff.h"

#include "errors.h"

#include <algorithm>
#include <cstdint>

namespace attn {

namespace {

// "h*w" -> {"h", "w"}; "emb" -> {"emb"}.
std::vector<std::string> split_product(const std::string& name) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t star = name.find('*'); star != std::string::npos; star = name.find('*', start)) {
        parts.push_back(name.substr(start, star - start));
        start = star + 1;
    }
    parts.push_back(name.substr(start));
    return parts;
}

}  // namespace

ShapeDiff diff_shapes(const Trace& trace, int i) {
    if (i < 0 || i >= static_cast<int>(trace.steps.size()))
        throw InternalError("diff_shapes: step " + std::to_string(i) + " of a trace of " +
                            std::to_string(trace.steps.size()) + " steps");
    ShapeDiff d;
    const NamedShape& cur = trace.steps[static_cast<size_t>(i)].shape;
    d.changes.assign(cur.names.size(), DimChange::Same);
    d.notes.assign(cur.names.size(), "");
    d.from = trace.steps[static_cast<size_t>(i)].from;
    if (d.from >= i) d.from = -1;  // a source comes before its step
    if (d.from < 0) {
        for (std::string& n : d.notes)
            n = "an input of the module";
        return d;
    }
    const NamedShape& prev = trace.steps[static_cast<size_t>(d.from)].shape;
    auto index_in = [](const NamedShape& s, const std::string& name) {
        const auto it = std::find(s.names.begin(), s.names.end(), name);
        return it == s.names.end() ? -1 : static_cast<int>(it - s.names.begin());
    };
    // Match each dimension with one of the same name before: counted from the end first (as
    // broadcasting and unsqueeze/expand line shapes up: [b, seq] -> [b, seq, seq] adds the query
    // dimension in the middle), then from the start, then the first one of that name not matched
    // yet (a name can occur twice, as seq in [b, seq, seq]).
    std::vector<int> match(cur.names.size(), -1);
    std::vector<bool> used(prev.names.size(), false);
    const size_t nc = cur.names.size(), np = prev.names.size();
    for (size_t back = 1; back <= std::min(nc, np); ++back)
        if (cur.names[nc - back] == prev.names[np - back]) {
            match[nc - back] = static_cast<int>(np - back);
            used[np - back] = true;
        }
    for (size_t k = 0; k < std::min(nc, np); ++k)
        if (match[k] < 0 && !used[k] && prev.names[k] == cur.names[k]) {
            match[k] = static_cast<int>(k);
            used[k] = true;
        }
    for (size_t k = 0; k < nc; ++k) {
        if (match[k] >= 0) continue;
        for (size_t jj = 0; jj < np; ++jj)
            if (!used[jj] && prev.names[jj] == cur.names[k]) {
                match[k] = static_cast<int>(jj);
                used[jj] = true;
                break;
            }
    }
    std::vector<int> fresh;
    for (size_t k = 0; k < cur.names.size(); ++k) {
        const int j = match[k];
        if (j < 0) {
            d.changes[k] = DimChange::New;
            fresh.push_back(static_cast<int>(k));
        } else if (prev.sizes[static_cast<size_t>(j)] != cur.sizes[k]) {
            d.changes[k] = DimChange::Resized;
            d.notes[k] = cur.names[k] + " was " + std::to_string(prev.sizes[static_cast<size_t>(j)]);
        } else if (j != static_cast<int>(k)) {
            d.changes[k] = DimChange::Moved;
            d.notes[k] = cur.names[k] + " moved from place " + std::to_string(j) + " to " + std::to_string(k);
        }
    }
    std::vector<std::string> vanished;
    for (size_t j = 0; j < prev.names.size(); ++j)
        if (!used[j]) vanished.push_back(prev.names[j]);

    std::vector<bool> explained(vanished.size(), false);
    // Flattened: a new "h*w" whose parts were dimensions before.
    for (int k : fresh) {
        const std::vector<std::string> parts = split_product(cur.names[static_cast<size_t>(k)]);
        if (parts.size() < 2) continue;
        bool all = true;
        for (const std::string& p : parts)
            all = all && index_in(prev, p) >= 0;
        if (!all) continue;
        std::string list;
        for (size_t p = 0; p < parts.size(); ++p)
            list += (p ? " and " : "") + parts[p];
        d.notes[static_cast<size_t>(k)] = list + " flattened into " + cur.names[static_cast<size_t>(k)];
        for (size_t v = 0; v < vanished.size(); ++v)
            if (std::find(parts.begin(), parts.end(), vanished[v]) != parts.end()) explained[v] = true;
    }
    // Split: new dimensions whose sizes multiply to the size of one that is gone (emb -> heads x depth).
    if (fresh.size() >= 2)
        for (size_t v = 0; v < vanished.size(); ++v) {
            const int64_t size = prev.sizes[static_cast<size_t>(index_in(prev, vanished[v]))];
            int64_t product = 1;
            std::string list;
            for (int k : fresh) {
                product *= cur.sizes[static_cast<size_t>(k)];
                list += (list.empty() ? "" : " x ") + cur.names[static_cast<size_t>(k)];
            }
            if (product != size) continue;
            for (int k : fresh)
                d.notes[static_cast<size_t>(k)] = vanished[v] + " split into " + list;
            explained[v] = true;
            break;
        }
    // Unflattened: a gone "h*w" whose parts are new.
    for (size_t v = 0; v < vanished.size(); ++v) {
        const std::vector<std::string> parts = split_product(vanished[v]);
        if (parts.size() < 2) continue;
        bool all = true;
        for (const std::string& p : parts)
            all = all && index_in(cur, p) >= 0;
        if (!all) continue;
        for (const std::string& p : parts)
            d.notes[static_cast<size_t>(index_in(cur, p))] = vanished[v] + " unflattened";
        explained[v] = true;
    }
    for (int k : fresh)
        if (d.notes[static_cast<size_t>(k)].empty())
            d.notes[static_cast<size_t>(k)] = "new: " + cur.names[static_cast<size_t>(k)];
    // Only the unexplained ones are listed as gone; the new dimensions tell the rest.
    for (size_t v = 0; v < vanished.size(); ++v)
        if (!explained[v]) d.gone.push_back(vanished[v]);
    return d;
}

}  // namespace attn
