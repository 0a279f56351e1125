#include "diagram.h"

#include <algorithm>
#include <unordered_map>

namespace attn::gui::anim {

namespace {

float lerp(float a, float b, float t) {
    return a + (b - a) * t;
}

float window(float s, float start, float end) {
    if (end <= start) return s >= end ? 1.0f : 0.0f;
    return std::clamp((s - start) / (end - start), 0.0f, 1.0f);
}

Box blend(const Box& a, const Box& b, float t) {
    Box out = t < 0.5f ? a : b;
    out.x = lerp(a.x, b.x, t);
    out.y = lerp(a.y, b.y, t);
    out.w = lerp(a.w, b.w, t);
    out.h = lerp(a.h, b.h, t);
    out.fill = mix(a.fill, b.fill, t);
    out.edge = mix(a.edge, b.edge, t);
    out.edge_width = lerp(a.edge_width, b.edge_width, t);
    out.radius = lerp(a.radius, b.radius, t);
    out.hatch = mix(a.hatch, b.hatch, t);
    out.alpha = lerp(a.alpha, b.alpha, t);
    return out;
}

Label blend(const Label& a, const Label& b, float t) {
    Label out = t < 0.5f ? a : b;
    out.x = lerp(a.x, b.x, t);
    out.y = lerp(a.y, b.y, t);
    out.size = lerp(a.size, b.size, t);
    out.colour = mix(a.colour, b.colour, t);
    out.ax = lerp(a.ax, b.ax, t);
    out.ay = lerp(a.ay, b.ay, t);
    if (a.text == b.text) {
        out.alpha = lerp(a.alpha, b.alpha, t);
    } else {
        // The old text fades out over the first half, the new one in over the second.
        out.alpha = t < 0.5f ? a.alpha * (1.0f - 2.0f * t) : b.alpha * (2.0f * t - 1.0f);
    }
    return out;
}

template <typename Part>
std::vector<Part> tween_parts(const std::vector<Part>& a, const std::vector<Part>& b, float s) {
    std::unordered_map<std::string, size_t> in_a, in_b;
    for (size_t i = 0; i < a.size(); ++i)
        in_a.emplace(a[i].id, i);
    for (size_t i = 0; i < b.size(); ++i)
        in_b.emplace(b[i].id, i);
    auto faded = [](Part p, float alpha) {
        p.alpha *= alpha;
        return p;
    };
    std::vector<Part> out;
    out.reserve(a.size() + b.size());
    auto from_a = [&](const Part& pa) {
        const auto it = in_b.find(pa.id);
        if (it == in_b.end()) {
            out.push_back(faded(pa, 1.0f - window(s, pa.start, pa.end)));
        } else {
            const Part& pb = b[it->second];
            out.push_back(blend(pa, pb, window(s, pb.start, pb.end)));
        }
    };
    auto from_b = [&](const Part& pb) {
        const auto it = in_a.find(pb.id);
        if (it == in_a.end())
            out.push_back(faded(pb, window(s, pb.start, pb.end)));
        else
            out.push_back(blend(a[it->second], pb, window(s, pb.start, pb.end)));
    };
    if (s < 0.5f) {
        for (const Part& pa : a)
            from_a(pa);
        for (const Part& pb : b)
            if (!in_a.count(pb.id)) from_b(pb);
    } else {
        for (const Part& pa : a)
            if (!in_b.count(pa.id)) from_a(pa);
        for (const Part& pb : b)
            from_b(pb);
    }
    // Parts faded out completely draw nothing.
    out.erase(std::remove_if(out.begin(), out.end(), [](const Part& p) { return p.alpha <= 0.0f; }), out.end());
    return out;
}

}  // namespace

Rgba mix(const Rgba& x, const Rgba& y, float t) {
    // A fully transparent end takes the other's colour, so fading in does not pass through white.
    const Rgba xx = x.a <= 0.0f ? Rgba{y.r, y.g, y.b, 0.0f} : x;
    const Rgba yy = y.a <= 0.0f ? Rgba{x.r, x.g, x.b, 0.0f} : y;
    return {lerp(xx.r, yy.r, t), lerp(xx.g, yy.g, t), lerp(xx.b, yy.b, t), lerp(xx.a, yy.a, t)};
}

Rgba with_alpha(Rgba c, float a) {
    c.a = a;
    return c;
}

Box& Picture::add(Box b) {
    boxes.push_back(std::move(b));
    return boxes.back();
}

Label& Picture::add(Label l) {
    labels.push_back(std::move(l));
    return labels.back();
}

Label& Picture::text(const std::string& id, const std::string& text, float x, float y, float size, const Rgba& colour,
                     float ax, float ay) {
    Label l;
    l.id = id;
    l.text = text;
    l.x = x;
    l.y = y;
    l.size = size;
    l.colour = colour;
    l.ax = ax;
    l.ay = ay;
    return add(std::move(l));
}

const Box* Picture::find_box(const std::string& id) const {
    for (const Box& b : boxes)
        if (b.id == id) return &b;
    return nullptr;
}

const Label* Picture::find_label(const std::string& id) const {
    for (const Label& l : labels)
        if (l.id == id) return &l;
    return nullptr;
}

void Picture::append(const Picture& other) {
    boxes.insert(boxes.end(), other.boxes.begin(), other.boxes.end());
    labels.insert(labels.end(), other.labels.begin(), other.labels.end());
}

float ease(float t) {
    t = std::clamp(t, 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

Picture tween(const Picture& a, const Picture& b, float s) {
    s = std::clamp(s, 0.0f, 1.0f);
    Picture out;
    out.boxes = tween_parts(a.boxes, b.boxes, s);
    out.labels = tween_parts(a.labels, b.labels, s);
    return out;
}

}  // namespace attn::gui::anim
