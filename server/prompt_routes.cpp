// POST /prompt (queue a prompt) and GET /prompt (queue size).
#include "history_entry.h"
#include "http_response.h"
#include "request_body.h"
#include "server_state.h"
#include "uuid.h"

#include <weft/json.h>
#include <weft/workflow.h>

#include <chrono>

namespace weft::server {

using nlohmann::json;

namespace {

Response bad(std::string_view type, std::string_view message) { return error_response(http::status::bad_request, type, message, message); }

Response post_prompt(ServerState& s, const RouteRequest& r) {
    const json body = json_body(r.raw);
    auto prompt = body.find("prompt");
    if (prompt == body.end() || prompt->is_null()) return bad("no_prompt", "No prompt provided");
    if (!prompt->is_object()) return bad("invalid_prompt", "The prompt must be a JSON object of nodes");

    RunOptions ro;
    if (auto t = body.find("partial_execution_targets"); t != body.end() && !t->is_null()) {
        if (!t->is_array()) return bad("invalid_prompt", "partial_execution_targets must be a list of node ids");
        std::vector<std::string> targets;
        for (const json& id : *t) {
            if (!id.is_string() && !id.is_number_integer()) return bad("invalid_prompt", "partial_execution_targets must be a list of node ids");
            targets.push_back(id.is_string() ? id.get<std::string>() : std::to_string(id.get<int64_t>()));
        }
        ro.targets = std::move(targets);
    }
    std::string policy = "fail_fast";
    if (auto p = body.find("node_failure_policy"); p != body.end() && !p->is_null()) {
        if (!p->is_string() || (*p != "fail_fast" && *p != "continue_independent"))
            return bad("invalid_node_failure_policy", "node_failure_policy must be \"fail_fast\" or \"continue_independent\"");
        policy = p->get<std::string>();
    }

    std::string prompt_id;
    if (auto id = body.find("prompt_id"); id != body.end() && !id->is_null()) {
        if (!id->is_string() || id->get<std::string>().empty() || id->get<std::string>().size() > 256)
            return bad("invalid_prompt", "prompt_id must be a non-empty string");
        prompt_id = id->get<std::string>();
        // A client-chosen id may not name a prompt that is still queued or running.
        if (auto running = s.store.running(); running && running->prompt_id == prompt_id)
            return bad("duplicate_prompt_id", "a prompt with this prompt_id is already running");
        for (const QueuedPrompt& q : s.store.pending())
            if (q.prompt_id == prompt_id) return bad("duplicate_prompt_id", "a prompt with this prompt_id is already queued");
    }

    json extra_data = json::object();
    if (auto e = body.find("extra_data"); e != body.end() && !e->is_null()) {
        if (!e->is_object()) return bad("invalid_prompt", "extra_data must be a JSON object");
        extra_data = *e;
    }
    if (auto c = body.find("client_id"); c != body.end() && c->is_string()) extra_data["client_id"] = *c;
    if (!extra_data.contains("create_time"))
        extra_data["create_time"] =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string client_id;
    if (auto c = extra_data.find("client_id"); c != extra_data.end() && c->is_string()) client_id = c->get<std::string>();

    Workflow wf;
    try {
        wf = Workflow::parse(prompt->dump(), "prompt", s.worker.registry());
    } catch (const Error& e) {
        ValidationReport report;
        report.error = e.info();
        return json_text_response(http::status::bad_request, validation_to_json(report));
    }
    const ValidationReport report = s.worker.validate(wf, ro);
    if (!report.ok()) return json_text_response(http::status::bad_request, validation_to_json(report));

    QueuedPrompt q;
    q.prompt_id = prompt_id.empty() ? random_uuid() : prompt_id;
    if (auto n = body.find("number"); n != body.end() && n->is_number()) {
        q.number = static_cast<int64_t>(n->get<double>());
    } else {
        q.number = s.store.next_number();
        auto front = body.find("front");
        if (front != body.end() && front->is_boolean() && front->get<bool>()) q.number = -q.number;
    }
    q.prompt = *prompt;
    q.extra_data = std::move(extra_data);
    q.client_id = client_id;
    q.outputs_to_execute = report.good_outputs;
    q.options = {{"node_failure_policy", policy}};
    if (ro.targets) q.options["partial_execution_targets"] = *ro.targets;
    s.worker.hold(q.prompt_id);
    try {
        s.store.enqueue(q);
    } catch (...) {
        s.worker.release(q.prompt_id);
        throw;
    }
    if (r.after_write) *r.after_write = [&s, id = q.prompt_id] { s.worker.release(id); };
    else s.worker.release(q.prompt_id);
    s.worker.broadcast_status();

    const json validation = json::parse(validation_to_json(report));
    return json_response(http::status::ok, json{{"prompt_id", q.prompt_id}, {"number", q.number}, {"node_errors", validation["node_errors"]}});
}

}  // namespace

void add_prompt_routes(ServerState& s) {
    s.router.add(http::verb::post, "/prompt", [&s](const RouteRequest& r) { return post_prompt(s, r); });
    s.router.add(http::verb::get, "/prompt", [&s](const RouteRequest&) {
        return json_response(http::status::ok, json{{"exec_info", {{"queue_remaining", s.worker.queue_remaining()}}}});
    });
}

}  // namespace weft::server
