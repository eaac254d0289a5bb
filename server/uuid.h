// server/uuid.h — random (version 4) UUIDs for prompt ids and anonymous client ids.
#pragma once

#include <string>

namespace weft::server {

/// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase.
std::string random_uuid();
/// The same 32 hex digits without dashes (ComfyUI's uuid4().hex for client ids).
std::string random_uuid_hex();

}  // namespace weft::server
