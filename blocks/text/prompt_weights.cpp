// blocks/text/prompt_weights.cpp — parenthesis groups, weights, escapes (ComfyUI token_weights).
#include "blocks/text/prompt_weights.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>

namespace weft::models {

namespace {

// Escaped parentheses become control pairs that the parser does not see as groups.
const std::string kEscClose = std::string("\0\1", 2);
const std::string kEscOpen = std::string("\0\2", 2);

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    size_t p = 0;
    while ((p = s.find(from, p)) != std::string::npos) {
        s.replace(p, from.size(), to);
        p += to.size();
    }
    return s;
}

// Top-level "( ... )" groups and the text between them; an unclosed group runs to the end.
std::vector<std::string> split_groups(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    int level = 0;
    for (char c : s) {
        if (c == '(') {
            if (level == 0) {
                if (!cur.empty()) out.push_back(cur);
                cur = "(";
            } else {
                cur += c;
            }
            ++level;
        } else if (c == ')') {
            --level;
            if (level == 0) {
                out.push_back(cur + ")");
                cur.clear();
            } else {
                cur += c;
            }
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

// Python float(): surrounding white space allowed, the whole rest must be a number.
std::optional<double> parse_float(const std::string& s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    std::string t;
    for (size_t i = a; i < b; ++i) {
        const char c = s[i];
        // Python allows single underscores between digits; hexadecimal is not accepted.
        if (c == '_' && i > a && i + 1 < b && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
            std::isdigit(static_cast<unsigned char>(s[i + 1])))
            continue;
        if (c == 'x' || c == 'X' || c == '_') return std::nullopt;
        t += c;
    }
    if (t.empty()) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) return std::nullopt;
    return v;
}

void token_weights(const std::string& s, double weight, std::vector<WeightedSegment>& out) {
    for (std::string x : split_groups(s)) {
        if (x.size() >= 2 && x.front() == '(' && x.back() == ')') {
            x = x.substr(1, x.size() - 2);
            double w = weight * 1.1;
            const size_t colon = x.rfind(':');
            if (colon != std::string::npos && colon > 0) {
                if (auto v = parse_float(x.substr(colon + 1))) {
                    w = *v;
                    x = x.substr(0, colon);
                }
            }
            token_weights(x, w, out);
        } else {
            out.push_back({x, weight});
        }
    }
}

}  // namespace

std::vector<WeightedSegment> parse_prompt_weights(std::string_view prompt, double base_weight) {
    std::string s(prompt);
    s = replace_all(s, "\\)", kEscClose);
    s = replace_all(s, "\\(", kEscOpen);
    std::vector<WeightedSegment> out;
    token_weights(s, base_weight, out);
    for (auto& seg : out) seg.text = replace_all(replace_all(seg.text, kEscClose, ")"), kEscOpen, "(");
    return out;
}

}  // namespace weft::models
