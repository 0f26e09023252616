// The last steps a decode plan may ask for, done on the worker thread with the decoded pixels:
// a left-right mirror (RandomHorizontalFlip) and the byte -> float32 conversion of ToTensor (+ Normalize)
// as a per-channel lookup table, so JavaScript receives the finished tensor data.
#pragma once
#include <cstdint>
#include <vector>

namespace labjpeg {

struct OutputSteps {
  bool flip = false;
  bool toFloat = false;
  float table[3 * 256] = {};  // table[c * 256 + byte]: channel c's float for that byte
};

// Mirrors height rows of width RGB pixels in place.
void MirrorRows(uint8_t* pixels, int height, int width);

// Writes the float32 image (flipped when asked) to `out`: out[i] = table[channel * 256 + pixels[i]].
void ToFloatInto(const uint8_t* pixels, int height, int width, const OutputSteps& steps, float* out);

// The same into a new vector.
std::vector<float> ToFloat(const uint8_t* pixels, int height, int width, const OutputSteps& steps);

}  // namespace labjpeg
