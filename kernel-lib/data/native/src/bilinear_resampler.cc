#include "bilinear_resampler.h"

#include <algorithm>
#include <cmath>

namespace labjpeg {
namespace {

// 22 fractional bits: 255 * 2^22 summed over weights that add up to 1 stays inside int32.
constexpr int kPrecisionBits = 22;
constexpr int32_t kHalf = int32_t(1) << (kPrecisionBits - 1);

double Triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

uint8_t ToByte(int32_t fixedPoint) {
  const int32_t value = fixedPoint >> kPrecisionBits;
  return static_cast<uint8_t>(value < 0 ? 0 : value > 255 ? 255 : value);
}

}  // namespace

FilterTaps::FilterTaps(int inputSize, int outputSize) : first_(outputSize), count_(outputSize) {
  const double scale = double(inputSize) / outputSize;
  const double filterScale = std::max(scale, 1.0);
  const double support = filterScale;  // the triangle's support is 1, stretched when shrinking
  const double inverseFilterScale = 1.0 / filterScale;
  maxTaps_ = int(std::ceil(support)) * 2 + 1;
  weights_.assign(size_t(outputSize) * maxTaps_, 0);
  std::vector<double> exact(maxTaps_);
  for (int out = 0; out < outputSize; out++) {
    const double center = (out + 0.5) * scale;
    // Truncation toward zero, then clamping to the input, gives the source window of this output pixel.
    const int low = std::max(int(center - support + 0.5), 0);
    const int high = std::min(int(center + support + 0.5), inputSize);
    double total = 0.0;
    for (int source = low; source < high; source++) {
      exact[source - low] = Triangle((source - center + 0.5) * inverseFilterScale);
      total += exact[source - low];
    }
    int32_t* fixed = weights_.data() + size_t(out) * maxTaps_;
    for (int k = 0; k < high - low; k++) {
      const double normalized = total != 0.0 ? exact[k] / total : 0.0;
      fixed[k] = int32_t(std::lround(normalized * double(int32_t(1) << kPrecisionBits)));
    }
    first_[out] = low;
    count_[out] = high - low;
  }
}

BilinearResampler::BilinearResampler(int inputHeight, int inputWidth, int outputHeight, int outputWidth)
    : outputHeight_(outputHeight),
      outputWidth_(outputWidth),
      horizontal_(inputWidth, outputWidth),
      vertical_(inputHeight, outputHeight),
      rows_(size_t(inputHeight) * outputWidth * 3) {}

void BilinearResampler::AddRow(int row, const uint8_t* pixels) {
  uint8_t* out = rows_.data() + size_t(row) * outputWidth_ * 3;
  for (int x = 0; x < outputWidth_; x++) {
    const int32_t* weights = horizontal_.weights(x);
    const uint8_t* source = pixels + size_t(horizontal_.first(x)) * 3;
    int32_t r = kHalf;
    int32_t g = kHalf;
    int32_t b = kHalf;
    for (int k = 0, taps = horizontal_.count(x); k < taps; k++, source += 3) {
      r += source[0] * weights[k];
      g += source[1] * weights[k];
      b += source[2] * weights[k];
    }
    out[3 * x] = ToByte(r);
    out[3 * x + 1] = ToByte(g);
    out[3 * x + 2] = ToByte(b);
  }
}

void BilinearResampler::Finish(uint8_t* output) const {
  const size_t stride = size_t(outputWidth_) * 3;
  std::vector<int32_t> sums(stride);
  for (int y = 0; y < outputHeight_; y++) {
    std::fill(sums.begin(), sums.end(), kHalf);
    const int32_t* weights = vertical_.weights(y);
    // Whole rows per tap: the inner loop reads memory sequentially and vectorizes.
    for (int k = 0, taps = vertical_.count(y); k < taps; k++) {
      const uint8_t* row = rows_.data() + size_t(vertical_.first(y) + k) * stride;
      const int32_t weight = weights[k];
      for (size_t i = 0; i < stride; i++) sums[i] += row[i] * weight;
    }
    uint8_t* out = output + size_t(y) * stride;
    for (size_t i = 0; i < stride; i++) out[i] = ToByte(sums[i]);
  }
}

}  // namespace labjpeg
