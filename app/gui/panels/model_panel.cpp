#include "model_panel.h"

#include "errors.h"
#include "model_run.h"
#include "pipeline/weights_file.h"
#include "model/weights.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace attn::gui {

namespace {

const ImVec4 kErrorColour(1.0f, 0.42f, 0.42f, 1.0f);
const ImVec4 kDimColour(0.62f, 0.62f, 0.66f, 1.0f);

constexpr ModuleKind kModules[] = {ModuleKind::Self, ModuleKind::MultiHead, ModuleKind::Cross,
                                   ModuleKind::CrossMultiHead, ModuleKind::TorchMHA};

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// The factor the module itself uses, for the label under the scale combo:
// "1/sqrt(depth) = 0.125". Both cross modules use emb_dim, the multi-head one too (the seed's
// choice; see the README).
std::string module_scale_text(const Settings& s) {
    const int emb = std::max(1, s.emb_dim), heads = std::max(1, s.heads);
    const bool depth = (s.module == ModuleKind::MultiHead || s.module == ModuleKind::TorchMHA) && emb % heads == 0;
    const double v = 1.0 / std::sqrt(static_cast<double>(depth ? emb / heads : emb));
    return std::string(depth ? "1/sqrt(depth)" : "1/sqrt(emb_dim)") + " = " + number(v);
}

}  // namespace

// The seed's five modules, then every real model found (use-lite, the HF cache, folders opened
// before), in one list.
void ModelPanel::draw_module(AppContext& ctx) {
    Settings& s = ctx.settings;
    const std::string preview =
        s.model.empty()
            ? module_class_name(s.module)
            : model_display_name(s.model) + (ctx.showing_saved_attention() ? "  (saved attention)" : "  (real model)");
    ImGui::SetNextItemWidth(-FLT_MIN);
    const bool open = ImGui::BeginCombo("##module", preview.c_str());
    ctx.note_item("model.module");
    if (!open) return;
    rescan_models(ctx, /*force=*/false);
    for (ModuleKind k : kModules) {
        const std::string label = module_class_name(k) + (is_cross(k) ? "  (image -> text)" : "  (text -> text)");
        if (ImGui::Selectable(label.c_str(), s.model.empty() && k == s.module)) {
            s.module = k;
            s.model.clear();
        }
        ctx.note_item("model.module." + module_name(k));
    }
    ImGui::Separator();
    ImGui::TextColored(kDimColour, "Real trained models");
    for (const ModelEntry& e : found_.usable) {
        const std::string label = e.name + "  (" + family_name(e.family) + ", " + std::to_string(e.layers) + " x " +
                                  std::to_string(e.heads) + " heads)";
        const std::string value = model_request_name(e.path);
        if (ImGui::Selectable(label.c_str(), s.model == value)) choose_model(ctx, value);
        ctx.note_item("model.module." + (e.path == "use-lite" ? std::string("use-lite") : e.name));
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", e.path.c_str());
    }
    if (found_.usable.empty())
        ImGui::TextColored(kDimColour, "none found: attnscope-cli fetch use-lite, or open a folder below");
    for (const std::string& why : found_.skipped)
        ImGui::TextColored(kDimColour, "skipped %s", why.c_str());
    ImGui::EndCombo();
}

namespace {

void draw_sizes(AppContext& ctx) {
    Settings& s = ctx.settings;
    const float w = ImGui::GetFontSize() * 7.0f;
    ImGui::SetNextItemWidth(w);
    int emb = s.emb_dim;
    if (ImGui::InputInt("emb_dim", &emb, 8, 64)) s.emb_dim = std::clamp(emb, 1, 4096);
    ctx.note_item("model.emb_dim");

    const bool multi = has_heads(s.module);
    ImGui::BeginDisabled(!multi);
    ImGui::SetNextItemWidth(w);
    int heads = s.heads;
    if (ImGui::InputInt("heads", &heads, 1, 4)) s.heads = std::clamp(heads, 1, 4096);
    ctx.note_item("model.heads");
    ImGui::EndDisabled();
    if (!multi) {
        ImGui::SameLine();
        ImGui::TextColored(kDimColour, "(one head: %s)", module_class_name(s.module).c_str());
        return;
    }
    if (s.emb_dim % std::max(1, s.heads) == 0) {
        ImGui::SameLine();
        ImGui::TextColored(kDimColour, "depth = %d", s.emb_dim / std::max(1, s.heads));
        return;
    }
    // Not sent to the engine (blocked_reason): say why, and offer the counts that work.
    ImGui::PushStyleColor(ImGuiCol_Text, kErrorColour);
    ImGui::TextWrapped(
        "%d heads do not divide emb_dim %d: each head takes emb_dim / heads features. "
        "Not computed; the maps stay those of the last valid settings. Valid:",
        s.heads, s.emb_dim);
    ImGui::PopStyleColor();
    ctx.note_item("model.heads_error");
    int shown = 0;
    for (int d : head_divisors(s.emb_dim)) {
        if (shown > 0) ImGui::SameLine();
        if (ImGui::SmallButton(std::to_string(d).c_str())) s.heads = d;
        if (++shown == 12) break;
    }
}

void draw_seed_scale_fill(AppContext& ctx) {
    Settings& s = ctx.settings;
    const float w = ImGui::GetFontSize() * 7.0f;
    ImGui::SetNextItemWidth(w);
    const uint64_t one = 1;
    ImGui::InputScalar("seed", ImGuiDataType_U64, &s.seed, &one);
    ctx.note_item("model.seed");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Seeds the random weights and embedding (ignored by loaded weights).");

    // Scale: what the scores are multiplied by before the softmax.
    const char* scale_labels[] = {"module's own", "1/sqrt(depth)", "1/sqrt(emb_dim)", "temperature"};
    int scale_index = static_cast<int>(s.scale.kind);
    ImGui::SetNextItemWidth(w * 1.6f);
    if (ImGui::Combo("scale", &scale_index, scale_labels, 4)) {
        const auto kind = static_cast<ScaleChoice::Kind>(scale_index);
        if (kind == ScaleChoice::Kind::Number && s.scale.kind != ScaleChoice::Kind::Number) {
            // Start the slider where the picture is, so switching does not change it.
            ModuleConfig c;
            c.kind = s.module;
            c.emb_dim = std::max(1, s.emb_dim);
            c.heads = s.emb_dim % std::max(1, s.heads) == 0 ? std::max(1, s.heads) : 1;
            c.scale = s.scale;
            s.scale.value = c.scale_factor();
        }
        s.scale.kind = kind;
    }
    ctx.note_item("model.scale");
    if (s.scale.kind == ScaleChoice::Kind::Module)
        ImGui::TextColored(kDimColour, "scores x %s", module_scale_text(s).c_str());
    if (s.scale.kind == ScaleChoice::Kind::Number) {
        // softmax(scores * factor) = softmax(scores / T): a higher temperature flattens the maps.
        float t = s.scale.value > 0.0 ? static_cast<float>(1.0 / s.scale.value) : 1.0f;
        ImGui::SetNextItemWidth(w * 1.6f);
        if (ImGui::SliderFloat("temperature T", &t, 0.01f, 100.0f, "%.3g", ImGuiSliderFlags_Logarithmic))
            s.scale.value = 1.0 / std::clamp(static_cast<double>(t), 1e-4, 1e6);
        ctx.note_item("model.temperature");
        ImGui::TextColored(kDimColour, "scores x 1/T = x %s", number(s.scale.value).c_str());
    }

    const char* fill_labels[] = {"module's own", "-1e9", "-inf"};
    ImGui::SetNextItemWidth(w * 1.6f);
    if (ImGui::BeginCombo("mask fill", fill_labels[static_cast<int>(s.mask_fill)])) {
        for (int i = 0; i < 3; ++i) {
            const auto fill = static_cast<MaskFill>(i);
            if (ImGui::Selectable(fill_labels[i], fill == s.mask_fill)) s.mask_fill = fill;
            ctx.note_item("model.mask_fill." + mask_fill_name(fill));  // a lesson's test picks -inf
        }
        ImGui::EndCombo();
    }
    ctx.note_item("model.mask_fill");
    if (s.mask_fill == MaskFill::Module) {
        ImGui::SameLine();
        ImGui::TextColored(kDimColour, "%s", s.module == ModuleKind::TorchMHA ? "-inf" : "-1e9");
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "What masked_fill writes into padded keys. With -inf a row that is all padding\n"
            "becomes NaN after the softmax (as in PyTorch), drawn magenta.");
}

}  // namespace

void ModelPanel::rescan_models(AppContext& ctx, bool force) {
    const double now = ctx.clock();
    if (!force && scanned_ && now - scanned_at_ < 2.0) return;
    // Folders opened before stay in the list (find_models takes a model folder itself too).
    std::vector<std::string> dirs = opened_;
    const std::string& current = ctx.settings.model;
    if (!current.empty() && current != "use-lite" && std::find(dirs.begin(), dirs.end(), current) == dirs.end())
        dirs.push_back(current);  // dropped on the window, or restored from the session
    found_ = find_models(dirs);
    scanned_ = true;
    scanned_at_ = now;
}

void ModelPanel::choose_model(AppContext& ctx, const std::string& name_or_path) {
    ctx.settings.model = model_request_name(name_or_path);
    if (ctx.settings.model != "use-lite" &&
        std::find(opened_.begin(), opened_.end(), ctx.settings.model) == opened_.end())
        opened_.push_back(ctx.settings.model);
}

void ModelPanel::draw_real_model(AppContext& ctx) {
    Settings& s = ctx.settings;
    const bool shown = ctx.model_run && ctx.model_run->requested == s.model;
    if (shown) {
        const ModelInfo& info = ctx.model_run->info;
        ImGui::Text("%s  (%s)", info.name.c_str(), family_name(info.family).c_str());
        if (info.family == ModelFamily::SavedAttention) {
            ImGui::TextColored(kDimColour, "%lld layers x %lld heads, its tokens and mask from the file",
                               static_cast<long long>(info.layers), static_cast<long long>(info.heads));
        } else {
            ImGui::TextColored(kDimColour, "%lld layers x %lld heads, hidden %lld, FFN %lld",
                               static_cast<long long>(info.layers), static_cast<long long>(info.heads),
                               static_cast<long long>(info.hidden), static_cast<long long>(info.intermediate));
            ImGui::TextColored(
                kDimColour, "%s",
                info.takes_text ? "reads the sentences of the Input panel" : "reads the picture of the Input panel");
        }
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(kDimColour, "%s", info.path.c_str());
        ImGui::PopTextWrapPos();
    } else {
        ImGui::TextColored(kDimColour, "loading %s…", model_display_name(s.model).c_str());
    }
    ctx.note_item("model.real_info");
    if (ctx.showing_saved_attention()) return;  // the Input and Pipeline panels say what a file holds
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(kDimColour,
                       "A real model brings its own sizes and weights: emb_dim, heads, seed, scale and mask fill "
                       "belong to the seed's modules (pick one above to go back).");
    ImGui::PopTextWrapPos();
}

void ModelPanel::draw_folder(AppContext& ctx) {
    ImGui::Spacing();
    ImGui::TextUnformatted("Model folder");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "A Hugging Face BERT or ViT folder (config.json and its weights), use-lite, or a .safetensors\n"
            "file of saved attention from any model (share/attnscope/python/attnscope_save.py writes it).\n"
            "Dropping a folder or such a file on the window opens it too.");
    ImGui::SetNextItemWidth(-FLT_MIN);
    const bool enter = ImGui::InputTextWithHint("##model_folder", "/path/to/a/bert-or-vit-folder", &folder_field_,
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    ctx.note_item("model.folder");
    if (ImGui::Button("Open") || enter) {
        std::string path = folder_field_;
        while (!path.empty() && (path.back() == ' ' || path.back() == '\n'))
            path.pop_back();
        std::error_code ec;
        if (path.empty())
            ctx.error("Open a model: type the path of a folder (or use-lite) first");
        else if (path != "use-lite" && !std::filesystem::is_directory(path, ec) && !names_attentions_file(path))
            ctx.error(path +
                      ": no such folder or file (a model is a folder with config.json and its weights; a "
                      "file of saved attention is a .safetensors file)");
        else
            choose_model(ctx, path);
    }
    ctx.note_item("model.folder_open");
    ImGui::SameLine();
    if (ImGui::Button("Rescan")) rescan_models(ctx, /*force=*/true);
    ctx.note_item("model.rescan");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Look again for use-lite and the Hugging Face cache (%s)", hf_hub_cache_dir().c_str());
}

void ModelPanel::draw_weights(AppContext& ctx) {
    Settings& s = ctx.settings;
    if (!synced_ || weights_shown_ != s.weights_path) {
        if (!s.weights_path.empty() || !synced_) weights_field_ = s.weights_path;
        weights_shown_ = s.weights_path;
        synced_ = true;
    }
    ImGui::Spacing();
    ImGui::TextUnformatted("Weights");
    ImGui::SameLine();
    if (s.weights_path.empty())
        ImGui::TextColored(kDimColour, "random, seed %llu", static_cast<unsigned long long>(s.seed));
    else
        ImGui::TextColored(kDimColour, "from %s", std::filesystem::path(s.weights_path).filename().string().c_str());
    ImGui::SetNextItemWidth(-FLT_MIN);
    ImGui::InputTextWithHint("##weights", "weights.safetensors", &weights_field_);
    ctx.note_item("model.weights_path");
    if (ImGui::Button("Load")) {
        std::error_code ec;
        if (weights_field_.empty())
            ctx.error("Load weights: type the path of a .safetensors file first");
        else if (!std::filesystem::is_regular_file(weights_field_, ec))
            ctx.error(weights_field_ + ": no such file");
        else
            s.weights_path = std::filesystem::absolute(weights_field_).string();
    }
    ctx.note_item("model.weights_load");
    ImGui::SameLine();
    if (ImGui::Button("Save")) {
        try {
            if (weights_field_.empty())
                throw FileError("Save weights: type a file name first (e.g. weights.safetensors)");
            // The field may hold a path restored from a session file, which anyone could have
            // written: Save overwrites only .safetensors files, never a file of another kind.
            std::string ext = std::filesystem::path(weights_field_).extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (ext != ".safetensors")
                throw FileError("Save weights: " + weights_field_ +
                                ": the file name must end in .safetensors (nothing else is overwritten)");
            save_weights(ctx, weights_field_);
            ctx.info("Saved the weights to " + std::filesystem::absolute(weights_field_).string());
        } catch (const std::exception& e) {
            ctx.error(e.what());
        }
    }
    ctx.note_item("model.weights_save");
    ImGui::SameLine();
    ImGui::BeginDisabled(s.weights_path.empty());
    if (ImGui::Button("Random")) s.weights_path.clear();
    ImGui::EndDisabled();
    ctx.note_item("model.weights_random");
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("Go back to seeded random weights");
}

void save_weights(const AppContext& ctx, const std::string& path) {
    if (!ctx.scene) throw FileError("Save weights: no pass has finished yet");
    save_module_weights(*ctx.scene, path);
}

void ModelPanel::draw_content(AppContext& ctx) {
    draw_module(ctx);
    if (!ctx.settings.model.empty()) {
        draw_real_model(ctx);
        draw_folder(ctx);
        return;
    }
    draw_sizes(ctx);
    draw_seed_scale_fill(ctx);
    draw_weights(ctx);
    draw_folder(ctx);
}

}  // namespace attn::gui
