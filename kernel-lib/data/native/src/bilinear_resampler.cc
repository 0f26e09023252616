#include "bilinear_resampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LAB_HAVE_SSE41_PATH 1
#endif

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
      rows_(size_t(inputHeight) * outputWidth * 3) {
  // Output pixels whose last tap is not the row's last pixel (see Sse41Taps).
  while (vectorEnd_ < outputWidth && horizontal_.first(vectorEnd_) + horizontal_.taps() <= inputWidth - 1) vectorEnd_++;
}

// The hot loops are free functions compiled twice (target_clones): for AVX2, whose 8-lane 32-bit
// multiplies the loops vectorize to (about 1.4x faster here), and for the baseline x86-64; the
// loader picks the one the CPU runs. Integer arithmetic, so both give the same bytes.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LAB_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LAB_VECTOR_CLONES
#endif

// Runs Kernel<N>::Run with the tap count as a compile-time constant for the common shrink factors (up to
// ~4x), so the compiler unrolls the taps; Kernel<0> reads the count at run time.
template <template <int> class Kernel, typename... Args>
inline __attribute__((always_inline)) void WithTapCount(int taps, const Args&... args) {
  switch (taps) {
    case 1: return Kernel<1>::Run(args...);
    case 2: return Kernel<2>::Run(args...);
    case 3: return Kernel<3>::Run(args...);
    case 4: return Kernel<4>::Run(args...);
    case 5: return Kernel<5>::Run(args...);
    case 6: return Kernel<6>::Run(args...);
    case 7: return Kernel<7>::Run(args...);
    case 8: return Kernel<8>::Run(args...);
    case 9: return Kernel<9>::Run(args...);
    default: return Kernel<0>::Run(args...);
  }
}

// Output pixels [begin, end) of one row, a channel at a time.
template <int kTaps>
struct ScalarTaps {
  static inline __attribute__((always_inline)) void Run(const uint8_t* pixels, uint8_t* out, int begin, int end, const FilterTaps& taps) {
    const int count = kTaps > 0 ? kTaps : taps.taps();
    for (int x = begin; x < end; x++) {
      const int32_t* weights = taps.weights(x);
      const uint8_t* source = pixels + size_t(taps.first(x)) * 3;
      int32_t r = kHalf;
      int32_t g = kHalf;
      int32_t b = kHalf;
      for (int k = 0; k < count; k++) {
        r += source[3 * k] * weights[k];
        g += source[3 * k + 1] * weights[k];
        b += source[3 * k + 2] * weights[k];
      }
      out[3 * x] = ToByte(r);
      out[3 * x + 1] = ToByte(g);
      out[3 * x + 2] = ToByte(b);
    }
  }
};

#ifdef LAB_HAVE_SSE41_PATH
// The same sums with the three channels of a pixel in one vector: each tap loads 4 bytes (R, G, B and
// the next pixel's R, whose lane is ignored), widens them to 32 bits and multiplies by the tap's
// weight; the same integer arithmetic as the scalar loop, so the same bytes (about 3x faster).
// Output pixels [0, end) only, where end is the resampler's vectorEnd: their last tap's 4-byte load
// stays inside the row, and all but the row's last output pixel may store 4 bytes (the 4th is
// overwritten by the next pixel).
template <int kTaps>
struct Sse41Taps {
  __attribute__((target("sse4.1"))) static void Run(const uint8_t* pixels, uint8_t* out, int end, int outputWidth, const FilterTaps& taps) {
    const int count = kTaps > 0 ? kTaps : taps.taps();
    const __m128i half = _mm_set1_epi32(kHalf);
    for (int x = 0; x < end; x++) {
      const int32_t* weights = taps.weights(x);
      const uint8_t* source = pixels + size_t(taps.first(x)) * 3;
      __m128i sum = half;
      for (int k = 0; k < count; k++) {
        int32_t fourBytes;
        std::memcpy(&fourBytes, source + 3 * k, 4);
        const __m128i channels = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(fourBytes));
        sum = _mm_add_epi32(sum, _mm_mullo_epi32(channels, _mm_set1_epi32(weights[k])));
      }
      // >> 22, then clamp to 0..255 by the saturating packs (as ToByte).
      const __m128i shifted = _mm_srai_epi32(sum, kPrecisionBits);
      const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(shifted, shifted), _mm_setzero_si128());
      const int32_t packed = _mm_cvtsi128_si32(bytes);
      std::memcpy(out + 3 * x, &packed, x + 1 < outputWidth ? 4 : 3);
    }
  }
};

bool HasSse41() {
  static const bool has = __builtin_cpu_supports("sse4.1");
  return has;
}
#endif

// Output pixels [begin, end) of one row.
LAB_VECTOR_CLONES void HorizontalRow(const uint8_t* pixels, uint8_t* out, int begin, int end, const FilterTaps& taps) {
  WithTapCount<ScalarTaps>(taps.taps(), pixels, out, begin, end, taps);
}

LAB_VECTOR_CLONES void VerticalPass(const uint8_t* rows, uint8_t* output, int outputHeight, size_t stride, const FilterTaps& taps) {
  std::vector<int32_t> sums(stride);
  for (int y = 0; y < outputHeight; y++) {
    std::fill(sums.begin(), sums.end(), kHalf);
    const int32_t* weights = taps.weights(y);
    // Whole rows per tap: the inner loop reads memory sequentially and vectorizes.
    for (int k = 0, count = taps.taps(); k < count; k++) {
      const uint8_t* row = rows + size_t(taps.first(y) + k) * stride;
      const int32_t weight = weights[k];
      for (size_t i = 0; i < stride; i++) sums[i] += row[i] * weight;
    }
    uint8_t* out = output + size_t(y) * stride;
    for (size_t i = 0; i < stride; i++) out[i] = ToByte(sums[i]);
  }
}

void BilinearResampler::AddRow(int row, const uint8_t* pixels) {
  uint8_t* out = rows_.data() + size_t(row) * outputWidth_ * 3;
#ifdef LAB_HAVE_SSE41_PATH
  if (vectorEnd_ > 0 && HasSse41()) {
    WithTapCount<Sse41Taps>(horizontal_.taps(), pixels, out, vectorEnd_, outputWidth_, horizontal_);
    if (vectorEnd_ == outputWidth_) return;
    // The last few output pixels, whose windows end at the row's last pixel: the scalar loop.
    HorizontalRow(pixels, out, vectorEnd_, outputWidth_, horizontal_);
    return;
  }
#endif
  HorizontalRow(pixels, out, 0, outputWidth_, horizontal_);
}

void BilinearResampler::Finish(uint8_t* output) const {
  VerticalPass(rows_.data(), output, outputHeight_, size_t(outputWidth_) * 3, vertical_);
}

}  // namespace labjpeg
