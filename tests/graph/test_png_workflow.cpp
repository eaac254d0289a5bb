// Workflows embedded in PNG text chunks: tEXt/zTXt/iTXt, the prompt chunk preferred over the
// workflow chunk, and clear errors for PNGs without either.
#include "graph/png_workflow.h"
#include "media/png_text.h"

#include <unistd.h>
#include <weft/error.h>
#include <weft/registry.h>
#include <weft/workflow.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace {

using json = nlohmann::json;
using namespace weft;

std::string be32(uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string chunk(const std::string& type, const std::string& data) {
    std::string body = type + data;
    uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    return be32(static_cast<uint32_t>(data.size())) + body + be32(crc);
}

std::string deflate(const std::string& s) {
    uLongf n = compressBound(s.size());
    std::string out(n, '\0');
    EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(s.data()), s.size(), 9), Z_OK);
    out.resize(n);
    return out;
}

std::string text_chunk(const std::string& key, const std::string& text) { return chunk("tEXt", key + '\0' + text); }
std::string ztxt_chunk(const std::string& key, const std::string& text) { return chunk("zTXt", key + '\0' + '\0' + deflate(text)); }
std::string itxt_chunk(const std::string& key, const std::string& text, bool compressed) {
    return chunk("iTXt", key + '\0' + (compressed ? '\1' : '\0') + '\0' + "en" + '\0' + '\0' + (compressed ? deflate(text) : text));
}

// A valid 1x1 grey PNG with `text` chunks before the image data and `late` ones after it.
std::string png(const std::string& text, const std::string& late = {}) {
    std::string ihdr = be32(1) + be32(1) + std::string{8, 0, 0, 0, 0};
    std::string pixels = std::string{0, static_cast<char>(0x80)};
    return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + text + chunk("IDAT", deflate(pixels)) + late + chunk("IEND", "");
}

const char* kPrompt = R"({"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
                          "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "p"}}})";

const char* kUiWorkflow = R"({"last_node_id": 2, "last_link_id": 1, "version": 0.4,
  "nodes": [{"id": 7, "type": "Canvas", "mode": 0, "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "widgets_values": [16]},
            {"id": 9, "type": "Sink", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 1}]}],
  "links": [[1, 7, 0, 9, 0, "IMAGE"]]})";

const NodeRegistry& registry() {
    static const NodeRegistry r = [] {
        NodeRegistry r;
        NodeDefinition canvas{NodeSchema("Canvas").required(Input::integer("size", 8)).output("IMAGE")};
        canvas.execute = [](NodeContext&) {};
        r.add(std::move(canvas));
        NodeDefinition sink{NodeSchema("Sink").required(Input::type_of("images", "IMAGE")).output_node()};
        sink.execute = [](NodeContext&) {};
        r.add(std::move(sink));
        return r;
    }();
    return r;
}

TEST(PngWorkflow, ReadsEveryKindOfTextChunk) {
    std::string bytes = png(text_chunk("plain", "a\xe9") + ztxt_chunk("zipped", "compressed text"),
                            itxt_chunk("intl", "\xc3\xa9t\xc3\xa9", false) + itxt_chunk("intlz", "zipped \xc3\xa9", true));
    auto chunks = media::read_png_texts(bytes, "x.png");
    ASSERT_EQ(chunks.size(), 4u);
    EXPECT_EQ(chunks[0], (media::PngText{"plain", "a\xc3\xa9"}));  // Latin-1 -> UTF-8
    EXPECT_EQ(chunks[1].text, "compressed text");
    EXPECT_EQ(chunks[2].text, "\xc3\xa9t\xc3\xa9");
    EXPECT_EQ(chunks[3], (media::PngText{"intlz", "zipped \xc3\xa9"}));
}

TEST(PngWorkflow, PromptChunkIsPreferred) {
    // The prompt after the image data, as some writers place it; the workflow chunk is ignored.
    Workflow wf = Workflow::parse(png(text_chunk("workflow", kUiWorkflow), text_chunk("prompt", kPrompt)), "both.png", registry());
    EXPECT_EQ(wf.size(), 2u);
    EXPECT_EQ(wf.find("2")->class_type, "SaveImage");
    // No registry needed for a prompt chunk.
    EXPECT_EQ(Workflow::parse(png(ztxt_chunk("prompt", kPrompt)), "z.png").size(), 2u);
}

TEST(PngWorkflow, WorkflowChunkIsConvertedWithTheRegistry) {
    std::string bytes = png(itxt_chunk("workflow", kUiWorkflow, true));
    Workflow wf = Workflow::parse(bytes, "ui.png", registry());
    EXPECT_EQ(json::parse(wf.to_json()), json::parse(R"({"7": {"class_type": "Canvas", "inputs": {"size": 16}, "_meta": {"title": "Canvas"}},
                                                          "9": {"class_type": "Sink", "inputs": {"images": ["7", 0]}, "_meta": {"title": "Sink"}}})"));
    try {
        Workflow::parse(bytes, "ui.png");
        FAIL() << "a UI workflow chunk needs the registry";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("registry"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("ui.png"), std::string::npos) << e.what();
    }
}

TEST(PngWorkflow, PngWithoutWorkflowNamesTheFile) {
    const auto path = std::filesystem::temp_directory_path() / ("weft_test_no_workflow_" + std::to_string(::getpid()) + ".png");
    {
        std::ofstream f(path, std::ios::binary);
        f << png(text_chunk("Software", "something"));
    }
    try {
        Workflow::load(path, registry());
        FAIL() << "a PNG without a workflow must be rejected";
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "invalid_prompt");
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("'prompt'"), std::string::npos) << e.what();
        EXPECT_EQ(e.path(), path.string());
    }
    std::filesystem::remove(path);
}

TEST(PngWorkflow, DamagedPngsAreErrors) {
    std::string good = png(text_chunk("prompt", kPrompt));
    EXPECT_THROW(Workflow::parse(good.substr(0, 40), "cut.png"), Error);       // truncated chunk
    std::string bad_json = png(text_chunk("prompt", "{not json"));
    EXPECT_THROW(Workflow::parse(bad_json, "bad.png"), Error);
    std::string bad_zip = png(chunk("zTXt", std::string("prompt") + '\0' + '\0' + "garbage"));
    EXPECT_THROW(Workflow::parse(bad_zip, "zip.png"), Error);
}

// Damaged bytes of every format the dispatch reads (PNG chunks, YAML, JSON) end in a weft::Error
// or a workflow, never in a crash or another exception.
TEST(PngWorkflow, RandomDamageGivesWeftErrorsOnly) {
    const std::vector<std::string> seeds = {
        png(ztxt_chunk("prompt", kPrompt), itxt_chunk("workflow", kUiWorkflow, true)),
        png(itxt_chunk("workflow", kUiWorkflow, false)),
        "\"1\":\n  class_type: EmptyImage\n  inputs: {width: 8, image: [2, 0], list: {__value__: [1, 2]}}\n",
        kPrompt,
        kUiWorkflow,
    };
    uint64_t state = 88172645463325252ull;  // fixed seed: deterministic
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    size_t parsed = 0, rejected = 0;
    for (const std::string& seed : seeds) {
        for (int i = 0; i < 400; ++i) {
            std::string bytes = seed;
            const int edits = 1 + static_cast<int>(next() % 4);
            for (int e = 0; e < edits && !bytes.empty(); ++e) {
                size_t at = next() % bytes.size();
                switch (next() % 3) {
                    case 0: bytes[at] = static_cast<char>(next()); break;
                    case 1: bytes.erase(at, 1 + next() % 16); break;
                    default: bytes.resize(at); break;
                }
            }
            try {
                Workflow::parse(bytes, "damaged", registry());
                ++parsed;
            } catch (const Error&) {
                ++rejected;
            } catch (const std::exception& e) {
                ADD_FAILURE() << "non-weft exception: " << e.what();
            }
        }
    }
    EXPECT_GT(rejected, 0u);
    EXPECT_GT(parsed + rejected, 0u);
}

}  // namespace
