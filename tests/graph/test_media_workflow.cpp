// Workflows read back from media containers, on hand-built bytes: WebP EXIF (both TIFF byte
// orders), MP4 mdta keys/ilst, Matroska SimpleTags; prompt preferred over workflow; clear errors
// for broken structures and files without a workflow.
#include "graph/media_workflow.h"
#include "media/embedded_metadata.h"

#include <weft/weft.h>

#include <gtest/gtest.h>

#include <string>

namespace {

const std::string kPrompt = R"({"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}})";

std::string le32(uint32_t v) { return {char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; }
std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
std::string le16(uint16_t v) { return {char(v), char(v >> 8)}; }
std::string be16(uint16_t v) { return {char(v >> 8), char(v)}; }

// A TIFF with one IFD of ASCII entries.
std::string tiff(const std::vector<std::pair<uint16_t, std::string>>& entries, bool little) {
    auto w16 = little ? le16 : be16;
    auto w32 = little ? le32 : be32;
    std::string s = little ? std::string("II*\0", 4) : std::string("MM\0*", 4);
    s += w32(8);
    s += w16(uint16_t(entries.size()));
    uint32_t at = 8 + 2 + 12 * uint32_t(entries.size()) + 4;
    std::string data;
    for (const auto& [tag, text] : entries) {
        s += w16(tag) + w16(2) + w32(uint32_t(text.size() + 1)) + w32(at + uint32_t(data.size()));
        data += text + '\0';
    }
    return s + w32(0) + data;
}

std::string riff_chunk(const std::string& type, const std::string& body) {
    std::string s = type + le32(uint32_t(body.size())) + body;
    if (body.size() % 2) s += '\0';
    return s;
}

std::string webp_with_exif(const std::string& exif) {
    const std::string body = "WEBP" + riff_chunk("VP8X", std::string(10, '\0')) + riff_chunk("EXIF", exif);
    return "RIFF" + le32(uint32_t(body.size())) + body;
}

std::string box(const std::string& type, const std::string& body) { return be32(uint32_t(8 + body.size())) + type + body; }

std::string mp4_with_metadata(const std::vector<std::pair<std::string, std::string>>& kv) {
    std::string keys = std::string(4, '\0') + be32(uint32_t(kv.size()));
    std::string ilst;
    for (size_t i = 0; i < kv.size(); ++i) {
        keys += be32(uint32_t(8 + kv[i].first.size())) + "mdta" + kv[i].first;
        ilst += box(be32(uint32_t(i + 1)), box("data", be32(1) + be32(0) + kv[i].second));
    }
    const std::string meta = box("meta", std::string(4, '\0') + box("hdlr", std::string(24, '\0')) + box("keys", keys) + box("ilst", ilst));
    return box("ftyp", "isom" + be32(512)) + box("moov", box("mvhd", std::string(100, '\0')) + box("udta", meta)) +
           box("mdat", std::string(64, 'x'));
}

// EBML element with a 1-byte... 8-byte size field.
std::string ebml(uint32_t id, const std::string& body) {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8)
        if (id >> shift || !s.empty()) s += char(id >> shift);
    s += char(0x01);  // 8-byte size
    for (int i = 6; i >= 0; --i) s += char(uint64_t(body.size()) >> (8 * i));
    return s + body;
}

std::string mkv_with_tags(const std::vector<std::pair<std::string, std::string>>& kv) {
    std::string tag = ebml(0x63C0, "");  // Targets, no track: global
    for (const auto& [k, v] : kv) tag += ebml(0x67C8, ebml(0x45A3, k) + ebml(0x4487, v));
    const std::string segment = ebml(0x1549A966, "info") + ebml(0x1254C367, ebml(0x7373, tag)) + ebml(0x1F43B675, std::string(50, 'c'));
    return ebml(0x1A45DFA3, ebml(0x4282, "webm")) + ebml(0x18538067, segment);
}

}  // namespace

TEST(MediaWorkflow, WebpExifInEitherByteOrder) {
    for (bool little : {true, false}) {
        const std::string file = webp_with_exif(tiff({{0x010F, "workflow:{\"nodes\": []}"}, {0x0110, "prompt:" + kPrompt}}, little));
        ASSERT_TRUE(weft::media::is_media_container(file));
        const auto entries = weft::media::read_media_metadata(file, "x.webp");
        ASSERT_EQ(entries.size(), 2u);
        EXPECT_EQ(entries[0].first, "workflow");
        EXPECT_EQ(entries[1].first, "prompt");
        const weft::Workflow wf = weft::Workflow::parse(file, "x.webp");
        ASSERT_EQ(wf.size(), 1u);
        EXPECT_EQ(wf.nodes()[0].class_type, "EmptyImage");
    }
    // "Exif\0\0" before the TIFF (as some writers put it) is accepted too.
    const std::string prefixed = webp_with_exif(std::string("Exif\0\0", 6) + tiff({{0x0110, "prompt:" + kPrompt}}, true));
    EXPECT_EQ(weft::Workflow::parse(prefixed, "p.webp").size(), 1u);
}

TEST(MediaWorkflow, Mp4MdtaKeys) {
    const std::string file = mp4_with_metadata({{"workflow", "{}"}, {"prompt", kPrompt}, {"encoder", "Lavf"}});
    const auto entries = weft::media::read_media_metadata(file, "x.mp4");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[1], (std::pair<std::string, std::string>{"prompt", kPrompt}));
    EXPECT_EQ(weft::Workflow::parse(file, "x.mp4").nodes().at(0).class_type, "EmptyImage");
}

TEST(MediaWorkflow, MatroskaTagsCaseInsensitive) {
    const std::string file = mkv_with_tags({{"ENCODER", "Lavf"}, {"PROMPT", kPrompt}});
    const auto entries = weft::media::read_media_metadata(file, "x.webm");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1].first, "PROMPT");
    EXPECT_EQ(weft::Workflow::parse(file, "x.webm").nodes().at(0).class_type, "EmptyImage");
}

TEST(MediaWorkflow, UiWorkflowNeedsTheRegistry) {
    const std::string file = mp4_with_metadata({{"workflow", R"({"nodes": [], "links": []})"}});
    try {
        weft::Workflow::parse(file, "ui.mp4");
        FAIL() << "a UI workflow parsed without the registry";
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "invalid_prompt");
        EXPECT_NE(e.details().find("registry"), std::string::npos) << e.details();
    }
}

TEST(MediaWorkflow, BrokenOrBareFilesAreClearErrors) {
    auto expect_error = [](const std::string& bytes, const std::string& needle) {
        try {
            weft::Workflow::parse(bytes, "bad.file");
            ADD_FAILURE() << "parsed: expected an error mentioning " << needle;
        } catch (const weft::Error& e) {
            EXPECT_EQ(e.type(), "invalid_prompt");
            EXPECT_NE((e.message() + " " + e.details()).find(needle), std::string::npos) << e.message() << " / " << e.details();
        }
    };
    expect_error(mp4_with_metadata({{"encoder", "Lavf"}}), "no 'prompt' or 'workflow'");
    const std::string mp4 = mp4_with_metadata({{"prompt", kPrompt}});
    expect_error(mp4.substr(0, 40), "moov");  // cut inside the moov box
    expect_error(webp_with_exif(tiff({{0x0110, "prompt:{not json"}}, true)), "not valid JSON");
    std::string cut = webp_with_exif(tiff({{0x0110, "prompt:" + kPrompt}}, true));
    expect_error(cut.substr(0, cut.size() - 30), "truncated");
    expect_error(mkv_with_tags({{"TITLE", "x"}}), "no 'prompt' or 'workflow'");
}
