#include "panels/cell_grid.h"

#include "panels/view_widgets.h"

#include <algorithm>

namespace attn::gui::views {

namespace {

struct GridMetrics {
    float label_w = 0, cell_w = 0, cell_h = 0, header_h = 0;
};

GridMetrics metrics_for(const Grid& g) {
    GridMetrics m;
    m.label_w = g.no_row_labels ? 0.0f : std::min(g.widest_row_label + 10.0f, g.max_label_w);
    m.cell_h = ImGui::GetTextLineHeight() + 5.0f;
    m.header_h = ImGui::GetTextLineHeightWithSpacing();
    if (g.vertical_cols) m.header_h = vertical_header_h(g.widest_col_label);
    if (g.cell_w > 0.0f) {
        m.cell_w = g.cell_w;
    } else {
        const float widest = std::max(g.vertical_cols ? 0.0f : g.widest_col_label, g.widest_text);
        m.cell_w = std::clamp(widest + 8.0f, 22.0f, 46.0f);
    }
    return m;
}

float grid_width(const Grid& g, const GridMetrics& m) {
    return m.label_w + m.cell_w * static_cast<float>(g.cols) + 4.0f * static_cast<float>(g.stack);
}

void draw_grid(AppContext& ctx, const Grid& g, const GridMetrics& m) {
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float stack_off = 4.0f * static_cast<float>(g.stack);
    const ImVec2 m0(origin.x + m.label_w, origin.y + m.header_h + stack_off + g.top_pad);
    const ImVec2 m1(m0.x + m.cell_w * static_cast<float>(g.cols), m0.y + m.cell_h * static_cast<float>(g.rows_shown));

    // Copies behind, offset up and right: "the same for every head".
    for (int s = g.stack; s >= 1; --s) {
        const float o = 4.0f * static_cast<float>(s);
        draw->AddRectFilled(ImVec2(m0.x + o, m0.y - o), ImVec2(m1.x + o, m1.y - o), IM_COL32(70, 70, 78, 255));
        draw->AddRect(ImVec2(m0.x + o, m0.y - o), ImVec2(m1.x + o, m1.y - o), IM_COL32(120, 120, 130, 255));
    }
    // Only the rows and columns inside the clip rectangle: a 10,000-token axis is 220,000 px long.
    const CellRange cols = visible_columns(m0.x, m.cell_w, g.cols);
    const CellRange rows = visible_rows(m0.y, m.cell_h, g.rows_shown);
    for (int c = cols.first; c < cols.last; ++c) {
        const float x = m0.x + m.cell_w * static_cast<float>(c);
        const std::string label = g.col_label(c);
        if (g.vertical_cols)
            text_vertical(draw, ImVec2(x + (m.cell_w - ImGui::GetFontSize()) * 0.5f, origin.y + m.header_h - 4.0f),
                          kText, fit_vertical(label, m.header_h - 8.0f));
        else
            text_centred(draw, ImVec2(x, origin.y), ImVec2(x + m.cell_w, origin.y + m.header_h), kText, label);
    }
    for (int r = rows.first; r < rows.last; ++r) {
        const float y = m0.y + m.cell_h * static_cast<float>(r);
        if (!g.no_row_labels) {
            const std::string label = fit_text(g.row_label(r), m.label_w - 8.0f);
            const ImVec2 size = ImGui::CalcTextSize(label.c_str());
            draw->AddText(ImVec2(m0.x - 6.0f - size.x, y + (m.cell_h - size.y) * 0.5f),
                          r == g.selected_row ? kHoverFrame : kText, label.c_str());
        }
        for (int c = cols.first; c < cols.last; ++c) {
            const ImVec2 c0(m0.x + m.cell_w * static_cast<float>(c), y), c1(c0.x + m.cell_w, y + m.cell_h);
            const CellLook look = g.look(r, c);
            draw->AddRectFilled(c0, c1, look.nan ? kNanFill : look.fill);
            if (look.masked) hatch(draw, c0, c1, kMaskedHatch, 6.0f);
            if (look.grey_hatch) hatch(draw, c0, c1, IM_COL32(128, 128, 128, 255), 6.0f);
            if (!look.text.empty()) text_centred(draw, c0, c1, look.text_colour, look.text);
        }
    }
    for (int c = cols.first; c <= cols.last; ++c) {
        const float x = m0.x + m.cell_w * static_cast<float>(c);
        draw->AddLine(ImVec2(x, m0.y), ImVec2(x, m1.y), kGridLine);
    }
    for (int r = rows.first; r <= rows.last; ++r) {
        const float y = m0.y + m.cell_h * static_cast<float>(r);
        draw->AddLine(ImVec2(m0.x, y), ImVec2(m1.x, y), kGridLine);
    }
    if (g.selected_row >= 0 && g.selected_row < g.rows_shown) {
        const float y = m0.y + m.cell_h * static_cast<float>(g.selected_row);
        draw->AddRect(ImVec2(m0.x - 1.0f, y - 1.0f), ImVec2(m1.x + 1.0f, y + m.cell_h + 1.0f), kHoverFrame, 0.0f, 0,
                      2.0f);
    }

    ImGui::SetCursorScreenPos(m0);
    if (m1.x > m0.x && m1.y > m0.y) {
        const bool clicked = ImGui::InvisibleButton(g.id, ImVec2(m1.x - m0.x, m1.y - m0.y));
        ctx.note_item(std::string("pad_mask.") + g.id);
        if (ImGui::IsItemHovered()) {
            const ImVec2 mouse = ImGui::GetIO().MousePos;
            const int c = std::clamp(static_cast<int>((mouse.x - m0.x) / m.cell_w), 0, g.cols - 1);
            const int r = std::clamp(static_cast<int>((mouse.y - m0.y) / m.cell_h), 0, g.rows_shown - 1);
            const ImVec2 c0(m0.x + m.cell_w * static_cast<float>(c), m0.y + m.cell_h * static_cast<float>(r));
            draw->AddRect(c0, ImVec2(c0.x + m.cell_w, c0.y + m.cell_h), IM_COL32_WHITE, 0.0f, 0, 2.0f);
            const std::vector<std::string> lines = g.tip(r, c);
            ImGui::BeginTooltip();
            ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28.0f);
            for (size_t i = 0; i < lines.size(); ++i)
                if (!lines[i].empty()) {
                    if (i == 0)
                        ImGui::TextUnformatted(lines[i].c_str());
                    else
                        ImGui::TextColored(kNoteText, "%s", lines[i].c_str());
                }
            ImGui::PopTextWrapPos();
            ImGui::EndTooltip();
        }
        if (clicked && g.click_row) {
            const int r =
                std::clamp(static_cast<int>((ImGui::GetIO().MousePos.y - m0.y) / m.cell_h), 0, g.rows_shown - 1);
            g.click_row(r);
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, m1.y + 2.0f));
    ImGui::Dummy(ImVec2(grid_width(g, m), 0.0f));
    if (!g.more.empty()) ImGui::TextColored(kDimText, "%s", g.more.c_str());
}

}  // namespace

float vertical_header_h(float widest_label) {
    return std::min(widest_label, 48.0f) + 8.0f;
}

float widest_of(int count, const std::function<std::string(int)>& label) {
    float widest = 0.0f;
    for (int i = 0; i < count; ++i)
        widest = std::max(widest, ImGui::CalcTextSize(label(i).c_str()).x);
    return widest;
}

int rows_that_fit(int total, float avail_h, float header_h, int max_rows) {
    const float cell_h = ImGui::GetTextLineHeight() + 5.0f;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const int fit = static_cast<int>((avail_h - line * 3.0f - header_h - 16.0f) / cell_h);
    return std::clamp(std::min(fit, max_rows), 1, std::max(1, total));
}

void card(AppContext& ctx, const std::string& title, const std::string& second, const std::string& details,
          const Grid& g) {
    const GridMetrics m = metrics_for(g);
    const float w = std::max(grid_width(g, m), 150.0f);
    ImGui::BeginGroup();
    ImGui::BeginGroup();
    ImGui::TextUnformatted(fit_text(title, w).c_str());
    ImGui::TextColored(kDimText, "%s", fit_text(second, w).c_str());
    ImGui::EndGroup();
    if (ImGui::IsItemHovered() && !details.empty()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32.0f);
        ImGui::TextUnformatted(details.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
    draw_grid(ctx, g, m);
    ImGui::EndGroup();
}

}  // namespace attn::gui::views
