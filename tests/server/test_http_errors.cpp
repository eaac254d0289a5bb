// Bad input: malformed JSON, unknown routes, wrong methods, oversized bodies, garbage requests.
// Each gets a JSON error with the right status, and the server keeps serving.
#include "server_harness.h"

#include <gtest/gtest.h>

using namespace weft::server_test;
using nlohmann::json;

TEST(HttpErrors, MalformedJsonIs400WithComfyUIErrorShape) {
    TestServer srv;
    for (const char* path : {"/prompt", "/queue", "/history", "/api/prompt"}) {
        const auto r = srv.post(path, "{not json");
        EXPECT_EQ(r.status, 400) << path;
        const json j = r.json();
        ASSERT_TRUE(j.is_object()) << r.body;
        EXPECT_EQ(j["error"]["type"], "invalid_json");
        EXPECT_TRUE(j["error"]["message"].is_string());
        EXPECT_TRUE(j["node_errors"].is_object());
    }
    EXPECT_EQ(srv.post("/prompt", "[1, 2]").status, 400);
    EXPECT_EQ(srv.post("/prompt", R"({"prompt": [1, 2]})").status, 400);
    EXPECT_EQ(srv.post("/prompt", R"({"prompt": {"1": {"inputs": {}}}})").status, 400);
}

TEST(HttpErrors, UnknownRouteIs404AndWrongMethodIs405) {
    TestServer srv;
    const auto r = srv.get("/no/such/route");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json()["error"]["type"], "not_found");
    EXPECT_EQ(srv.get("/api/nothing").status, 404);
    EXPECT_EQ(srv.post("/object_info", "{}").status, 405);
    EXPECT_EQ(http_request(srv.port(), "DELETE", "/queue").status, 405);
}

TEST(HttpErrors, OversizedBodyIs413AndServerKeepsServing) {
    TestServer srv([](weft::server::ServerConfig& c) { c.max_body_bytes = 64 * 1024; });
    const std::string big(200 * 1024, 'x');
    const auto r = http_request(srv.port(), "POST", "/prompt", big);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.json()["error"]["type"], "request_too_large");
    const MultipartBody m = multipart({{"image", "big.png", big}}, {});
    EXPECT_EQ(http_request(srv.port(), "POST", "/upload/image", m.body, m.content_type).status, 413);
    EXPECT_FALSE(std::filesystem::exists(srv.config().folders.input / "big.png"));
    EXPECT_EQ(srv.get("/prompt").status, 200);
}

TEST(HttpErrors, GarbageRequestsGetAnErrorOrAClose) {
    TestServer srv;
    const std::string reply = raw_exchange(srv.port(), "THIS IS NOT HTTP\r\n\r\n");
    if (!reply.empty()) {
        EXPECT_NE(reply.find(" 400 "), std::string::npos) << reply;
    }
    raw_exchange(srv.port(), "GET /prompt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort");  // truncated body
    raw_exchange(srv.port(), "");
    EXPECT_EQ(srv.get("/view?filename=%zz").status, 400);  // malformed escape
    EXPECT_EQ(srv.get("/prompt").status, 200);
}

TEST(HttpErrors, KeepAliveServesSeveralRequestsOnOneConnection) {
    TestServer srv;
    const std::string reply = raw_exchange(srv.port(),
                                           "GET /prompt HTTP/1.1\r\nHost: x\r\n\r\n"
                                           "GET /api/prompt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    size_t count = 0;
    for (size_t pos = 0; (pos = reply.find("HTTP/1.1 200", pos)) != std::string::npos; ++pos) ++count;
    EXPECT_EQ(count, 2u) << reply;
}

TEST(HttpErrors, RestartKeepsHistoryAndServesAgain) {
    TestServer srv;
    const std::string id = srv.queue_prompt(invert_prompt()).json()["prompt_id"];
    ASSERT_FALSE(srv.wait_history(id).is_discarded());
    srv.restart();
    EXPECT_TRUE(srv.get("/history/" + id).json().contains(id));
}

TEST(HttpErrors, CrossOriginRequestsToLoopbackAreRefused) {
    TestServer srv;
    const std::string host = "127.0.0.1:" + std::to_string(srv.port());
    const std::string evil = raw_exchange(srv.port(), "POST /prompt HTTP/1.1\r\nHost: " + host +
                                                          "\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\n"
                                                          "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
    EXPECT_NE(evil.find("HTTP/1.1 403"), std::string::npos) << evil;
    const std::string same = raw_exchange(srv.port(), "GET /prompt HTTP/1.1\r\nHost: " + host + "\r\nOrigin: http://" + host +
                                                          "\r\nConnection: close\r\n\r\n");
    EXPECT_NE(same.find("HTTP/1.1 200"), std::string::npos) << same;
    const std::string none = raw_exchange(srv.port(), "GET /prompt HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    EXPECT_NE(none.find("HTTP/1.1 200"), std::string::npos) << none;
}
