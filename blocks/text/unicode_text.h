// blocks/text/unicode_text.h — UTF-8 decoding/encoding and the character classes the CLIP tokenizer's
// pre-tokenizer needs (letters, numbers, white space, control), with full lowercase mapping.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft::models::unicode {

/// Code points of UTF-8 text; invalid bytes decode to U+FFFD.
std::u32string decode_utf8(std::string_view s);
std::string encode_utf8(std::u32string_view s);

bool is_letter(char32_t c);      // \p{L}
bool is_number(char32_t c);      // \p{N}
bool is_space(char32_t c);       // Python str.isspace / regex \s
bool is_control(char32_t c);     // category C* except \t \n \r
bool is_bert_space(char32_t c);  // ' ', \t, \n, \r or category Zs
bool is_cjk(char32_t c);         // CJK ideograph blocks (padded with spaces by BasicTokenizer)

/// Python str.lower() (full mapping; a few characters lower to two code points).
std::u32string to_lower(std::u32string_view s);

}  // namespace weft::models::unicode
