// blocks/text/clip_tokenizer.h — the CLIP byte-level BPE tokenizer (vocab.json + merges.txt), as
// HuggingFace's slow CLIPTokenizer runs without ftfy (sd-models.md §3.2):
//   clean (drop control chars, unify white space), pad CJK ideographs with spaces, lowercase,
//   pre-tokenize (special tokens | 's 't 're 've 'm 'll 'd | letter runs | single digits |
//   runs of other non-space symbols), UTF-8 bytes -> byte-unicode symbols, BPE by merge rank,
//   '</w>' on each pre-token's last symbol.
// Not implemented: Unicode NFC normalisation (input that is already composed, as typed text
// almost always is, is unaffected).
//
//   auto tok = weft::models::ClipTokenizer::load("/path/to/clip");   // vocab.json, merges.txt
//   std::vector<int> ids = tok.encode("a photo of a cat");           // 320 1125 539 320 2368
//
// Thread safety: immutable after load; encode may be called concurrently.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::models {

/// CLIP's (GPT-2's) byte-level alphabet: the UTF-8 of the character standing for byte `b` in
/// vocab.json (printable bytes stand for themselves, the others map from U+0100 on).
std::string byte_symbol(unsigned char b);

class ClipTokenizer {
public:
    static constexpr int kStartOfText = 49406;
    static constexpr int kEndOfText = 49407;

    /// Reads `dir`/vocab.json and `dir`/merges.txt; throws weft::Error (with the path) when missing
    /// or malformed.
    static ClipTokenizer load(const std::filesystem::path& dir);

    /// Token ids of `text` without the start/end tokens.
    std::vector<int> encode(std::string_view text) const;

    int bos() const { return bos_; }
    int eos() const { return eos_; }
    size_t vocab_size() const { return vocab_.size(); }

private:
    std::vector<int> bpe(const std::string& piece) const;

    std::unordered_map<std::string, int> vocab_;
    std::unordered_map<std::string, int> ranks_;  // "left right" -> merge rank
    std::string byte_symbol_[256];                // UTF-8 of each byte's stand-in character
    int bos_ = kStartOfText, eos_ = kEndOfText;
};

}  // namespace weft::models
