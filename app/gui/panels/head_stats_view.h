// What each head of a real model does, in numbers (core/analysis/head_stats.h): a small heat grid
// of one statistic per layer x head, and the table of every statistic, sortable by any column
// (Dear ImGui's tables) and filtered by typed conditions ("previous_share > 0.5, entropy < 2", the
// syntax of parse_head_filter). The definitions are one line each, in the headers' tooltips.
// A click on a row or a cell opens that head: it becomes the large map and the model view's
// framed cell. The statistics pool every batch item, or one chosen item.
#pragma once

#include "analysis/head_stats_table.h"
#include "app_context.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn::gui {

class HeadStatsView {
public:
    void draw(AppContext& ctx);

private:
    const HeadStatsTable& table(const AppContext& ctx);
    void draw_controls(AppContext& ctx, const HeadStatsTable& t);
    void draw_heat_grid(AppContext& ctx, const HeadStatsTable& t, float width, float height);
    void draw_table(AppContext& ctx, const HeadStatsTable& t, float height);
    void update_order(const AppContext& ctx, const HeadStatsTable& t);

    uint64_t pass_ = 0;
    int batch_item_ = -1;                 // -1: every batch item pooled
    std::optional<HeadStatsTable> item_;  // the table of one batch item, made when chosen
    std::string filter_text_;             // as parsed into filters_
    std::vector<HeadFilter> filters_;
    std::string filter_error_;
    std::vector<size_t> order_;  // rows shown, sorted and filtered
    std::string order_key_;      // what order_ was made for
};

}  // namespace attn::gui
