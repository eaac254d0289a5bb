// media/av_handles.h — RAII owners for the libav* objects the video reader and writer use, and
// the text of an AVERROR code, the error both throw. Private to media/ (it includes the FFmpeg headers).
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <weft/error.h>

#include <filesystem>
#include <memory>
#include <string>

namespace weft::media::av {

struct CodecCtxFree { void operator()(AVCodecContext* c) const { avcodec_free_context(&c); } };
struct FrameFree { void operator()(AVFrame* f) const { av_frame_free(&f); } };
struct PacketFree { void operator()(AVPacket* p) const { av_packet_free(&p); } };
struct SwsFree { void operator()(SwsContext* s) const { sws_freeContext(s); } };
struct SwrFree { void operator()(SwrContext* s) const { swr_free(&s); } };
struct InputFree { void operator()(AVFormatContext* f) const { avformat_close_input(&f); } };
// An output context also owns its AVIOContext once opened.
struct OutputFree {
    void operator()(AVFormatContext* f) const {
        if (f->pb && !(f->oformat->flags & AVFMT_NOFILE)) avio_closep(&f->pb);
        avformat_free_context(f);
    }
};

using CodecCtx = std::unique_ptr<AVCodecContext, CodecCtxFree>;
using Frame = std::unique_ptr<AVFrame, FrameFree>;
using Packet = std::unique_ptr<AVPacket, PacketFree>;
using Sws = std::unique_ptr<SwsContext, SwsFree>;
using Swr = std::unique_ptr<SwrContext, SwrFree>;
using Input = std::unique_ptr<AVFormatContext, InputFree>;
using Output = std::unique_ptr<AVFormatContext, OutputFree>;

/// The reader's and writer's error: weft::Error(weft::ErrorCode::InvalidVideo) naming the file.
[[noreturn]] inline void fail(const std::filesystem::path& path, const std::string& message) {
    throw std::move(Error(ErrorCode::InvalidVideo, message + ": " + path.string()).at_path(path.string()));
}

inline std::string error_text(int code) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

}  // namespace weft::media::av
