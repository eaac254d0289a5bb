// blocks/text/clip_tokenizer.cpp — text cleanup, the hand-written pre-tokenizer, and byte-level BPE.
#include "blocks/text/clip_tokenizer.h"

#include "blocks/text/unicode_text.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <limits>
#include <sstream>

namespace weft::models {

namespace uc = unicode;

namespace {

const std::u32string kSot = U"<|startoftext|>";
const std::u32string kEot = U"<|endoftext|>";

std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw Error(ErrorCode::FileNotFound, "CLIP tokenizer file not found").at_path(p.string());
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// HF BasicTokenizer (no accent stripping, no punctuation split) followed by the joined text.
std::u32string normalize(std::u32string_view text) {
    std::u32string cleaned;
    for (char32_t c : text) {
        if (c == 0 || c == 0xFFFD || uc::is_control(c)) continue;
        if (uc::is_bert_space(c)) cleaned.push_back(U' ');
        else if (uc::is_cjk(c)) {
            cleaned.push_back(U' ');
            cleaned.push_back(c);
            cleaned.push_back(U' ');
        } else cleaned.push_back(c);
    }
    // Split on white space, lowercase each word (special tokens excepted), join with one space.
    std::u32string out;
    size_t i = 0;
    while (i < cleaned.size()) {
        while (i < cleaned.size() && uc::is_space(cleaned[i])) ++i;
        size_t j = i;
        while (j < cleaned.size() && !uc::is_space(cleaned[j])) ++j;
        if (j > i) {
            std::u32string_view w(cleaned.data() + i, j - i);
            if (!out.empty()) out.push_back(U' ');
            if (w == kSot || w == kEot) out.append(w);
            else out.append(uc::to_lower(w));
        }
        i = j;
    }
    return out;
}

// One step of the pre-tokenizer regex at position i; returns the match length (0: no match).
size_t match_at(const std::u32string& t, size_t i) {
    auto starts = [&](std::u32string_view s) { return t.compare(i, s.size(), s) == 0; };
    if (starts(kSot)) return kSot.size();
    if (starts(kEot)) return kEot.size();
    if (t[i] == U'\'') {
        for (std::u32string_view c : {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"})
            if (starts(c)) return c.size();
    }
    if (uc::is_letter(t[i])) {
        size_t j = i;
        while (j < t.size() && uc::is_letter(t[j])) ++j;
        return j - i;
    }
    if (uc::is_number(t[i])) return 1;
    if (!uc::is_space(t[i])) {
        size_t j = i;
        while (j < t.size() && !uc::is_space(t[j]) && !uc::is_letter(t[j]) && !uc::is_number(t[j])) ++j;
        return j - i;
    }
    return 0;
}

}  // namespace

std::string byte_symbol(unsigned char b) {
    // GPT-2 byte-to-unicode table: printable bytes keep their code point, the rest map to U+0100
    // upwards in byte order.
    auto printable = [](int v) { return (v >= '!' && v <= '~') || (v >= 0xA1 && v <= 0xAC) || (v >= 0xAE && v <= 0xFF); };
    if (printable(b)) return uc::encode_utf8(std::u32string(1, static_cast<char32_t>(b)));
    int before = 0;  // non-printable bytes below b
    for (int v = 0; v < b; ++v) before += printable(v) ? 0 : 1;
    return uc::encode_utf8(std::u32string(1, static_cast<char32_t>(256 + before)));
}

ClipTokenizer ClipTokenizer::load(const std::filesystem::path& dir) {
    ClipTokenizer tok;
    const auto vocab_path = dir / "vocab.json", merges_path = dir / "merges.txt";
    try {
        const auto j = nlohmann::json::parse(read_file(vocab_path));
        for (auto it = j.begin(); it != j.end(); ++it) tok.vocab_[it.key()] = it.value().get<int>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorCode::InvalidFile, std::string("CLIP vocab.json is not valid: ") + e.what()).at_path(vocab_path.string());
    }
    // merges.txt: a "#version" header, then one "left right" pair per line; HF keeps the first
    // 49152 - 256 - 2 of them.
    std::istringstream ms(read_file(merges_path));
    std::string line;
    std::getline(ms, line);
    int rank = 0;
    constexpr int kMaxMerges = 49152 - 256 - 2;
    while (rank < kMaxMerges && std::getline(ms, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        tok.ranks_.emplace(line, rank++);
    }
    if (tok.vocab_.empty() || tok.ranks_.empty())
        throw Error(ErrorCode::InvalidFile, "CLIP tokenizer files are empty").at_path(dir.string());
    for (int b = 0; b < 256; ++b) tok.byte_symbol_[b] = byte_symbol(static_cast<unsigned char>(b));
    if (auto it = tok.vocab_.find("<|startoftext|>"); it != tok.vocab_.end()) tok.bos_ = it->second;
    if (auto it = tok.vocab_.find("<|endoftext|>"); it != tok.vocab_.end()) tok.eos_ = it->second;
    return tok;
}

std::vector<int> ClipTokenizer::bpe(const std::string& piece) const {
    // Symbols: one per byte stand-in, '</w>' appended to the last.
    std::vector<std::string> word;
    for (unsigned char b : piece) word.push_back(byte_symbol_[b]);
    if (word.empty()) return {};
    word.back() += "</w>";
    while (word.size() > 1) {
        int best = std::numeric_limits<int>::max();
        std::string best_key;
        size_t best_first = 0, best_second = 0;
        for (size_t k = 0; k + 1 < word.size(); ++k) {
            std::string key = word[k] + " " + word[k + 1];
            auto it = ranks_.find(key);
            if (it != ranks_.end() && it->second < best) {
                best = it->second;
                best_first = k;
                best_second = k + 1;
                best_key = std::move(key);
            }
        }
        if (best == std::numeric_limits<int>::max()) break;
        const std::string first = word[best_first], second = word[best_second];
        // Merge every occurrence of the pair, left to right.
        std::vector<std::string> merged;
        for (size_t k = 0; k < word.size();) {
            if (k + 1 < word.size() && word[k] == first && word[k + 1] == second) {
                merged.push_back(first + second);
                k += 2;
            } else {
                merged.push_back(word[k++]);
            }
        }
        word = std::move(merged);
    }
    std::vector<int> ids;
    for (const auto& s : word) {
        auto it = vocab_.find(s);
        ids.push_back(it != vocab_.end() ? it->second : eos_);  // unknown -> <|endoftext|>
    }
    return ids;
}

std::vector<int> ClipTokenizer::encode(std::string_view text) const {
    const std::u32string t = normalize(uc::decode_utf8(text));
    std::vector<int> ids;
    size_t i = 0;
    while (i < t.size()) {
        const size_t len = match_at(t, i);
        if (len == 0) {
            ++i;
            continue;
        }
        const std::u32string_view piece(t.data() + i, len);
        if (piece == kSot) ids.push_back(bos_);
        else if (piece == kEot) ids.push_back(eos_);
        else {
            const auto sub = bpe(uc::encode_utf8(piece));
            ids.insert(ids.end(), sub.begin(), sub.end());
        }
        i += len;
    }
    return ids;
}

}  // namespace weft::models
