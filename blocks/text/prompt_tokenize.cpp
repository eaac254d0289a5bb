// blocks/text/prompt_tokenize.cpp — segments -> token groups -> 77-token chunks.
#include "blocks/text/prompt_tokenize.h"

#include "blocks/text/prompt_weights.h"

#include <cctype>

namespace weft::models {

namespace {

constexpr std::string_view kEmbedding = "embedding:";

struct Group {
    std::vector<int> ids;
    double weight;
};

// Splits at " embedding:" / "\nembedding:" keeping the marker on the following word.
std::vector<std::string> split_embeddings(const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0, p = 0;
    while (true) {
        size_t q = std::string::npos;
        for (size_t k = p; k + 1 + kEmbedding.size() <= s.size(); ++k)
            if ((s[k] == ' ' || s[k] == '\n') && s.compare(k + 1, kEmbedding.size(), kEmbedding) == 0) {
                q = k;
                break;
            }
        if (q == std::string::npos) break;
        parts.push_back(s.substr(start, q - start));
        start = q + 1;
        p = start + kEmbedding.size();
    }
    parts.push_back(s.substr(start));
    return parts;
}

// Python str.split() on ASCII/Unicode white space (ASCII suffices for names).
std::vector<std::string> split_ws(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        size_t j = i;
        while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

std::string strip_char(const std::string& s, char c) {
    size_t a = 0, b = s.size();
    while (a < b && s[a] == c) ++a;
    while (b > a && s[b - 1] == c) --b;
    return s.substr(a, b - a);
}

}  // namespace

bool PromptTokens::has_weights() const {
    for (const auto& c : chunks)
        for (double w : c.weights)
            if (w != 1.0) return true;
    return false;
}

PromptTokens tokenize_prompt(const ClipTokenizer& tok, std::string_view prompt, const PromptTokenizeOptions& opt) {
    PromptTokens result;
    std::vector<Group> groups;
    for (const auto& seg : parse_prompt_weights(prompt)) {
        for (std::string word : split_embeddings(seg.text)) {
            if (word.empty()) continue;
            if (opt.embeddings == EmbeddingMode::Drop && word.compare(0, kEmbedding.size(), kEmbedding) == 0) {
                // The name is the first white-space word; no embedding is ever found, so it is
                // dropped (a trailing ',' is stripped from the name and kept as text).
                std::string rest = word.substr(kEmbedding.size());
                while (!rest.empty() && rest.back() == '\n') rest.pop_back();
                while (!rest.empty() && rest.front() == '\n') rest.erase(rest.begin());
                const auto ws = split_ws(rest);
                std::string name = ws.empty() ? "" : ws[0];
                std::string leftover;
                for (size_t k = 1; k < ws.size(); ++k) leftover += (k > 1 ? " " : "") + ws[k];
                const std::string stripped = strip_char(name, ',');
                if (stripped.size() < name.size()) {
                    leftover = name.substr(stripped.size()) + " " + leftover;
                    name = stripped;
                }
                result.dropped_embeddings.push_back(name);
                if (leftover.empty()) continue;
                word = leftover;
            }
            groups.push_back({tok.encode(word), seg.weight});
        }
    }

    const int max_len = opt.max_length;
    std::vector<std::vector<std::tuple<int, double, int>>> batches(1);
    batches.back().push_back({tok.bos(), 1.0, 0});
    for (size_t gi = 0; gi < groups.size(); ++gi) {
        std::vector<int> g = groups[gi].ids;
        const double w = groups[gi].weight;
        const int word_id = static_cast<int>(gi) + 1;
        const bool is_large = static_cast<int>(g.size()) >= opt.max_word_length;
        while (!g.empty()) {
            auto& batch = batches.back();
            if (static_cast<int>(g.size() + batch.size()) > max_len - 1) {
                const int remaining = max_len - static_cast<int>(batch.size()) - 1;
                if (is_large) {
                    for (int k = 0; k < remaining; ++k) batch.push_back({g[static_cast<size_t>(k)], w, word_id});
                    batch.push_back({tok.eos(), 1.0, 0});
                    g.erase(g.begin(), g.begin() + remaining);
                } else {
                    batch.push_back({tok.eos(), 1.0, 0});
                    for (int k = 0; k < remaining; ++k) batch.push_back({opt.pad_token, 1.0, 0});
                }
                batches.emplace_back();
                batches.back().push_back({tok.bos(), 1.0, 0});
            } else {
                for (int id : g) batch.push_back({id, w, word_id});
                g.clear();
            }
        }
    }
    auto& last = batches.back();
    last.push_back({tok.eos(), 1.0, 0});
    while (static_cast<int>(last.size()) < max_len) last.push_back({opt.pad_token, 1.0, 0});

    for (const auto& b : batches) {
        TokenChunk c;
        for (const auto& [id, w, wid] : b) {
            c.ids.push_back(id);
            c.weights.push_back(w);
            c.word_ids.push_back(wid);
        }
        result.chunks.push_back(std::move(c));
    }
    return result;
}

}  // namespace weft::models
