// EXIF orientation (tag 0x0112) from a JPEG's APP1 "Exif" segment.
#pragma once
#include <cstddef>
#include <cstdint>

namespace labjpeg {

// Returns the orientation (1..8) stored in an APP1 payload, or 1 when the payload is not EXIF, has no
// orientation tag, or is malformed: a damaged EXIF block must not make a readable photo undecodable.
int ExifOrientation(const uint8_t* payload, size_t length);

}  // namespace labjpeg
