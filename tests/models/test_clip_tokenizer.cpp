// CLIP BPE tokenizer and ComfyUI prompt tokenization against the ids and weights real ComfyUI
// produced (goldens/components_tiny/tokenizer/tokens.json and the runs' tokens_*.json).
#include "blocks/text/clip_tokenizer.h"
#include "blocks/text/prompt_tokenize.h"
#include "blocks/text/prompt_weights.h"

#include <weft/error.h>

#include "models_test_util.h"

#include <nlohmann/json.hpp>

#include <fstream>

using namespace weft;
using namespace weft::models;
namespace fs = std::filesystem;

namespace {

fs::path tokenizer_dir() { return weft::testing::shared_dir() / "tokenizers" / "clip"; }

const ClipTokenizer& shared_tokenizer() {
    static const ClipTokenizer tok = ClipTokenizer::load(tokenizer_dir());
    return tok;
}

nlohmann::json read_json(const fs::path& p) {
    std::ifstream f(p);
    return nlohmann::json::parse(f);
}

TEST(PromptWeights, ComfyUiSyntax) {
    auto s = parse_prompt_weights("a (red:1.3) car");
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].text, "a ");
    EXPECT_EQ(s[1].text, "red");
    EXPECT_DOUBLE_EQ(s[1].weight, 1.3);
    EXPECT_DOUBLE_EQ(s[2].weight, 1.0);
    s = parse_prompt_weights("((a))");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].weight, 1.0 * 1.1 * 1.1);  // multiplied in double, as Python does
    s = parse_prompt_weights("((a:1.5))");
    EXPECT_DOUBLE_EQ(s[0].weight, 1.5);  // replaced, not multiplied
    s = parse_prompt_weights("(a:0)");
    EXPECT_EQ(s[0].weight, 0.0);
    s = parse_prompt_weights("(x:y:2) [z]");
    EXPECT_EQ(s[0].text, "x:y");
    EXPECT_DOUBLE_EQ(s[0].weight, 2.0);
    EXPECT_EQ(s[1].text, " [z]");
    s = parse_prompt_weights("\\(literal\\) (b:bad)");
    EXPECT_EQ(s[0].text, "(literal) ");
    EXPECT_EQ(s[1].text, "b:bad");
    EXPECT_DOUBLE_EQ(s[1].weight, 1.1);
}

TEST(ClipTokenizer, KnownIds) {
    WEFT_REQUIRE_PATH(tokenizer_dir() / "vocab.json");
    const auto& tok = shared_tokenizer();
    EXPECT_EQ(tok.vocab_size(), 49408u);
    EXPECT_EQ(tok.encode("a photo of a cat"), (std::vector<int>{320, 1125, 539, 320, 2368}));
    EXPECT_EQ(tok.encode("masterpiece, ( !"), (std::vector<int>{12066, 267, 263, 256}));
    EXPECT_EQ(tok.encode("  A   PHOTO\n"), (std::vector<int>{320, 1125}));
    EXPECT_EQ(tok.encode("(!"), (std::vector<int>{7, 256}));  // one symbol run: "(" without </w>
    EXPECT_TRUE(tok.encode("").empty());
    EXPECT_THROW(ClipTokenizer::load("/nonexistent/dir"), Error);
}

void expect_chunks(const PromptTokens& got, const nlohmann::json& want, const std::string& what) {
    ASSERT_EQ(got.chunks.size(), want.size()) << what;
    for (size_t c = 0; c < want.size(); ++c) {
        const auto& w = want[c];
        const auto& g = got.chunks[c];
        ASSERT_EQ(g.ids.size(), 77u);
        for (size_t k = 0; k < 77; ++k) {
            EXPECT_EQ(g.ids[k], w["ids"][k].get<int>()) << what << " chunk " << c << " pos " << k;
            EXPECT_EQ(g.weights[k], w["weights"][k].get<double>()) << what << " chunk " << c << " pos " << k;
            EXPECT_EQ(g.word_ids[k], w["word_ids"][k].get<int>()) << what << " chunk " << c << " pos " << k;
        }
    }
}

TEST(PromptTokenize, EveryGoldenPromptBothEmbeddingModes) {
    const fs::path golden = weft::testing::goldens_dir() / "components_tiny" / "tokenizer" / "tokens.json";
    WEFT_REQUIRE_PATH(golden);
    WEFT_REQUIRE_PATH(tokenizer_dir() / "vocab.json");
    const auto& tok = shared_tokenizer();
    const auto j = read_json(golden);
    int n = 0;
    for (const auto& p : j["prompts"]) {
        const std::string text = p["text"];
        PromptTokenizeOptions text_mode;
        text_mode.embeddings = EmbeddingMode::Text;
        expect_chunks(tokenize_prompt(tok, text, text_mode), p["no_embedding_dir"], "text mode: " + text);
        expect_chunks(tokenize_prompt(tok, text), p["empty_embedding_dir"], "drop mode: " + text);
        ++n;
    }
    EXPECT_GE(n, 20);
}

TEST(PromptTokenize, RunGoldensPositiveNegative) {
    const fs::path dir = weft::testing::goldens_dir() / "sd15_tiny_seed42_64x64";
    WEFT_REQUIRE_PATH(dir / "tokens_pos.json");
    WEFT_REQUIRE_PATH(tokenizer_dir() / "vocab.json");
    const auto& tok = shared_tokenizer();
    for (const char* file : {"tokens_pos.json", "tokens_neg.json"}) {
        const auto j = read_json(dir / file);
        const std::string text = j["text"];
        const auto& want = j["tokens"]["l"];
        const PromptTokens got = tokenize_prompt(tok, text);
        ASSERT_EQ(got.chunks.size(), want.size());
        for (size_t k = 0; k < 77; ++k) {
            EXPECT_EQ(got.chunks[0].ids[k], want[0][k][0].get<int>()) << file << " " << k;
            EXPECT_EQ(got.chunks[0].weights[k], want[0][k][1].get<double>()) << file << " " << k;
        }
        EXPECT_FALSE(got.has_weights());
    }
}

TEST(PromptTokenize, ChunkingRules) {
    WEFT_REQUIRE_PATH(tokenizer_dir() / "vocab.json");
    const auto& tok = shared_tokenizer();
    const PromptTokens empty = tokenize_prompt(tok, "");
    ASSERT_EQ(empty.chunks.size(), 1u);
    EXPECT_EQ(empty.chunks[0].ids[0], 49406);
    EXPECT_EQ(empty.chunks[0].ids[1], 49407);
    EXPECT_EQ(empty.chunks[0].ids[76], 49407);
    PromptTokenizeOptions pad0;
    pad0.pad_token = 0;
    EXPECT_EQ(tokenize_prompt(tok, "", pad0).chunks[0].ids[2], 0);
    // 80 short groups of weight 1.1: a group that does not fit moves to the next chunk whole.
    std::string many;
    for (int i = 0; i < 40; ++i) many += "(cat dog) , ";
    const PromptTokens t = tokenize_prompt(tok, many);
    ASSERT_GE(t.chunks.size(), 2u);
    for (const auto& c : t.chunks) {
        EXPECT_EQ(c.ids.size(), 77u);
        EXPECT_EQ(c.ids[0], 49406);
    }
    EXPECT_TRUE(t.has_weights());
    const PromptTokens dropped = tokenize_prompt(tok, "a embedding:foo, b");
    ASSERT_EQ(dropped.dropped_embeddings.size(), 1u);
    EXPECT_EQ(dropped.dropped_embeddings[0], "foo");
}

}  // namespace
