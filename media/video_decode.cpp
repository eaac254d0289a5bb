// Video decoding with libavformat/libavcodec: demux, decode, convert each frame to RGB24 with
// libswscale, audio to planar float with libswresample.
#include "media/video_decode.h"

#include "media/av_handles.h"

#include <weft/error.h>

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include <cstring>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace weft::media {

namespace {

using av::fail;

av::Input open_input(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw std::move(Error(ErrorCode::FileNotFound, "Video file not found: " + path.string()).at_path(path.string()));
    AVFormatContext* raw = nullptr;
    if (int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); rc < 0)
        fail(path, "Not a video FFmpeg can read (" + av::error_text(rc) + ")");
    av::Input in(raw);
    if (int rc = avformat_find_stream_info(in.get(), nullptr); rc < 0)
        fail(path, "Cannot read the video's streams (" + av::error_text(rc) + ")");
    return in;
}

// The decoder of stream `index`, opened; `threads` 0 lets FFmpeg choose.
av::CodecCtx open_decoder(const fs::path& path, AVStream* st) {
    const AVCodec* dec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!dec)
        fail(path, fmt::format("Unknown codec '{}' (no decoder)", avcodec_get_name(st->codecpar->codec_id)));
    av::CodecCtx c(avcodec_alloc_context3(dec));
    if (!c || avcodec_parameters_to_context(c.get(), st->codecpar) < 0) fail(path, "Cannot set up the decoder");
    c->thread_count = 0;
    c->pkt_timebase = st->time_base;
    if (int rc = avcodec_open2(c.get(), dec, nullptr); rc < 0)
        fail(path, fmt::format("Cannot open the '{}' decoder ({})", dec->name, av::error_text(rc)));
    return c;
}

int video_stream_index(const fs::path& path, AVFormatContext* in) {
    const int idx = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (idx < 0) fail(path, "No video stream");
    return idx;
}

double stream_fps(AVFormatContext* in, AVStream* st) {
    const AVRational r = av_guess_frame_rate(in, st, nullptr);
    return r.num > 0 && r.den > 0 ? av_q2d(r) : 0.0;
}

std::map<std::string, std::string> metadata_of(const AVDictionary* d) {
    std::map<std::string, std::string> out;
    const AVDictionaryEntry* e = nullptr;
    while ((e = av_dict_get(d, "", e, AV_DICT_IGNORE_SUFFIX))) out[e->key] = e->value;
    return out;
}

// Chroma interpolated at full resolution with exact rounding: on small frames the default
// shortcuts cost several dB.
constexpr int kSwsFlags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT;

// Collects RGB24 frames (a quarter of the float tensor's size) until the count is known.
struct FrameSink {
    const fs::path& path;
    int width = 0, height = 0;
    av::Sws sws;
    std::vector<uint8_t> rgb;
    int64_t count = 0;

    void add(const AVFrame* f) {
        if (width == 0) { width = f->width; height = f->height; }
        sws.reset(sws_getCachedContext(sws.release(), f->width, f->height, AVPixelFormat(f->format), width, height,
                                       AV_PIX_FMT_RGB24, kSwsFlags, nullptr, nullptr, nullptr));
        if (!sws) fail(path, "Cannot convert the video's pixel format");
        const size_t frame_bytes = size_t(width) * size_t(height) * 3;
        rgb.resize(rgb.size() + frame_bytes);
        uint8_t* dst[4] = {rgb.data() + rgb.size() - frame_bytes, nullptr, nullptr, nullptr};
        int dst_stride[4] = {width * 3, 0, 0, 0};
        sws_scale(sws.get(), f->data, f->linesize, 0, f->height, dst, dst_stride);
        ++count;
    }
};

struct AudioSink {
    av::Swr swr;
    int channels = 0;
    int64_t rate = 0;
    std::vector<std::vector<float>> planes;

    void add(const fs::path& path, AVCodecContext* c, const AVFrame* f) {
        if (!swr) {
            channels = c->ch_layout.nb_channels;
            rate = c->sample_rate;
            SwrContext* raw = nullptr;
            if (swr_alloc_set_opts2(&raw, &c->ch_layout, AV_SAMPLE_FMT_FLTP, c->sample_rate, &c->ch_layout,
                                    c->sample_fmt, c->sample_rate, 0, nullptr) < 0 || swr_init(raw) < 0) {
                swr_free(&raw);
                fail(path, "Cannot convert the audio samples");
            }
            swr.reset(raw);
            planes.resize(size_t(channels));
        }
        const int out_max = swr_get_out_samples(swr.get(), f->nb_samples);
        std::vector<uint8_t*> out(static_cast<size_t>(channels));
        const size_t before = planes[0].size();
        for (int ch = 0; ch < channels; ++ch) {
            planes[size_t(ch)].resize(before + size_t(out_max));
            out[size_t(ch)] = reinterpret_cast<uint8_t*>(planes[size_t(ch)].data() + before);
        }
        const int got = swr_convert(swr.get(), out.data(), out_max, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
        for (auto& p : planes) p.resize(before + size_t(std::max(got, 0)));
    }

    std::optional<AudioTrack> track() const {
        if (planes.empty() || planes[0].empty()) return std::nullopt;
        const int64_t n = int64_t(planes[0].size());
        Tensor t = Tensor::zeros({1, channels, n});
        for (int ch = 0; ch < channels; ++ch) std::memcpy(t.data<float>() + ch * n, planes[size_t(ch)].data(), size_t(n) * 4);
        return AudioTrack{std::move(t), rate};
    }
};

// Sends `pkt` (null: flush) and hands every frame that comes out to `take`. Returns false on a
// decoding error.
template <class Take>
bool decode(AVCodecContext* c, const AVPacket* pkt, AVFrame* frame, Take&& take) {
    int rc = avcodec_send_packet(c, pkt);
    if (rc < 0 && rc != AVERROR_EOF) return false;
    while ((rc = avcodec_receive_frame(c, frame)) == 0) {
        take(frame);
        av_frame_unref(frame);
    }
    return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF;
}

}  // namespace

VideoFileInfo probe_video_file(const fs::path& path) {
    av_log_set_level(AV_LOG_FATAL);
    av::Input in = open_input(path);
    const int vi = video_stream_index(path, in.get());
    AVStream* st = in->streams[vi];
    if (!avcodec_find_decoder(st->codecpar->codec_id))
        fail(path, fmt::format("Unknown codec '{}' (no decoder)", avcodec_get_name(st->codecpar->codec_id)));
    VideoFileInfo info;
    info.width = st->codecpar->width;
    info.height = st->codecpar->height;
    info.fps = stream_fps(in.get(), st);
    info.frame_count = st->nb_frames > 0 ? st->nb_frames : -1;
    info.codec = avcodec_get_name(st->codecpar->codec_id);
    info.has_audio = av_find_best_stream(in.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
    info.metadata = metadata_of(in->metadata);
    return info;
}

VideoComponents decode_video_file(const fs::path& path, const std::function<void(int64_t)>& on_frame) {
    av_log_set_level(AV_LOG_FATAL);  // failures are reported as weft::Error; keep stderr clean
    av::Input in = open_input(path);
    const int vi = video_stream_index(path, in.get());
    AVStream* vst = in->streams[vi];
    av::CodecCtx vdec = open_decoder(path, vst);
    const int ai = av_find_best_stream(in.get(), AVMEDIA_TYPE_AUDIO, -1, vi, nullptr, 0);
    av::CodecCtx adec;
    if (ai >= 0 && avcodec_find_decoder(in->streams[ai]->codecpar->codec_id)) adec = open_decoder(path, in->streams[ai]);

    FrameSink frames{path};
    AudioSink audio;
    av::Packet pkt(av_packet_alloc());
    av::Frame frame(av_frame_alloc());
    auto take_video = [&](const AVFrame* f) {
        frames.add(f);
        if (on_frame) on_frame(frames.count);
    };
    auto take_audio = [&](const AVFrame* f) { audio.add(path, adec.get(), f); };

    int rc = 0;
    while ((rc = av_read_frame(in.get(), pkt.get())) >= 0) {
        bool ok = true;
        if (pkt->stream_index == vi) ok = decode(vdec.get(), pkt.get(), frame.get(), take_video);
        else if (adec && pkt->stream_index == ai) ok = decode(adec.get(), pkt.get(), frame.get(), take_audio);
        av_packet_unref(pkt.get());
        if (!ok) fail(path, fmt::format("Corrupt video data (frame {})", frames.count + 1));
    }
    if (rc != AVERROR_EOF) fail(path, fmt::format("Corrupt or truncated video ({})", av::error_text(rc)));
    if (!decode(vdec.get(), nullptr, frame.get(), take_video)) fail(path, "Corrupt video data at the end");
    if (adec) decode(adec.get(), nullptr, frame.get(), take_audio);

    if (frames.count == 0) fail(path, "The video has no frames");
    if (vst->nb_frames > 0 && frames.count < vst->nb_frames)
        fail(path, fmt::format("Truncated video: {} of {} frames decoded", frames.count, vst->nb_frames));

    VideoComponents out;
    const int64_t n = frames.count, h = frames.height, w = frames.width;
    out.images = Tensor::zeros({n, h, w, 3});
    float* d = out.images.data<float>();
    for (size_t i = 0; i < frames.rgb.size(); ++i) d[i] = float(frames.rgb[i]) * (1.0f / 255.0f);
    out.audio = audio.track();
    out.fps = stream_fps(in.get(), vst);
    return out;
}

}  // namespace weft::media
