// LATENT nodes: creation, batches, rebatching, composites, geometry, arithmetic, .latent files.
#include "single_node_runner.h"
#include "node_test_util.h"
#include "npy.h"
#include "tensor/safetensors.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace weft;
using namespace weft::testing;

namespace {

Latent latent_of(Tensor samples, std::vector<int64_t> batch_index = {}, Tensor mask = {}) {
    Latent l;
    l.samples = std::move(samples);
    l.batch_index = std::move(batch_index);
    l.noise_mask = std::move(mask);
    return l;
}

// Item b holds the value 10*b + (flat index within the item) / 1000.
Tensor numbered(int64_t b, int64_t c, int64_t h, int64_t w) {
    const int64_t item = c * h * w;
    return make_tensor({b, c, h, w}, [item](int64_t i) { return double(10 * (i / item)) + double(i % item) / 1000.0; });
}

TEST(LatentNodes, EmptyLatentImageIsZerosAtOneEighth) {
    SingleNodeRunner runner;
    NodeRun r = runner.run("EmptyLatentImage", {{"width", 72}, {"height", 40}, {"batch_size", 3}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Latent& l = r.latent();
    EXPECT_EQ(shape_string(l.samples.shape()), "[3, 4, 5, 9]");
    EXPECT_EQ(max_abs_diff(l.samples, Tensor::zeros({3, 4, 5, 9})), 0.0);
    EXPECT_FALSE(l.noise_mask.defined());
    EXPECT_TRUE(l.batch_index.empty());
}

TEST(LatentNodes, FromBatchClampsAndRecordsBatchIndex) {
    SingleNodeRunner runner;
    const Tensor s = numbered(4, 4, 2, 2);
    NodeRun r = runner.run("LatentFromBatch", {{"samples", Value(latent_of(s))}, {"batch_index", 2}, {"length", 5}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(r.latent().samples.size(0), 2);
    EXPECT_FLOAT_EQ(at(r.latent().samples, 0), 20.0f);
    EXPECT_EQ(r.latent().batch_index, (std::vector<int64_t>{2, 3}));
    // Index past the end: the last item.
    NodeRun last = runner.run("LatentFromBatch", {{"samples", Value(latent_of(s, {7, 8, 9, 10}))}, {"batch_index", 9}, {"length", 1}});
    ASSERT_TRUE(last.ok()) << last.error_text();
    EXPECT_FLOAT_EQ(at(last.latent().samples, 0), 30.0f);
    EXPECT_EQ(last.latent().batch_index, (std::vector<int64_t>{10}));
    // A mask batch shorter than the samples is repeated before slicing.
    const Tensor masks = make_tensor({2, 1, 2, 2}, [](int64_t i) { return double(i / 4); });
    NodeRun m = runner.run("LatentFromBatch", {{"samples", Value(latent_of(s, {}, masks))}, {"batch_index", 1}, {"length", 2}});
    ASSERT_TRUE(m.ok()) << m.error_text();
    EXPECT_EQ(shape_string(m.latent().noise_mask.shape()), "[2, 1, 2, 2]");
    EXPECT_FLOAT_EQ(at(m.latent().noise_mask, 0), 1.0f);
    EXPECT_FLOAT_EQ(at(m.latent().noise_mask, 4), 0.0f);
}

TEST(LatentNodes, RepeatLatentBatchOffsetsBatchIndex) {
    SingleNodeRunner runner;
    NodeRun r = runner.run("RepeatLatentBatch", {{"samples", Value(latent_of(numbered(2, 4, 2, 2), {3, 4}))}, {"amount", 3}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(r.latent().samples.size(0), 6);
    EXPECT_FLOAT_EQ(at(r.latent().samples, 2 * 16), 0.0f);  // item 2 = item 0
    EXPECT_EQ(r.latent().batch_index, (std::vector<int64_t>{3, 4, 5, 6, 7, 8}));
}

TEST(LatentNodes, LatentBatchResizesSecondAndConcatenatesIndices) {
    SingleNodeRunner runner;
    NodeRun r = runner.run("LatentBatch", {{"samples1", Value(latent_of(numbered(2, 4, 4, 4)))},
                                           {"samples2", Value(latent_of(Tensor::full({1, 4, 8, 8}, 2.0f), {9}))}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.latent().samples.shape()), "[3, 4, 4, 4]");
    EXPECT_FLOAT_EQ(at(r.latent().samples, 2 * 64 + 5), 2.0f);
    EXPECT_EQ(r.latent().batch_index, (std::vector<int64_t>{0, 1, 9}));
}

TEST(LatentNodes, RebatchLatentsRegroupsAcrossTheList) {
    SingleNodeRunner runner;
    NodeRun r = runner.run("RebatchLatents", {{"latents", SingleNodeRunner::list({Value(latent_of(numbered(3, 4, 2, 2))),
                                                                             Value(latent_of(numbered(2, 4, 2, 2)))})},
                                              {"batch_size", 2}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    ASSERT_EQ(r.count(0), 3u);
    EXPECT_EQ(r.latent(0, 0).samples.size(0), 2);
    EXPECT_EQ(r.latent(0, 1).samples.size(0), 2);
    EXPECT_EQ(r.latent(0, 2).samples.size(0), 1);
    EXPECT_EQ(r.latent(0, 0).batch_index, (std::vector<int64_t>{0, 1}));
    EXPECT_EQ(r.latent(0, 1).batch_index, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(r.latent(0, 2).batch_index, (std::vector<int64_t>{4}));
    EXPECT_FLOAT_EQ(at(r.latent(0, 1).samples, 16), 0.0f);  // item 0 of the second latent
    EXPECT_FALSE(r.latent(0, 0).noise_mask.defined());      // all-ones masks are dropped
}

TEST(LatentNodes, RebatchLatentsSplitsOnSizeChangeAndKeepsMasks) {
    SingleNodeRunner runner;
    const Tensor mask = Tensor::full({1, 1, 16, 16}, 0.5f);
    NodeRun r = runner.run("RebatchLatents", {{"latents", SingleNodeRunner::list({Value(latent_of(numbered(2, 4, 2, 2), {}, mask)),
                                                                             Value(latent_of(numbered(1, 4, 3, 3)))})},
                                              {"batch_size", 4}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    ASSERT_EQ(r.count(0), 2u);
    EXPECT_EQ(shape_string(r.latent(0, 0).samples.shape()), "[2, 4, 2, 2]");
    ASSERT_TRUE(r.latent(0, 0).noise_mask.defined());
    EXPECT_EQ(r.latent(0, 0).noise_mask.size(0), 2);  // repeated to the batch
    EXPECT_EQ(shape_string(r.latent(0, 1).samples.shape()), "[1, 4, 3, 3]");
    EXPECT_EQ(r.latent(0, 1).batch_index, (std::vector<int64_t>{2}));
}

TEST(LatentNodes, LatentCompositePastesAndFeathers) {
    SingleNodeRunner runner;
    const Latent to = latent_of(Tensor::zeros({1, 4, 8, 8}));
    const Latent from = latent_of(Tensor::full({1, 4, 4, 4}, 1.0f));
    NodeRun r = runner.run("LatentComposite", {{"samples_to", Value(to)}, {"samples_from", Value(from)}, {"x", 48}, {"y", 16}, {"feather", 0}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor& s = r.latent().samples;
    // x = 6, y = 2: columns 6..7 of rows 2..5 (cut at the border).
    EXPECT_FLOAT_EQ(at(s, 2 * 8 + 6), 1.0f);
    EXPECT_FLOAT_EQ(at(s, 2 * 8 + 5), 0.0f);
    EXPECT_FLOAT_EQ(at(s, 6 * 8 + 6), 0.0f);
    EXPECT_FLOAT_EQ(at(s, 5 * 8 + 7), 1.0f);
    NodeRun f = runner.run("LatentComposite", {{"samples_to", Value(to)}, {"samples_from", Value(from)}, {"x", 16}, {"y", 16}, {"feather", 16}});
    ASSERT_TRUE(f.ok()) << f.error_text();
    const Tensor& g = f.latent().samples;
    // feather 2 cells, every side inside: corner (2,2) = 0.5 * 0.5, edge (2,3) = 0.5, inner (3,3) = 1.
    EXPECT_FLOAT_EQ(at(g, 2 * 8 + 2), 0.25f);
    EXPECT_FLOAT_EQ(at(g, 2 * 8 + 3), 0.5f);
    EXPECT_FLOAT_EQ(at(g, 3 * 8 + 3), 1.0f);
    EXPECT_FLOAT_EQ(at(g, 5 * 8 + 5), 0.25f);
}

TEST(LatentNodes, LatentCompositeMaskedUsesResizedMask) {
    SingleNodeRunner runner;
    const Latent dest = latent_of(Tensor::zeros({2, 4, 4, 4}), {0, 1});
    const Latent src = latent_of(Tensor::full({1, 4, 2, 2}, 1.0f));
    const Tensor mask = make_tensor({1, 4, 4}, [](int64_t i) { return (i % 4) < 2 ? 1.0 : 0.0; });  // left half
    NodeRun r = runner.run("LatentCompositeMasked", {{"destination", Value(dest)}, {"source", Value(src)}, {"x", 8}, {"y", 8},
                                                     {"resize_source", false}, {"mask", mask}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor& s = r.latent().samples;
    EXPECT_EQ(s.size(0), 2);
    EXPECT_EQ(r.latent().batch_index, (std::vector<int64_t>{0, 1}));
    // Mask [4,4] -> [2,2] bilinear: columns 1, 0. Source lands at rows/cols 1..2.
    EXPECT_FLOAT_EQ(at(s, 1 * 4 + 1), 1.0f);
    EXPECT_FLOAT_EQ(at(s, 1 * 4 + 2), 0.0f);
    EXPECT_FLOAT_EQ(at(s, 64 + 2 * 4 + 1), 1.0f);  // second item too
    NodeRun full = runner.run("LatentCompositeMasked", {{"destination", Value(dest)}, {"source", Value(src)}, {"x", 0}, {"y", 0}, {"resize_source", true}});
    ASSERT_TRUE(full.ok()) << full.error_text();
    EXPECT_FLOAT_EQ(at(full.latent().samples, 15), 1.0f);
}

TEST(LatentNodes, CropFlipRotate) {
    SingleNodeRunner runner;
    const Tensor s = make_tensor({1, 1, 10, 12}, [](int64_t i) { return double(i); });
    NodeRun c = runner.run("LatentCrop", {{"samples", Value(latent_of(s))}, {"width", 128}, {"height", 64}, {"x", 40}, {"y", 200}});
    ASSERT_TRUE(c.ok()) << c.error_text();
    // x = min(5, 12 - 8) = 4, y = min(25, 10 - 8) = 2; 16 columns wanted, cut at the border to 8.
    EXPECT_EQ(shape_string(c.latent().samples.shape()), "[1, 1, 8, 8]");
    EXPECT_FLOAT_EQ(at(c.latent().samples, 0), float(2 * 12 + 4));

    const Tensor small = make_tensor({1, 1, 2, 3}, [](int64_t i) { return double(i); });  // [[0,1,2],[3,4,5]]
    NodeRun v = runner.run("LatentFlip", {{"samples", Value(latent_of(small))}, {"flip_method", "x-axis: vertically"}});
    NodeRun h = runner.run("LatentFlip", {{"samples", Value(latent_of(small))}, {"flip_method", "y-axis: horizontally"}});
    ASSERT_TRUE(v.ok() && h.ok());
    EXPECT_FLOAT_EQ(at(v.latent().samples, 0), 3.0f);
    EXPECT_FLOAT_EQ(at(h.latent().samples, 0), 2.0f);
    NodeRun r90 = runner.run("LatentRotate", {{"samples", Value(latent_of(small))}, {"rotation", "90 degrees"}});
    NodeRun r270 = runner.run("LatentRotate", {{"samples", Value(latent_of(small))}, {"rotation", "270 degrees"}});
    ASSERT_TRUE(r90.ok() && r270.ok());
    // Clockwise: [[3,0],[4,1],[5,2]]; counter-clockwise: [[2,5],[1,4],[0,3]].
    EXPECT_EQ(shape_string(r90.latent().samples.shape()), "[1, 1, 3, 2]");
    const float cw[] = {3, 0, 4, 1, 5, 2}, ccw[] = {2, 5, 1, 4, 0, 3};
    for (int i = 0; i < 6; ++i) {
        EXPECT_FLOAT_EQ(at(r90.latent().samples, i), cw[i]);
        EXPECT_FLOAT_EQ(at(r270.latent().samples, i), ccw[i]);
    }
}

TEST(LatentNodes, ArithmeticBroadcastsTheSecondLatent) {
    SingleNodeRunner runner;
    const Latent a = latent_of(numbered(2, 4, 4, 4), {4, 5});
    const Latent b = latent_of(Tensor::full({1, 4, 8, 8}, 0.5f));
    NodeRun add = runner.run("LatentAdd", {{"samples1", Value(a)}, {"samples2", Value(b)}});
    NodeRun sub = runner.run("LatentSubtract", {{"samples1", Value(a)}, {"samples2", Value(b)}});
    NodeRun mul = runner.run("LatentMultiply", {{"samples", Value(a)}, {"multiplier", -2.0}});
    ASSERT_TRUE(add.ok() && sub.ok() && mul.ok()) << add.error_text() << sub.error_text() << mul.error_text();
    EXPECT_FLOAT_EQ(at(add.latent().samples, 64 + 3), 10.003f + 0.5f);
    EXPECT_FLOAT_EQ(at(sub.latent().samples, 3), 0.003f - 0.5f);
    EXPECT_FLOAT_EQ(at(mul.latent().samples, 64 + 1), -2.0f * 10.001f);
    EXPECT_EQ(add.latent().batch_index, (std::vector<int64_t>{4, 5}));
}

TEST(LatentNodes, InterpolateMixesDirectionAndLength) {
    SingleNodeRunner runner;
    // Per pixel channel vectors (1,0,0,0)*2 and (0,1,0,0)*4.
    const Tensor a = make_tensor({1, 4, 1, 1}, [](int64_t i) { return i == 0 ? 2.0 : 0.0; });
    const Tensor b = make_tensor({1, 4, 1, 1}, [](int64_t i) { return i == 1 ? 4.0 : 0.0; });
    NodeRun r = runner.run("LatentInterpolate", {{"samples1", Value(latent_of(a))}, {"samples2", Value(latent_of(b))}, {"ratio", 0.5}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const float k = 3.0f / std::sqrt(2.0f);  // unit (1,1)/sqrt2 times the mixed length 3
    EXPECT_NEAR(at(r.latent().samples, 0), k, 1e-5);
    EXPECT_NEAR(at(r.latent().samples, 1), k, 1e-5);
    EXPECT_NEAR(at(r.latent().samples, 2), 0.0f, 1e-6);
    NodeRun zero = runner.run("LatentInterpolate", {{"samples1", Value(latent_of(Tensor::zeros({1, 4, 1, 1})))},
                                                    {"samples2", Value(latent_of(Tensor::zeros({1, 4, 1, 1})))},
                                                    {"ratio", 0.3}});
    ASSERT_TRUE(zero.ok()) << zero.error_text();
    EXPECT_EQ(max_abs_diff(zero.latent().samples, Tensor::zeros({1, 4, 1, 1})), 0.0);  // NaNs become 0
}

// ---- .latent files -------------------------------------------------------------------------------

SessionOptions options_in(const std::filesystem::path& dir) {
    SessionOptions o;
    o.folders.input = dir / "input";
    o.folders.output = dir / "output";
    o.folders.temp = dir / "temp";
    std::filesystem::create_directories(o.folders.input);
    std::filesystem::create_directories(o.folders.output);
    return o;
}

TEST(LatentFiles, SaveThenLoadRoundTrips) {
    TempDir dir("latent");
    SingleNodeRunner runner(options_in(dir.path));
    const Tensor s = numbered(2, 4, 3, 5);
    NodeRun save = runner.run("SaveLatent", {{"samples", Value(latent_of(s))}, {"filename_prefix", "latents/test"}});
    ASSERT_TRUE(save.ok()) << save.error_text();
    const std::filesystem::path file = dir.path / "output" / "latents" / "test_00001_.latent";
    ASSERT_TRUE(std::filesystem::exists(file));
    const List ui = save.result.ui.at("n").at("latents").as_list();
    ASSERT_EQ(ui.size(), 1u);
    EXPECT_EQ(ui[0].as_dict().at("filename").as_string(), "test_00001_.latent");
    EXPECT_EQ(ui[0].as_dict().at("subfolder").as_string(), "latents");

    const SafetensorsFile f(file.string());
    EXPECT_TRUE(f.contains("latent_format_version_0"));
    EXPECT_EQ(shape_string(f.entry("latent_format_version_0").shape), "[0]");
    EXPECT_EQ(f.metadata().count("prompt"), 1u);

    std::filesystem::copy_file(file, dir.path / "input" / "mine.latent");
    NodeRun load = runner.run("LoadLatent", {{"latent", "mine.latent"}});
    ASSERT_TRUE(load.ok()) << load.error_text();
    EXPECT_EQ(max_abs_diff(load.latent().samples, s), 0.0);
}

TEST(LatentFiles, OldFormatIsRescaled) {
    TempDir dir("latent");
    SessionOptions o = options_in(dir.path);
    write_safetensors((o.folders.input / "old.latent").string(), {{"latent_tensor", Tensor::full({1, 4, 2, 2}, 0.18215f)}});
    SingleNodeRunner runner(o);
    NodeRun load = runner.run("LoadLatent", {{"latent", "old.latent"}});
    ASSERT_TRUE(load.ok()) << load.error_text();
    EXPECT_NEAR(at(load.latent().samples, 0), 1.0f, 1e-6);
}

TEST(LatentFiles, ComboListsLatentFilesAndMissingFileFailsValidation) {
    TempDir dir("latent");
    SessionOptions o = options_in(dir.path);
    write_safetensors((o.folders.input / "b.latent").string(), {{"latent_tensor", Tensor::zeros({1, 4, 2, 2})}});
    write_safetensors((o.folders.input / "a.latent").string(), {{"latent_tensor", Tensor::zeros({1, 4, 2, 2})}});
    std::ofstream(o.folders.input / "note.txt") << "x";
    SingleNodeRunner runner(o);
    const Input* in = runner.registry().find("LoadLatent")->schema.find_input("latent");
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->combo_values(o.folders), (std::vector<std::string>{"a.latent", "b.latent"}));
    NodeRun missing = runner.run("LoadLatent", {{"latent", "nope.latent"}});
    EXPECT_EQ(missing.result.status, RunStatus::Invalid);
    EXPECT_NE(missing.error_text().find("Invalid latent file: nope.latent"), std::string::npos) << missing.error_text();
}

TEST(LatentFiles, LoadsComfyUIOutputLatent) {
    const std::filesystem::path golden = shared_folder() / "goldens" / "sd15_tiny_seed42_64x64";
    if (!std::filesystem::exists(golden / "output.latent")) GTEST_SKIP() << "golden not found under " << golden;
    TempDir dir("latent");
    SessionOptions o = options_in(dir.path);
    std::filesystem::copy_file(golden / "output.latent", o.folders.input / "output.latent");
    SingleNodeRunner runner(o);
    NodeRun load = runner.run("LoadLatent", {{"latent", "output.latent"}});
    ASSERT_TRUE(load.ok()) << load.error_text();
    EXPECT_LE(max_abs_diff(load.latent().samples, load_npy(golden / "samples.npy")), 1e-6);
}

}  // namespace
