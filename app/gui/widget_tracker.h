// Where the named widgets were drawn this frame (AppContext::note_item / note_rect, names in
// lessons/widget_names.h), for pointing at them: a pulsing frame around a widget on Dear ImGui's
// foreground draw list, and scrolling a widget's window until the widget is in view. Generic: a
// lesson (or anything else) names the widgets; any panel that records a name can be pointed at.
//
// It is the window's ItemRecorder and passes every name on to the test hook's (TestLayout) when
// there is one, so the end-to-end tests see the same rectangles.
#pragma once

#include "app_context.h"

#include <imgui.h>

#include <map>
#include <string>
#include <vector>

namespace attn::gui {

class WidgetTracker : public ItemRecorder {
public:
    explicit WidgetTracker(ItemRecorder* forward = nullptr) : forward_(forward) {}
    void set_forward(ItemRecorder* forward) { forward_ = forward; }

    // At the start of a frame: last frame's rectangles are forgotten.
    void begin_frame();
    void note(const std::string& name) override;
    void note_rect(const std::string& name, float x0, float y0, float x1, float y1) override;

    // Scrolls each widget's window to it the next times it is drawn outside its window's view
    // (for about two seconds, long enough for a pass to bring a widget that is not there yet).
    void bring_into_view(const std::vector<std::string>& names);
    // A pulsing frame around each named widget drawn this frame (clipped to what its window
    // shows); `phase` in seconds (steady screenshots pass a constant). `scale`: the UI scale.
    void draw_highlights(const std::vector<std::string>& names, double phase, float scale) const;

    // This frame's rectangle of `name` (screen units), when it was drawn.
    bool find(const std::string& name, ImVec2& lo, ImVec2& hi) const;

private:
    struct Seen {
        ImVec2 lo, hi;            // the widget
        ImVec2 clip_lo, clip_hi;  // what its window showed around it
    };
    ItemRecorder* forward_;
    std::map<std::string, Seen> seen_;
    std::map<std::string, int> to_view_;  // name -> frames left to try
};

}  // namespace attn::gui
