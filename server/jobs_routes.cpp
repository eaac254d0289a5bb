// GET /api/jobs, GET /api/jobs/{id}, POST /api/jobs/{id}/cancel, POST /api/jobs/cancel:
// ComfyUI's newer jobs view over the queue and the history.
#include "history_entry.h"
#include "http_response.h"
#include "request_body.h"
#include "server_state.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace weft::server {

using nlohmann::json;

namespace {

json create_time_of(const json& extra_data) {
    if (extra_data.is_object())
        if (auto it = extra_data.find("create_time"); it != extra_data.end() && it->is_number()) return *it;
    return nullptr;
}

json queued_job(const QueuedPrompt& q, const char* status) {
    return {{"id", q.prompt_id},
            {"status", status},
            {"priority", q.number},
            {"create_time", create_time_of(q.extra_data)},
            {"execution_start_time", nullptr},
            {"execution_end_time", nullptr},
            {"outputs_count", 0},
            {"preview_output", nullptr}};
}

json history_job(const std::string& id, const json& entry, bool detail) {
    const json& status = entry.value("status", json::object());
    const json& messages = status.value("messages", json::array());
    std::string state = status.value("status_str", std::string()) == "success" ? "completed" : "failed";
    json start = nullptr, end = nullptr;
    for (const json& m : messages) {
        if (!m.is_array() || m.size() != 2) continue;
        const std::string type = m[0].is_string() ? m[0].get<std::string>() : "";
        const json ts = m[1].is_object() ? m[1].value("timestamp", json()) : json();
        if (type == "execution_start") start = ts;
        if (type == "execution_success" || type == "execution_error" || type == "execution_interrupted") end = ts;
        if (type == "execution_interrupted") state = "cancelled";
    }
    const json& prompt = entry.value("prompt", json::array());
    const json extra = prompt.is_array() && prompt.size() > 3 ? prompt[3] : json::object();
    int64_t count = 0;
    json preview = nullptr;
    const json& outputs = entry.value("outputs", json::object());
    for (auto& [node, ui] : outputs.items()) {
        if (!ui.is_object()) continue;
        for (auto& [kind, items] : ui.items()) {
            if (!items.is_array()) continue;
            for (const json& item : items) {
                ++count;
                if (preview.is_null() && item.is_object() && item.contains("filename") && (kind == "images" || kind == "video" || kind == "audio")) {
                    preview = item;
                    preview["nodeId"] = node;
                    preview["mediaType"] = kind;
                }
            }
        }
    }
    json job = {{"id", id},
                {"status", state},
                {"priority", prompt.is_array() && !prompt.empty() ? prompt[0] : json(0)},
                {"create_time", create_time_of(extra)},
                {"execution_start_time", start},
                {"execution_end_time", end},
                {"outputs_count", count},
                {"preview_output", preview}};
    if (detail) {
        job["outputs"] = outputs;
        job["execution_status"] = status;
        job["workflow"] = {{"prompt", prompt.is_array() && prompt.size() > 2 ? prompt[2] : json()}, {"extra_data", extra}};
    }
    return job;
}

std::vector<json> all_jobs(ServerState& s) {
    std::vector<json> jobs;
    if (auto r = s.store.running()) jobs.push_back(queued_job(*r, "in_progress"));
    for (const QueuedPrompt& q : s.store.pending()) jobs.push_back(queued_job(q, "pending"));
    const json history = s.store.history(std::nullopt, -1);
    for (auto& [id, entry] : history.items()) jobs.push_back(history_job(id, entry, false));
    return jobs;
}

int64_t int_query(const RouteRequest& r, const std::string& key, int64_t fallback) {
    if (!r.has_query(key)) return fallback;
    const std::string v = r.query(key);
    int64_t out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || out < 0)
        throw HttpError{http::status::bad_request, "invalid_request", key + " must be a non-negative integer"};
    return out;
}

double sort_key(const json& job, const std::string& by) {
    auto num = [](const json& v) { return v.is_number() ? v.get<double>() : 0.0; };
    if (by == "execution_duration") return num(job["execution_end_time"]) - num(job["execution_start_time"]);
    return num(job["create_time"]);
}

Response list_jobs(ServerState& s, const RouteRequest& r) {
    std::set<std::string> wanted;
    if (r.has_query("status")) {
        std::string list = r.query("status");
        for (size_t pos = 0; pos <= list.size();) {
            const size_t comma = std::min(list.find(',', pos), list.size());
            if (comma > pos) wanted.insert(list.substr(pos, comma - pos));
            pos = comma + 1;
        }
        static const std::set<std::string> known = {"pending", "in_progress", "completed", "failed", "cancelled"};
        for (const std::string& w : wanted)
            if (!known.count(w)) throw HttpError{http::status::bad_request, "invalid_request", "unknown status '" + w + "'"};
    }
    const std::string sort_by = r.query("sort_by", "created_at");
    const std::string order = r.query("sort_order", "desc");
    if (sort_by != "created_at" && sort_by != "execution_duration")
        throw HttpError{http::status::bad_request, "invalid_request", "sort_by must be created_at or execution_duration"};
    if (order != "asc" && order != "desc") throw HttpError{http::status::bad_request, "invalid_request", "sort_order must be asc or desc"};
    const int64_t offset = int_query(r, "offset", 0);
    const bool has_limit = r.has_query("limit");
    const int64_t limit = int_query(r, "limit", 0);

    std::vector<json> jobs = all_jobs(s);
    if (!wanted.empty())
        std::erase_if(jobs, [&](const json& j) { return !wanted.count(j["status"].get<std::string>()); });
    std::stable_sort(jobs.begin(), jobs.end(), [&](const json& a, const json& b) {
        const double ka = sort_key(a, sort_by), kb = sort_key(b, sort_by);
        return order == "asc" ? ka < kb : ka > kb;
    });
    const int64_t total = static_cast<int64_t>(jobs.size());
    const int64_t begin = std::min(offset, total);
    const int64_t end = has_limit ? std::min(total, begin + limit) : total;
    json page = json::array();
    for (int64_t i = begin; i < end; ++i) page.push_back(std::move(jobs[size_t(i)]));
    return json_response(http::status::ok, json{{"jobs", std::move(page)},
                                                {"pagination", {{"offset", offset}, {"limit", has_limit ? json(limit) : json(nullptr)}, {"total", total}, {"has_more", end < total}}}});
}

Response get_job(ServerState& s, const RouteRequest& r) {
    const std::string& id = r.param(0);
    if (auto run = s.store.running(); run && run->prompt_id == id) return json_response(http::status::ok, queued_job(*run, "in_progress"));
    for (const QueuedPrompt& q : s.store.pending())
        if (q.prompt_id == id) return json_response(http::status::ok, queued_job(q, "pending"));
    if (auto entry = s.store.history_entry(id)) return json_response(http::status::ok, history_job(id, *entry, true));
    throw HttpError{http::status::not_found, "not_found", "no job '" + id + "'"};
}

// Idempotent: the running job is interrupted, a pending one dequeued; anything else is a no-op.
bool cancel(ServerState& s, const std::string& id) {
    if (s.worker.interrupt(id)) return true;
    if (s.store.remove_pending(id)) {
        s.worker.broadcast_status();
        return true;
    }
    return false;
}

}  // namespace

void add_jobs_routes(ServerState& s) {
    s.router.add(http::verb::get, "/jobs", [&s](const RouteRequest& r) { return list_jobs(s, r); });
    s.router.add(http::verb::post, "/jobs/cancel", [&s](const RouteRequest& r) {
        const json body = json_body(r.raw);
        auto ids = body.find("job_ids");
        if (ids == body.end() || !ids->is_array()) throw HttpError{http::status::bad_request, "invalid_request", "job_ids must be a list"};
        json result = json::object();
        for (const json& id : *ids)
            if (id.is_string()) result[id.get<std::string>()] = cancel(s, id.get<std::string>());
        return json_response(http::status::ok, json{{"cancelled", std::move(result)}});
    });
    s.router.add(http::verb::get, "/jobs/{id}", [&s](const RouteRequest& r) { return get_job(s, r); });
    s.router.add(http::verb::post, "/jobs/{id}/cancel", [&s](const RouteRequest& r) {
        return json_response(http::status::ok, json{{"cancelled", cancel(s, r.param(0))}});
    });
}

}  // namespace weft::server
