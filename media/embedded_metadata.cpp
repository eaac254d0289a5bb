// Metadata readers for WebP (RIFF chunks + TIFF IFD), ISO BMFF (box tree) and Matroska (EBML)
// (see embedded_metadata.h).
#include "media/embedded_metadata.h"

#include <weft/error.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace weft::media {

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

Error media_error(std::string_view origin, const std::string& why) {
    return std::move(Error(ErrorCode::InvalidMedia, "Cannot read the metadata of " + std::string(origin), why).at_path(std::string(origin)));
}

uint32_t le32(const unsigned char* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint16_t le16(const unsigned char* p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]); }
uint16_t be16(const unsigned char* p) { return uint16_t(p[0] << 8 | p[1]); }

const unsigned char* u(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// ASCII entries "key:value" of IFD0 of a TIFF (either byte order), the EXIF layout ComfyUI uses.
Entries exif_entries(std::string_view tiff, std::string_view origin) {
    if (tiff.substr(0, 6) == std::string_view("Exif\0\0", 6)) tiff.remove_prefix(6);
    if (tiff.size() < 8) throw media_error(origin, "its EXIF chunk is truncated");
    const bool little = tiff[0] == 'I';
    auto r16 = [&](size_t at) -> uint16_t {
        if (at + 2 > tiff.size()) throw media_error(origin, "its EXIF chunk is truncated");
        return little ? le16(u(tiff) + at) : be16(u(tiff) + at);
    };
    auto r32 = [&](size_t at) -> uint32_t {
        if (at + 4 > tiff.size()) throw media_error(origin, "its EXIF chunk is truncated");
        return little ? le32(u(tiff) + at) : be32(u(tiff) + at);
    };
    const size_t ifd = r32(4);
    const uint16_t count = r16(ifd);
    Entries out;
    for (uint16_t i = 0; i < count; ++i) {
        const size_t e = ifd + 2 + size_t(i) * 12;
        if (r16(e + 2) != 2) continue;  // ASCII only
        const uint32_t n = r32(e + 4);
        const size_t at = n <= 4 ? e + 8 : r32(e + 8);
        if (at > tiff.size() || n > tiff.size() - at) throw media_error(origin, "an EXIF entry points outside the chunk");
        std::string_view text = tiff.substr(at, n);
        while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
        const size_t colon = text.find(':');
        if (colon != std::string_view::npos) out.emplace_back(std::string(text.substr(0, colon)), std::string(text.substr(colon + 1)));
    }
    return out;
}

Entries webp_entries(std::string_view b, std::string_view origin) {
    Entries out;
    for (size_t pos = 12; pos + 8 <= b.size();) {
        const std::string_view type = b.substr(pos, 4);
        const uint32_t size = le32(u(b) + pos + 4);
        if (size > b.size() - pos - 8) throw media_error(origin, "the WebP chunk '" + std::string(type) + "' is truncated");
        if (type == "EXIF") {
            Entries e = exif_entries(b.substr(pos + 8, size), origin);
            out.insert(out.end(), e.begin(), e.end());
        }
        pos += 8 + size + (size & 1);
    }
    return out;
}

// ISO BMFF: [size:4][type:4] (size 1: 64-bit size follows; 0: to the end).
struct Box {
    std::string_view type, body;
};

std::vector<Box> boxes(std::string_view b, std::string_view origin) {
    std::vector<Box> out;
    for (size_t pos = 0; pos + 8 <= b.size();) {
        uint64_t size = be32(u(b) + pos);
        size_t header = 8;
        if (size == 1) {
            if (pos + 16 > b.size()) throw media_error(origin, "a box header is truncated");
            size = uint64_t(be32(u(b) + pos + 8)) << 32 | be32(u(b) + pos + 12);
            header = 16;
        } else if (size == 0) {
            size = b.size() - pos;
        }
        if (size < header || size > b.size() - pos) {
            // A box cut short (a truncated file) ends the walk; what came before still counts.
            break;
        }
        out.push_back({b.substr(pos + 4, 4), b.substr(pos + header, size_t(size) - header)});
        pos += size_t(size);
    }
    return out;
}

std::optional<std::string_view> child(std::string_view body, std::string_view type, std::string_view origin) {
    for (const Box& bx : boxes(body, origin))
        if (bx.type == type) return bx.body;
    return std::nullopt;
}

// moov/udta/meta (or moov/meta) with hdlr "mdta": keys + ilst, as FFmpeg's use_metadata_tags
// writes them.
Entries mp4_entries(std::string_view b, std::string_view origin) {
    Entries out;
    const auto moov = child(b, "moov", origin);
    if (!moov) throw media_error(origin, "the MP4 file has no moov box (truncated?)");
    std::vector<std::string_view> metas;
    if (auto udta = child(*moov, "udta", origin))
        if (auto m = child(*udta, "meta", origin)) metas.push_back(*m);
    if (auto m = child(*moov, "meta", origin)) metas.push_back(*m);
    for (std::string_view meta : metas) {
        // "meta" is a full box (version + flags) in MP4; QuickTime writes it without them.
        if (meta.size() >= 8 && meta.substr(4, 4) != "hdlr") meta.remove_prefix(4);
        const auto keys = child(meta, "keys", origin);
        const auto ilst = child(meta, "ilst", origin);
        if (!keys || !ilst || keys->size() < 8) continue;
        std::vector<std::string> names;
        const uint32_t n = be32(u(*keys) + 4);
        for (size_t pos = 8; names.size() < n && pos + 8 <= keys->size();) {
            const uint32_t size = be32(u(*keys) + pos);
            if (size < 8 || size > keys->size() - pos) throw media_error(origin, "its metadata keys are truncated");
            names.emplace_back(keys->substr(pos + 8, size - 8));
            pos += size;
        }
        for (const Box& item : boxes(*ilst, origin)) {
            const uint32_t index = be32(u(item.type));
            if (index == 0 || index > names.size()) continue;
            const auto data = child(item.body, "data", origin);
            if (!data || data->size() < 8) continue;
            out.emplace_back(names[index - 1], std::string(data->substr(8)));  // after type + locale
        }
    }
    return out;
}

// EBML: IDs keep their length marker; sizes drop it. All-ones size = unknown.
struct Element {
    uint32_t id = 0;
    uint64_t size = 0;
    size_t data = 0;
    bool unknown_size = false;
};

std::optional<Element> ebml_element(std::string_view b, size_t pos) {
    if (pos >= b.size()) return std::nullopt;
    const unsigned char first = u(b)[pos];
    int id_len = 1;
    while (id_len <= 4 && !(first & (0x80 >> (id_len - 1)))) ++id_len;
    if (id_len > 4 || pos + size_t(id_len) >= b.size()) return std::nullopt;
    Element e;
    for (int i = 0; i < id_len; ++i) e.id = e.id << 8 | u(b)[pos + size_t(i)];
    size_t p = pos + size_t(id_len);
    const unsigned char s0 = u(b)[p];
    int len = 1;
    while (len <= 8 && !(s0 & (0x80 >> (len - 1)))) ++len;
    if (len > 8 || p + size_t(len) > b.size()) return std::nullopt;
    uint64_t size = s0 & (0xFF >> len);
    bool all_ones = size == (0xFFu >> len);
    for (int i = 1; i < len; ++i) {
        size = size << 8 | u(b)[p + size_t(i)];
        all_ones = all_ones && u(b)[p + size_t(i)] == 0xFF;
    }
    e.size = size;
    e.unknown_size = all_ones;
    e.data = p + size_t(len);
    return e;
}

constexpr uint32_t kSegment = 0x18538067, kTags = 0x1254C367, kTag = 0x7373, kSimpleTag = 0x67C8, kTagName = 0x45A3,
                   kTagString = 0x4487, kTargets = 0x63C0, kTargetTrack = 0x63C5;

// SimpleTags of Tag elements that target no track (global metadata).
void matroska_tags(std::string_view b, size_t begin, size_t end, Entries& out) {
    for (size_t pos = begin; pos < end;) {
        const auto tag = ebml_element(b, pos);
        if (!tag || tag->unknown_size || tag->size > end - tag->data) return;
        const size_t tag_end = tag->data + size_t(tag->size);
        if (tag->id == kTag) {
            bool global = true;
            Entries found;
            for (size_t p = tag->data; p < tag_end;) {
                const auto el = ebml_element(b, p);
                if (!el || el->unknown_size || el->size > tag_end - el->data) break;
                const size_t el_end = el->data + size_t(el->size);
                if (el->id == kTargets) {
                    for (size_t q = el->data; q < el_end;) {
                        const auto t = ebml_element(b, q);
                        if (!t || t->unknown_size || t->size > el_end - t->data) break;
                        if (t->id == kTargetTrack) global = false;
                        q = t->data + size_t(t->size);
                    }
                } else if (el->id == kSimpleTag) {
                    std::string name, value;
                    for (size_t q = el->data; q < el_end;) {
                        const auto t = ebml_element(b, q);
                        if (!t || t->unknown_size || t->size > el_end - t->data) break;
                        if (t->id == kTagName) name.assign(b.substr(t->data, size_t(t->size)));
                        if (t->id == kTagString) value.assign(b.substr(t->data, size_t(t->size)));
                        q = t->data + size_t(t->size);
                    }
                    if (!name.empty()) found.emplace_back(std::move(name), std::move(value));
                }
                p = el_end;
            }
            if (global) out.insert(out.end(), found.begin(), found.end());
        }
        pos = tag_end;
    }
}

Entries matroska_entries(std::string_view b, std::string_view origin) {
    Entries out;
    const auto header = ebml_element(b, 0);
    if (!header || header->unknown_size || header->size > b.size() - header->data) throw media_error(origin, "its EBML header is truncated");
    const auto segment = ebml_element(b, header->data + size_t(header->size));
    if (!segment || segment->id != kSegment) throw media_error(origin, "the Matroska file has no segment");
    const size_t end = segment->unknown_size ? b.size() : size_t(std::min<uint64_t>(b.size(), segment->data + segment->size));
    for (size_t pos = segment->data; pos < end;) {
        const auto el = ebml_element(b, pos);
        if (!el) break;
        // An element of unknown size (a live-written cluster) hides where anything after it starts.
        if (el->unknown_size) break;
        if (el->size > end - el->data) break;  // truncated: what came before still counts
        if (el->id == kTags) matroska_tags(b, el->data, el->data + size_t(el->size), out);
        pos = el->data + size_t(el->size);
    }
    return out;
}

bool is_webp(std::string_view b) { return b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP"; }
bool is_iso_media(std::string_view b) { return b.size() >= 12 && b.substr(4, 4) == "ftyp"; }
bool is_ebml(std::string_view b) { return b.size() >= 4 && b.substr(0, 4) == "\x1A\x45\xDF\xA3"; }

}  // namespace

bool is_media_container(std::string_view bytes) { return is_webp(bytes) || is_iso_media(bytes) || is_ebml(bytes); }

std::vector<std::pair<std::string, std::string>> read_media_metadata(std::string_view bytes, std::string_view origin) {
    if (is_webp(bytes)) return webp_entries(bytes, origin);
    if (is_iso_media(bytes)) return mp4_entries(bytes, origin);
    if (is_ebml(bytes)) return matroska_entries(bytes, origin);
    throw media_error(origin, "it is not a WebP, MP4/MOV or WebM/Matroska file");
}

}  // namespace weft::media
