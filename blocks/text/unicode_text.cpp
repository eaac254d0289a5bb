// blocks/text/unicode_text.cpp — UTF-8 and table lookups over the generated Unicode ranges.
#include "blocks/text/unicode_text.h"

#include "blocks/text/unicode_tables.h"

#include <algorithm>

namespace weft::models::unicode {

namespace {

bool in_ranges(const CodeRange* r, size_t n, char32_t c) {
    const CodeRange* end = r + n;
    const CodeRange* it = std::upper_bound(r, end, static_cast<uint32_t>(c),
                                           [](uint32_t v, const CodeRange& x) { return v < x.first; });
    return it != r && static_cast<uint32_t>(c) <= (it - 1)->last;
}

}  // namespace

std::u32string decode_utf8(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char b = static_cast<unsigned char>(s[i]);
        int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > s.size()) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
        bool ok = true;
        for (int k = 1; k < len; ++k) {
            const unsigned char cb = static_cast<unsigned char>(s[i + k]);
            if ((cb >> 6) != 2) {
                ok = false;
                break;
            }
            c = (c << 6) | (cb & 0x3F);
        }
        if (!ok) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        out.push_back(c);
        i += static_cast<size_t>(len);
    }
    return out;
}

std::string encode_utf8(std::u32string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t c : s) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else if (c < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (c >> 12)));
            out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (c >> 18)));
            out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

bool is_letter(char32_t c) { return in_ranges(kLetter, kLetterCount, c); }
bool is_number(char32_t c) { return in_ranges(kNumber, kNumberCount, c); }
bool is_space(char32_t c) { return in_ranges(kSpace, kSpaceCount, c); }
bool is_control(char32_t c) { return in_ranges(kControl, kControlCount, c); }
bool is_bert_space(char32_t c) { return in_ranges(kBertSpace, kBertSpaceCount, c); }

bool is_cjk(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::u32string to_lower(std::u32string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (char32_t c : s) {
        if (c < 0x80) {
            out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
            continue;
        }
        const CodeMulti* me = kLowerMulti + kLowerMultiCount;
        const CodeMulti* m = std::find_if(kLowerMulti, me, [c](const CodeMulti& x) { return x.from == c; });
        if (m != me) {
            for (int k = 0; k < m->count; ++k) out.push_back(m->to[k]);
            continue;
        }
        const CodeMap* e = kLower + kLowerCount;
        const CodeMap* it = std::lower_bound(kLower, e, static_cast<uint32_t>(c),
                                             [](const CodeMap& x, uint32_t v) { return x.from < v; });
        out.push_back(it != e && it->from == c ? static_cast<char32_t>(it->to) : c);
    }
    return out;
}

}  // namespace weft::models::unicode
