// The Universal Sentence Encoder's tokenizer: SentencePiece pieces chosen by Viterbi over their
// scores, exactly as the JavaScript `Tokenizer` of @tensorflow-models/universal-sentence-encoder
// does it (which use-lite's model was trained for), quirks included:
//  - the text is NFKC-normalised; a non-empty text gets '▁' (U+2581) in front and every space
//    (U+0020, after NFKC) becomes '▁';
//  - symbols are UTF-16 code units, not code points: an emoji is two symbols;
//  - a trie holds the pieces with id >= 6 (ids 0..5 are reserved: 0 is the unknown '�'); a piece
//    the vocabulary repeats keeps its later id; a null score counts as 0;
//  - at a start where no piece matches, the one symbol stands in with id 0 and score 0;
//  - forward pass: for each end, candidates by increasing start; a candidate is taken when
//    best[end] == 0 (0 doubles as "unset") or its score >= best[end] (ties go to the later one);
//    scores are added in double precision, as JavaScript does;
//  - backward pass from the end, moving back by the length of each chosen id's piece (the unknown
//    has length 1); consecutive unknowns are merged into one.
// The empty text gives no ids.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attn {

struct VocabPiece {
    std::string piece;  // UTF-8
    double score = 0.0;
};

// NFKC (Unicode's compatibility composition, via ICU), from UTF-8 to UTF-16 code units. Throws
// TextError naming `where` for invalid UTF-8.
std::u16string nfkc_utf16(const std::string& text, const std::string& where);

class SentencePieceTokenizer {
public:
    static constexpr int kReservedIds = 6;

    explicit SentencePieceTokenizer(std::vector<VocabPiece> vocab);

    // vocab.json: a JSON list of [piece, score] pairs, the id being the index (a null score is 0).
    // FileError naming the file and the entry that is not a pair.
    static SentencePieceTokenizer from_vocab_json(const std::string& path);
    static SentencePieceTokenizer from_vocab_json_text(const std::string& text, const std::string& file);

    // One sentence (UTF-8) to ids. TextError naming `where` for invalid UTF-8.
    std::vector<int64_t> encode(const std::string& text, const std::string& where) const;

    int64_t size() const { return static_cast<int64_t>(vocab_.size()); }
    const std::string& piece(int64_t id) const { return vocab_.at(static_cast<size_t>(id)).piece; }

private:
    struct Node {
        bool end = false;
        double score = 0.0;
        int64_t id = 0;
    };
    // Every piece in the trie matching at `start`, shortest first: (length, node).
    void matches(const std::u16string& s, size_t start, std::vector<std::pair<size_t, int32_t>>& out) const;
    int32_t child(int32_t node, char16_t unit) const;

    std::vector<VocabPiece> vocab_;
    std::vector<size_t> piece_units_;                 // UTF-16 length of each id's piece
    std::vector<Node> nodes_;                         // nodes_[0] is the root
    std::unordered_map<uint64_t, int32_t> children_;  // (node << 16 | unit) -> child node
};

}  // namespace attn
