#include "jpeg_decoder.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <jerror.h>

#include "bilinear_resampler.h"
#include "exif_orientation.h"

namespace labjpeg {
namespace {

// Columns and rows decoded beyond the crop on each side. libjpeg treats the first and last column of a
// cropped scanline, and the first row group after a skip, as image edges when it upsamples chroma; the
// margin keeps those edge-treated pixels outside the box, so a crop equals the same box of a full decode.
constexpr int kEdgeMargin = 2;
// sharp's default limitInputPixels: larger files go to sharp, which explains the limit.
constexpr double kMaxPixels = 268402689.0;

struct ErrorManager {
  jpeg_error_mgr base;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void JumpWithMessage(j_common_ptr info) {
  auto* manager = reinterpret_cast<ErrorManager*>(info->err);
  (*info->err->format_message)(info, manager->message);
  longjmp(manager->jump, 1);
}

// Warnings are tolerated (real photos often carry harmless ones, and PIL accepts them) except the
// one libjpeg gives for a file that ends early: that image is incomplete, as sharp's failOn
// "truncated" and PIL ("image file is truncated") also say.
void OnMessage(j_common_ptr info, int level) {
  if (level >= 0) return;  // trace output
  if (info->err->msg_code == JWRN_JPEG_EOF) JumpWithMessage(info);
  info->err->num_warnings++;
}

void Silent(j_common_ptr) {}

// Everything that changes after setjmp lives here, behind a pointer, so its state is well defined
// when libjpeg longjmps back with an error.
struct Session {
  jpeg_decompress_struct info;
  ErrorManager errors;
  bool created = false;
  DecodedImage result;
  JpegHeader header;
  std::vector<uint8_t> row;
  std::unique_ptr<BilinearResampler> resampler;

  Session() {
    std::memset(&info, 0, sizeof(info));
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = JumpWithMessage;
    errors.base.emit_message = OnMessage;
    errors.base.output_message = Silent;
    errors.message[0] = 0;
  }
  ~Session() {
    if (created) jpeg_destroy_decompress(&info);
  }
};

std::string ColorSpaceName(J_COLOR_SPACE space) {
  switch (space) {
    case JCS_GRAYSCALE: return "gray";
    case JCS_RGB: return "rgb";
    case JCS_YCbCr: return "ycbcr";
    case JCS_CMYK: return "cmyk";
    case JCS_YCCK: return "ycck";
    default: return "unknown";
  }
}

int OrientationOf(j_decompress_ptr info) {
  for (jpeg_saved_marker_ptr marker = info->marker_list; marker != nullptr; marker = marker->next) {
    if (marker->marker != JPEG_APP0 + 1 || marker->data_length < 6) continue;
    if (std::memcmp(marker->data, "Exif\0\0", 6) != 0) continue;  // XMP also lives in APP1
    return ExifOrientation(marker->data, marker->data_length);
  }
  return 1;
}

// Reads the header (markers up to the first scan), keeping APP1 for the EXIF orientation.
void StartReading(Session* session, const uint8_t* data, size_t size) {
  jpeg_create_decompress(&session->info);
  session->created = true;
  jpeg_mem_src(&session->info, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&session->info, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&session->info, TRUE);
}

// Why libjpeg's RGB output would not be what sharp gives for this file; empty when it would be.
std::string UnsupportedReason(j_decompress_ptr info, int orientation) {
  if (orientation != 1) return "EXIF orientation " + std::to_string(orientation) + " (a rotated photo)";
  const J_COLOR_SPACE space = info->jpeg_color_space;
  const int components = info->num_components;
  const bool plain = (components == 1 && space == JCS_GRAYSCALE) || (components == 3 && (space == JCS_YCbCr || space == JCS_RGB));
  if (!plain) return "colour space " + ColorSpaceName(space) + " with " + std::to_string(components) + " components";
  if (double(info->image_width) * double(info->image_height) > kMaxPixels) return "more pixels than sharp's default limit";
  return "";
}

bool EndsWithEndMarker(const uint8_t* data, size_t size) {
  return size >= 2 && data[size - 2] == 0xFF && data[size - 1] == 0xD9;
}

std::string CheckRequest(const DecodeRequest& request, int height, int width) {
  if (request.crop) {
    const CropBox& b = request.box;
    if (b.top < 0 || b.left < 0 || b.height <= 0 || b.width <= 0 || b.top + b.height > height || b.left + b.width > width) {
      return "crop box top=" + std::to_string(b.top) + " left=" + std::to_string(b.left) + " " + std::to_string(b.height) + "x" +
             std::to_string(b.width) + " is not inside the " + std::to_string(height) + "x" + std::to_string(width) + " image";
    }
  }
  if (request.resize && (request.outputHeight <= 0 || request.outputWidth <= 0)) return "resize size must be positive";
  return "";
}

}  // namespace

bool LooksLikeJpeg(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

JpegHeader ReadJpegHeader(const uint8_t* data, size_t size) {
  auto session = std::make_unique<Session>();
  Session* s = session.get();
  if (setjmp(s->errors.jump)) {
    s->header.failure = Failure::kCorrupt;
    s->header.message = s->errors.message;
    return std::move(s->header);
  }
  StartReading(s, data, size);
  s->header.width = int(s->info.image_width);
  s->header.height = int(s->info.image_height);
  s->header.components = s->info.num_components;
  s->header.progressive = s->info.progressive_mode != 0;
  s->header.colorSpace = ColorSpaceName(s->info.jpeg_color_space);
  s->header.orientation = OrientationOf(&s->info);
  return std::move(s->header);
}

DecodedImage DecodeJpeg(const uint8_t* data, size_t size, const DecodeRequest& request) {
  auto session = std::make_unique<Session>();
  Session* s = session.get();
  DecodedImage& result = s->result;
  if (setjmp(s->errors.jump)) {
    result.failure = Failure::kCorrupt;
    result.message = s->errors.message;
    result.pixels.clear();
    return std::move(result);
  }
  StartReading(s, data, size);
  const std::string unsupported = UnsupportedReason(&s->info, OrientationOf(&s->info));
  if (!unsupported.empty()) {
    result.failure = Failure::kUnsupported;
    result.message = unsupported;
    return std::move(result);
  }
  const int imageHeight = int(s->info.image_height);
  const int imageWidth = int(s->info.image_width);
  const std::string badRequest = CheckRequest(request, imageHeight, imageWidth);
  if (!badRequest.empty()) {
    result.failure = Failure::kBadRequest;
    result.message = badRequest;
    return std::move(result);
  }
  const CropBox box = request.crop ? request.box : CropBox{0, 0, imageHeight, imageWidth};

  s->info.out_color_space = JCS_RGB;  // also expands grayscale to three equal channels
  jpeg_start_decompress(&s->info);

  int columnOffset = box.left;
  if (box.width < imageWidth) {
    JDIMENSION start = JDIMENSION(std::max(0, box.left - kEdgeMargin));
    JDIMENSION end = JDIMENSION(std::min(imageWidth, box.left + box.width + kEdgeMargin));
    JDIMENSION width = end - start;
    jpeg_crop_scanline(&s->info, &start, &width);  // moves start left to an iMCU boundary
    columnOffset = box.left - int(start);
  }
  s->row.resize(size_t(s->info.output_width) * 3);
  JSAMPROW rowPointer = s->row.data();

  // Skip whole iMCU rows above the box (entropy decoding only), then decode the margin and discard it.
  const int iMcuHeight = s->info.max_v_samp_factor * DCTSIZE;
  const int skipTo = std::max(0, box.top - kEdgeMargin) / iMcuHeight * iMcuHeight;
  if (skipTo > 0) jpeg_skip_scanlines(&s->info, JDIMENSION(skipTo));
  while (int(s->info.output_scanline) < box.top) jpeg_read_scanlines(&s->info, &rowPointer, 1);

  const bool resize = request.resize;
  result.height = resize ? request.outputHeight : box.height;
  result.width = resize ? request.outputWidth : box.width;
  result.pixels.resize(size_t(result.height) * result.width * 3);
  if (resize) s->resampler = std::make_unique<BilinearResampler>(box.height, box.width, result.height, result.width);
  for (int r = 0; r < box.height; r++) {
    jpeg_read_scanlines(&s->info, &rowPointer, 1);
    const uint8_t* pixels = s->row.data() + size_t(columnOffset) * 3;
    if (resize) {
      s->resampler->AddRow(r, pixels);
    } else {
      std::memcpy(result.pixels.data() + size_t(r) * box.width * 3, pixels, size_t(box.width) * 3);
    }
  }

  const JDIMENSION remaining = s->info.output_height - s->info.output_scanline;
  if (remaining > 0 && EndsWithEndMarker(data, size)) {
    // A file ending in its end-of-image marker is complete: the rows below the box are not needed.
    jpeg_abort_decompress(&s->info);
  } else {
    // Otherwise entropy-decode to the end, so a truncated file is reported even when the box fits
    // in the part that survived. A skip to the very last row would not decode anything (libjpeg-turbo
    // just marks the rows done), so the last row is read.
    if (remaining > 1) jpeg_skip_scanlines(&s->info, remaining - 1);
    if (remaining > 0) jpeg_read_scanlines(&s->info, &rowPointer, 1);
    if (!jpeg_finish_decompress(&s->info)) {
      result.failure = Failure::kCorrupt;
      result.message = "the data ends before the end-of-image marker";
      result.pixels.clear();
      return std::move(result);
    }
  }
  if (resize) s->resampler->Finish(result.pixels.data());
  return std::move(result);
}

}  // namespace labjpeg
