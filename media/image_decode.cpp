// Image file decoding for LoadImage / LoadImageMask (see image_decode.h).
#include "media/image_decode.h"

#include "media/file_bytes.h"
#include "media/png_io.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <jpeglib.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>

namespace fs = std::filesystem;

namespace weft::media {

namespace {

[[noreturn]] void bad_image(std::string_view origin, const std::string& why) {
    throw std::move(Error(ErrorCode::InvalidImage, fmt::format("Cannot read image '{}': {}", origin, why)).at_path(std::string(origin)));
}

// ---- PNG ----------------------------------------------------------------------------------------

ImageFrame png_frame(const PngImage& png, bool scale_16bit_gray) {
    ImageFrame f;
    f.width = png.width;
    f.height = png.height;
    f.channels = png.channels;
    f.pixels.resize(png.pixels.size());
    if (png.bit_depth == 16 && png.channels == 1 && scale_16bit_gray) {
        // Pillow opens 16-bit gray as mode "I"; ComfyUI scales it by 1/255 and RGB conversion
        // clips to 0..255.
        for (size_t i = 0; i < png.pixels.size(); ++i) f.pixels[i] = uint8_t(std::min<unsigned>(255u, png.pixels[i] / 255u));
    } else if (png.bit_depth == 16) {
        // Other 16-bit PNGs are read as 8-bit by Pillow, keeping the high byte of each sample.
        for (size_t i = 0; i < png.pixels.size(); ++i) f.pixels[i] = uint8_t(png.pixels[i] >> 8);
    } else {
        for (size_t i = 0; i < png.pixels.size(); ++i) f.pixels[i] = uint8_t(png.pixels[i]);
    }
    return f;
}

// ---- JPEG ---------------------------------------------------------------------------------------

struct JpegError {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr cinfo) {
    auto* err = reinterpret_cast<JpegError*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
}
// Warnings are ignored: a JPEG cut short decodes with its missing part gray, as ComfyUI's
// LoadImage accepts it (it retries with ImageFile.LOAD_TRUNCATED_IMAGES).
void jpeg_quiet(j_common_ptr, int) {}

struct JpegResult {
    ImageFrame frame;
    std::vector<uint8_t> exif;  // APP1 payload after "Exif\0\0"
    bool cmyk = false, adobe = false;
    char message[JMSG_LENGTH_MAX] = {};
};

// Only trivially destructible locals live in this frame, so longjmp out of libjpeg is safe;
// everything allocated goes into `out`, owned by the caller.
bool jpeg_decode(const uint8_t* data, size_t size, JpegResult* out) {
    jpeg_decompress_struct cinfo;
    JpegError err;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    err.mgr.emit_message = jpeg_quiet;
    if (setjmp(err.jump)) {
        std::memcpy(out->message, err.message, sizeof err.message);
        jpeg_destroy_decompress(&cinfo);
        return false;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0 && out->exif.empty())
            out->exif.assign(m->data + 6, m->data + m->data_length);
    out->cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    out->adobe = cinfo.saw_Adobe_marker;
    cinfo.out_color_space = out->cmyk ? JCS_CMYK : cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    out->frame.width = int(cinfo.output_width);
    out->frame.height = int(cinfo.output_height);
    out->frame.channels = cinfo.output_components;
    const size_t stride = size_t(cinfo.output_width) * size_t(cinfo.output_components);
    out->frame.pixels.resize(stride * cinfo.output_height);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out->frame.pixels.data() + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return true;
}

// The EXIF Orientation tag (1..8), 1 when absent or unreadable.
int exif_orientation(const std::vector<uint8_t>& exif) {
    if (exif.size() < 8) return 1;
    const bool le = exif[0] == 'I' && exif[1] == 'I';
    if (!le && !(exif[0] == 'M' && exif[1] == 'M')) return 1;
    auto u16 = [&](size_t o) -> uint32_t { return le ? exif[o] | exif[o + 1] << 8 : exif[o] << 8 | exif[o + 1]; };
    auto u32 = [&](size_t o) -> uint32_t { return le ? u16(o) | u16(o + 2) << 16 : u16(o) << 16 | u16(o + 2); };
    const size_t ifd = u32(4);
    if (ifd + 2 > exif.size()) return 1;
    const uint32_t count = u16(ifd);
    for (uint32_t i = 0; i < count; ++i) {
        const size_t e = ifd + 2 + size_t(i) * 12;
        if (e + 12 > exif.size()) break;
        if (u16(e) == 0x0112 && u16(e + 2) == 3) {
            const uint32_t v = u16(e + 8);
            return v >= 1 && v <= 8 ? int(v) : 1;
        }
    }
    return 1;
}

// ImageOps.exif_transpose: the frame turned/mirrored so that it displays upright.
ImageFrame apply_orientation(const ImageFrame& in, int orientation) {
    if (orientation <= 1) return in;
    const int W = in.width, H = in.height, C = in.channels;
    const bool swap = orientation >= 5;
    ImageFrame out;
    out.width = swap ? H : W;
    out.height = swap ? W : H;
    out.channels = C;
    out.pixels.resize(in.pixels.size());
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
            int sx = x, sy = y;
            switch (orientation) {
                case 2: sx = W - 1 - x; break;                  // mirror left-right
                case 3: sx = W - 1 - x; sy = H - 1 - y; break;  // 180 degrees
                case 4: sy = H - 1 - y; break;                  // mirror top-bottom
                case 5: sx = y; sy = x; break;                  // transpose
                case 6: sx = y; sy = H - 1 - x; break;          // 90 degrees clockwise
                case 7: sx = W - 1 - y; sy = H - 1 - x; break;  // transverse
                case 8: sx = W - 1 - y; sy = x; break;          // 90 degrees counter-clockwise
            }
            std::memcpy(&out.pixels[(size_t(y) * out.width + x) * C], &in.pixels[(size_t(sy) * W + sx) * C], size_t(C));
        }
    return out;
}

ImageFrame jpeg_frame(std::string_view bytes, std::string_view path, bool exif_transpose) {
    JpegResult r;
    if (!jpeg_decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &r)) bad_image(path, std::string("corrupt JPEG data: ") + r.message);
    if (r.cmyk) {
        // Pillow: CMYK (Adobe files store it inverted) converted to RGB as (255-c)(255-k)/255.
        ImageFrame rgb;
        rgb.width = r.frame.width;
        rgb.height = r.frame.height;
        rgb.channels = 3;
        rgb.pixels.resize(size_t(rgb.width) * rgb.height * 3);
        for (size_t p = 0; p < size_t(rgb.width) * rgb.height; ++p) {
            const uint8_t* s = &r.frame.pixels[p * 4];
            const unsigned k = r.adobe ? s[3] : 255u - s[3];
            for (int c = 0; c < 3; ++c) {
                const unsigned v = r.adobe ? s[c] : 255u - s[c];
                const unsigned t = v * k + 128;
                rgb.pixels[p * 3 + size_t(c)] = uint8_t(((t >> 8) + t) >> 8);
            }
        }
        r.frame = std::move(rgb);
    }
    return exif_transpose ? apply_orientation(r.frame, exif_orientation(r.exif)) : std::move(r.frame);
}

// ---- WebP ---------------------------------------------------------------------------------------

std::vector<ImageFrame> webp_frames(std::string_view text, std::string_view path, bool first_frame_only) {
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK) bad_image(path, "corrupt WebP data");
    std::vector<ImageFrame> frames;
    const int channels = features.has_alpha ? 4 : 3;
    if (!features.has_animation) {
        ImageFrame f;
        uint8_t* data = features.has_alpha ? WebPDecodeRGBA(bytes.data(), bytes.size(), &f.width, &f.height)
                                           : WebPDecodeRGB(bytes.data(), bytes.size(), &f.width, &f.height);
        if (!data) bad_image(path, "corrupt WebP data");
        f.channels = channels;
        f.pixels.assign(data, data + size_t(f.width) * size_t(f.height) * size_t(channels));
        WebPFree(data);
        frames.push_back(std::move(f));
        return frames;
    }
    WebPData wd{bytes.data(), bytes.size()};
    WebPAnimDecoderOptions opts;
    WebPAnimDecoderOptionsInit(&opts);
    opts.color_mode = MODE_RGBA;
    opts.use_threads = 0;
    std::unique_ptr<WebPAnimDecoder, void (*)(WebPAnimDecoder*)> dec(WebPAnimDecoderNew(&wd, &opts), WebPAnimDecoderDelete);
    WebPAnimInfo info;
    if (!dec || !WebPAnimDecoderGetInfo(dec.get(), &info)) bad_image(path, "corrupt animated WebP data");
    while (WebPAnimDecoderHasMoreFrames(dec.get())) {
        uint8_t* buf = nullptr;
        int timestamp = 0;
        if (!WebPAnimDecoderGetNext(dec.get(), &buf, &timestamp)) bad_image(path, "corrupt animated WebP frame");
        ImageFrame f;
        f.width = int(info.canvas_width);
        f.height = int(info.canvas_height);
        f.channels = channels;
        const size_t n = size_t(f.width) * size_t(f.height);
        f.pixels.resize(n * size_t(channels));
        for (size_t p = 0; p < n; ++p) std::memcpy(&f.pixels[p * size_t(channels)], buf + p * 4, size_t(channels));
        frames.push_back(std::move(f));
        if (first_frame_only) break;
    }
    if (frames.empty()) bad_image(path, "animated WebP without frames");
    return frames;
}

}  // namespace

std::vector<uint8_t> ImageFrame::rgba_channel(int c) const {
    const size_t n = size_t(width) * size_t(height);
    std::vector<uint8_t> out(n);
    for (size_t p = 0; p < n; ++p) {
        const uint8_t* px = &pixels[p * size_t(channels)];
        switch (channels) {
            case 1: out[p] = c == 3 ? 255 : px[0]; break;
            case 2: out[p] = c == 3 ? px[1] : px[0]; break;
            case 3: out[p] = c == 3 ? 255 : px[c]; break;
            default: out[p] = px[c]; break;
        }
    }
    return out;
}

std::vector<uint8_t> ImageFrame::to_rgba() const {
    const size_t n = size_t(width) * size_t(height);
    std::vector<uint8_t> out(n * 4);
    for (int c = 0; c < 4; ++c) {
        const std::vector<uint8_t> plane = rgba_channel(c);
        for (size_t p = 0; p < n; ++p) out[p * 4 + size_t(c)] = plane[p];
    }
    return out;
}

DecodedImage decode_image(std::string_view bytes, std::string_view origin, const DecodeOptions& options) {
    DecodedImage img;
    auto starts = [&](std::string_view magic, size_t at = 0) {
        return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
    };
    if (starts("\x89PNG\r\n\x1a\n")) {
        img.format = "PNG";
        PngImage png = decode_png(bytes, origin);
        img.frames.push_back(png_frame(png, options.scale_16bit_gray));
        img.texts = std::move(png.texts);
        img.has_transparency = png.has_transparency;
        img.rgba_mode = png.rgba_color_type;
    } else if (starts("\xff\xd8\xff")) {
        img.format = "JPEG";
        img.frames.push_back(jpeg_frame(bytes, origin, options.exif_transpose));
    } else if (starts("RIFF") && starts("WEBP", 8)) {
        img.format = "WEBP";
        img.frames = webp_frames(bytes, origin, options.first_frame_only);
        img.has_transparency = img.rgba_mode = img.frames.front().has_alpha();
    } else {
        bad_image(origin, bytes.empty() ? "the file is empty" : "not a PNG, JPEG or WebP image");
    }
    return img;
}

DecodedImage decode_image_file(const fs::path& path, const DecodeOptions& options) {
    return decode_image(read_file_bytes(path), path.string(), options);
}

}  // namespace weft::media
