#include "panels/lesson_panel.h"

#include "lessons/lesson_facts.h"
#include "panels/view_widgets.h"

#include <imgui.h>

#include <algorithm>
#include <string>

namespace attn::gui {

namespace {

const ImVec4 kSectionColour(1.00f, 0.66f, 0.25f, 1.0f);  // the seed's section number, as the highlight
const ImVec4 kDoneColour(0.50f, 0.86f, 0.50f, 1.0f);
const ImVec4 kTaskColour(0.98f, 0.82f, 0.45f, 1.0f);

// The seed's lines in a box of their own, wrapped where the card is narrower than a line.
void code_box(const std::vector<std::string>& lines, const std::string& source) {
    if (lines.empty()) return;
    const ImGuiStyle& style = ImGui::GetStyle();
    ImGui::PushStyleColor(ImGuiCol_ChildBg, style.Colors[ImGuiCol_FrameBg]);
    float height = style.WindowPadding.y * 2.0f;
    const float wrap_w = ImGui::GetContentRegionAvail().x - style.WindowPadding.x * 2.0f;
    for (const std::string& line : lines)
        height += ImGui::CalcTextSize(line.c_str(), nullptr, false, wrap_w).y + style.ItemSpacing.y;
    ImGui::BeginChild("##code", ImVec2(0.0f, height), false,
                      ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_AlwaysUseWindowPadding);
    ImGui::PushTextWrapPos(0.0f);
    for (const std::string& line : lines) {
        const bool comment =
            line.find_first_not_of(' ') != std::string::npos && line[line.find_first_not_of(' ')] == '#';
        if (comment)
            ImGui::TextColored(views::kNoteText, "%s", line.c_str());
        else
            ImGui::TextUnformatted(line.c_str());
    }
    ImGui::PopTextWrapPos();
    ImGui::EndChild();
    ImGui::PopStyleColor();
    if (!source.empty()) ImGui::TextColored(views::kDimText, "%s", source.c_str());
}

}  // namespace

std::string language_name(const std::string& code) {
    if (code == "en") return "English";
    if (code == "zh") return "\u4e2d\u6587";  // 中文
    return code;
}

void LessonPanel::draw_header(AppContext& ctx, const Lesson& lesson, int index) {
    Settings& s = ctx.settings;
    const std::string language = tour_.language(s);
    const LessonStep& step = lesson.steps[static_cast<size_t>(index)];
    // Right: the language switch and Close.
    const ImGuiStyle& style = ImGui::GetStyle();
    float right_w = ImGui::CalcTextSize("x").x + style.FramePadding.x * 2.0f;
    if (lesson.languages.size() > 1)
        for (const std::string& code : lesson.languages)
            right_w +=
                ImGui::CalcTextSize(language_name(code).c_str()).x + style.FramePadding.x * 2.0f + style.ItemSpacing.x;
    // Left: the lesson and how far the learner is, cut to what fits beside the buttons.
    std::string where = lesson.title.in(language);
    const auto [done, total] = tour_.tasks_done(s);
    if (total > 0)
        where += language == "zh" ? "   \u5df2\u5b8c\u6210 " + std::to_string(done) + " / " + std::to_string(total)
                                  : "   " + std::to_string(done) + " of " + std::to_string(total) + " tasks done";
    const float left_w = ImGui::GetContentRegionAvail().x - right_w - style.ItemSpacing.x;
    ImGui::TextColored(views::kDimText, "%s", views::fit_text(where, std::max(0.0f, left_w)).c_str());
    ImGui::SameLine(std::max(ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x + style.ItemSpacing.x,
                             ImGui::GetWindowContentRegionMax().x - right_w));
    if (lesson.languages.size() > 1) {
        for (const std::string& code : lesson.languages) {
            const bool on = code == language;
            if (on) ImGui::PushStyleColor(ImGuiCol_Button, style.Colors[ImGuiCol_ButtonActive]);
            if (ImGui::SmallButton((language_name(code) + "##lang_" + code).c_str())) s.language = code;
            if (on) ImGui::PopStyleColor();
            ctx.note_item("lesson.language." + code);
            ImGui::SameLine();
        }
    }
    if (ImGui::SmallButton("x##close_lesson")) {
        tour_.close(ctx);
        return;
    }
    ctx.note_item("lesson.close");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Close the lesson (your own scene comes back)");

    // "四  3 / 12  Multi-head: view and transpose into heads", the title wrapped when long.
    if (!step.section.empty()) {
        ImGui::TextColored(views::themed(kSectionColour), "%s", step.section.c_str());
        ImGui::SameLine();
    }
    ImGui::TextColored(views::kDimText, "%d / %zu", index + 1, lesson.steps.size());
    ImGui::SameLine();
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(with_facts(step.title.in(language), facts_).c_str());
    ImGui::PopTextWrapPos();
}

void LessonPanel::draw_task(AppContext& ctx, const LessonStep& step, const std::string& language) {
    if (!step.has_task) return;
    const bool done = tour_.done(ctx.settings, step);
    ImGui::Spacing();
    ImGui::PushTextWrapPos(0.0f);
    if (done) {
        ImGui::TextColored(views::themed(kDoneColour), "\u2713 %s",
                           with_facts(step.task.what.in(language), facts_).c_str());
        ctx.note_item("lesson.task");
        const std::string& noticed = step.task.noticed.in(language);
        if (!noticed.empty()) ImGui::TextUnformatted(with_facts(noticed, facts_).c_str());
    } else {
        ImGui::TextColored(views::themed(kTaskColour), "\u25b6 %s",
                           with_facts(step.task.what.in(language), facts_).c_str());
        ctx.note_item("lesson.task");
    }
    ImGui::PopTextWrapPos();
}

void LessonPanel::draw_buttons(AppContext& ctx, const Lesson& lesson, int index) {
    const bool last = index + 1 == static_cast<int>(lesson.steps.size());
    const LessonStep& step = lesson.steps[static_cast<size_t>(index)];
    const std::string language = tour_.language(ctx.settings);
    const bool zh = language == "zh";
    ImGui::Spacing();
    ImGui::BeginDisabled(index == 0);
    if (ImGui::Button(zh ? "\u2190 \u4e0a\u4e00\u6b65##back" : "\u2190 Back##back")) tour_.back(ctx);  // 上一步
    ImGui::EndDisabled();
    ctx.note_item("lesson.back");
    ImGui::SameLine();
    if (ImGui::Button(zh ? "\u91cd\u65b0\u8bbe\u7f6e##again" : "Set up again##again")) tour_.again(ctx);  // 重新设置
    ctx.note_item("lesson.again");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(zh ? "\u6062\u590d\u8fd9\u4e00\u6b65\u7684\u573a\u666f" : "Put this step's scene back");
    ImGui::SameLine();
    // Next is always there (a step may be skipped); it lights up once the task is done.
    const bool ready = !step.has_task || tour_.done(ctx.settings, step);
    if (ready) ImGui::PushStyleColor(ImGuiCol_Button, views::themed(ImVec4(0.20f, 0.48f, 0.26f, 1.0f)));
    const char* next_label = last ? (zh ? "\u5b8c\u6210##next" : "Finish##next")
                                  : (zh ? "\u4e0b\u4e00\u6b65 \u2192##next" : "Next \u2192##next");
    const bool next = ImGui::Button(next_label);  // 完成 / 下一步
    if (ready) ImGui::PopStyleColor();
    ctx.note_item("lesson.next");
    if (next) tour_.next(ctx);
}

void LessonPanel::draw_content(AppContext& ctx) {
    const Lesson* lesson = tour_.lesson(ctx.settings);
    if (!lesson) return;
    const int index = tour_.step_index(ctx.settings);
    const LessonStep& step = lesson->steps[static_cast<size_t>(index)];
    const std::string language = tour_.language(ctx.settings);
    facts_ = lesson_facts(ctx, scheduler_.settled());

    draw_header(ctx, *lesson, index);
    if (!tour_.lesson(ctx.settings)) return;  // closed
    ImGui::Separator();
    // The task and the buttons stay at the bottom of the card; the explanation and the code
    // scroll above them when the card is too short for all of it.
    const ImGuiStyle& style = ImGui::GetStyle();
    const float wrap_w = ImGui::GetContentRegionAvail().x;
    float footer_h = ImGui::GetFrameHeightWithSpacing() + style.ItemSpacing.y * 2.0f;
    if (step.has_task) {
        footer_h += ImGui::CalcTextSize(("\u25b6 " + with_facts(step.task.what.in(language), facts_)).c_str(), nullptr,
                                        false, wrap_w)
                        .y +
                    style.ItemSpacing.y * 2.0f;
        if (tour_.done(ctx.settings, step) && !step.task.noticed.in(language).empty())
            footer_h +=
                ImGui::CalcTextSize(with_facts(step.task.noticed.in(language), facts_).c_str(), nullptr, false, wrap_w)
                    .y +
                style.ItemSpacing.y;
    }
    const float body_h =
        std::max(ImGui::GetContentRegionAvail().y - footer_h, ImGui::GetTextLineHeightWithSpacing() * 3.0f);
    ImGui::BeginChild("##lesson_body", ImVec2(0.0f, body_h));
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(with_facts(step.text.in(language), facts_).c_str());
    ImGui::PopTextWrapPos();
    ImGui::Spacing();
    code_box(step.code, step.source);
    ImGui::EndChild();
    draw_task(ctx, step, language);
    draw_buttons(ctx, *lesson, index);
}

}  // namespace attn::gui
