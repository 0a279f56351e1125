// What a lesson's task looks at: the window's state as one JSON object of "facts", made each
// frame while a task waits, and the conditions on them (lesson.h's Condition).
//
// The facts are every key of the session (settings_to_json: "heads", "mask_fill", "sentences",
// "step"...) and what is shown:
//   batch_size   sentences in the batch              seq_len   tokens per row after padding
//   padding      True cells of pad_mask               depth     emb_dim / heads
//   step_name    the selected Pipeline step's name   shape     {step name: its sizes}
// step_name and shape are there only while the pass on screen is the one of the current settings,
// so a condition on them waits for the engine. A fact's path goes into objects and lists with
// dots: "shape.q_heads.1" is the second size of q_heads.
#pragma once

#include "app_context.h"
#include "lessons/lesson.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace attn::gui {

// `pass_current`: the pass on screen is the one of the current settings (PassScheduler::settled).
nlohmann::json lesson_facts(const AppContext& ctx, bool pass_current);

// The value at `path` in `facts`, or null when it is not there (yet).
nlohmann::json fact_at(const nlohmann::json& facts, const std::string& path);

// True when a fact of that path can exist: its first part is a session key or one of the shown
// facts above. For checking lesson files.
bool is_fact_path(const std::string& path);
std::vector<std::string> fact_roots();

// `text` with each {fact.path} replaced by the fact's value ("[3, 4, 5, 128]", "-inf"; "…" while
// it is not shown yet); "{{" is a brace. The paths of a text's {...} parts, for checking files.
std::string with_facts(const std::string& text, const nlohmann::json& facts);
std::vector<std::string> fact_placeholders(const std::string& text);

// Does `c` hold for `facts`? `baseline` is the fact's value when the step was set up (Changed
// compares with it; null: not known yet, and Changed does not hold).
bool condition_holds(const Condition& c, const nlohmann::json& facts, const nlohmann::json& baseline);

}  // namespace attn::gui
