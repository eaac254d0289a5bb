// tests/support/test_nodes.h — the executor testing node pack and the helpers that observe a run.
//
// The nodes mirror the roles of ComfyUI's executor testing pack (stubs, lazy mix, variadic average,
// IS_CHANGED and validation variants, loops by recursive expansion, accumulation, lists, blockers,
// sleeps), written from their documented behaviour for weft's C++ node API. Every node records each
// call in the global RunLog, so tests can assert which nodes ran, how often and when, independently
// of what the executor reports about itself.
#pragma once

#include <weft/weft.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace weft::testing {

/// Registers every test node ("Stub*", "Test*") into `registry`.
void register_test_nodes(NodeRegistry& registry);
/// A registry holding only the test nodes.
std::shared_ptr<NodeRegistry> test_registry();

/// Milliseconds since the process started (steady clock), the time base of RunLog and timelines.
double now_ms();

/// One call of a test node's execute function.
struct NodeCall {
    std::string node_id;
    std::string class_type;
    size_t call_index = 0;
    double start_ms = 0, end_ms = 0;
    bool threw = false;
};

/// Every execute call of the test nodes, in start order. Reset it at the start of each test.
class RunLog {
public:
    void reset();
    void record(NodeCall call);
    std::vector<NodeCall> calls() const;
    /// Number of execute calls of node `node_id` (list-mapped calls count one each).
    size_t count(const std::string& node_id) const;
    bool ran(const std::string& node_id) const { return count(node_id) > 0; }
    /// Calls of class `class_type`, whatever their node id.
    size_t count_class(const std::string& class_type) const;
    /// Node ids that ran, without repetition, sorted.
    std::vector<std::string> ran_ids() const;
    size_t total() const;

private:
    mutable std::mutex mu_;
    std::vector<NodeCall> calls_;
};
RunLog& run_log();

/// How the "TestFingerprint" node's fingerprint behaves for a given `key` constant.
struct FingerprintBehaviour {
    enum class Kind { Value, AlwaysChanged, Throw } kind = Kind::Value;
    Value value;
};
/// Global table key -> behaviour (unset keys fingerprint to the key itself).
void set_fingerprint(const std::string& key, FingerprintBehaviour b);
void reset_fingerprints();
/// How many times any fingerprint function of the pack ran.
size_t fingerprint_calls();
/// What TestIsChangedWithConstants saw in its last fingerprint call: whether its linked "image"
/// input was present (it must not be: fingerprints see constants only).
std::optional<bool> fingerprint_saw_linked_input();

/// Records events (thread-safe; the callback may be read from another thread while a run goes).
class EventRecorder {
public:
    EventCallback callback();
    void clear();
    std::vector<Event> events() const;
    std::vector<EventType> types() const;
    size_t count(EventType t) const;
    size_t count(EventType t, const std::string& node_id) const;
    /// Index of the first event of type `t` (for `node_id` when non-empty), or -1.
    long index_of(EventType t, const std::string& node_id = {}) const;
    /// Node ids of every event of type `t`, in order.
    std::vector<std::string> node_ids(EventType t) const;
    std::optional<Event> first(EventType t, const std::string& node_id = {}) const;
    /// True once an event of type `t` (for `node_id` when non-empty) has been seen.
    bool seen(EventType t, const std::string& node_id = {}) const;

private:
    mutable std::mutex mu_;
    std::vector<Event> events_;
};

/// A session over the test registry plus an event recorder; resets the RunLog on construction.
struct Harness {
    explicit Harness(const std::string& cache_mode = "classic", int threads = 0);

    RunResult run(const Workflow& wf, RunOptions options = {});
    ValidationReport validate(const Workflow& wf, RunOptions options = {}) const;

    std::shared_ptr<NodeRegistry> registry;
    Session session;
    EventRecorder events;
    std::string mode;
    bool caches() const { return mode != "none"; }
};

/// The cache modes cache-dependent tests are parametrised over.
std::vector<std::string> cache_modes();

// ---- reading results --------------------------------------------------------------------------

/// Images a TestSaveImage node stored in its UI output (one [1,H,W,C] tensor per batch item).
std::vector<Tensor> saved_images(const RunResult& r, const std::string& node_id);
/// Mean of every element of an F32 tensor.
double mean(const Tensor& t);
/// Every element of an F32 tensor.
std::vector<float> values(const Tensor& t);
/// The UI list under `key` of node `node_id`, empty when absent.
List ui_list(const RunResult& r, const std::string& node_id, const std::string& key);
/// ids of all ran nodes in the RunLog, joined for messages.
std::string describe_calls();

// ---- building workflows (every required input set explicitly; returned references are valid
// until the next add) -------------------------------------------------------------------------------
namespace build {
WorkflowNode& stub_image(Workflow& w, std::string id, std::string content, int64_t size = 8, int64_t batch = 1);
WorkflowNode& const_image(Workflow& w, std::string id, double value, int64_t size = 8, int64_t batch = 1);
WorkflowNode& stub_mask(Workflow& w, std::string id, double value, int64_t size = 8);
WorkflowNode& stub_int(Workflow& w, std::string id, int64_t value);
WorkflowNode& stub_float(Workflow& w, std::string id, double value);
WorkflowNode& save_image(Workflow& w, std::string id, std::string from, int slot = 0);
WorkflowNode& capture(Workflow& w, std::string id, std::string from, int slot = 0);
WorkflowNode& int_math(Workflow& w, std::string id, std::string op);
WorkflowNode& sleep(Workflow& w, std::string id, double seconds);
WorkflowNode& fail_if(Workflow& w, std::string id, bool fail, std::string message = "intentional test failure");
/// A chain of `n` TestIntMathOperation "add 1" nodes c1..cn after a StubInt "c0" (value 0) and a
/// capture node "out"; the result is n.
Workflow int_chain(int n);
}  // namespace build

/// A thread's CPU seconds (busy work counts its own time, not wall time).
double thread_cpu_seconds();

}  // namespace weft::testing
