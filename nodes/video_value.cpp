// The VIDEO value and AUDIO dict conversions.
#include "nodes/video_value.h"

#include "media/video_decode.h"

#include <weft/error.h>

namespace weft::nodes {

AudioTrack audio_from_value(const Value& v, std::string_view what) {
    const auto bad = [&] {
        return Error(ErrorCode::InvalidInputType,
                     std::string(what) + " must be AUDIO: {\"waveform\": [1, channels, samples], \"sample_rate\": INT}, got " +
                         v.describe());
    };
    if (!v.is_dict()) throw bad();
    const Dict& d = v.as_dict();
    auto wf = d.find("waveform");
    auto sr = d.find("sample_rate");
    if (wf == d.end() || sr == d.end() || !wf->second.is_tensor() || !sr->second.is_int()) throw bad();
    Tensor t = wf->second.as_tensor();
    if (t.dim() == 2) t = t.reshape({1, t.size(0), t.size(1)});
    if (t.dim() != 3 || t.size(1) < 1 || sr->second.as_int() <= 0) throw bad();
    // Only the first item of a batch is kept, as a video has one audio track.
    Tensor first = Tensor::zeros({1, t.size(1), t.size(2)});
    const Tensor src = t.to(DType::F32).contiguous();
    std::copy_n(src.data<float>(), first.numel(), first.data<float>());
    return AudioTrack{std::move(first), sr->second.as_int()};
}

Value audio_to_value(const AudioTrack& a) {
    return Dict{{"waveform", a.waveform}, {"sample_rate", a.sample_rate}};
}

std::shared_ptr<const Video> Video::from_frames(Tensor images, double fps, std::optional<AudioTrack> audio) {
    auto v = std::make_shared<Video>();
    v->frames_ = VideoComponents{std::move(images), std::move(audio), fps};
    return v;
}

std::shared_ptr<const Video> Video::from_file(std::filesystem::path path) {
    auto v = std::make_shared<Video>();
    v->source_ = std::move(path);
    return v;
}

VideoComponents Video::components() const {
    if (is_file()) return media::decode_video_file(source_);
    return frames_;
}

size_t Video::bytes() const {
    size_t n = frames_.images.defined() ? frames_.images.nbytes() : 0;
    if (frames_.audio) n += frames_.audio->waveform.nbytes();
    return n;
}

Value Video::to_value(std::shared_ptr<const Video> v) {
    const size_t bytes = v->bytes();
    return Value::object(std::move(v), "VIDEO", bytes);
}

}  // namespace weft::nodes
