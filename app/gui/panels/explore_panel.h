// The Explore panel: what a real model adds to the window, in tabs under the Attention panel
// (where the seed's Pad mask panel stands for the seed's modules):
//   Model view        every layer x head as thumbnails (model_view.h)
//   Head statistics   what each head does, sortable and filterable (head_stats_view.h)
//   Similarity        the cosine similarity of the batch's sentences (similarity_view.h)
//   Tokens            each sentence's tokens, input_ids and attention_mask: what a real model's
//                     padding is, where the seed's modules have their pad_mask cards
// The tab shown is settings.explore_tab, so the session reopens it. PageUp / PageDown and [ / ]
// move through the layers from anywhere in the window.
#pragma once

#include "panels/head_stats_view.h"
#include "panels/model_view.h"
#include "panels/panel.h"
#include "panels/similarity_view.h"

namespace attn::gui {

enum class ExploreTab { ModelView = 0, HeadStats = 1, Similarity = 2, Tokens = 3 };

class ExplorePanel : public Panel {
public:
    ExplorePanel() : Panel("Explore") {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    void draw_tokens(AppContext& ctx);

    ModelView model_view_;
    HeadStatsView head_stats_;
    SimilarityView similarity_;
    bool tab_restored_ = false;  // the session's tab is selected once, at the first frame
};

}  // namespace attn::gui
