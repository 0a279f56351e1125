// The steps that move data without computing: the head split (view, then transpose(1, 2)), its
// undoing (merge_heads), and the cross modules' rearranges between a picture and a sequence.
#include "step_animation_parts.h"

#include <algorithm>

namespace attn::gui::anim::detail {

namespace {

// Sizes of a head split: [b, L, emb] <-> [b, heads, L, depth].
struct Split {
    std::string row_name = "seq";
    int64_t rows = 1, emb = 1, heads = 1, depth = 1;
    int vr = 1, vh = 1;  // rows and heads drawn
};

std::string piece_id(int r, int h) {
    return "piece/" + std::to_string(r) + "." + std::to_string(h);
}

// [b, L, emb]: each row one bar, the head pieces adjacent and all one colour.
Picture layout_flat(const StepContext& s, const Split& sp) {
    Picture p;
    const float x0 = 230.0f, y0 = 220.0f, bar_w = 900.0f, row_h = 34.0f, gap = 10.0f;
    const float w = bar_w / static_cast<float>(sp.vh);
    for (int r = 0; r < sp.vr; ++r)
        for (int h = 0; h < sp.vh; ++h) {
            Box b;
            b.id = piece_id(r, h);
            b.x = x0 + static_cast<float>(h) * w, b.y = y0 + static_cast<float>(r) * (row_h + gap);
            b.w = w, b.h = row_h;
            b.fill = kQ;
            b.edge = with_alpha(darker(kQ, 0.6f), 0.6f);
            b.edge_width = 1.0f;
            b.radius = 0.0f;
            p.add(b);
        }
    Grid g = make_grid("rows", x0, y0, bar_w, row_h, sp.rows, 1, sp.vr, 1, gap);
    label_top(p, "axis.top", g, dim_text("emb", sp.emb) + (sp.vh < sp.heads ? "   (the first heads drawn)" : ""),
              kText);
    label_left(p, "axis.left", g, dim_text(sp.row_name, sp.rows), kText);
    for (int r = 0; r < sp.vr; ++r) {
        const std::string t = s.query_label(r);
        if (!t.empty())
            p.text("token/" + std::to_string(r), t, x0 + bar_w + 14.0f, g.cy(r) + row_h * 0.5f, kCellTextSize, kDim,
                   0.0f, 0.5f);
    }
    if (sp.rows > sp.vr)
        p.text("more", "⋮ " + std::to_string(sp.rows - sp.vr) + " more " + sp.row_name, x0, g.y + g.height() + 6.0f,
               kLabelSize, kDim);
    return p;
}

// [b, L, heads, depth]: the same rows, each cut into heads pieces of depth, a colour per head.
Picture layout_split(const StepContext& s, const Split& sp) {
    Picture p = layout_flat(s, sp);
    const float x0 = 230.0f, bar_w = 900.0f, gap = 16.0f;
    const float w = (bar_w - gap * static_cast<float>(sp.vh - 1)) / static_cast<float>(sp.vh);
    for (Box& b : p.boxes) {
        const int h = std::stoi(b.id.substr(b.id.find('.') + 1));
        b.x = x0 + static_cast<float>(h) * (w + gap);
        b.w = w;
        b.fill = head_colour(h);
        b.edge = with_alpha(darker(head_colour(h), 0.5f), 0.9f);
        b.radius = 4.0f;
    }
    for (Label& l : p.labels)
        if (l.id == "axis.top") l.text = dim_text("heads", sp.heads) + "  x  " + dim_text("depth", sp.depth);
    const float y0 = 220.0f;
    for (int h = 0; h < sp.vh; ++h)
        p.text("head/" + std::to_string(h), "h" + std::to_string(h), x0 + static_cast<float>(h) * (w + gap) + w * 0.5f,
               y0 - 34.0f, kCellTextSize, head_colour(h), 0.5f, 1.0f);
    p.text("depth", dim_text("depth", sp.depth), x0 + w * 0.5f, y0 + static_cast<float>(sp.vr) * 44.0f + 4.0f,
           kCellTextSize, kAccent, 0.5f, 0.0f);
    return p;
}

// [b, heads, L, depth]: a deck of slabs, one per head (head 0 in front), each L rows of depth.
Picture layout_deck(const StepContext& s, const Split& sp) {
    Picture p;
    const float x0 = 250.0f, y0 = 330.0f, slab_w = 330.0f, row_h = 30.0f, gap = 6.0f;
    const float ox = std::min(70.0f, 480.0f / static_cast<float>(std::max(sp.vh - 1, 1)));
    const float oy = ox * 0.32f;
    const float slab_h = static_cast<float>(sp.vr) * (row_h + gap) + gap;
    for (int h = sp.vh - 1; h >= 0; --h) {  // back to front
        const float sx = x0 + static_cast<float>(h) * ox, sy = y0 - static_cast<float>(h) * oy;
        Box slab;
        slab.id = "slab/" + std::to_string(h);
        slab.x = sx - gap, slab.y = sy - gap, slab.w = slab_w + 2.0f * gap, slab.h = slab_h;
        slab.fill = with_alpha(darker(head_colour(h), 0.28f), 0.96f);
        slab.edge = head_colour(h);
        slab.edge_width = 1.5f;
        slab.radius = 6.0f;
        p.add(slab);
        for (int r = 0; r < sp.vr; ++r) {
            Box b;
            b.id = piece_id(r, h);
            b.x = sx, b.y = sy + static_cast<float>(r) * (row_h + gap), b.w = slab_w, b.h = row_h;
            b.fill = head_colour(h);
            b.edge = with_alpha(darker(head_colour(h), 0.5f), 0.9f);
            b.radius = 4.0f;
            p.add(b);
        }
        p.text("head/" + std::to_string(h), "h" + std::to_string(h), sx + slab_w + gap + 4.0f, sy - gap, kCellTextSize,
               head_colour(h), 0.0f, 0.5f);
    }
    const float back_x = x0 + static_cast<float>(sp.vh - 1) * ox, back_y = y0 - static_cast<float>(sp.vh - 1) * oy;
    p.text("axis.top", dim_text("heads", sp.heads) + (sp.vh < sp.heads ? " (the first drawn)" : ""),
           back_x + slab_w + 40.0f, back_y - 24.0f, kLabelSize, kText, 0.0f, 1.0f);
    Grid g = make_grid("rows", x0, y0, slab_w, row_h, sp.rows, 1, sp.vr, 1, gap);
    label_left(p, "axis.left", g, dim_text(sp.row_name, sp.rows), kText);
    p.text("depth", dim_text("depth", sp.depth), x0 + slab_w * 0.5f, y0 + slab_h + 6.0f, kCellTextSize, kAccent, 0.5f,
           0.0f);
    for (int r = 0; r < sp.vr; ++r) {
        const std::string t = s.query_label(r);
        if (!t.empty())
            p.text("token/" + std::to_string(r), t, x0 - 14.0f, g.cy(r) + row_h * 0.5f, kCellTextSize, kDim, 1.0f,
                   0.5f);
    }
    for (Label& l : p.labels)
        if (l.id == "axis.left") l.y = y0 + slab_h * 0.5f, l.x = x0 - 110.0f;
    if (sp.rows > sp.vr)
        p.text("more", "⋮ " + std::to_string(sp.rows - sp.vr) + " more " + sp.row_name, x0, y0 + slab_h + 30.0f,
               kLabelSize, kDim);
    return p;
}

}  // namespace

void build_head_split(const StepContext& s, StepAnimation& a, bool merge) {
    // The flat side is the source of a split and the step itself of a merge.
    const NamedShape& flat = merge ? s.step.shape : s.source->shape;
    const NamedShape& heads = merge ? s.source->shape : s.step.shape;
    if (flat.sizes.size() != 3 || heads.sizes.size() != 4) {
        build_generic(s, a);
        return;
    }
    Split sp;
    sp.row_name = flat.names[1];
    sp.rows = flat.sizes[1];
    sp.emb = flat.sizes[2];
    sp.heads = heads.sizes[1];
    sp.depth = heads.sizes[3];
    sp.vr = static_cast<int>(std::min<int64_t>(sp.rows, kMaxRows));
    sp.vh = static_cast<int>(std::min<int64_t>(sp.heads, 8));
    const Picture flat_p = layout_flat(s, sp), split_p = layout_split(s, sp), deck_p = layout_deck(s, sp);

    const std::string& code = s.step.code;
    const size_t t = code.find(".transpose(");
    const std::string view_code = t == std::string::npos ? code : code.substr(0, t);
    const std::string rest = t == std::string::npos ? "" : code.substr(t);
    Phase view, transpose;
    view.caption = merge ? "view: heads x depth join into emb" : "view: emb splits into heads x depth";
    transpose.caption = "transpose(1, 2): " + sp.row_name + " and heads swap";
    if (!merge) {
        view.code = view_code;
        transpose.code = rest;
        view.from = flat_p, view.to = split_p;
        transpose.from = split_p, transpose.to = deck_p;
        a.phases.push_back(std::move(view));
        a.phases.push_back(std::move(transpose));
    } else {
        // output.transpose(1, 2).contiguous().view(batch_size, -1, self.emb_dim)
        const size_t v = code.find(".view(") != std::string::npos ? code.find(".view(") : code.find(".reshape(");
        transpose.code = v == std::string::npos ? code : code.substr(0, v);
        view.code = v == std::string::npos ? code : code.substr(v);
        transpose.from = deck_p, transpose.to = split_p;
        view.from = split_p, view.to = flat_p;
        a.phases.push_back(std::move(transpose));
        a.phases.push_back(std::move(view));
    }
    if (sp.vh < sp.heads)
        a.note += "; the first " + std::to_string(sp.vh) + " of " + std::to_string(sp.heads) + " heads drawn";
}

void build_rearrange(const StepContext& s, StepAnimation& a, bool flatten) {
    // The picture side [b, c, h, w] and the sequence side [b, h*w, c].
    const NamedShape& grid_shape = flatten ? s.source->shape : s.step.shape;
    const NamedShape& seq_shape = flatten ? s.step.shape : s.source->shape;
    if (grid_shape.sizes.size() != 4 || seq_shape.sizes.size() != 3) {
        build_generic(s, a);
        return;
    }
    const int64_t h = grid_shape.sizes[2], w = grid_shape.sizes[3], c = grid_shape.sizes[1];
    const int vh = static_cast<int>(std::min<int64_t>(h, 5)), vw = static_cast<int>(std::min<int64_t>(w, 6));
    Picture pic, seq;
    // A pixel's colour follows its place, so it can be followed into the sequence.
    auto colour = [&](int r, int col) {
        Rgba x = head_colour(r);
        const float f = 0.55f + 0.45f * static_cast<float>(col) / static_cast<float>(std::max(vw - 1, 1));
        return darker(x, f);
    };
    const float px = 150.0f, py = 230.0f, cell = 44.0f;
    Grid g = make_grid("pixel", px, py, cell, cell, h, w, vh, vw, 6.0f);
    const float sx = 760.0f, sy = 160.0f, row_h = 14.0f, seg_gap = 14.0f, strip_w = 300.0f;
    for (int r = 0; r < vh; ++r)
        for (int col = 0; col < vw; ++col) {
            Box b = cell_box(g, r, col, colour(r, col));
            b.radius = 4.0f;
            pic.add(b);
            Box q = b;  // the same pixel as row r*w + col of the sequence
            q.x = sx;
            q.y = sy + static_cast<float>(r) * (static_cast<float>(vw) * row_h + seg_gap) +
                  static_cast<float>(col) * row_h;
            q.w = strip_w, q.h = row_h - 2.0f;
            q.radius = 2.0f;
            seq.add(q);
        }
    label_top(pic, "axis.top", g, dim_text(grid_shape.names[3], w), kText);
    label_left(pic, "axis.left", g, dim_text(grid_shape.names[2], h), kText);
    add_ellipses(pic, g, grid_shape.names[2], grid_shape.names[3]);
    pic.text("channels", "each pixel a vector of " + dim_text(grid_shape.names[1], c), px, py + g.height() + 40.0f,
             kLabelSize, kDim);
    for (int r = 0; r < vh; ++r) {
        const float y = sy + static_cast<float>(r) * (static_cast<float>(vw) * row_h + seg_gap);
        seq.text("seg/" + std::to_string(r), "rows " + std::to_string(r * w) + ".." + std::to_string(r * w + vw - 1),
                 sx - 10.0f, y + static_cast<float>(vw) * row_h * 0.5f, kCellTextSize, kDim, 1.0f, 0.5f);
    }
    seq.text("axis.top", dim_text(seq_shape.names[2], seq_shape.sizes[2]), sx + strip_w * 0.5f, sy - 8.0f, kLabelSize,
             kText, 0.5f, 1.0f);
    seq.text("axis.left",
             dim_text(seq_shape.names[1], seq_shape.sizes[1]) + ": pixel (r, c) is row r*" + std::to_string(w) + " + c",
             sx, sy + static_cast<float>(vh) * (static_cast<float>(vw) * row_h + seg_gap) + 6.0f, kLabelSize, kText);
    Phase ph;
    ph.caption =
        flatten ? "rearrange: the h x w pixels become h*w rows" : "rearrange: the h*w rows fold back into h x w";
    ph.code = s.step.code;
    ph.from = flatten ? pic : seq;
    ph.to = flatten ? seq : pic;
    a.phases.push_back(std::move(ph));
}

}  // namespace attn::gui::anim::detail
