#include "maps/map_key.h"

#include "errors.h"
#include "text/utf8.h"

#include <cstdio>
#include <vector>

namespace attn {

std::string quantity_name(MapQuantity quantity) {
    switch (quantity) {
        case MapQuantity::Weights: return "weights";
        case MapQuantity::Norms: return "norms";
        case MapQuantity::Rollout: return "rollout";
    }
    return "?";
}

std::string head_file_part(int head) {
    if (head >= 0) return "h" + std::to_string(head);
    if (head == kMeanHead) return "mean";
    if (head == kMaxHead) return "max";
    if (head == kMinHead) return "min";
    return "head" + std::to_string(head);
}

std::string head_phrase(int head, int heads) {
    if (head == kMeanHead) return "the mean over the " + std::to_string(heads) + " heads";
    if (head == kMaxHead) return "the max over the " + std::to_string(heads) + " heads";
    if (head == kMinHead) return "the min over the " + std::to_string(heads) + " heads";
    return heads > 1 ? "head " + std::to_string(head) : "the single head";
}

namespace {

std::string hex(unsigned value) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%x", value);
    return buf;
}

}  // namespace

std::string file_safe_token(const std::string& token) {
    constexpr size_t kMaxChars = 24;
    std::vector<std::string> pieces;
    try {
        for (char32_t cp : decode_utf8(token, "token")) {
            if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '-' || cp == '_')
                pieces.emplace_back(1, static_cast<char>(cp));
            else if (cp >= 'A' && cp <= 'Z')
                pieces.emplace_back(1, static_cast<char>(cp - 'A' + 'a'));
            else
                pieces.push_back("u" + hex(static_cast<unsigned>(cp)));
        }
    } catch (const TextError&) {
        pieces.clear();
        for (unsigned char byte : token)
            pieces.push_back("x" + hex(byte));
    }
    std::string name;
    for (const std::string& piece : pieces) {
        if (name.size() + piece.size() > kMaxChars) break;
        name += piece;
    }
    return name;
}

}  // namespace attn
