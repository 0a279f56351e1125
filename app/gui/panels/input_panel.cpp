#include "input_panel.h"

#include "errors.h"
#include "image/image.h"
#include "model_run.h"
#include "panels/view_widgets.h"
#include "text/tokenizer.h"

#include <imgui.h>
#include <imgui_internal.h>  // GetActiveID: the max_len field keeps what is typed
#include <imgui_stdlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

namespace attn::gui {

namespace {

const ImVec4 kErrorColour(1.0f, 0.42f, 0.42f, 1.0f);
const ImVec4 kDimColour(0.62f, 0.62f, 0.66f, 1.0f);
const ImVec4 kPadColour(0.62f, 0.62f, 0.66f, 1.0f);
constexpr int kMaxTokenColumns = 48;
const ImU32 kPadCellColour = IM_COL32(110, 40, 60, 150);  // cells where pad_mask is True

bool is_pad_cell(const TokenBatch& tb, int i, int j) {
    return tb.pad_mask.data[static_cast<size_t>(i * tb.pad_mask.dim(1) + j)] != 0.0f;
}

std::string file_name(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

// "auto", "0" or "" -> 0 (auto); "7" -> 7; anything else -> nullopt (kept as typed, not applied).
std::optional<int> parse_max_len(std::string text) {
    text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }), text.end());
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    if (text == "auto") return 0;
    if (text.empty() || text.size() > 6 || !std::all_of(text.begin(), text.end(), ::isdigit)) return std::nullopt;
    return std::clamp(std::stoi(text), 0, 512);
}

}  // namespace

void InputPanel::draw_image_choice(AppContext& ctx) {
    Settings& s = ctx.settings;
    if (!synced_ || image_shown_ != s.image_path) {
        image_field_ = s.image_path;  // empty for the default picture: the combo names it
        image_shown_ = s.image_path;
        synced_ = true;
    }
    const std::string current = s.image_path.empty() ? ctx.default_image() : s.image_path;

    ImGui::TextUnformatted("Picture");
    if (!is_cross(s.module) && s.model.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(kDimColour, "(used by the cross modules only)");
    }
    const std::vector<std::string> samples = ctx.bundled_images();
    std::string preview = file_name(current);
    if (std::find(samples.begin(), samples.end(), current) == samples.end()) preview += "  (your file)";
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (ImGui::BeginCombo("##sample", preview.c_str())) {
        for (const std::string& path : samples) {
            const bool selected = path == current;
            if (ImGui::Selectable(("sample: " + file_name(path)).c_str(), selected))
                choose_image(ctx, path == ctx.default_image() ? "" : path);
            if (selected) ImGui::SetItemDefaultFocus();
        }
        ImGui::EndCombo();
    }
    ctx.note_item("input.sample");

    const float use_width = ImGui::CalcTextSize("Use").x + ImGui::GetStyle().FramePadding.x * 2.0f;
    ImGui::SetNextItemWidth(-(use_width + ImGui::GetStyle().ItemSpacing.x));
    const bool entered = ImGui::InputTextWithHint("##image_path", "path to a PNG / JPEG, or drop one here",
                                                  &image_field_, ImGuiInputTextFlags_EnterReturnsTrue);
    ctx.note_item("input.image_path");
    ImGui::SameLine();
    if (ImGui::Button("Use") || entered) choose_image(ctx, image_field_);
    ctx.note_item("input.image_use");
}

void InputPanel::draw_sentences(AppContext& ctx) {
    Settings& s = ctx.settings;
    ImGui::Spacing();
    ImGui::TextUnformatted("Sentences (the batch)");
    std::optional<size_t> remove;
    const float remove_width = ImGui::GetFrameHeight();
    for (size_t i = 0; i < s.sentences.size(); ++i) {
        ImGui::PushID(static_cast<int>(i));
        ImGui::AlignTextToFramePadding();
        // Numbered from 1, as the engine's messages name them: "sentence 1" is batch item b = 0.
        ImGui::Text("%zu", i + 1);
        ImGui::SameLine();
        ImGui::SetNextItemWidth(-(remove_width + ImGui::GetStyle().ItemSpacing.x));
        if (focus_sentence_ == static_cast<int>(i)) {
            ImGui::SetKeyboardFocusHere();
            focus_sentence_ = -1;
        }
        ImGui::InputTextWithHint("##sentence", "type a sentence", &s.sentences[i]);
        ctx.note_item("input.sentence." + std::to_string(i));
        ImGui::SameLine();
        // The batch needs a sentence: the last one cannot be removed.
        ImGui::BeginDisabled(s.sentences.size() <= 1);
        if (ImGui::Button("x", ImVec2(remove_width, 0.0f))) remove = i;
        ImGui::EndDisabled();
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip(s.sentences.size() <= 1 ? "The batch needs at least one sentence"
                                                      : "Remove this sentence");
        ctx.note_item("input.remove." + std::to_string(i));
        ImGui::PopID();
    }
    if (remove && s.sentences.size() > 1) s.sentences.erase(s.sentences.begin() + static_cast<long>(*remove));
    if (ImGui::Button("+ Add sentence")) {
        s.sentences.emplace_back();
        focus_sentence_ = static_cast<int>(s.sentences.size()) - 1;
    }
    ctx.note_item("input.add_sentence");
    if (!ctx.settings.model.empty()) return;  // a real model pads to the longest sentence itself
    ImGui::SameLine();
    draw_max_len(ctx);
}

// Drawn like ImGui::InputInt("max_len") (a field, - and + buttons, the label), except that the
// field reads "auto" for max_len 0 and takes "auto" typed in.
void InputPanel::draw_max_len(AppContext& ctx) {
    Settings& s = ctx.settings;
    const ImGuiStyle& style = ImGui::GetStyle();
    const float button = ImGui::GetFrameHeight();
    const float width = ImGui::GetFontSize() * 5.5f;
    const int padded = ctx.tokens().batch ? static_cast<int>(ctx.tokens().batch->input_ids.dim(1)) : 1;
    const std::string shown = s.max_len > 0 ? std::to_string(s.max_len) : "auto";
    ImGui::BeginGroup();
    ImGui::PushID("max_len");
    // Kept as typed while the field is being edited; otherwise it shows the setting.
    if (ImGui::GetActiveID() != ImGui::GetID("##value")) max_len_field_ = shown;
    ImGui::SetNextItemWidth(std::max(1.0f, width - (button + style.ItemInnerSpacing.x) * 2.0f));
    ImGui::InputText("##value", &max_len_field_, ImGuiInputTextFlags_AutoSelectAll);
    if (ImGui::IsItemEdited())
        if (const std::optional<int> v = parse_max_len(max_len_field_)) s.max_len = *v;
    const ImVec2 padding = style.FramePadding;
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(padding.y, padding.y));
    ImGui::PushButtonRepeat(true);
    ImGui::SameLine(0.0f, style.ItemInnerSpacing.x);
    // Below 1 is auto; up from auto starts at the length auto pads to.
    if (ImGui::Button("-", ImVec2(button, button))) s.max_len = std::max(0, (s.max_len > 0 ? s.max_len : padded) - 1);
    ImGui::SameLine(0.0f, style.ItemInnerSpacing.x);
    if (ImGui::Button("+", ImVec2(button, button))) s.max_len = std::min(512, (s.max_len > 0 ? s.max_len : padded) + 1);
    ImGui::PopButtonRepeat();
    ImGui::PopStyleVar();
    ImGui::SameLine(0.0f, style.ItemInnerSpacing.x);
    ImGui::TextUnformatted("max_len");
    ImGui::PopID();
    ImGui::EndGroup();
    ctx.note_item("input.max_len");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Pad (with id 0) or cut every sentence to this many tokens.\n"
            "auto (type auto or 0): pad to the longest sentence (now %d); the seed's own batch pads to 5.",
            padded);
}

void InputPanel::draw_tokens(AppContext& ctx) {
    const TokenPreview& p = ctx.tokens();
    ImGui::Spacing();
    if (!p.error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, kErrorColour);
        ImGui::TextWrapped("%s", p.error.c_str());
        ImGui::PopStyleColor();
        return;
    }
    const TokenBatch& tb = *p.batch;
    const int b = static_cast<int>(tb.input_ids.dim(0)), seq = static_cast<int>(tb.input_ids.dim(1));
    ImGui::Text("Tokens and input_ids [b, seq] = [%d, %d]", b, seq);
    ImGui::TextColored(kDimColour, "shaded: pad_mask = input_ids.eq(0) is True");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Ids start at 1 in order of first appearance across the batch; 0 is padding.\n"
            "Padded keys are filled with the mask fill before the softmax.");
    const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX |
                                  ImGuiTableFlags_NoHostExtendX;
    // Tall enough for every row (two per sentence, and the header) up to 12, plus the scrollbar.
    const float row_h = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2.0f + 1.0f;
    const float wanted = row_h * static_cast<float>(2 * b + 1) + 4.0f;
    // Dear ImGui allows 64 columns (and aborts beyond): long sentences show their first tokens.
    const int shown = std::min(seq, kMaxTokenColumns);
    const float notes = static_cast<float>(tb.warnings.size() + (shown < seq ? 1 : 0));
    const float room = ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * notes;
    const float height = std::max(row_h * 3.0f, std::min(wanted, room));
    if (ImGui::BeginTable("tokens", shown + 1, flags | ImGuiTableFlags_ScrollY, ImVec2(0.0f, height))) {
        ImGui::TableSetupScrollFreeze(1, 1);
        ImGui::TableSetupColumn("b");
        for (int j = 0; j < shown; ++j)
            ImGui::TableSetupColumn(std::to_string(j).c_str());
        ImGui::TableHeadersRow();
        for (int i = 0; i < b; ++i) {
            // Two rows per sentence: its tokens, then its ids with the padding greyed.
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::Text("%d", i);
            const auto& row = tb.tokens[static_cast<size_t>(i)];
            for (int j = 0; j < shown; ++j) {
                ImGui::TableSetColumnIndex(j + 1);
                if (j < static_cast<int>(row.size()) && !is_pad_cell(tb, i, j)) {
                    ImGui::TextUnformatted(row[static_cast<size_t>(j)].c_str());
                } else {
                    ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, kPadCellColour);
                    ImGui::TextColored(kPadColour, "<pad>");
                }
            }
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::TextColored(kDimColour, "ids");
            for (int j = 0; j < shown; ++j) {
                ImGui::TableSetColumnIndex(j + 1);
                // Int64 tensors hold their whole numbers in float storage.
                const long long id = static_cast<long long>(tb.input_ids.data[static_cast<size_t>(i * seq + j)]);
                if (is_pad_cell(tb, i, j)) {
                    ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, kPadCellColour);
                    ImGui::TextColored(kPadColour, "%lld", id);
                } else {
                    ImGui::Text("%lld", id);
                }
            }
        }
        ImGui::EndTable();
    }
    ctx.note_item("input.tokens");
    if (shown < seq) ImGui::TextColored(kDimColour, "the first %d of %d positions shown", shown, seq);
    for (const std::string& w : tb.warnings)
        ImGui::TextColored(kDimColour, "%s", w.c_str());
}

// The grid the picture is area-averaged to (the queries of the cross modules), on the line
// under the picture: "451 x 300 px -> grid [40] x [40]", then "full resolution".
void InputPanel::draw_grid(AppContext& ctx) {
    Settings& s = ctx.settings;
    ImGui::AlignTextToFramePadding();
    if (ctx.scene && !ctx.scene->images.empty())
        ImGui::TextColored(kDimColour, "%d x %d px  ->  grid", ctx.scene->images[0]->width,
                           ctx.scene->images[0]->height);
    else
        ImGui::TextColored(kDimColour, "grid");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("The picture is averaged to h x w cells; each cell is one query of the cross modules.");
    ImGui::BeginDisabled(s.full_resolution);
    const float w = ImGui::GetFontSize() * 3.2f;
    int gh = s.grid_h, gw = s.grid_w;
    ImGui::SameLine();
    ImGui::SetNextItemWidth(w);
    if (ImGui::InputInt("##grid_h", &gh, 0, 0)) s.grid_h = std::clamp(gh, 1, 4096);
    ctx.note_item("input.grid_h");
    ImGui::SameLine();
    ImGui::TextUnformatted("x");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(w);
    if (ImGui::InputInt("##grid_w", &gw, 0, 0)) s.grid_w = std::clamp(gw, 1, 4096);
    ctx.note_item("input.grid_w");
    ImGui::EndDisabled();
    ImGui::Checkbox("full resolution", &s.full_resolution);
    ctx.note_item("input.full_resolution");
    ImGui::SameLine();
    ImGui::TextColored(kDimColour, "(a query per pixel: slow)");
}

void choose_image(AppContext& ctx, const std::string& path) {
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
        ctx.error(path + ": no such file; the picture stays " +
                  file_name(ctx.settings.image_path.empty() ? ctx.default_image() : ctx.settings.image_path));
        return;
    }
    if (!path.empty()) {
        try {
            probe_image(path);  // not a picture at all: refuse it now and keep the one in use
        } catch (const Error& e) {
            ctx.error(std::string(e.what()) + "; the picture stays " +
                      file_name(ctx.settings.image_path.empty() ? ctx.default_image() : ctx.settings.image_path));
            return;
        }
    }
    ctx.settings.image_path = path;
    if (!is_cross(ctx.settings.module))
        ctx.info("Picture set; it is used by the cross modules (Model: CrossAttention, CrossMultiAttention)");
}

void InputPanel::draw_model_inputs(AppContext& ctx) {
    const bool loaded = ctx.model_run && ctx.model_run->requested == ctx.settings.model;
    if (ctx.showing_saved_attention()) {
        draw_saved_inputs(ctx);
        return;
    }
    if (loaded && !ctx.model_run->info.takes_text) {
        draw_image_choice(ctx);
        ImGui::TextColored(kDimColour, "%s resizes the picture to %lld x %lld and cuts it into %lld px patches.",
                           ctx.model_run->info.name.c_str(), static_cast<long long>(ctx.model_run->info.image_height),
                           static_cast<long long>(ctx.model_run->info.image_width),
                           static_cast<long long>(ctx.model_run->info.patch_size));
        return;
    }
    draw_sentences(ctx);
    ImGui::Spacing();
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(kDimColour,
                       "%s makes its own tokens, input_ids and attention_mask from the sentences "
                       "(the Explore panel's Tokens tab shows them).",
                       model_display_name(ctx.settings.model).c_str());
    ImGui::PopTextWrapPos();
    if (!loaded) return;
    const ModelInputs& in = ctx.model_run->inputs;
    for (size_t b = 0; b < in.tokens.size() && b < 8; ++b) {
        std::string line = std::to_string(b + 1) + ":";
        for (const std::string& t : in.tokens[b])
            line += " " + t;
        ImGui::TextUnformatted(views::fit_text(line, ImGui::GetContentRegionAvail().x).c_str());
    }
}

void InputPanel::draw_saved_inputs(AppContext& ctx) {
    // The file brings its tokens, mask and picture: nothing here changes them.
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(kDimColour,
                       "Saved attention from %s: its tokens, attention_mask and picture come from the file "
                       "(choose a model in the Model panel to type sentences again).",
                       model_display_name(ctx.settings.model).c_str());
    ImGui::PopTextWrapPos();
    ctx.note_item("input.saved_note");
    const ModelInputs& in = ctx.model_run->inputs;
    if (in.patch_rows > 0) {
        ImGui::Text("%lld prefix token(s), then %lld x %lld patches", static_cast<long long>(in.prefix_tokens),
                    static_cast<long long>(in.patch_rows), static_cast<long long>(in.patch_cols));
        return;
    }
    for (size_t b = 0; b < in.tokens.size() && b < 8; ++b) {
        std::string line = std::to_string(b + 1) + ":";
        int64_t padding = 0;
        for (size_t k = 0; k < in.tokens[b].size(); ++k) {
            line += " " + in.tokens[b][k];
            padding += in.attention_mask.data[b * in.tokens[b].size() + k] == 0.0f;
        }
        if (padding > 0) line += "   (" + std::to_string(padding) + " padding)";
        ImGui::TextUnformatted(views::fit_text(line, ImGui::GetContentRegionAvail().x).c_str());
    }
}

void InputPanel::draw_content(AppContext& ctx) {
    // A real model reads the sentences (text models) or the picture (ViT) and tokenizes itself.
    if (!ctx.settings.model.empty()) {
        draw_model_inputs(ctx);
        return;
    }
    draw_image_choice(ctx);
    draw_grid(ctx);
    draw_sentences(ctx);
    draw_tokens(ctx);
}

}  // namespace attn::gui
