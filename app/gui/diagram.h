// The pictures the step diagrams are made of, and the tween between two of them. A Picture is a
// list of boxes and text labels on a 1280 x 720 canvas (origin at the top left); two pictures are
// blended by matching their parts by id: a box in both moves, resizes and recolours, one in only
// one of them fades in or out. The animation of a Pipeline step (step_animation.h) is a series of
// such keyframes; the window paints a Picture with GL (panels/step_diagram.h).
//
// Part of the GUI's model: no GL, GLFW or ImGui, so it is unit-tested without a display.
#pragma once

#include <string>
#include <vector>

namespace attn::gui::anim {

constexpr float kCanvasW = 1280.0f, kCanvasH = 720.0f;

struct Rgba {
    float r = 1.0f, g = 1.0f, b = 1.0f, a = 1.0f;
};
Rgba mix(const Rgba& x, const Rgba& y, float t);
// The canvas under every diagram: the window's own background.
constexpr Rgba kCanvasBackground{0.09f, 0.09f, 0.10f, 1.0f};
Rgba with_alpha(Rgba c, float a);

struct Box {
    std::string id;  // what a tween matches
    float x = 0, y = 0, w = 0, h = 0;
    Rgba fill{1, 1, 1, 0};    // a = 0: not filled
    Rgba edge{1, 1, 1, 0};    // outline; a = 0: none
    float edge_width = 1.5f;  // canvas units
    float radius = 3.0f;
    Rgba hatch{1, 1, 1, 0};  // stripes over the fill (a masked cell); a = 0: none
    float alpha = 1.0f;      // of the whole box (fading)
    // When, within a tween towards this box, it moves: from `start` to `end` of the tween's
    // progress (a staggered wave: one column after the other).
    float start = 0.0f, end = 1.0f;
};

struct Label {
    std::string id;
    std::string text;
    float x = 0, y = 0;
    float size = 18.0f;  // text height, canvas units
    Rgba colour;
    float ax = 0.0f, ay = 0.0f;  // anchor: 0 = left / top, 0.5 = centre, 1 = right / bottom
    float alpha = 1.0f;
    float start = 0.0f, end = 1.0f;  // as Box
};

struct Picture {
    std::vector<Box> boxes;     // drawn in order
    std::vector<Label> labels;  // drawn over the boxes, in order

    Box& add(Box b);
    Label& add(Label l);
    // A label made in one call: text at (x, y) anchored at (ax, ay).
    Label& text(const std::string& id, const std::string& text, float x, float y, float size, const Rgba& colour,
                float ax = 0.0f, float ay = 0.0f);
    const Box* find_box(const std::string& id) const;
    const Label* find_label(const std::string& id) const;
    void append(const Picture& other);
};

// Smoothstep: slow out of one layout, slow into the next.
float ease(float t);

// The picture at progress s (0: a, 1: b). Parts are matched by id. A part in both: position,
// size, colours and alpha interpolated (a label whose text changes fades out and in, the new text
// from the middle). A part only in `a` fades out, one only in `b` fades in, where they stand.
// Each part moves within its own [start, end] window of s (taken from b's part, else a's).
// Boxes keep a's drawing order in the first half and b's in the second.
Picture tween(const Picture& a, const Picture& b, float s);

}  // namespace attn::gui::anim
