// The model view: every layer x every head of a real model at once, as thumbnails, the way
// BertViz's model view shows them, one row per layer:
//   head 0 ... head H-1 | a fusion of the heads (mean, max or min) | rollout up to that layer
// A text model's thumbnails are its [L, L] matrices; a ViT's are one query's row over the picture
// ([CLS] unless another query is chosen). Clicking one makes it the large map (Attention panel);
// the layer slider and PageUp / PageDown or [ / ] move through the layers, and the row of the
// layer shown is framed.
//
// 12 x 12 heads at 128 tokens stay smooth: only the thumbnails inside the scrolled view are drawn,
// each is a texture kept by MapViews (drawn once per pass, size and style), and a few of the
// rows just outside the view are drawn ahead each frame, within a time budget, so that scrolling
// finds them made. Nothing here walks the weights per frame.
#pragma once

#include "app_context.h"

#include <cstdint>

namespace attn::gui {

class ModelView {
public:
    void draw(AppContext& ctx);

private:
    void draw_header(AppContext& ctx, const MapModel& maps);
    void draw_grid(AppContext& ctx, MapViews& views, const MapModel& maps, float height);

    float thumb_ = 0.0f;       // thumbnail side the user chose (px); 0 = fit the panel's width
    int scrolled_layer_ = -1;  // the layer the grid last scrolled to
    int prefetch_row_ = 0;     // where drawing ahead goes on next frame
    uint64_t pass_ = 0;
};

}  // namespace attn::gui
