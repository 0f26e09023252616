// Antialiased bilinear (triangle filter) resizing of 8-bit RGB, defined as PIL's Image.resize(size,
// BILINEAR) defines it, so that our crops match torchvision's PIL pipeline: a separable filter whose
// support widens by the downscale factor (every source pixel contributes when shrinking), weights
// normalized per output pixel and applied in fixed point, the horizontal pass first and its result
// rounded to 8 bits before the vertical pass.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace labjpeg {

// The source pixels and fixed-point weights that make each output pixel. Every output pixel gets the
// same number of taps (`taps()`): shorter windows are padded with zero weights and shifted to stay
// inside the input, so the inner loops can have a compile-time length.
class FilterTaps {
 public:
  FilterTaps(int inputSize, int outputSize);
  int taps() const { return taps_; }
  int first(int output) const { return first_[output]; }
  const int32_t* weights(int output) const { return weights_.data() + size_t(output) * taps_; }

 private:
  std::vector<int> first_;
  std::vector<int32_t> weights_;
  int taps_;
};

// Resizes `height` rows of `inputWidth` RGB pixels to `outputHeight` x `outputWidth`, taking the rows
// one at a time (as a decoder produces them) so the full-resolution crop is never stored.
class BilinearResampler {
 public:
  BilinearResampler(int inputHeight, int inputWidth, int outputHeight, int outputWidth);
  // Feeds source row `row` (0-based, in order): `inputWidth` RGB pixels.
  void AddRow(int row, const uint8_t* pixels);
  // Runs the vertical pass once every row was added; `output` holds outputHeight*outputWidth*3 bytes.
  void Finish(uint8_t* output) const;

 private:
  int outputHeight_;
  int outputWidth_;
  FilterTaps horizontal_;
  FilterTaps vertical_;
  std::vector<uint8_t> rows_;  // horizontally resized rows, inputHeight x outputWidth x 3
  int vectorEnd_ = 0;          // output pixels [0, vectorEnd_) may take the vector path
};

}  // namespace labjpeg
