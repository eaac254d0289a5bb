// Animated WebP writing and reading with libwebp's animation encoder, muxer and decoder.
#include "media/animated_webp.h"

#include "media/file_bytes.h"
#include "media/image_tensor.h"
#include "media/temp_file.h"

#include <weft/error.h>

#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>

namespace fs = std::filesystem;

namespace weft::media {

namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& message) {
    throw std::move(Error(ErrorCode::InvalidImage, message + ": " + path.string()).at_path(path.string()));
}

void put16(std::string& s, uint16_t v) { s += char(v & 0xff); s += char(v >> 8); }
void put32(std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xff); }

struct EncoderFree { void operator()(WebPAnimEncoder* e) const { WebPAnimEncoderDelete(e); } };
struct MuxFree { void operator()(WebPMux* m) const { WebPMuxDelete(m); } };
struct DecoderFree { void operator()(WebPAnimDecoder* d) const { WebPAnimDecoderDelete(d); } };
struct DemuxFree { void operator()(WebPDemuxer* d) const { WebPDemuxDelete(d); } };
struct PictureFree { void operator()(WebPPicture* p) const { WebPPictureFree(p); } };
struct DataFree { void operator()(WebPData* d) const { WebPDataClear(d); } };

// Frame `b` as RGBA (ComfyUI's frames become RGB or RGBA pictures; gray is replicated).
std::vector<uint8_t> frame_rgba(const Tensor& batch, int64_t b) {
    const std::vector<uint8_t> px = image_item_to_u8(batch, b);
    const size_t c = size_t(batch.size(3)), n = px.size() / c;
    std::vector<uint8_t> out(n * 4);
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* p = &px[i * c];
        uint8_t* o = &out[i * 4];
        o[0] = p[0];
        o[1] = c >= 3 ? p[1] : p[0];
        o[2] = c >= 3 ? p[2] : p[0];
        o[3] = c == 4 ? p[3] : c == 2 ? p[1] : 255;
    }
    return out;
}

}  // namespace

std::string exif_ascii_tiff(const std::vector<std::pair<uint16_t, std::string>>& entries) {
    auto sorted = entries;  // TIFF wants IFD entries in ascending tag order
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string s = "II*";
    s += '\0';
    put32(s, 8);  // IFD0 right after the header
    put16(s, uint16_t(sorted.size()));
    uint32_t data_at = 8 + 2 + 12 * uint32_t(sorted.size()) + 4;
    std::string data;
    for (const auto& [tag, text] : sorted) {
        const uint32_t count = uint32_t(text.size() + 1);  // with the terminating NUL
        put16(s, tag);
        put16(s, 2);  // ASCII
        put32(s, count);
        if (count <= 4) {
            std::string inline_value = text;
            inline_value.resize(4, '\0');
            s += inline_value;
        } else {
            put32(s, data_at + uint32_t(data.size()));
            data += text;
            data += '\0';
            if (data.size() % 2) data += '\0';  // word alignment
        }
    }
    put32(s, 0);  // no next IFD
    return s + data;
}

void write_animated_webp(const fs::path& path, const Tensor& images, const AnimatedWebpOptions& o,
                         const std::function<void(int64_t)>& on_frame) {
    const Tensor batch = image_batch_f32(images, "images");
    const int64_t n = batch.size(0);
    const int h = int(batch.size(1)), w = int(batch.size(2));
    if (n == 0) fail(path, "No frames to write");
    if (w > WEBP_MAX_DIMENSION || h > WEBP_MAX_DIMENSION) fail(path, fmt::format("{}x{} is too large for WebP", w, h));

    WebPAnimEncoderOptions eo;
    if (!WebPAnimEncoderOptionsInit(&eo)) fail(path, "libwebp version mismatch");
    eo.anim_params.loop_count = 0;
    eo.anim_params.bgcolor = 0;
    std::unique_ptr<WebPAnimEncoder, EncoderFree> enc(WebPAnimEncoderNew(w, h, &eo));
    if (!enc) fail(path, "Cannot create the WebP encoder");

    WebPConfig config;
    if (!WebPConfigInit(&config)) fail(path, "libwebp version mismatch");
    config.lossless = o.lossless ? 1 : 0;
    config.quality = float(std::clamp(o.quality, 0, 100));
    config.method = std::clamp(o.method, 0, 6);
    config.exact = o.lossless ? 1 : 0;  // keep RGB under transparent pixels in lossless mode
    if (!WebPValidateConfig(&config)) fail(path, "Invalid WebP settings");

    const int duration = int(1000.0 / o.fps);
    for (int64_t i = 0; i < n; ++i) {
        if (on_frame) on_frame(i);
        const std::vector<uint8_t> rgba = frame_rgba(batch, i);
        WebPPicture pic;
        if (!WebPPictureInit(&pic)) fail(path, "libwebp version mismatch");
        pic.width = w;
        pic.height = h;
        pic.use_argb = 1;
        std::unique_ptr<WebPPicture, PictureFree> owner(&pic);
        if (!WebPPictureImportRGBA(&pic, rgba.data(), w * 4)) fail(path, "Out of memory for a WebP frame");
        if (!WebPAnimEncoderAdd(enc.get(), &pic, int(i) * duration, &config))
            fail(path, std::string("WebP encoding failed: ") + WebPAnimEncoderGetError(enc.get()));
    }
    WebPAnimEncoderAdd(enc.get(), nullptr, int(n) * duration, nullptr);
    WebPData anim;
    WebPDataInit(&anim);
    std::unique_ptr<WebPData, DataFree> anim_owner(&anim);
    if (!WebPAnimEncoderAssemble(enc.get(), &anim))
        fail(path, std::string("WebP encoding failed: ") + WebPAnimEncoderGetError(enc.get()));

    WebPData out;
    WebPDataInit(&out);
    std::unique_ptr<WebPData, DataFree> out_owner(&out);
    if (o.exif.empty()) {
        std::swap(out, anim);
    } else {
        std::unique_ptr<WebPMux, MuxFree> mux(WebPMuxCreate(&anim, 1));
        if (!mux) fail(path, "Cannot add the metadata to the WebP file");
        const WebPData exif{reinterpret_cast<const uint8_t*>(o.exif.data()), o.exif.size()};
        if (WebPMuxSetChunk(mux.get(), "EXIF", &exif, 1) != WEBP_MUX_OK || WebPMuxAssemble(mux.get(), &out) != WEBP_MUX_OK)
            fail(path, "Cannot add the metadata to the WebP file");
    }

    TempFile temp(path);
    {
        std::ofstream f(temp.path(), std::ios::binary);
        f.write(reinterpret_cast<const char*>(out.bytes), std::streamsize(out.size));
        f.close();
        if (!f) fail(path, "Cannot write the file");
    }
    temp.commit();
}

AnimatedWebp read_animated_webp(const fs::path& path) {
    const std::string bytes = read_file_bytes(path);
    const WebPData data{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};

    AnimatedWebp out;
    {
        std::unique_ptr<WebPDemuxer, DemuxFree> demux(WebPDemux(&data));
        if (!demux) fail(path, "Not a valid WebP file");
        out.loop_count = int(WebPDemuxGetI(demux.get(), WEBP_FF_LOOP_COUNT));
        WebPChunkIterator it;
        if (WebPDemuxGetChunk(demux.get(), "EXIF", 1, &it)) {
            out.exif.assign(reinterpret_cast<const char*>(it.chunk.bytes), it.chunk.size);
            WebPDemuxReleaseChunkIterator(&it);
        }
    }
    WebPAnimDecoderOptions dopt;
    if (!WebPAnimDecoderOptionsInit(&dopt)) fail(path, "libwebp version mismatch");
    dopt.color_mode = MODE_RGBA;
    dopt.use_threads = 0;
    std::unique_ptr<WebPAnimDecoder, DecoderFree> dec(WebPAnimDecoderNew(&data, &dopt));
    if (!dec) fail(path, "Not a valid WebP file");
    WebPAnimInfo info;
    if (!WebPAnimDecoderGetInfo(dec.get(), &info)) fail(path, "Not a valid WebP file");
    out.width = int(info.canvas_width);
    out.height = int(info.canvas_height);
    const size_t frame_bytes = size_t(out.width) * size_t(out.height) * 4;
    while (WebPAnimDecoderHasMoreFrames(dec.get())) {
        uint8_t* buf = nullptr;
        int ts = 0;
        if (!WebPAnimDecoderGetNext(dec.get(), &buf, &ts)) fail(path, "Corrupt WebP frame");
        out.frames.emplace_back(buf, buf + frame_bytes);
        out.timestamps_ms.push_back(ts);
    }
    return out;
}

}  // namespace weft::media
