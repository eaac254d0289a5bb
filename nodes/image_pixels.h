// nodes/image_pixels.h — IMAGE tensors ([B,H,W,C] floats in 0..1) to and from 8-bit pixels, for
// the node code: the conversions are media/'s (media/image_tensor.h), shared with its codecs.
#pragma once

#include "media/image_tensor.h"

namespace weft::nodes {

using media::image_batch_f32;
using media::image_item_to_u8;
using media::u8_to_image;

}  // namespace weft::nodes
