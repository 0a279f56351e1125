#include "lessons/widget_names.h"

#include <cctype>

namespace attn::gui {

const std::vector<std::string>& widget_name_patterns() {
    static const std::vector<std::string> names = {
        // The panels (Panel::draw records each window's rectangle).
        "panel.input",
        "panel.model",
        "panel.attention",
        "panel.pad_mask",
        "panel.pipeline",
        "panel.explore",
        "panel.lesson",
        "panel.status",
        // Input
        "input.sample",
        "input.image_path",
        "input.image_use",
        "input.sentence.#",
        "input.remove.#",
        "input.add_sentence",
        "input.max_len",
        "input.tokens",
        "input.grid_h",
        "input.grid_w",
        "input.full_resolution",
        // Model
        "model.module",
        "model.module.*",
        "model.emb_dim",
        "model.heads",
        "model.heads_error",
        "model.seed",
        "model.scale",
        "model.temperature",
        "model.mask_fill",
        "model.mask_fill.*",
        "model.weights_path",
        "model.weights_load",
        "model.weights_save",
        "model.weights_random",
        // Attention
        "attention.batch",
        "attention.batch.#",
        "attention.colormap",
        "attention.shared",
        "attention.opacity",
        "attention.map",
        "attention.thumb.*",
        "attention.pixel_bars.close",
        "attention.pixel_bars.t#",
        // Pad mask (the grids of cell_grid: pad_mask, expanded, softmax)
        "pad_mask.pad_mask",
        "pad_mask.expanded",
        "pad_mask.softmax",
        // Pipeline
        "pipeline.step.#",
        "pipeline.batch",
        "pipeline.head",
        "pipeline.index.*",
        "pipeline.fold",
        "pipeline.fold_index",
        "pipeline.heatmap",
        "pipeline.making",
        "pipeline.steps",
        // The teaching windows: step diagram, Q·K inspector, mask lab
        "diagram.view",
        "diagram.every_step",
        "inspector.temperature",
        "mask_lab.batch",
        "mask_lab.head",
        "mask_lab.attn_file",
        "mask_lab.use_file",
        "mask_lab.causal",
        "mask_lab.save",
        "mask_lab.case.*",
        // Status bar
        "status.cancel",
        "status.messages",
        // The lesson panel itself and the menus
        "lesson.back",
        "lesson.next",
        "lesson.close",
        "lesson.language.*",
        "lesson.task",
        "lesson.again",
        "lesson.choose.*",
        "menu.view",
        "menu.view.scale_up",
        "menu.view.scale_down",
        "menu.view.light_theme",
        "menu.view.diagram",
        "menu.view.inspector",
        "menu.view.mask_lab",
        "menu.lessons",
        "menu.lessons.*",
        "menu.file",
        "menu.file.export_light",
        // Real models (issue 11): the Model panel's folder, the large map's controls, the head view,
        // side by side, the Explore panel's tabs
        "model.folder",
        "model.folder_open",
        "model.real_info",
        "input.saved_note",
        "pipeline.saved_note",
        "model.rescan",
        "attention.layer",
        "attention.head",
        "attention.cls",
        "attention.compare",
        "attention.row_labels",
        "head_view.queries",
        "head_view.keys",
        "head_view.every_query",
        "attention.save_query",
        "compare.save",
        "compare.a",
        "compare.b",
        "compare.b_layer",
        "compare.b_head",
        "compare.b_head.*",
        "compare.b_batch",
        "compare.diff",
        // The seed's A | B: pane B's own settings (panels/seed_compare.h)
        "compare.b_fill",
        "compare.b_fill.*",
        "compare.b_scale",
        "compare.b_scale.*",
        "compare.b_scale_value",
        "compare.b_reset",
        "explore.weights",
        "explore.norms",
        "explore.tab.*",
        "model_view.batch",
        "model_view.fusion",
        "model_view.size",
        "model_view.layer",
        "model_view.export",
        "model_view.grid",
        "model_view.l*",
        "stats.batch",
        "stats.filter",
        "stats.export",
        "stats.cell.l*",
        "stats.header.*",
        "stats.row.#",
        "similarity.cell.*",
        "similarity.export",
        "pipeline.layer",
    };
    return names;
}

namespace {

bool matches(const std::string& pattern, const std::string& name) {
    size_t p = 0, n = 0;
    while (p < pattern.size()) {
        const char c = pattern[p];
        if (c == '*') {  // the rest of the name: a non-empty run of name characters
            if (n >= name.size()) return false;
            for (; n < name.size(); ++n) {
                const unsigned char ch = static_cast<unsigned char>(name[n]);
                if (!(std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.')) return false;
            }
            return p + 1 == pattern.size();
        }
        if (c == '#') {  // a number
            const size_t start = n;
            while (n < name.size() && std::isdigit(static_cast<unsigned char>(name[n])))
                ++n;
            if (n == start) return false;
            ++p;
            continue;
        }
        if (n >= name.size() || name[n] != c) return false;
        ++p, ++n;
    }
    return n == name.size();
}

}  // namespace

bool is_widget_name(const std::string& name) {
    for (const std::string& pattern : widget_name_patterns())
        if (matches(pattern, name)) return true;
    return false;
}

std::string panel_item_name(const std::string& title) {
    std::string name = title.rfind("##", 0) == 0 ? title.substr(2) : title;
    const size_t hidden = name.find("##");  // "Lesson##panel": the part after ## is ImGui's id only
    if (hidden != std::string::npos) name.resize(hidden);
    for (char& c : name)
        c = c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return "panel." + name;
}

}  // namespace attn::gui
