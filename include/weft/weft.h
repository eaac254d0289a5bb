// include/weft/weft.h — everything an embedding application needs.
#pragma once

#include <weft/error.h>
#include <weft/events.h>
#include <weft/folders.h>
#include <weft/json.h>
#include <weft/node.h>
#include <weft/registry.h>
#include <weft/schema.h>
#include <weft/session.h>
#include <weft/tensor.h>
#include <weft/value.h>
#include <weft/workflow.h>
#include <weft/demo_model.h>
