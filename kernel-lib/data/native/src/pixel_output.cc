#include "pixel_output.h"

#include <algorithm>
#include <cstddef>

namespace labjpeg {

void MirrorRows(uint8_t* pixels, int height, int width) {
  for (int y = 0; y < height; y++) {
    uint8_t* left = pixels + size_t(y) * width * 3;
    uint8_t* right = left + size_t(width - 1) * 3;
    for (; left < right; left += 3, right -= 3) {
      std::swap(left[0], right[0]);
      std::swap(left[1], right[1]);
      std::swap(left[2], right[2]);
    }
  }
}

std::vector<float> ToFloat(const uint8_t* pixels, int height, int width, const OutputSteps& steps) {
  std::vector<float> out(size_t(height) * width * 3);
  ToFloatInto(pixels, height, width, steps, out.data());
  return out;
}

void ToFloatInto(const uint8_t* pixels, int height, int width, const OutputSteps& steps, float* out) {
  const float* red = steps.table;
  const float* green = steps.table + 256;
  const float* blue = steps.table + 512;
  for (int y = 0; y < height; y++) {
    const uint8_t* source = pixels + size_t(y) * width * 3;
    float* row = out + size_t(y) * width * 3;
    for (int x = 0; x < width; x++) {
      const int target = (steps.flip ? width - 1 - x : x) * 3;
      row[target] = red[source[3 * x]];
      row[target + 1] = green[source[3 * x + 1]];
      row[target + 2] = blue[source[3 * x + 2]];
    }
  }
}

}  // namespace labjpeg
