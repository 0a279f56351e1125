#include "layout.h"

#include <algorithm>
#include <cmath>

namespace attn::gui {

Layout compute_layout(float width, float height, float menu_height, float status_height, float ui_scale) {
    Layout l;
    const float top = menu_height, bottom = height - status_height;
    const float body = std::max(1.0f, bottom - top);
    const float s = std::max(1.0f, ui_scale);
    const float left_w = std::round(std::min(std::clamp(width * 0.25f, 300.0f * s, 440.0f * s), width * 0.28f));
    const float right_w = std::round(std::min(std::clamp(width * 0.26f, 300.0f * s, 480.0f * s), width * 0.28f));
    const float centre_w = std::max(1.0f, width - left_w - right_w);
    const float input_h = std::round(body * 0.61f);
    const float attention_h = std::round(body * 0.66f);
    l.input = {0.0f, top, left_w, input_h};
    l.model = {0.0f, top + input_h, left_w, body - input_h};
    l.attention = {left_w, top, centre_w, attention_h};
    l.pad_mask = {left_w, top + attention_h, centre_w, body - attention_h};
    l.pipeline = {left_w + centre_w, top, width - left_w - centre_w, body};
    l.status = {0.0f, bottom, width, status_height};
    return l;
}

void make_room_for_model(Layout& l) {
    const PanelRect centre = {l.attention.x, l.attention.y, l.attention.w, l.pad_mask.y + l.pad_mask.h - l.attention.y};
    const float attention_h = std::round(centre.h * 0.5f);
    l.attention = {centre.x, centre.y, centre.w, attention_h};
    l.pad_mask = {centre.x, centre.y + attention_h, centre.w, centre.h - attention_h};
}

void make_room_for_lesson(Layout& l) {
    const PanelRect centre = {l.attention.x, l.attention.y, l.attention.w, l.attention.h + l.pad_mask.h};
    const float lesson_h = std::round(centre.h * 0.40f);
    const float attention_h = std::round(centre.h * 0.35f);
    l.lesson = {centre.x, centre.y, centre.w, lesson_h};
    l.attention = {centre.x, centre.y + lesson_h, centre.w, attention_h};
    l.pad_mask = {centre.x, centre.y + lesson_h + attention_h, centre.w, centre.h - lesson_h - attention_h};
}

}  // namespace attn::gui
