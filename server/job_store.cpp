// JobStore over SQLite: one connection guarded by a mutex, WAL journal, one transaction per change.
#include "server/job_store.h"

#include <weft/error.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <system_error>
#include <utility>

namespace weft::server {

namespace {

constexpr int kSchemaVersion = 1;

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    prompt_id TEXT NOT NULL UNIQUE,
    number INTEGER NOT NULL,
    running INTEGER NOT NULL DEFAULT 0,
    prompt TEXT NOT NULL,
    extra_data TEXT NOT NULL,
    client_id TEXT NOT NULL,
    outputs_to_execute TEXT NOT NULL,
    options TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS queue_order ON queue (running, number, seq);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    prompt_id TEXT NOT NULL UNIQUE,
    entry TEXT NOT NULL);
)sql";

constexpr const char* kQueueColumns =
    "prompt_id, number, prompt, extra_data, client_id, outputs_to_execute, options";

// Invalid UTF-8 in a prompt must not make a queue write fail half-way through the server.
std::string to_text(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json from_text(const unsigned char* text) {
    if (!text) return nullptr;
    return nlohmann::json::parse(reinterpret_cast<const char*>(text), nullptr, false);
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

struct DbDeleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

}  // namespace

struct JobStore::Db {
    std::filesystem::path file;
    std::unique_ptr<sqlite3, DbDeleter> conn;
    std::mutex mutex;
    int64_t max_history = kMaxHistory;

    [[noreturn]] void fail(const std::string& what, int rc) const {
        std::string msg = what + ": " + (conn ? sqlite3_errmsg(conn.get()) : sqlite3_errstr(rc));
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            msg += " (is another weft serve using this user directory?)";
        throw weft::Error(weft::ErrorCode::ServerQueueError, msg).at_path(file.string());
    }

    void exec(const char* sql) {
        int rc = sqlite3_exec(conn.get(), sql, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) fail("queue database statement failed", rc);
    }

    // A fresh statement each call: the store's statements are cheap to prepare next to the
    // fsync of a commit, and this keeps the code free of statement-cache bookkeeping.
    StmtPtr prepare(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        int rc = sqlite3_prepare_v2(conn.get(), sql.c_str(), -1, &s, nullptr);
        if (rc != SQLITE_OK) fail("queue database statement failed", rc);
        return StmtPtr(s);
    }

    void bind(sqlite3_stmt* s, int i, const std::string& v) {
        sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    void bind(sqlite3_stmt* s, int i, int64_t v) { sqlite3_bind_int64(s, i, v); }

    bool step(sqlite3_stmt* s) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail("queue database statement failed", rc);
    }

    // Runs `body` in one write transaction; anything it throws rolls the transaction back.
    template <class F>
    auto transaction(F&& body) {
        exec("BEGIN IMMEDIATE");
        try {
            if constexpr (std::is_void_v<decltype(body())>) {
                body();
                exec("COMMIT");
            } else {
                auto r = body();
                exec("COMMIT");
                return r;
            }
        } catch (...) {
            sqlite3_exec(conn.get(), "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }

    QueuedPrompt read_prompt(sqlite3_stmt* s) {
        auto text = [&](int col) {
            const unsigned char* t = sqlite3_column_text(s, col);
            return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
        };
        QueuedPrompt p;
        p.prompt_id = text(0);
        p.number = sqlite3_column_int64(s, 1);
        p.prompt = from_text(sqlite3_column_text(s, 2));
        p.extra_data = from_text(sqlite3_column_text(s, 3));
        p.client_id = text(4);
        p.outputs_to_execute = from_text(sqlite3_column_text(s, 5));
        p.options = from_text(sqlite3_column_text(s, 6));
        return p;
    }

    std::vector<QueuedPrompt> select_queue(bool running) {
        auto s = prepare(std::string("SELECT ") + kQueueColumns +
                         " FROM queue WHERE running = ? ORDER BY number, seq");
        bind(s.get(), 1, int64_t{running ? 1 : 0});
        std::vector<QueuedPrompt> out;
        while (step(s.get())) out.push_back(read_prompt(s.get()));
        return out;
    }

    void put_history(const std::string& prompt_id, const nlohmann::json& entry) {
        // An id finished twice keeps its place, as a Python dict re-assignment does.
        auto s = prepare(
            "INSERT INTO history (prompt_id, entry) VALUES (?, ?) "
            "ON CONFLICT(prompt_id) DO UPDATE SET entry = excluded.entry");
        bind(s.get(), 1, prompt_id);
        bind(s.get(), 2, to_text(entry));
        step(s.get());
        auto evict = prepare(
            "DELETE FROM history WHERE seq IN (SELECT seq FROM history ORDER BY seq "
            "LIMIT max(0, (SELECT COUNT(*) FROM history) - ?))");
        bind(evict.get(), 1, max_history);
        step(evict.get());
    }

    void delete_queued(const std::string& prompt_id) {
        auto s = prepare("DELETE FROM queue WHERE prompt_id = ?");
        bind(s.get(), 1, prompt_id);
        step(s.get());
    }
};

namespace {

// The history entry of a prompt whose process died while it ran: ComfyUI's failed-run shape, with
// an execution_error that says why.
nlohmann::json interrupted_entry(const QueuedPrompt& p) {
    nlohmann::json extra = p.extra_data.is_object() ? p.extra_data : nlohmann::json::object();
    extra.erase("auth_token_comfy_org");   // credentials never reach history
    extra.erase("api_key_comfy_org");
    const int64_t ts = now_ms();
    nlohmann::json error = {
        {"prompt_id", p.prompt_id},
        {"node_id", nullptr},
        {"node_type", nullptr},
        {"executed", nlohmann::json::array()},
        {"exception_message",
         "weft stopped during the run: the server process ended before this prompt finished; "
         "queue it again"},
        {"exception_type", "weft.ServerStopped"},
        {"traceback", nlohmann::json::array()},
        {"current_inputs", nlohmann::json::object()},
        {"current_outputs", nlohmann::json::array()},
        {"timestamp", ts},
    };
    return {
        {"prompt", nlohmann::json::array({p.number, p.prompt_id, p.prompt, extra,
                                          p.outputs_to_execute.is_null() ? nlohmann::json::array()
                                                                         : p.outputs_to_execute})},
        {"outputs", nlohmann::json::object()},
        {"status",
         {{"status_str", "error"},
          {"completed", false},
          {"messages", nlohmann::json::array({nlohmann::json::array({"execution_error", error})})}}},
        {"meta", nlohmann::json::object()},
    };
}

}  // namespace

JobStore::JobStore(const std::filesystem::path& db_file, int64_t max_history)
    : file_(db_file), db_(std::make_unique<Db>()) {
    Db& d = *db_;
    d.file = db_file;
    d.max_history = max_history;
    if (db_file.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(db_file.parent_path(), ec);
        if (ec)
            throw weft::Error(weft::ErrorCode::ServerQueueError,
                              "cannot create the folder of the queue database: " + ec.message())
                .at_path(db_file.string());
    }
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(db_file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             nullptr);
    d.conn.reset(raw);
    if (rc != SQLITE_OK) d.fail("cannot open the queue database", rc);
    if (sqlite3_db_readonly(raw, "main") == 1)
        throw weft::Error(weft::ErrorCode::ServerQueueError, "the queue database is not writable")
            .at_path(db_file.string());

    // One process owns a user directory's queue: the exclusive lock makes a second `weft serve`
    // fail at start instead of failing the first one's running prompt during its recovery.
    // WAL + synchronous=NORMAL: a commit is in the OS once sqlite3_step returns, which is what a
    // kill -9 needs; only an OS crash may roll back the last commits (never corrupt the file).
    rc = sqlite3_exec(raw,
                      "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; "
                      "PRAGMA synchronous = NORMAL;",
                      nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) d.fail("cannot open the queue database", rc);
    rc = sqlite3_exec(raw, kSchema, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) d.fail("cannot open the queue database", rc);

    d.transaction([&] {
        auto ver = d.prepare("SELECT value FROM meta WHERE key = 'schema'");
        if (d.step(ver.get())) {
            if (sqlite3_column_int64(ver.get(), 0) != kSchemaVersion)
                throw weft::Error(weft::ErrorCode::ServerQueueError,
                                  "the queue database has an unknown schema version " +
                                      std::to_string(sqlite3_column_int64(ver.get(), 0)))
                    .at_path(db_file.string());
        } else {
            auto ins = d.prepare(
                "INSERT INTO meta (key, value) VALUES ('schema', ?), ('counter', 0)");
            d.bind(ins.get(), 1, int64_t{kSchemaVersion});
            d.step(ins.get());
        }
        // Recovery: whatever was running when the last process died did not finish.
        for (const QueuedPrompt& p : d.select_queue(true)) {
            d.put_history(p.prompt_id, interrupted_entry(p));
            d.delete_queued(p.prompt_id);
        }
    });
}

JobStore::~JobStore() = default;

int64_t JobStore::next_number() {
    std::lock_guard lock(db_->mutex);
    return db_->transaction([&] {
        auto s = db_->prepare(
            "UPDATE meta SET value = value + 1 WHERE key = 'counter' RETURNING value - 1");
        if (!db_->step(s.get()))
            throw weft::Error(weft::ErrorCode::ServerQueueError, "the queue database has no prompt counter")
                .at_path(file_.string());
        return static_cast<int64_t>(sqlite3_column_int64(s.get(), 0));
    });
}

void JobStore::enqueue(const QueuedPrompt& p) {
    std::lock_guard lock(db_->mutex);
    Db& d = *db_;
    d.transaction([&] {
        auto dup = d.prepare("SELECT 1 FROM queue WHERE prompt_id = ?");
        d.bind(dup.get(), 1, p.prompt_id);
        if (d.step(dup.get()))
            throw weft::Error(weft::ErrorCode::InvalidPrompt, "prompt id " + p.prompt_id +
                                                    " is already queued or running");
        auto s = d.prepare(std::string("INSERT INTO queue (") + kQueueColumns +
                           ") VALUES (?, ?, ?, ?, ?, ?, ?)");
        d.bind(s.get(), 1, p.prompt_id);
        d.bind(s.get(), 2, p.number);
        d.bind(s.get(), 3, to_text(p.prompt));
        d.bind(s.get(), 4, to_text(p.extra_data));
        d.bind(s.get(), 5, p.client_id);
        d.bind(s.get(), 6, to_text(p.outputs_to_execute));
        d.bind(s.get(), 7, to_text(p.options));
        d.step(s.get());
    });
}

std::optional<QueuedPrompt> JobStore::take_next() { return take_next(nullptr); }

std::optional<QueuedPrompt> JobStore::take_next(const std::function<bool(const std::string&)>& held) {
    std::lock_guard lock(db_->mutex);
    Db& d = *db_;
    return d.transaction([&]() -> std::optional<QueuedPrompt> {
        auto s = d.prepare(std::string("SELECT ") + kQueueColumns +
                           ", seq FROM queue WHERE running = 0 ORDER BY number, seq LIMIT 1");
        if (!d.step(s.get())) return std::nullopt;
        QueuedPrompt p = d.read_prompt(s.get());
        if (held && held(p.prompt_id)) return std::nullopt;   // wait for it rather than run a later one
        const int64_t seq = sqlite3_column_int64(s.get(), 7);
        s.reset();
        auto mark = d.prepare("UPDATE queue SET running = 1 WHERE seq = ?");
        d.bind(mark.get(), 1, seq);
        d.step(mark.get());
        return p;
    });
}

void JobStore::finish(const std::string& prompt_id, const nlohmann::json& history_entry) {
    std::lock_guard lock(db_->mutex);
    db_->transaction([&] {
        db_->delete_queued(prompt_id);
        db_->put_history(prompt_id, history_entry);
    });
}

std::vector<QueuedPrompt> JobStore::pending() const {
    std::lock_guard lock(db_->mutex);
    return db_->select_queue(false);
}

std::optional<QueuedPrompt> JobStore::running() const {
    std::lock_guard lock(db_->mutex);
    auto all = db_->select_queue(true);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
}

bool JobStore::remove_pending(const std::string& prompt_id) {
    std::lock_guard lock(db_->mutex);
    Db& d = *db_;
    return d.transaction([&] {
        auto s = d.prepare("DELETE FROM queue WHERE prompt_id = ? AND running = 0");
        d.bind(s.get(), 1, prompt_id);
        d.step(s.get());
        return sqlite3_changes(d.conn.get()) > 0;
    });
}

void JobStore::clear_pending() {
    std::lock_guard lock(db_->mutex);
    db_->transaction([&] { db_->exec("DELETE FROM queue WHERE running = 0"); });
}

nlohmann::ordered_json JobStore::history_ordered(std::optional<int64_t> max_items,
                                                 int64_t offset) const {
    std::lock_guard lock(db_->mutex);
    Db& d = *db_;
    // ComfyUI: a negative offset with max_items means "the newest max_items".
    if (offset < 0 && max_items) {
        auto count = d.prepare("SELECT COUNT(*) FROM history");
        d.step(count.get());
        offset = sqlite3_column_int64(count.get(), 0) - *max_items;
    }
    auto s = d.prepare("SELECT prompt_id, entry FROM history ORDER BY seq LIMIT ? OFFSET ?");
    d.bind(s.get(), 1, max_items ? std::max<int64_t>(*max_items, 0) : int64_t{-1});
    d.bind(s.get(), 2, std::max<int64_t>(offset, 0));
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    while (d.step(s.get())) {
        std::string id(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
        out[id] = nlohmann::ordered_json::parse(
            reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1)), nullptr, false);
    }
    return out;
}

nlohmann::json JobStore::history(std::optional<int64_t> max_items, int64_t offset) const {
    return nlohmann::json(history_ordered(max_items, offset));
}

std::optional<nlohmann::json> JobStore::history_entry(const std::string& prompt_id) const {
    std::lock_guard lock(db_->mutex);
    auto s = db_->prepare("SELECT entry FROM history WHERE prompt_id = ?");
    db_->bind(s.get(), 1, prompt_id);
    if (!db_->step(s.get())) return std::nullopt;
    return from_text(sqlite3_column_text(s.get(), 0));
}

void JobStore::delete_history(const std::vector<std::string>& ids) {
    std::lock_guard lock(db_->mutex);
    Db& d = *db_;
    d.transaction([&] {
        auto s = d.prepare("DELETE FROM history WHERE prompt_id = ?");
        for (const std::string& id : ids) {
            sqlite3_reset(s.get());
            d.bind(s.get(), 1, id);
            d.step(s.get());
        }
    });
}

void JobStore::clear_history() {
    std::lock_guard lock(db_->mutex);
    db_->transaction([&] { db_->exec("DELETE FROM history"); });
}

}  // namespace weft::server
