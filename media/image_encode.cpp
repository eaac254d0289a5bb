// JPEG and WebP encoding in memory (see image_encode.h).
#include "media/image_encode.h"

#include <weft/error.h>

#include <jpeglib.h>
#include <webp/encode.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace weft::media {

namespace {

void check_size(std::span<const uint8_t> pixels, int width, int height, int channels, const char* what) {
    if (width <= 0 || height <= 0 || pixels.size() != size_t(width) * size_t(height) * size_t(channels))
        throw Error(ErrorCode::InvalidImage, std::string(what) + ": the pixel buffer does not match the image size");
}

struct JpegError {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
};

void jpeg_fail(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1); }

}  // namespace

std::string encode_jpeg(std::span<const uint8_t> rgb, int width, int height, int quality) {
    check_size(rgb, width, height, 3, "JPEG");
    jpeg_compress_struct cinfo;
    JpegError err;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        std::free(buffer);
        throw Error(ErrorCode::InvalidImage, "JPEG encoding failed");
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = JDIMENSION(width);
    cinfo.image_height = JDIMENSION(height);
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);  // YCbCr, 2x2 luma sampling (4:2:0)
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(rgb.data() + size_t(cinfo.next_scanline) * size_t(width) * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    std::string out(reinterpret_cast<const char*>(buffer), size);
    std::free(buffer);
    return out;
}

std::string encode_webp(std::span<const uint8_t> pixels, int width, int height, int channels, int quality) {
    if (channels != 3 && channels != 4) throw Error(ErrorCode::InvalidImage, "WebP: 3 or 4 channels expected");
    check_size(pixels, width, height, channels, "WebP");
    uint8_t* out = nullptr;
    const size_t n = channels == 4 ? WebPEncodeRGBA(pixels.data(), width, height, width * 4, float(quality), &out)
                                   : WebPEncodeRGB(pixels.data(), width, height, width * 3, float(quality), &out);
    std::unique_ptr<uint8_t, void (*)(void*)> owned(out, WebPFree);
    if (n == 0) throw Error(ErrorCode::InvalidImage, "WebP encoding failed");
    return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace weft::media
