#include "websocket_session.h"

#include "query.h"
#include "server_state.h"
#include "uuid.h"

#include <nlohmann/json.hpp>

namespace weft::server {

namespace {

// Past this many queued frames a slow client loses droppable frames (progress, previews); results
// and errors are always kept.
constexpr size_t kMaxQueuedDroppable = 256;

}  // namespace

WebSocketSession::WebSocketSession(tcp::socket&& socket, ServerState& state) : ws_(std::move(socket)), state_(state) {}

void WebSocketSession::run(Request req) {
    if (auto target = parse_target(to_std(req.target()))) {
        auto it = target->query.find("clientId");
        if (it != target->query.end() && !it->second.empty()) sid_ = it->second;
    }
    if (sid_.empty()) sid_ = random_uuid_hex();
    beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts take over
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "weft"); }));
    ws_.read_message_max(1 << 20);
    ws_.async_accept(req, beast::bind_front_handler(&WebSocketSession::on_accept, shared_from_this()));
}

void WebSocketSession::on_accept(beast::error_code ec) {
    if (ec) return;
    state_.clients.add(sid_, weak_from_this());
    send(std::make_shared<const std::string>(state_.worker.status_message(sid_)), false, false);
    state_.worker.greet(sid_);
    do_read();
}

void WebSocketSession::do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WebSocketSession::on_read, shared_from_this()));
}

void WebSocketSession::on_read(beast::error_code ec, size_t) {
    if (ec) return close();
    if (ws_.got_text()) handle_message(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    do_read();
}

void WebSocketSession::handle_message(const std::string& text) {
    const bool first = first_message_;
    first_message_ = false;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!first || !j.is_object() || j.value("type", std::string()) != "feature_flags") return;
    // Only a first feature_flags message negotiates, as in ComfyUI.
    if (auto d = j.find("data"); d != j.end() && d->is_object()) preview_metadata_ = d->value("supports_preview_metadata", false);
    const nlohmann::json reply = {{"type", "feature_flags"},
                                  {"data", {{"supports_preview_metadata", true}, {"max_upload_size", state_.config.max_body_bytes}}}};
    send(std::make_shared<const std::string>(reply.dump()), false, false);
}

void WebSocketSession::send(std::shared_ptr<const std::string> frame, bool binary, bool droppable) {
    net::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame), binary, droppable]() mutable {
        if (self->closed_) return;
        if (droppable && self->queue_.size() >= kMaxQueuedDroppable) return;
        self->queue_.push_back(Frame{std::move(frame), binary, droppable});
        if (self->queue_.size() == 1) self->do_write();
    });
}

void WebSocketSession::do_write() {
    const Frame& f = queue_.front();
    ws_.binary(f.binary);
    ws_.async_write(net::buffer(*f.data), beast::bind_front_handler(&WebSocketSession::on_write, shared_from_this()));
}

void WebSocketSession::on_write(beast::error_code ec, size_t) {
    if (ec) return close();
    queue_.pop_front();
    if (!closed_ && !queue_.empty()) do_write();
}

void WebSocketSession::close() {
    if (closed_) return;
    closed_ = true;  // the queue stays: a write in flight still reads its frame
    state_.clients.remove(sid_, this);
}

}  // namespace weft::server
