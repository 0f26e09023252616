// libjpeg-turbo decoding to RGB, optionally of a crop box only (rows above it skipped, columns outside
// it not inverse-transformed) and resized on the fly. Files libjpeg cannot give exactly as sharp would
// (CMYK/YCCK, EXIF-rotated, unusual component counts) are refused as unsupported, so the caller can
// hand them to sharp; damaged files are refused as corrupt with libjpeg's message.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace labjpeg {

struct CropBox {
  int top;
  int left;
  int height;
  int width;
};

struct DecodeRequest {
  bool crop = false;
  CropBox box{0, 0, 0, 0};
  bool resize = false;
  int outputHeight = 0;
  int outputWidth = 0;
};

// kIo: the bytes could not be read (set by the binding, which reads files).
enum class Failure { kNone, kUnsupported, kCorrupt, kBadRequest, kIo };

struct DecodedImage {
  Failure failure = Failure::kNone;
  std::string message;
  std::vector<uint8_t> pixels;  // height x width x 3 (RGB)
  int height = 0;
  int width = 0;
};

struct JpegHeader {
  Failure failure = Failure::kNone;
  std::string message;
  int width = 0;
  int height = 0;
  int components = 0;
  int orientation = 1;
  bool progressive = false;
  std::string colorSpace;
};

// True when the bytes start with a JPEG start-of-image marker.
bool LooksLikeJpeg(const uint8_t* data, size_t size);

JpegHeader ReadJpegHeader(const uint8_t* data, size_t size);

DecodedImage DecodeJpeg(const uint8_t* data, size_t size, const DecodeRequest& request);

}  // namespace labjpeg
