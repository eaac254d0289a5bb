// APNG writing and reading (chunk layout per the APNG specification: acTL, fcTL, fdAT).
#include "media/apng.h"

#include "media/file_bytes.h"
#include "media/image_tensor.h"
#include "media/temp_file.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace weft::media {

namespace {

constexpr char kSignature[] = "\x89PNG\r\n\x1a\n";

[[noreturn]] void fail(const fs::path& path, const std::string& message) {
    throw std::move(Error(ErrorCode::InvalidImage, message + ": " + path.string()).at_path(path.string()));
}

void put32(std::string& s, uint32_t v) {
    for (int i = 3; i >= 0; --i) s += char((v >> (8 * i)) & 0xff);
}
void put16(std::string& s, uint16_t v) { s += char(v >> 8); s += char(v & 0xff); }
uint32_t get32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

void write_chunk(std::ofstream& f, const char type[4], std::string_view data) {
    std::string head;
    put32(head, uint32_t(data.size()));
    head.append(type, 4);
    uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type), 4);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), uInt(data.size()));
    std::string tail;
    put32(tail, uint32_t(crc));
    f.write(head.data(), std::streamsize(head.size()));
    f.write(data.data(), std::streamsize(data.size()));
    f.write(tail.data(), std::streamsize(tail.size()));
}

int paeth(int a, int b, int c) {
    const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// Filters every row with the filter whose output has the smallest sum of absolute (signed)
// values, the usual heuristic for good deflate ratios; level 0 stores rows unfiltered.
std::string filter_rows(const std::vector<uint8_t>& px, int width, int height, int bpp, int level) {
    const size_t stride = size_t(width) * size_t(bpp);
    std::string out;
    out.reserve((stride + 1) * size_t(height));
    std::vector<uint8_t> zero(stride, 0);
    std::array<std::vector<uint8_t>, 5> cand;
    for (auto& c : cand) c.resize(stride);
    for (int y = 0; y < height; ++y) {
        const uint8_t* row = &px[size_t(y) * stride];
        const uint8_t* up = y ? row - stride : zero.data();
        int best = 0;
        if (level > 0) {
            uint64_t best_sum = UINT64_MAX;
            for (int ft = 0; ft < 5; ++ft) {
                uint64_t sum = 0;
                for (size_t i = 0; i < stride; ++i) {
                    const int a = i >= size_t(bpp) ? row[i - size_t(bpp)] : 0, b = up[i],
                              c = i >= size_t(bpp) ? up[i - size_t(bpp)] : 0;
                    const int pred = ft == 0 ? 0 : ft == 1 ? a : ft == 2 ? b : ft == 3 ? (a + b) / 2 : paeth(a, b, c);
                    const uint8_t v = uint8_t(row[i] - pred);
                    cand[size_t(ft)][i] = v;
                    sum += uint64_t(std::abs(int(int8_t(v))));
                }
                if (sum < best_sum) { best_sum = sum; best = ft; }
            }
        } else {
            std::memcpy(cand[0].data(), row, stride);
        }
        out += char(best);
        out.append(reinterpret_cast<const char*>(cand[size_t(best)].data()), stride);
    }
    return out;
}

std::string deflate_bytes(const std::string& in, int level, const fs::path& path) {
    z_stream z{};
    if (deflateInit(&z, level) != Z_OK) fail(path, "zlib initialisation failed");
    std::string out(deflateBound(&z, uLong(in.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = uInt(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) fail(path, "zlib compression failed");
    return out;
}

std::string inflate_bytes(const std::string& in, size_t expected, const fs::path& path) {
    std::string out(expected, '\0');
    z_stream z{};
    if (inflateInit(&z) != Z_OK) fail(path, "zlib initialisation failed");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = uInt(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = inflate(&z, Z_FINISH);
    const size_t got = z.total_out;
    inflateEnd(&z);
    if ((rc != Z_STREAM_END && rc != Z_BUF_ERROR) || got != expected) fail(path, "Corrupt PNG image data");
    return out;
}

std::vector<uint8_t> unfilter(const std::string& data, int width, int height, int bpp, const fs::path& path) {
    const size_t stride = size_t(width) * size_t(bpp);
    std::vector<uint8_t> px(stride * size_t(height));
    for (int y = 0; y < height; ++y) {
        const uint8_t ft = uint8_t(data[size_t(y) * (stride + 1)]);
        const uint8_t* src = reinterpret_cast<const uint8_t*>(data.data()) + size_t(y) * (stride + 1) + 1;
        uint8_t* row = &px[size_t(y) * stride];
        const uint8_t* up = y ? row - stride : nullptr;
        for (size_t i = 0; i < stride; ++i) {
            const int a = i >= size_t(bpp) ? row[i - size_t(bpp)] : 0, b = up ? up[i] : 0,
                      c = up && i >= size_t(bpp) ? up[i - size_t(bpp)] : 0;
            int pred = 0;
            switch (ft) {
                case 0: pred = 0; break;
                case 1: pred = a; break;
                case 2: pred = b; break;
                case 3: pred = (a + b) / 2; break;
                case 4: pred = paeth(a, b, c); break;
                default: fail(path, fmt::format("Invalid PNG filter type {}", ft));
            }
            row[i] = uint8_t(src[i] + pred);
        }
    }
    return px;
}

// The frame's delay as a fraction with 16-bit terms: int(1000 / fps) ms.
std::pair<uint16_t, uint16_t> frame_delay(double fps) {
    uint64_t num = uint64_t(1000.0 / fps), den = 1000;
    while (num > 65535 && den > 1) { num /= 10; den /= 10; }
    return {uint16_t(std::min<uint64_t>(num, 65535)), uint16_t(den)};
}

struct FrameControl {
    uint32_t width = 0, height = 0, x = 0, y = 0;
    uint16_t delay_num = 0, delay_den = 100;
    uint8_t dispose = 0, blend = 0;
    std::string data;  // concatenated zlib stream
};

}  // namespace

void write_apng(const fs::path& path, const Tensor& images, const ApngOptions& o,
                const std::function<void(int64_t)>& on_frame) {
    const Tensor batch = image_batch_f32(images, "images");
    const int64_t n = batch.size(0);
    const int h = int(batch.size(1)), w = int(batch.size(2)), c = int(batch.size(3));
    if (n == 0) fail(path, "No frames to write");
    if (!(o.fps > 0)) fail(path, fmt::format("Invalid frame rate {}", o.fps));
    const int level = std::clamp(o.compress_level, 0, 9);
    const uint8_t color_type = c == 1 ? 0 : c == 2 ? 4 : c == 3 ? 2 : 6;
    const auto [delay_num, delay_den] = frame_delay(o.fps);

    TempFile temp(path);
    {
        std::ofstream f(temp.path(), std::ios::binary);
        if (!f) fail(path, "Cannot create the file");
        f.write(kSignature, 8);
        std::string ihdr;
        put32(ihdr, uint32_t(w));
        put32(ihdr, uint32_t(h));
        ihdr += char(8);
        ihdr += char(color_type);
        ihdr.append(3, '\0');  // deflate, adaptive filtering, no interlace
        write_chunk(f, "IHDR", ihdr);
        std::string actl;
        put32(actl, uint32_t(n));
        put32(actl, 0);  // loop forever
        write_chunk(f, "acTL", actl);
        uint32_t seq = 0;
        for (int64_t i = 0; i < n; ++i) {
            if (on_frame) on_frame(i);
            std::string fctl;
            put32(fctl, seq++);
            put32(fctl, uint32_t(w));
            put32(fctl, uint32_t(h));
            put32(fctl, 0);
            put32(fctl, 0);
            put16(fctl, delay_num);
            put16(fctl, delay_den);
            fctl += char(0);  // dispose: none
            fctl += char(0);  // blend: source
            write_chunk(f, "fcTL", fctl);
            const std::string z = deflate_bytes(filter_rows(image_item_to_u8(batch, i), w, h, c, level), level, path);
            if (i == 0) {
                write_chunk(f, "IDAT", z);
            } else {
                std::string fdat;
                put32(fdat, seq++);
                fdat += z;
                write_chunk(f, "fdAT", fdat);
            }
        }
        for (const PngText& t : o.comf) write_chunk(f, "comf", t.key + '\0' + t.text);
        write_chunk(f, "IEND", "");
        f.close();
        if (!f) fail(path, "Cannot write the file");
    }
    temp.commit();
}

Apng read_apng(const fs::path& path) {
    const std::string bytes = read_file_bytes(path);
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) fail(path, "Not a PNG file");

    Apng out;
    int bit_depth = 0, color_type = -1, interlace = 0;
    bool animated = false, seen_idat = false, ended = false;
    std::vector<FrameControl> frames;
    FrameControl still;  // the default image when it is not part of the animation
    const auto* base = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t pos = 8;
    while (pos + 12 <= bytes.size() && !ended) {
        const uint32_t len = get32(base + pos);
        if (len > bytes.size() - pos - 12) fail(path, "Truncated PNG chunk");
        const std::string type(bytes.data() + pos + 4, 4);
        const uint8_t* d = base + pos + 8;
        const uLong crc = crc32(crc32(0, base + pos + 4, 4), d, len);
        if (crc != get32(d + len)) fail(path, "PNG chunk '" + type + "' has a bad CRC");
        pos += 12 + len;
        if (type == "IHDR" && len >= 13) {
            out.width = int(get32(d));
            out.height = int(get32(d + 4));
            bit_depth = d[8];
            color_type = d[9];
            interlace = d[12];
        } else if (type == "acTL" && len >= 8) {
            animated = true;
            out.loop_count = int(get32(d + 4));
        } else if (type == "fcTL" && len >= 26) {
            FrameControl fc;
            fc.width = get32(d + 4);
            fc.height = get32(d + 8);
            fc.x = get32(d + 12);
            fc.y = get32(d + 16);
            fc.delay_num = get16(d + 20);
            fc.delay_den = get16(d + 22);
            fc.dispose = d[24];
            fc.blend = d[25];
            frames.push_back(std::move(fc));
        } else if (type == "IDAT") {
            if (animated && !frames.empty() && !seen_idat) frames.back().data.append(reinterpret_cast<const char*>(d), len);
            else still.data.append(reinterpret_cast<const char*>(d), len);
            seen_idat = true;
        } else if (type == "fdAT" && len >= 4) {
            if (frames.empty()) fail(path, "fdAT chunk before any fcTL");
            frames.back().data.append(reinterpret_cast<const char*>(d + 4), len - 4);
        } else if (type == "IEND") {
            ended = true;
        }
    }
    if (!ended) fail(path, "Truncated PNG file (no IEND)");
    out.texts = read_png_texts(bytes, path.string());
    if (out.width <= 0 || out.height <= 0) fail(path, "PNG file without a valid IHDR");
    if (bit_depth != 8 || interlace != 0 || !(color_type == 0 || color_type == 2 || color_type == 4 || color_type == 6))
        fail(path, fmt::format("Unsupported PNG layout (bit depth {}, color type {}, interlace {}): only 8-bit non-interlaced "
                               "gray, RGB, gray+alpha and RGBA",
                               bit_depth, color_type, interlace));
    out.channels = color_type == 0 ? 1 : color_type == 4 ? 2 : color_type == 2 ? 3 : 4;
    if (!animated) {
        still.width = uint32_t(out.width);
        still.height = uint32_t(out.height);
        frames = {std::move(still)};
    }

    const int ch = out.channels;
    const size_t canvas_stride = size_t(out.width) * size_t(ch);
    std::vector<uint8_t> canvas(canvas_stride * size_t(out.height), 0), saved;
    const bool has_alpha = ch == 2 || ch == 4;
    for (size_t i = 0; i < frames.size(); ++i) {
        const FrameControl& fc = frames[i];
        if (fc.width == 0 || fc.height == 0 || fc.x + fc.width > uint32_t(out.width) || fc.y + fc.height > uint32_t(out.height))
            fail(path, fmt::format("APNG frame {} lies outside the canvas", i));
        const size_t stride = size_t(fc.width) * size_t(ch);
        const std::vector<uint8_t> px =
            unfilter(inflate_bytes(fc.data, (stride + 1) * fc.height, path), int(fc.width), int(fc.height), ch, path);
        const uint8_t dispose = i == 0 && fc.dispose == 2 ? 1 : fc.dispose;
        if (dispose == 2) saved = canvas;
        for (uint32_t y = 0; y < fc.height; ++y) {
            uint8_t* dst = &canvas[(fc.y + y) * canvas_stride + fc.x * size_t(ch)];
            const uint8_t* src = &px[y * stride];
            if (fc.blend == 0 || !has_alpha) {
                std::memcpy(dst, src, stride);
                continue;
            }
            for (uint32_t x = 0; x < fc.width; ++x) {
                uint8_t* dp = dst + x * uint32_t(ch);
                const uint8_t* sp = src + x * uint32_t(ch);
                const int sa = sp[ch - 1], da = dp[ch - 1];
                if (sa == 255) { std::memcpy(dp, sp, size_t(ch)); continue; }
                if (sa == 0) continue;
                const int oa = sa + da * (255 - sa) / 255;  // "over" on straight alpha
                for (int k = 0; k < ch - 1; ++k)
                    dp[k] = uint8_t((sp[k] * sa + dp[k] * da * (255 - sa) / 255) / oa);
                dp[ch - 1] = uint8_t(oa);
            }
        }
        out.frames.push_back(canvas);
        out.delays_s.push_back(double(fc.delay_num) / double(fc.delay_den ? fc.delay_den : 100));
        if (dispose == 1) {
            for (uint32_t y = 0; y < fc.height; ++y)
                std::memset(&canvas[(fc.y + y) * canvas_stride + fc.x * size_t(ch)], 0, stride);
        } else if (dispose == 2) {
            canvas = saved;
        }
    }
    return out;
}

}  // namespace weft::media
