#include "text/wordpiece_unicode.h"

#include <algorithm>

namespace attn {

namespace {

using namespace wordpiece_tables;

// The value of the run holding cp, in a table of (start << shift | value) sorted by start.
uint32_t run_value(const uint32_t* runs, size_t n, char32_t cp, int shift) {
    const uint32_t key = (static_cast<uint32_t>(cp) << shift) | ((1u << shift) - 1);
    const uint32_t* it = std::upper_bound(runs, runs + n, key);
    if (it == runs) return 0;  // the tables start at code point 0; never reached
    return *(it - 1) & ((1u << shift) - 1);
}

// Index of `cp` in a table of records `width` words long whose first word is the code point.
const uint32_t* find_record(const uint32_t* table, size_t words, size_t width, char32_t cp) {
    size_t lo = 0, hi = words / width;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        const uint32_t v = table[mid * width];
        if (v == cp) return table + mid * width;
        if (v < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return nullptr;
}

int combining_class(char32_t cp) {
    return static_cast<int>(run_value(ccc_runs, ccc_runs_size, cp, 8));
}

bool case_ignorable(char32_t cp) {
    return (run_value(sigma_runs, sigma_runs_size, cp, 2) & 2u) != 0;
}

bool cased(char32_t cp) {
    return (run_value(sigma_runs, sigma_runs_size, cp, 2) & 1u) != 0;
}

// Hangul syllables decompose and compose by arithmetic (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void decompose_into(char32_t cp, std::u32string& out) {
    if (cp >= kSBase && cp < kSBase + kSCount) {
        const char32_t s = cp - kSBase;
        out.push_back(kLBase + s / kNCount);
        out.push_back(kVBase + (s % kNCount) / kTCount);
        if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
        return;
    }
    if (const uint32_t* rec = find_record(decomp_index, decomp_index_size, 3, cp)) {
        for (uint32_t k = 0; k < rec[2]; ++k)
            out.push_back(static_cast<char32_t>(decomp_pool[rec[1] + k]));
        return;
    }
    out.push_back(cp);
}

// The composite of a starter and a following character, or 0.
char32_t compose_pair(char32_t a, char32_t b) {
    if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
        return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
    if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
        return a + (b - kTBase);
    size_t lo = 0, hi = compose_map_size / 3;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        const uint32_t f = compose_map[mid * 3], s = compose_map[mid * 3 + 1];
        if (f == a && s == b) return compose_map[mid * 3 + 2];
        if (f < a || (f == a && s < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

}  // namespace

CharClass char_class(char32_t cp) {
    if (cp > 0x10FFFF) return CharClass::Control;
    return static_cast<CharClass>(run_value(class_runs, class_runs_size, cp, 3));
}

bool python_isspace(char32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

std::u32string python_lower(const std::u32string& s) {
    std::u32string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        const char32_t c = s[i];
        if (c == 0x3A3) {
            // Final sigma (CPython's handle_capital_sigma): a cased letter before it, past any
            // case-ignorable ones, and none after it.
            size_t j = i;
            while (j > 0 && case_ignorable(s[j - 1]))
                --j;
            bool final_sigma = j > 0 && cased(s[j - 1]);
            if (final_sigma) {
                size_t k = i + 1;
                while (k < s.size() && case_ignorable(s[k]))
                    ++k;
                final_sigma = k == s.size() || !cased(s[k]);
            }
            out.push_back(final_sigma ? 0x3C2 : 0x3C3);
        } else if (c == 0x130) {
            out.push_back(U'i');
            out.push_back(0x307);
        } else if (const uint32_t* rec = find_record(lower_map, lower_map_size, 2, c)) {
            out.push_back(rec[1]);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::u32string nfd(const std::u32string& s) {
    std::u32string out;
    out.reserve(s.size());
    for (char32_t c : s)
        decompose_into(c, out);
    // Canonical ordering: within each run of non-starters, a stable sort by combining class.
    size_t i = 0;
    while (i < out.size()) {
        if (combining_class(out[i]) == 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < out.size() && combining_class(out[j]) != 0)
            ++j;
        std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
                         [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
        i = j;
    }
    return out;
}

std::u32string nfc(const std::u32string& s) {
    const std::u32string d = nfd(s);
    std::u32string out;
    out.reserve(d.size());
    size_t starter = std::u32string::npos;
    int last_class = -1;  // combining class of the last character kept after the starter; -1: none
    for (char32_t c : d) {
        const int cc = combining_class(c);
        // Blocked: a character between the starter and c has a class of c's or higher.
        if (starter != std::u32string::npos && !(last_class != -1 && last_class >= cc)) {
            if (const char32_t comp = compose_pair(out[starter], c)) {
                out[starter] = comp;
                continue;
            }
        }
        if (cc == 0) {
            starter = out.size();
            last_class = -1;
        } else {
            last_class = cc;
        }
        out.push_back(c);
    }
    return out;
}

const char* wordpiece_unicode_version() {
    return unicode_version;
}

}  // namespace attn
