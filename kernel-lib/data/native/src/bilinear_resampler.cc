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

FilterTaps::FilterTaps(int inputSize, int outputSize) : first_(outputSize) {
  const double scale = double(inputSize) / outputSize;
  const double filterScale = std::max(scale, 1.0);
  const double support = filterScale;  // the triangle's support is 1, stretched when shrinking
  const double inverseFilterScale = 1.0 / filterScale;
  const int windowLimit = int(std::ceil(support)) * 2 + 1;
  std::vector<int> low(outputSize);
  std::vector<int> count(outputSize);
  std::vector<double> exact(size_t(outputSize) * windowLimit, 0.0);
  taps_ = 1;
  for (int out = 0; out < outputSize; out++) {
    const double center = (out + 0.5) * scale;
    // Truncation toward zero, then clamping to the input, gives the source window of this output pixel.
    low[out] = std::max(int(center - support + 0.5), 0);
    const int high = std::min(int(center + support + 0.5), inputSize);
    count[out] = high - low[out];
    double total = 0.0;
    double* w = exact.data() + size_t(out) * windowLimit;
    for (int source = low[out]; source < high; source++) {
      w[source - low[out]] = Triangle((source - center + 0.5) * inverseFilterScale);
      total += w[source - low[out]];
    }
    for (int k = 0; k < count[out]; k++) w[k] = total != 0.0 ? w[k] / total : 0.0;
    taps_ = std::max(taps_, count[out]);
  }
  weights_.assign(size_t(outputSize) * taps_, 0);
  for (int out = 0; out < outputSize; out++) {
    // Shift a short window left when the padded one would run past the input's end.
    const int first = std::min(low[out], inputSize - taps_);
    const int shift = low[out] - first;
    first_[out] = first;
    int32_t* fixed = weights_.data() + size_t(out) * taps_;
    const double* w = exact.data() + size_t(out) * windowLimit;
    for (int k = 0; k < count[out]; k++) fixed[shift + k] = int32_t(std::lround(w[k] * double(int32_t(1) << kPrecisionBits)));
  }
}

BilinearResampler::BilinearResampler(int inputHeight, int inputWidth, int outputHeight, int outputWidth)
    : outputHeight_(outputHeight),
      outputWidth_(outputWidth),
      horizontal_(inputWidth, outputWidth),
      vertical_(inputHeight, outputHeight),
      rows_(size_t(inputHeight) * outputWidth * 3) {}

template <int kTaps>
void BilinearResampler::HorizontalRow(const uint8_t* pixels, uint8_t* out) const {
  const int taps = kTaps > 0 ? kTaps : horizontal_.taps();
  for (int x = 0; x < outputWidth_; x++) {
    const int32_t* weights = horizontal_.weights(x);
    const uint8_t* source = pixels + size_t(horizontal_.first(x)) * 3;
    int32_t r = kHalf;
    int32_t g = kHalf;
    int32_t b = kHalf;
    for (int k = 0; k < taps; k++) {
      r += source[3 * k] * weights[k];
      g += source[3 * k + 1] * weights[k];
      b += source[3 * k + 2] * weights[k];
    }
    out[3 * x] = ToByte(r);
    out[3 * x + 1] = ToByte(g);
    out[3 * x + 2] = ToByte(b);
  }
}

void BilinearResampler::AddRow(int row, const uint8_t* pixels) {
  uint8_t* out = rows_.data() + size_t(row) * outputWidth_ * 3;
  // Fixed tap counts for the common shrink factors (up to ~4x) let the compiler unroll the taps.
  switch (horizontal_.taps()) {
    case 1: return HorizontalRow<1>(pixels, out);
    case 2: return HorizontalRow<2>(pixels, out);
    case 3: return HorizontalRow<3>(pixels, out);
    case 4: return HorizontalRow<4>(pixels, out);
    case 5: return HorizontalRow<5>(pixels, out);
    case 6: return HorizontalRow<6>(pixels, out);
    case 7: return HorizontalRow<7>(pixels, out);
    case 8: return HorizontalRow<8>(pixels, out);
    case 9: return HorizontalRow<9>(pixels, out);
    default: return HorizontalRow<0>(pixels, out);
  }
}

void BilinearResampler::Finish(uint8_t* output) const {
  const size_t stride = size_t(outputWidth_) * 3;
  std::vector<int32_t> sums(stride);
  for (int y = 0; y < outputHeight_; y++) {
    std::fill(sums.begin(), sums.end(), kHalf);
    const int32_t* weights = vertical_.weights(y);
    // Whole rows per tap: the inner loop reads memory sequentially and vectorizes.
    for (int k = 0, taps = vertical_.taps(); k < taps; k++) {
      const uint8_t* row = rows_.data() + size_t(vertical_.first(y) + k) * stride;
      const int32_t weight = weights[k];
      for (size_t i = 0; i < stride; i++) sums[i] += row[i] * weight;
    }
    uint8_t* out = output + size_t(y) * stride;
    for (size_t i = 0; i < stride; i++) out[i] = ToByte(sums[i]);
  }
}

}  // namespace labjpeg
