// tensor/ops/ops.h — the op library models are written with (namespace weft::ops).
//
// Every op checks dtypes and shapes at the call and throws weft::Error (type "tensor_op") naming the
// op and the offending shapes. Each op has a plain loop implementation in weft::ops::ref
// (reference.h) that the tests compare against.
#pragma once

#include "attention.h"
#include "buffer_pool.h"
#include "compute.h"
#include "conv2d.h"
#include "elementwise.h"
#include "layout.h"
#include "matmul.h"
#include "norm.h"
