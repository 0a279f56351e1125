#include "text/sentencepiece.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "text/utf8.h"

#include <nlohmann/json.hpp>
#include <unicode/unorm2.h>

#include <algorithm>

namespace attn {

namespace {

void append_utf16(std::u16string& out, char32_t cp) {
    if (cp < 0x10000) {
        out += static_cast<char16_t>(cp);
    } else {
        cp -= 0x10000;
        out += static_cast<char16_t>(0xD800 + (cp >> 10));
        out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    }
}

std::u16string utf8_to_utf16(const std::string& text, const std::string& where) {
    std::u16string out;
    for (char32_t cp : decode_utf8(text, where))
        append_utf16(out, cp);
    return out;
}

}  // namespace

std::u16string nfkc_utf16(const std::string& text, const std::string& where) {
    const std::u16string in = utf8_to_utf16(text, where);
    if (in.empty()) return in;
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfkc = unorm2_getNFKCInstance(&status);
    if (U_FAILURE(status)) throw TextError("cannot NFKC-normalise " + where + ": ICU has no NFKC data");
    static_assert(sizeof(UChar) == sizeof(char16_t), "ICU's UChar is a UTF-16 code unit");
    const auto* src = reinterpret_cast<const UChar*>(in.data());
    const int32_t n = static_cast<int32_t>(in.size());
    // NFKC can grow a text (U+FDFA becomes 18 code units): ask for the size first.
    const int32_t needed = unorm2_normalize(nfkc, src, n, nullptr, 0, &status);
    if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
        throw TextError("cannot NFKC-normalise " + where + ": " + u_errorName(status));
    std::u16string out(static_cast<size_t>(needed), u'\0');
    status = U_ZERO_ERROR;
    unorm2_normalize(nfkc, src, n, reinterpret_cast<UChar*>(out.data()), needed, &status);
    if (U_FAILURE(status)) throw TextError("cannot NFKC-normalise " + where + ": " + u_errorName(status));
    return out;
}

SentencePieceTokenizer::SentencePieceTokenizer(std::vector<VocabPiece> vocab) : vocab_(std::move(vocab)) {
    nodes_.emplace_back();
    for (size_t id = 0; id < vocab_.size(); ++id) {
        const std::u16string units = utf8_to_utf16(vocab_[id].piece, "vocabulary piece " + std::to_string(id));
        piece_units_.push_back(units.size());
        if (static_cast<int>(id) < kReservedIds || units.empty()) continue;  // never matched
        int32_t node = 0;
        for (char16_t u : units) {
            const uint64_t key = static_cast<uint64_t>(node) << 16 | u;
            auto it = children_.find(key);
            if (it == children_.end()) {
                it = children_.emplace(key, static_cast<int32_t>(nodes_.size())).first;
                nodes_.emplace_back();
            }
            node = it->second;
        }
        nodes_[node] = Node{true, vocab_[id].score, static_cast<int64_t>(id)};  // a repeated piece: the later id
    }
}

SentencePieceTokenizer SentencePieceTokenizer::from_vocab_json_text(const std::string& text, const std::string& file) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw FileError(file + " is not JSON: " + e.what());
    }
    if (!j.is_array()) throw FileError(file + " is not a list of [piece, score] pairs");
    std::vector<VocabPiece> vocab;
    for (size_t i = 0; i < j.size(); ++i) {
        const auto& e = j[i];
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !(e[1].is_number() || e[1].is_null()))
            throw FileError(file + ": entry " + std::to_string(i) + " is " + e.dump().substr(0, 60) +
                            ", expected [piece, score]");
        vocab.push_back({e[0].get<std::string>(), e[1].is_null() ? 0.0 : e[1].get<double>()});
    }
    if (vocab.empty()) throw FileError(file + " has no pieces");
    try {
        return SentencePieceTokenizer(std::move(vocab));
    } catch (const TextError& e) {
        throw FileError(file + ": " + e.what());
    }
}

SentencePieceTokenizer SentencePieceTokenizer::from_vocab_json(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return from_vocab_json_text(std::string(bytes.begin(), bytes.end()), path);
}

int32_t SentencePieceTokenizer::child(int32_t node, char16_t unit) const {
    const auto it = children_.find(static_cast<uint64_t>(node) << 16 | unit);
    return it == children_.end() ? -1 : it->second;
}

void SentencePieceTokenizer::matches(const std::u16string& s, size_t start,
                                     std::vector<std::pair<size_t, int32_t>>& out) const {
    out.clear();
    int32_t node = 0;
    for (size_t i = start; i < s.size(); ++i) {
        node = child(node, s[i]);
        if (node < 0) break;
        if (nodes_[node].end) out.emplace_back(i + 1 - start, node);
    }
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text, const std::string& where) const {
    std::u16string s = nfkc_utf16(text, where);
    if (s.empty()) return {};
    std::replace(s.begin(), s.end(), u' ', u'\u2581');
    s.insert(s.begin(), u'\u2581');
    const size_t n = s.size();

    // The lattice: for each end, its candidates (start, score, id) in increasing start.
    struct Candidate {
        size_t start;
        double score;
        int64_t id;
    };
    std::vector<std::vector<Candidate>> ending(n + 1);
    std::vector<std::pair<size_t, int32_t>> found;
    for (size_t start = 0; start < n; ++start) {
        matches(s, start, found);
        if (found.empty()) {
            ending[start + 1].push_back({start, 0.0, 0});  // the unknown symbol
            continue;
        }
        for (const auto& [len, node] : found)
            ending[start + len].push_back({start, nodes_[node].score, nodes_[node].id});
    }

    // Forward pass. best[end] == 0 means "unset" too, as in the JavaScript.
    std::vector<double> best(n + 1, 0.0);
    std::vector<int64_t> words(n + 1, 0);
    for (size_t end = 0; end <= n; ++end)
        for (const Candidate& c : ending[end]) {
            const double score = c.score + best[c.start];
            if (best[end] == 0.0 || score >= best[end]) {
                best[end] = score;
                words[end] = c.id;
            }
        }

    // Backward pass by piece length, then consecutive unknowns merged.
    std::vector<int64_t> backward;
    for (size_t at = n; at > 0;) {
        const int64_t id = words[at];
        backward.push_back(id);
        const size_t len = piece_units_[static_cast<size_t>(id)];
        at -= std::clamp<size_t>(len, 1, at);  // a zero-length piece would never move
    }
    std::vector<int64_t> ids;
    bool previous_unknown = false;
    for (int64_t id : backward) {
        if (!(previous_unknown && id == 0)) ids.push_back(id);
        previous_unknown = id == 0;
    }
    std::reverse(ids.begin(), ids.end());
    return ids;
}

}  // namespace attn
