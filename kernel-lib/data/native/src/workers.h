// The binding's async workers: each runs its decoding/resizing on libuv's thread pool (Execute) and
// settles a promise on the JavaScript thread. Rejections carry `code` (see FailureCode).
#pragma once
#include <napi.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bilinear_resampler.h"
#include "byte_source.h"
#include "jpeg_decoder.h"
#include "js_values.h"
#include "pixel_output.h"

namespace labjpeg {

inline const char* FailureCode(Failure failure) {
  switch (failure) {
    case Failure::kUnsupported: return "JPEG_UNSUPPORTED";
    case Failure::kCorrupt: return "JPEG_CORRUPT";
    case Failure::kBadRequest: return "JPEG_BAD_REQUEST";
    case Failure::kIo: return "JPEG_IO";
    default: return "JPEG_ERROR";
  }
}

// Worker thread: the plan's last steps on a finished uint8 image (see pixel_output.h).
inline void ApplyOutputSteps(const OutputSteps& steps, std::vector<uint8_t>* bytes, std::vector<float>* floats, int height, int width) {
  if (steps.toFloat) {
    *floats = ToFloat(bytes->data(), height, width, steps);
    bytes->clear();
    bytes->shrink_to_fit();
  } else if (steps.flip) {
    MirrorRows(bytes->data(), height, width);
  }
}

// Shared promise plumbing: subclasses fill `failure_`/`message_` or their result in Work().
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::unique_ptr<ByteSource> source)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), source_(std::move(source)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  virtual void Work() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

  void Execute() override {
    if (source_->Load(&message_, &failure_)) Work();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (failure_ == Failure::kNone) {
      deferred_.Resolve(Result(env));
      return;
    }
    Napi::Error error = Napi::Error::New(env, message_);
    error.Value().Set("code", Napi::String::New(env, FailureCode(failure_)));
    deferred_.Reject(error.Value());
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

  Napi::Promise::Deferred deferred_;
  std::unique_ptr<ByteSource> source_;
  Failure failure_ = Failure::kNone;
  std::string message_;
};

class DecodeWorker : public PromiseWorker {
 public:
  DecodeWorker(Napi::Env env, std::unique_ptr<ByteSource> source, DecodeRequest request, OutputSteps steps, FloatDestination destination)
      : PromiseWorker(env, std::move(source)), request_(request), steps_(steps), destination_(std::move(destination)) {}

 protected:
  void Work() override {
    image_ = DecodeJpeg(source_->data(), source_->size(), request_);
    failure_ = image_.failure;
    message_ = image_.message;
    if (failure_ != Failure::kNone) return;
    if (!destination_.active()) {
      ApplyOutputSteps(steps_, &image_.pixels, &floats_, image_.height, image_.width);
    } else if (!destination_.Write(image_.pixels.data(), image_.height, image_.width, steps_)) {
      failure_ = Failure::kBadRequest;
      message_ = "the decoded " + std::to_string(image_.height) + "x" + std::to_string(image_.width) + " image does not fit in output.destination after output.offset";
    }
  }

  Napi::Value Result(Napi::Env env) override {
    return ImageResult(env, destination_, &image_.pixels, &floats_, steps_.toFloat, image_.height, image_.width);
  }

 private:
  DecodeRequest request_;
  OutputSteps steps_;
  FloatDestination destination_;
  DecodedImage image_;
  std::vector<float> floats_;
};

class HeaderWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;

 protected:
  void Work() override {
    header_ = ReadJpegHeader(source_->data(), source_->size());
    failure_ = header_.failure;
    message_ = header_.message;
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("width", header_.width);
    result.Set("height", header_.height);
    result.Set("components", header_.components);
    result.Set("colorSpace", header_.colorSpace);
    result.Set("progressive", header_.progressive);
    result.Set("orientation", header_.orientation);
    return result;
  }

 private:
  JpegHeader header_;
};

// Crops and resizes RGB pixels already in memory (ImageFolder's image cache) exactly as a decode plan
// does while decoding, so cached and uncached epochs give the same pixels.
class ResizeWorker : public Napi::AsyncWorker {
 public:
  ResizeWorker(Napi::Env env, Napi::Uint8Array input, int height, int width, DecodeRequest request, OutputSteps steps,
               FloatDestination destination)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        reference_(Napi::Persistent(input.As<Napi::Object>())),
        input_(input.Data()),
        width_(width),
        request_(request),
        steps_(steps),
        destination_(std::move(destination)) {
    if (!request_.crop) request_.box = {0, 0, height, width};
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const CropBox& box = request_.box;
    const int outHeight = request_.resize ? request_.outputHeight : box.height;
    const int outWidth = request_.resize ? request_.outputWidth : box.width;
    output_.resize(size_t(outHeight) * outWidth * 3);
    height_ = outHeight;
    outWidth_ = outWidth;
    const uint8_t* first = input_ + (size_t(box.top) * width_ + box.left) * 3;
    const size_t stride = size_t(width_) * 3;
    if (!request_.resize) {
      for (int r = 0; r < box.height; r++) std::copy(first + r * stride, first + r * stride + size_t(box.width) * 3, output_.data() + size_t(r) * box.width * 3);
    } else {
      BilinearResampler resampler(box.height, box.width, outHeight, outWidth);
      for (int r = 0; r < box.height; r++) resampler.AddRow(r, first + r * stride);
      resampler.Finish(output_.data());
    }
    if (!destination_.active()) {
      ApplyOutputSteps(steps_, &output_, &floats_, outHeight, outWidth);
    } else if (!destination_.Write(output_.data(), outHeight, outWidth, steps_)) {
      SetError("resize: the " + std::to_string(outHeight) + "x" + std::to_string(outWidth) + " result does not fit in output.destination after output.offset");
    }
  }

  void OnOK() override { deferred_.Resolve(ImageResult(Env(), destination_, &output_, &floats_, steps_.toFloat, height_, outWidth_)); }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference reference_;
  const uint8_t* input_;
  int width_;
  DecodeRequest request_;
  OutputSteps steps_;
  FloatDestination destination_;
  std::vector<uint8_t> output_;
  std::vector<float> floats_;
  int height_ = 0;
  int outWidth_ = 0;
};

}  // namespace labjpeg
