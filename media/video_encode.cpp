// Video encoding with libavformat/libavcodec 5.1 (send/receive API). FFmpeg 5.1 traps handled
// here: packets get an explicit duration (else MP4's edit list drops the last frame) and MP4 gets
// movflags=use_metadata_tags (else it drops custom metadata keys such as "prompt").
#include "media/video_encode.h"

#include "media/av_handles.h"
#include "media/image_tensor.h"
#include "media/temp_file.h"

#include <weft/error.h>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fs = std::filesystem;

namespace weft::media {

namespace {

using av::fail;

const char* encoder_name(const std::string& codec) {
    if (codec == "h264") return "libx264";
    if (codec == "vp9") return "libvpx-vp9";
    if (codec == "av1") return "libsvtav1";
    return nullptr;
}

struct Stream {
    AVStream* st = nullptr;
    av::CodecCtx c;
};

class Writer {
public:
    Writer(const fs::path& final_path, const fs::path& temp_path, const VideoEncodeOptions& o)
        : path_(final_path), options_(o) {
        const bool mp4 = o.container == "mp4";
        if (!mp4 && o.container != "webm") fail(path_, "Unknown video container '" + o.container + "'");
        AVFormatContext* raw = nullptr;
        if (avformat_alloc_output_context2(&raw, nullptr, mp4 ? "mp4" : "webm", temp_path.c_str()) < 0 || !raw)
            fail(path_, "Cannot create the " + o.container + " container");
        out_.reset(raw);
        for (const auto& [key, value] : o.metadata) av_dict_set(&out_->metadata, key.c_str(), value.c_str(), 0);
        pkt_.reset(av_packet_alloc());
    }

    void add_video(int width, int height) {
        const char* name = encoder_name(options_.codec);
        const AVCodec* codec = name ? avcodec_find_encoder_by_name(name) : nullptr;
        if (!codec) fail(path_, fmt::format("Video codec '{}' is not available in this FFmpeg build", options_.codec));
        video_.st = avformat_new_stream(out_.get(), nullptr);
        video_.c.reset(avcodec_alloc_context3(codec));
        AVCodecContext* c = video_.c.get();
        // The frame rate as a fraction of 1/1000 steps, as ComfyUI gives it to PyAV.
        AVRational rate{int(std::lround(options_.fps * 1000)), 1000};
        av_reduce(&rate.num, &rate.den, rate.num, rate.den, INT32_MAX);
        c->width = width;
        c->height = height;
        c->framerate = rate;
        c->time_base = av_inv_q(rate);
        c->pix_fmt = options_.codec == "av1" ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P;
        c->thread_count = options_.threads;
        if (options_.codec == "vp9") c->bit_rate = 0;  // constant quality: crf alone decides
        if (out_->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        AVDictionary* opts = nullptr;
        if (options_.crf >= 0) av_dict_set(&opts, "crf", fmt::format("{}", options_.crf).c_str(), 0);
        if (options_.codec == "av1") av_dict_set(&opts, "preset", "6", 0);
        if (options_.codec == "vp9") av_dict_set(&opts, "row-mt", "1", 0);
        const int rc = avcodec_open2(c, codec, &opts);
        av_dict_free(&opts);
        if (rc < 0) fail(path_, fmt::format("Cannot open the {} encoder ({})", name, av::error_text(rc)));
        avcodec_parameters_from_context(video_.st->codecpar, c);
        video_.st->time_base = c->time_base;
        video_.st->avg_frame_rate = rate;

        frame_.reset(av_frame_alloc());
        frame_->format = c->pix_fmt;
        frame_->width = width;
        frame_->height = height;
        if (av_frame_get_buffer(frame_.get(), 0) < 0) fail(path_, "Out of memory for a video frame");
        sws_.reset(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, c->pix_fmt,
                                  SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
        if (!sws_) fail(path_, "Cannot convert frames to the encoder's pixel format");
    }

    void add_audio(const AudioTrack& a) {
        if (options_.container != "mp4") fail(path_, "Audio is only written to MP4 files");
        const AVCodec* codec = avcodec_find_encoder_by_name("aac");
        if (!codec) fail(path_, "The AAC encoder is not available in this FFmpeg build");
        audio_track_ = &a;
        audio_.st = avformat_new_stream(out_.get(), nullptr);
        audio_.c.reset(avcodec_alloc_context3(codec));
        AVCodecContext* c = audio_.c.get();
        c->sample_fmt = AV_SAMPLE_FMT_FLTP;
        c->sample_rate = int(a.sample_rate);
        av_channel_layout_default(&c->ch_layout, int(a.waveform.size(1)));
        c->time_base = {1, c->sample_rate};
        c->bit_rate = 192000;
        if (out_->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if (int rc = avcodec_open2(c, codec, nullptr); rc < 0)
            fail(path_, "Cannot open the AAC encoder (" + av::error_text(rc) + ")");
        avcodec_parameters_from_context(audio_.st->codecpar, c);
        audio_.st->time_base = c->time_base;
        audio_frame_.reset(av_frame_alloc());
        audio_frame_->format = c->sample_fmt;
        audio_frame_->nb_samples = c->frame_size > 0 ? c->frame_size : 1024;
        av_channel_layout_copy(&audio_frame_->ch_layout, &c->ch_layout);
        audio_frame_->sample_rate = c->sample_rate;
        if (av_frame_get_buffer(audio_frame_.get(), 0) < 0) fail(path_, "Out of memory for an audio frame");
    }

    void open(const fs::path& temp_path) {
        if (int rc = avio_open(&out_->pb, temp_path.c_str(), AVIO_FLAG_WRITE); rc < 0)
            fail(path_, "Cannot create the file (" + av::error_text(rc) + ")");
        AVDictionary* opts = nullptr;
        if (options_.container == "mp4") av_dict_set(&opts, "movflags", "+faststart+use_metadata_tags", 0);
        const int rc = avformat_write_header(out_.get(), &opts);
        av_dict_free(&opts);
        if (rc < 0) fail(path_, "Cannot write the container header (" + av::error_text(rc) + ")");
    }

    // Frame `index` from 8-bit RGB rows.
    void write_frame(const uint8_t* rgb, int64_t index) {
        if (av_frame_make_writable(frame_.get()) < 0) fail(path_, "Out of memory for a video frame");
        const uint8_t* src[4] = {rgb, nullptr, nullptr, nullptr};
        const int src_stride[4] = {frame_->width * 3, 0, 0, 0};
        sws_scale(sws_.get(), src, src_stride, 0, frame_->height, frame_->data, frame_->linesize);
        frame_->pts = index;
        send(video_, frame_.get(), 1);
        if (audio_track_) {
            // Audio up to the end of this frame, so the muxer interleaves without buffering it all.
            const double end_time = double(index + 1) * av_q2d(video_.c->time_base);
            write_audio_until(int64_t(std::llround(end_time * double(audio_track_->sample_rate))), false);
        }
    }

    void finish(int64_t frames) {
        if (audio_track_) {
            // The audio's tail up to the video's end (longer audio is cut there).
            const double end_time = double(frames) * av_q2d(video_.c->time_base);
            write_audio_until(int64_t(std::llround(end_time * double(audio_track_->sample_rate))), true);
        }
        send(video_, nullptr, 1);
        if (audio_track_) send(audio_, nullptr, audio_.c->frame_size);
        if (int rc = av_write_trailer(out_.get()); rc < 0) fail(path_, "Cannot finish the file (" + av::error_text(rc) + ")");
        if (int rc = avio_closep(&out_->pb); rc < 0) fail(path_, "Cannot close the file (" + av::error_text(rc) + ")");
    }

private:
    // Whole encoder frames up to `end_sample`; with `last`, the partial frame before it too.
    void write_audio_until(int64_t end_sample, bool last) {
        const int64_t total = std::min(end_sample, audio_track_->waveform.size(2));
        const int channels = int(audio_track_->waveform.size(1));
        const float* src = audio_track_->waveform.data<float>();
        const int64_t stride = audio_track_->waveform.size(2);
        const int frame_size = audio_frame_->nb_samples;
        while (audio_written_ < total && (last || audio_written_ + frame_size <= total)) {
            const int n = int(std::min<int64_t>(frame_size, total - audio_written_));
            if (av_frame_make_writable(audio_frame_.get()) < 0) fail(path_, "Out of memory for an audio frame");
            for (int ch = 0; ch < channels; ++ch) {
                float* dst = reinterpret_cast<float*>(audio_frame_->data[ch]);
                std::memcpy(dst, src + ch * stride + audio_written_, size_t(n) * sizeof(float));
                std::fill(dst + n, dst + frame_size, 0.0f);  // the last frame is padded with silence
            }
            audio_frame_->pts = audio_written_;
            send(audio_, audio_frame_.get(), frame_size);
            audio_written_ += n;
        }
    }

    void send(Stream& s, const AVFrame* f, int64_t default_duration) {
        int rc = avcodec_send_frame(s.c.get(), f);
        if (rc < 0) fail(path_, "Encoding failed (" + av::error_text(rc) + ")");
        while ((rc = avcodec_receive_packet(s.c.get(), pkt_.get())) == 0) {
            if (pkt_->duration == 0) pkt_->duration = default_duration;
            av_packet_rescale_ts(pkt_.get(), s.c->time_base, s.st->time_base);
            pkt_->stream_index = s.st->index;
            if (int w = av_interleaved_write_frame(out_.get(), pkt_.get()); w < 0)
                fail(path_, "Cannot write to the file (" + av::error_text(w) + ")");
        }
        if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) fail(path_, "Encoding failed (" + av::error_text(rc) + ")");
    }

    fs::path path_;
    const VideoEncodeOptions& options_;
    av::Output out_;
    av::Packet pkt_;
    Stream video_, audio_;
    av::Frame frame_, audio_frame_;
    av::Sws sws_;
    const AudioTrack* audio_track_ = nullptr;
    int64_t audio_written_ = 0;
};

// Item `b` of the batch as RGB24 (gray replicated, alpha dropped).
void frame_rgb(const Tensor& batch, int64_t b, std::vector<uint8_t>& rgb) {
    const std::vector<uint8_t> px = image_item_to_u8(batch, b);
    const int64_t c = batch.size(3);
    if (c == 3) { rgb = px; return; }
    const size_t n = px.size() / size_t(c);
    rgb.resize(n * 3);
    for (size_t i = 0; i < n; ++i)
        for (int k = 0; k < 3; ++k) rgb[i * 3 + size_t(k)] = px[i * size_t(c) + (c >= 3 ? size_t(k) : 0)];
}

}  // namespace

bool video_encoder_available(const std::string& codec) {
    const char* name = encoder_name(codec);
    return name && avcodec_find_encoder_by_name(name);
}

void encode_video(const fs::path& path, const Tensor& images, const VideoEncodeOptions& options,
                  const std::function<void(int64_t)>& on_frame) {
    const Tensor batch = image_batch_f32(images, "images");
    const int64_t n = batch.size(0), h = batch.size(1), w = batch.size(2);
    if (n == 0) fail(path, "No frames to encode");
    if (w % 2 || h % 2)
        fail(path, fmt::format("Frame size {}x{} cannot be encoded as yuv420p: width and height must be even", w, h));
    if (!(options.fps > 0)) fail(path, fmt::format("Invalid frame rate {}", options.fps));
    if (options.audio) {
        const Tensor& wf = options.audio->waveform;
        if (wf.dim() != 3 || wf.size(1) < 1 || options.audio->sample_rate <= 0) fail(path, "Invalid audio track");
    }
    av_log_set_level(AV_LOG_FATAL);  // failures are reported as weft::Error; keep stderr clean

    TempFile temp(path);
    {
        Writer writer(path, temp.path(), options);
        writer.add_video(int(w), int(h));
        if (options.audio) writer.add_audio(*options.audio);
        writer.open(temp.path());
        std::vector<uint8_t> rgb;
        for (int64_t i = 0; i < n; ++i) {
            if (on_frame) on_frame(i);
            frame_rgb(batch, i, rgb);
            writer.write_frame(rgb.data(), i);
        }
        writer.finish(n);
    }
    temp.commit();
}

}  // namespace weft::media
