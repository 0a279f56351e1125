#include "diagram_painter.h"

#include <imgui.h>
#include <imgui_internal.h>  // ImTextCharFromUtf8

#include <algorithm>
#include <cstdint>

namespace attn::gui {

namespace {

gl::Quad quad_of(float x0, float y0, float x1, float y1, const anim::Rgba& c, float alpha) {
    gl::Quad q;
    q.x0 = x0, q.y0 = y0, q.x1 = x1, q.y1 = y1;
    q.r = c.r, q.g = c.g, q.b = c.b, q.a = c.a * alpha;
    return q;
}

// The next code point of UTF-8 text (invalid bytes as U+FFFD), advancing `p`.
unsigned int next_code_point(const char*& p, const char* end) {
    unsigned int c = 0;
    const int n = ImTextCharFromUtf8(&c, p, end);
    p += std::max(n, 1);
    return c;
}

}  // namespace

void DiagramPainter::add_text(const anim::Label& label, float scale, float ox, float oy) {
    ImFont* font = ImGui::GetIO().Fonts->Fonts.empty() ? nullptr : ImGui::GetIO().Fonts->Fonts[0];
    if (font == nullptr || label.text.empty() || label.alpha <= 0.0f) return;
    const float px = label.size * scale;
    const float gs = px / font->FontSize;
    const char* begin = label.text.c_str();
    const char* end = begin + label.text.size();
    float width = 0.0f;
    for (const char* p = begin; p < end;) {
        const ImFontGlyph* g = font->FindGlyph(static_cast<ImWchar>(next_code_point(p, end)));
        if (g != nullptr) width += g->AdvanceX * gs;
    }
    float x = ox + label.x * scale - label.ax * width;
    const float y = oy + label.y * scale - label.ay * px;
    for (const char* p = begin; p < end;) {
        const ImFontGlyph* g = font->FindGlyph(static_cast<ImWchar>(next_code_point(p, end)));
        if (g == nullptr) continue;
        if (g->Visible) {
            gl::Quad q =
                quad_of(x + g->X0 * gs, y + g->Y0 * gs, x + g->X1 * gs, y + g->Y1 * gs, label.colour, label.alpha);
            q.kind = gl::QuadKind::Glyph;
            q.u0 = g->U0, q.v0 = g->V0, q.u1 = g->U1, q.v1 = g->V1;
            quads_.push_back(q);
        }
        x += g->AdvanceX * gs;
    }
}

const gl::Texture& DiagramPainter::paint(const anim::Picture& picture, int width, int height) {
    const float scale =
        std::min(static_cast<float>(width) / anim::kCanvasW, static_cast<float>(height) / anim::kCanvasH);
    const float ox = (static_cast<float>(width) - anim::kCanvasW * scale) * 0.5f;
    const float oy = (static_cast<float>(height) - anim::kCanvasH * scale) * 0.5f;
    quads_.clear();
    for (const anim::Box& b : picture.boxes) {
        if (b.alpha <= 0.0f) continue;
        const float x0 = ox + b.x * scale, y0 = oy + b.y * scale;
        const float x1 = x0 + b.w * scale, y1 = y0 + b.h * scale;
        const float radius = b.radius * scale;
        if (b.fill.a > 0.0f) {
            gl::Quad q = quad_of(x0, y0, x1, y1, b.fill, b.alpha);
            q.radius = radius;
            quads_.push_back(q);
        }
        if (b.hatch.a > 0.0f) {
            gl::Quad q = quad_of(x0, y0, x1, y1, b.hatch, b.alpha);
            q.kind = gl::QuadKind::Hatch;
            q.radius = radius;
            q.line = std::max(4.0f, 9.0f * scale);
            q.hatch_line = std::max(1.0f, 2.2f * scale);
            quads_.push_back(q);
        }
        if (b.edge.a > 0.0f && b.edge_width > 0.0f) {
            gl::Quad q = quad_of(x0, y0, x1, y1, b.edge, b.alpha);
            q.kind = gl::QuadKind::Frame;
            q.radius = radius;
            q.line = std::max(1.0f, b.edge_width * scale);
            quads_.push_back(q);
        }
    }
    for (const anim::Label& l : picture.labels)
        add_text(l, scale, ox, oy);
    const anim::Rgba bg = anim::kCanvasBackground;
    const float clear[4] = {bg.r, bg.g, bg.b, 1.0f};
    const auto atlas = static_cast<GLuint>(reinterpret_cast<intptr_t>(ImGui::GetIO().Fonts->TexID));
    renderer_.render(quads_, width, height, clear, atlas);
    return renderer_.texture();
}

}  // namespace attn::gui
