"""BERT's tokenizer in plain Python, written from transformers' BertTokenizer (tokenization_bert.py:
BasicTokenizer, WordpieceTokenizer, load_vocab; tokenization_utils.py: _is_control,
_is_whitespace, _is_punctuation and PreTrainedTokenizer.tokenize's handling of special tokens and
do_lower_case). Debian has no transformers package; this is the reference the engine's
core/text/wordpiece.cpp is compared with (tests/torch/hf_compare.py).

    tok = WordPiece.from_folder(DIR)           # vocab.txt + tokenizer_config.json
    tok.tokenize("Hello, world!")              # ['hello', ',', 'world', '!']
    tok.batch(["a b", "c"], max_length=512)    # (input_ids, attention_mask, tokens) as lists
"""

import json
import os
import re
import unicodedata


def load_vocab(path):
    """Token -> id, the id being the line number; a token listed twice keeps its last line.
    Text mode with universal newlines, as open(..., encoding='utf-8').readlines() reads it."""
    with open(path, "r", encoding="utf-8") as f:
        lines = f.readlines()
    vocab = {}
    for index, line in enumerate(lines):
        vocab[line.rstrip("\n")] = index
    return vocab, [line.rstrip("\n") for line in lines]


def whitespace_tokenize(text):
    text = text.strip()
    return text.split() if text else []


def is_whitespace(ch):
    return ch in (" ", "\t", "\n", "\r") or unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class WordPiece:
    def __init__(self, vocab_path, config=None):
        config = config or {}
        self.vocab, self.lines = load_vocab(vocab_path)

        def token(key, default):
            v = config.get(key)
            if isinstance(v, dict):
                v = v.get("content")
            return v if v else default

        self.unk = token("unk_token", "[UNK]")
        self.sep = token("sep_token", "[SEP]")
        self.pad = token("pad_token", "[PAD]")
        self.cls = token("cls_token", "[CLS]")
        self.mask = token("mask_token", "[MASK]")
        self.specials = [self.unk, self.sep, self.pad, self.cls, self.mask]
        for t in config.get("additional_special_tokens") or []:
            self.specials.append(t.get("content") if isinstance(t, dict) else t)
        self.do_lower_case = config.get("do_lower_case", True)
        self.strip_accents = config.get("strip_accents")
        self.tokenize_chinese_chars = config.get("tokenize_chinese_chars", True)
        self.do_basic_tokenize = config.get("do_basic_tokenize", True)
        self.do_split_on_punc = config.get("do_split_on_punc", True)
        self.max_input_chars_per_word = 100

    @classmethod
    def from_folder(cls, folder):
        cfg_path = os.path.join(folder, "tokenizer_config.json")
        config = {}
        if os.path.exists(cfg_path):
            with open(cfg_path, encoding="utf-8") as f:
                config = json.load(f)
        return cls(os.path.join(folder, "vocab.txt"), config)

    # --- PreTrainedTokenizer.tokenize ---
    def tokenize(self, text):
        if self.do_lower_case:
            # Lower-cases every character that is not part of a special token, one at a time.
            escaped = [re.escape(t) for t in self.specials]
            pattern = r"(" + r"|".join(escaped) + r")|" + r"(.+?)"
            text = re.sub(pattern, lambda m: m.groups()[0] or m.groups()[1].lower(), text)
        # Split on special tokens: leftmost match, longest first at a position.
        specials = sorted(set(self.specials), key=len, reverse=True)
        out = []
        pos = start = 0
        while pos < len(text):
            hit = next((t for t in specials if text.startswith(t, pos)), None)
            if hit is None:
                pos += 1
                continue
            out += self._tokenize(text[start:pos])
            out.append(hit)
            pos += len(hit)
            start = pos
        out += self._tokenize(text[start:])
        return out

    def _tokenize(self, text):
        if not self.do_basic_tokenize:
            return [p for w in whitespace_tokenize(text) for p in self.wordpiece(w)]
        pieces = []
        for token in self.basic_tokenize(text):
            pieces += self.wordpiece(token)
        return pieces

    # --- BasicTokenizer.tokenize ---
    def basic_tokenize(self, text):
        text = "".join(" " if is_whitespace(c) else c for c in text
                       if not (ord(c) == 0 or ord(c) == 0xFFFD or is_control(c)))
        if self.tokenize_chinese_chars:
            text = "".join(" %s " % c if is_chinese_char(ord(c)) else c for c in text)
        text = unicodedata.normalize("NFC", text)
        split = []
        for token in whitespace_tokenize(text):
            if self.do_lower_case:
                token = token.lower()
                if self.strip_accents is not False:
                    token = self.run_strip_accents(token)
            elif self.strip_accents:
                token = self.run_strip_accents(token)
            split += self.split_on_punc(token)
        return whitespace_tokenize(" ".join(split))

    @staticmethod
    def run_strip_accents(text):
        return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")

    def split_on_punc(self, text):
        if not self.do_split_on_punc:
            return [text]
        out = []
        new_word = True
        for c in text:
            if is_punctuation(c):
                out.append([c])
                new_word = True
            else:
                if new_word:
                    out.append([])
                new_word = False
                out[-1].append(c)
        return ["".join(x) for x in out]

    # --- WordpieceTokenizer.tokenize ---
    def wordpiece(self, text):
        out = []
        for token in whitespace_tokenize(text):
            chars = list(token)
            if len(chars) > self.max_input_chars_per_word:
                out.append(self.unk)
                continue
            bad = False
            start = 0
            subs = []
            while start < len(chars):
                end = len(chars)
                cur = None
                while start < end:
                    sub = "".join(chars[start:end])
                    if start > 0:
                        sub = "##" + sub
                    if sub in self.vocab:
                        cur = sub
                        break
                    end -= 1
                if cur is None:
                    bad = True
                    break
                subs.append(cur)
                start = end
            if bad:
                out.append(self.unk)
            else:
                out += subs
        return out

    def id_of(self, token):
        return self.vocab.get(token, self.vocab.get(self.unk))

    # --- tokenizer(sentences, padding=True, truncation=True, max_length=...) ---
    def batch(self, sentences, max_length=0):
        rows = []
        for s in sentences:
            ids = [self.id_of(t) for t in self.tokenize(s)]
            if max_length and len(ids) + 2 > max_length:
                ids = ids[:max(max_length - 2, 0)]
            rows.append([self.id_of(self.cls)] + ids + [self.id_of(self.sep)])
        L = max(len(r) for r in rows)
        pad = self.id_of(self.pad)
        input_ids = [r + [pad] * (L - len(r)) for r in rows]
        mask = [[1] * len(r) + [0] * (L - len(r)) for r in rows]
        tokens = [[self.lines[i] for i in r] for r in input_ids]
        return input_ids, mask, tokens
