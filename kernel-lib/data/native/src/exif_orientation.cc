#include "exif_orientation.h"

#include <cstring>

namespace labjpeg {
namespace {

constexpr uint16_t kOrientationTag = 0x0112;
constexpr uint16_t kShortType = 3;

// TIFF data is little-endian ("II") or big-endian ("MM"); every read checks its bounds.
struct TiffReader {
  const uint8_t* data;
  size_t length;
  bool littleEndian;

  bool Read16(size_t offset, uint16_t* value) const {
    if (offset + 2 > length) return false;
    *value = littleEndian ? static_cast<uint16_t>(data[offset] | (data[offset + 1] << 8))
                          : static_cast<uint16_t>((data[offset] << 8) | data[offset + 1]);
    return true;
  }

  bool Read32(size_t offset, uint32_t* value) const {
    if (offset + 4 > length) return false;
    const uint8_t* p = data + offset;
    *value = littleEndian ? (uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24))
                          : ((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]));
    return true;
  }
};

}  // namespace

int ExifOrientation(const uint8_t* payload, size_t length) {
  static const char kExifHeader[6] = {'E', 'x', 'i', 'f', 0, 0};
  if (length < 6 + 8 || std::memcmp(payload, kExifHeader, 6) != 0) return 1;
  const uint8_t* tiff = payload + 6;
  const size_t tiffLength = length - 6;
  TiffReader reader{tiff, tiffLength, false};
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    reader.littleEndian = true;
  } else if (!(tiff[0] == 'M' && tiff[1] == 'M')) {
    return 1;
  }
  uint16_t magic = 0;
  uint32_t firstDirectory = 0;
  if (!reader.Read16(2, &magic) || magic != 42 || !reader.Read32(4, &firstDirectory)) return 1;
  uint16_t entries = 0;
  if (!reader.Read16(firstDirectory, &entries)) return 1;
  // Orientation lives in IFD0 (the main image's directory); entries are 12 bytes each.
  for (uint32_t i = 0; i < entries; i++) {
    const size_t entry = size_t(firstDirectory) + 2 + size_t(i) * 12;
    uint16_t tag = 0;
    uint16_t type = 0;
    if (!reader.Read16(entry, &tag) || !reader.Read16(entry + 2, &type)) return 1;
    if (tag != kOrientationTag) continue;
    uint16_t value = 0;
    if (type != kShortType || !reader.Read16(entry + 8, &value)) return 1;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

}  // namespace labjpeg
