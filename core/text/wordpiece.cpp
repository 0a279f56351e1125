#include "text/wordpiece.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "text/utf8.h"
#include "text/wordpiece_unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace attn {

namespace {

std::u32string to_u32(const std::string& text, const std::string& where) {
    const std::vector<char32_t> cps = decode_utf8(text, where);
    return std::u32string(cps.begin(), cps.end());
}

std::string to_utf8(const std::u32string& s) {
    std::string out;
    for (char32_t c : s)
        out += encode_utf8(c);
    return out;
}

// transformers' _is_whitespace, _is_control and _is_punctuation.
bool is_whitespace(char32_t c) {
    return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || char_class(c) == CharClass::SpaceSeparator;
}

bool is_control(char32_t c) {
    if (c == U'\t' || c == U'\n' || c == U'\r') return false;
    return char_class(c) == CharClass::Control;
}

bool is_punctuation(char32_t c) {
    // Every ASCII character that is neither a letter nor a digit, "^", "$" and "`" included.
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
    return char_class(c) == CharClass::Punctuation;
}

// The CJK Unified Ideographs blocks BasicTokenizer spaces apart (Japanese kana and Hangul are not
// among them: they are written with spaces, or handled by WordPiece).
bool is_cjk_ideograph(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// str.split(): runs of white space separate, none at either end.
std::vector<std::u32string> split_whitespace(const std::u32string& s) {
    std::vector<std::u32string> out;
    std::u32string cur;
    for (char32_t c : s) {
        if (python_isspace(c)) {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

std::u32string strip_accents(const std::u32string& word) {
    std::u32string out;
    for (char32_t c : nfd(word))
        if (char_class(c) != CharClass::NonspacingMark) out.push_back(c);
    return out;
}

// Str.lower() of each character on its own: the regex in PreTrainedTokenizer.tokenize hands
// re.sub one character at a time, so no character sees its neighbours (no final sigma).
std::u32string lower_each_char(const std::u32string& s) {
    std::u32string out;
    out.reserve(s.size());
    for (char32_t c : s)
        out += python_lower(std::u32string(1, c));
    return out;
}

// ---- tokenizer_config.json ----

const nlohmann::json* field(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

[[noreturn]] void bad_setting(const std::string& path, const char* key, const nlohmann::json& v, const char* want) {
    throw FileError(path + ": " + key + " is " + v.dump() + ", not " + want);
}

void read_bool(const nlohmann::json& j, const std::string& path, const char* key, bool& out) {
    if (const nlohmann::json* v = field(j, key)) {
        if (!v->is_boolean()) bad_setting(path, key, *v, "true or false");
        out = v->get<bool>();
    }
}

// A special token is a string, or an AddedToken object {"content": "[UNK]", ...}.
void read_token(const nlohmann::json& j, const std::string& path, const char* key, std::string& out) {
    const nlohmann::json* v = field(j, key);
    if (!v) return;
    if (v->is_string()) {
        out = v->get<std::string>();
    } else if (v->is_object() && v->contains("content") && (*v)["content"].is_string()) {
        out = (*v)["content"].get<std::string>();
    } else {
        bad_setting(path, key, *v, "a string or {\"content\": ...}");
    }
    if (out.empty()) throw FileError(path + ": " + key + " is empty");
}

}  // namespace

WordPieceSettings read_wordpiece_settings(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw FileError(path + " is not JSON: " + e.what());
    }
    if (!j.is_object()) throw FileError(path + " is not a JSON object");
    WordPieceSettings s;
    read_bool(j, path, "do_lower_case", s.do_lower_case);
    read_bool(j, path, "tokenize_chinese_chars", s.tokenize_chinese_chars);
    read_bool(j, path, "do_basic_tokenize", s.do_basic_tokenize);
    read_bool(j, path, "do_split_on_punc", s.do_split_on_punc);
    if (const nlohmann::json* v = field(j, "strip_accents")) {
        if (!v->is_boolean()) bad_setting(path, "strip_accents", *v, "true, false or null");
        s.strip_accents = v->get<bool>();
    }
    read_token(j, path, "unk_token", s.unk_token);
    read_token(j, path, "sep_token", s.sep_token);
    read_token(j, path, "pad_token", s.pad_token);
    read_token(j, path, "cls_token", s.cls_token);
    read_token(j, path, "mask_token", s.mask_token);
    if (const nlohmann::json* v = field(j, "additional_special_tokens")) {
        if (!v->is_array()) bad_setting(path, "additional_special_tokens", *v, "a list");
        for (const nlohmann::json& t : *v) {
            if (t.is_string() && !t.get<std::string>().empty())
                s.additional_special_tokens.push_back(t.get<std::string>());
            else if (t.is_object() && t.contains("content") && t["content"].is_string())
                s.additional_special_tokens.push_back(t["content"].get<std::string>());
        }
    }
    if (const nlohmann::json* v = field(j, "model_max_length")) {
        if (!v->is_number()) bad_setting(path, "model_max_length", *v, "a number");
        // transformers writes 1e30 ("VERY_LARGE_INTEGER") when there is no limit.
        const double m = v->get<double>();
        s.model_max_length = m >= 1 && m < 1e9 ? static_cast<int64_t>(m) : 0;
    }
    return s;
}

std::vector<std::string> WordPieceTokenizer::read_vocab(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    std::vector<std::string> lines;
    std::string cur;
    bool pending = false;  // a line has started (the file does not end after a newline)
    for (size_t i = 0; i < bytes.size(); ++i) {
        const char c = static_cast<char>(bytes[i]);
        if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
            lines.push_back(std::move(cur));
            cur.clear();
            pending = false;
        } else {
            cur.push_back(c);
            pending = true;
        }
    }
    if (pending) lines.push_back(std::move(cur));
    for (size_t i = 0; i < lines.size(); ++i) {
        try {
            decode_utf8(lines[i], path + " line " + std::to_string(i + 1));
        } catch (const TextError& e) {
            throw FileError(e.what());
        }
    }
    return lines;
}

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceSettings settings, std::string source)
    : vocab_(std::move(vocab)), settings_(std::move(settings)), source_(std::move(source)) {
    // load_vocab fills a dict line by line: a token listed twice keeps its last line.
    for (size_t i = 0; i < vocab_.size(); ++i)
        ids_[vocab_[i]] = static_cast<int64_t>(i);
    unk_id_ = required_id(settings_.unk_token, "unk_token");
    cls_id_ = required_id(settings_.cls_token, "cls_token");
    sep_id_ = required_id(settings_.sep_token, "sep_token");
    pad_id_ = required_id(settings_.pad_token, "pad_token");
    special_tokens_ = {settings_.unk_token, settings_.sep_token, settings_.pad_token, settings_.cls_token,
                       settings_.mask_token};
    for (const std::string& t : settings_.additional_special_tokens)
        special_tokens_.push_back(t);
    std::sort(special_tokens_.begin(), special_tokens_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    special_tokens_.erase(std::unique(special_tokens_.begin(), special_tokens_.end()), special_tokens_.end());
}

int64_t WordPieceTokenizer::required_id(const std::string& token, const char* role) const {
    auto it = ids_.find(token);
    if (it == ids_.end())
        throw FileError(source_ + " has no " + token + " (the " + role +
                        "): a BERT vocabulary lists its special tokens");
    return it->second;
}

int64_t WordPieceTokenizer::id_of(const std::string& token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? unk_id_ : it->second;
}

const std::string& WordPieceTokenizer::token_of(int64_t id) const {
    if (id < 0 || id >= vocab_size()) return settings_.unk_token;
    return vocab_[static_cast<size_t>(id)];
}

std::vector<std::string> WordPieceTokenizer::tokenize(const std::string& text, const std::string& where) const {
    const std::u32string all = to_u32(text, where);
    std::vector<std::u32string> specials;
    for (const std::string& t : special_tokens_)
        specials.push_back(to_u32(t, "special token"));
    std::vector<std::string> out;
    // Special tokens are cut out first (leftmost, then longest), the text between them tokenized.
    size_t pos = 0, start = 0;
    auto flush = [&](size_t end) {
        std::u32string piece = all.substr(start, end - start);
        if (settings_.do_lower_case) piece = lower_each_char(piece);
        for (std::string& t : basic_tokenize(piece))
            out.push_back(std::move(t));
    };
    while (pos < all.size()) {
        const std::u32string* hit = nullptr;
        for (const std::u32string& sp : specials)
            if (!sp.empty() && all.compare(pos, sp.size(), sp) == 0) {
                hit = &sp;
                break;
            }
        if (!hit) {
            ++pos;
            continue;
        }
        flush(pos);
        out.push_back(to_utf8(*hit));
        pos += hit->size();
        start = pos;
    }
    flush(all.size());
    return out;
}

std::vector<std::string> WordPieceTokenizer::basic_tokenize(const std::u32string& text) const {
    std::vector<std::string> out;
    if (!settings_.do_basic_tokenize) {
        for (const std::u32string& w : split_whitespace(text))
            wordpiece(w, out);
        return out;
    }
    // _clean_text, then _tokenize_chinese_chars.
    std::u32string clean;
    for (char32_t c : text) {
        if (c == 0 || c == 0xFFFD || is_control(c)) continue;
        if (settings_.tokenize_chinese_chars && is_cjk_ideograph(c)) {
            clean += U' ';
            clean += c;
            clean += U' ';
        } else {
            clean += is_whitespace(c) ? U' ' : c;
        }
    }
    const bool strip = settings_.strip_accents.value_or(settings_.do_lower_case);
    for (std::u32string word : split_whitespace(nfc(clean))) {
        if (settings_.do_lower_case) word = python_lower(word);
        if (strip) word = strip_accents(word);
        // _run_split_on_punc: each punctuation character a word of its own.
        std::u32string cur;
        for (char32_t c : word) {
            if (settings_.do_split_on_punc && is_punctuation(c)) {
                if (!cur.empty()) wordpiece(cur, out);
                cur.clear();
                wordpiece(std::u32string(1, c), out);
            } else {
                cur.push_back(c);
            }
        }
        if (!cur.empty()) wordpiece(cur, out);
    }
    return out;
}

void WordPieceTokenizer::wordpiece(const std::u32string& word, std::vector<std::string>& out) const {
    const int64_t n = static_cast<int64_t>(word.size());
    if (n > settings_.max_input_chars_per_word) {
        out.push_back(settings_.unk_token);
        return;
    }
    // Byte offset of each character, so that a piece is a slice of the UTF-8 word.
    std::string bytes;
    std::vector<size_t> at;
    for (char32_t c : word) {
        at.push_back(bytes.size());
        bytes += encode_utf8(c);
    }
    at.push_back(bytes.size());
    std::vector<std::string> pieces;
    int64_t start = 0;
    while (start < n) {
        int64_t end = n;
        std::string found;
        for (; end > start; --end) {
            std::string piece = bytes.substr(at[static_cast<size_t>(start)],
                                             at[static_cast<size_t>(end)] - at[static_cast<size_t>(start)]);
            if (start > 0) piece = "##" + piece;
            if (ids_.count(piece)) {
                found = std::move(piece);
                break;
            }
        }
        if (end == start) {  // no piece of the vocabulary starts here: the whole word is unknown
            out.push_back(settings_.unk_token);
            return;
        }
        pieces.push_back(std::move(found));
        start = end;
    }
    for (std::string& p : pieces)
        out.push_back(std::move(p));
}

WordPieceBatch encode_wordpiece_batch(const WordPieceTokenizer& tokenizer, const std::vector<std::string>& sentences,
                                      int64_t max_length) {
    if (sentences.empty()) throw TextError("no sentence to tokenize");
    WordPieceBatch batch;
    std::vector<std::vector<std::string>> rows;
    size_t longest = 0;
    for (size_t i = 0; i < sentences.size(); ++i) {
        const std::string where = "sentence " + std::to_string(i + 1);
        std::vector<std::string> pieces = tokenizer.tokenize(sentences[i], where);
        std::vector<std::string> row;
        row.push_back(tokenizer.settings().cls_token);
        const size_t total = pieces.size() + 2;
        if (max_length > 0 && total > static_cast<size_t>(max_length)) {
            const size_t keep = static_cast<size_t>(std::max<int64_t>(max_length - 2, 0));
            batch.warnings.push_back(where + " has " + std::to_string(total) +
                                     " tokens with [CLS] and [SEP], more than " + std::to_string(max_length) +
                                     ": cut to " + std::to_string(max_length) +
                                     " as transformers' truncation=True does (its last " +
                                     std::to_string(pieces.size() - keep) + " pieces dropped, [SEP] kept)");
            pieces.resize(keep);
        }
        for (std::string& p : pieces)
            row.push_back(std::move(p));
        row.push_back(tokenizer.settings().sep_token);
        longest = std::max(longest, row.size());
        rows.push_back(std::move(row));
    }
    const int64_t b = static_cast<int64_t>(rows.size()), L = static_cast<int64_t>(longest);
    batch.input_ids = Tensor({b, L}, static_cast<float>(tokenizer.pad_id()), DType::Int64);
    batch.attention_mask = Tensor({b, L}, 0.0f, DType::Int64);
    for (int64_t i = 0; i < b; ++i) {
        std::vector<std::string>& row = rows[static_cast<size_t>(i)];
        for (size_t j = 0; j < row.size(); ++j) {
            const int64_t id = tokenizer.id_of(row[j]);
            batch.input_ids.data[static_cast<size_t>(i * L) + j] = static_cast<float>(id);
            batch.attention_mask.data[static_cast<size_t>(i * L) + j] = 1.0f;
            row[j] = tokenizer.token_of(id);  // the label is what the model sees: "[UNK]" for a missing piece
        }
        row.resize(static_cast<size_t>(L), tokenizer.settings().pad_token);
        batch.tokens.push_back(std::move(row));
    }
    return batch;
}

}  // namespace attn
