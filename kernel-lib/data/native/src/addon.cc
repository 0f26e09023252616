// Node binding of the JPEG decoder: every call returns a promise and does its file reading, decoding
// and resizing on libuv's thread pool (Napi::AsyncWorker), never on the JavaScript thread.
//
//   decode(source: string | Buffer, box: [top, left, height, width] | null, size: [height, width] | null,
//          output?: { flip?: boolean, table?: Float32Array(768), destination?: Float32Array, offset?: number })
//     -> Promise<{ pixels: Buffer | Float32Array, height, width }>   (RGB, height x width x 3; float32
//        through `table` when given: pixels[i] = table[channel * 256 + byte], ToTensor (+ Normalize);
//        with `destination`, the floats are written there from `offset` (a DataLoader batch) and
//        `pixels` is that part of it)
//   resize(pixels: Uint8Array, height, width, box | null, size | null, output?)
//     -> Promise<{ pixels: Buffer, height, width }>   (the same crop + resize on RGB pixels in memory)
//   readHeader(source: string | Buffer)
//     -> Promise<{ width, height, components, colorSpace, progressive, orientation }>
//
// Rejections carry `code`: "JPEG_UNSUPPORTED" (not a JPEG, CMYK/YCCK, EXIF-rotated, ...: use another
// decoder), "JPEG_CORRUPT" (libjpeg's error, or an early end of file), "JPEG_IO" (the file could not be
// read), "JPEG_BAD_REQUEST" (a crop box outside the image).
#include <napi.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "bilinear_resampler.h"
#include "jpeg_decoder.h"
#include "pixel_output.h"

#define LAB_STRINGIFY_VALUE(x) #x
#define LAB_STRINGIFY(x) LAB_STRINGIFY_VALUE(x)

namespace {

using labjpeg::Failure;

const char* FailureCode(Failure failure) {
  switch (failure) {
    case Failure::kUnsupported: return "JPEG_UNSUPPORTED";
    case Failure::kCorrupt: return "JPEG_CORRUPT";
    case Failure::kBadRequest: return "JPEG_BAD_REQUEST";
    case Failure::kIo: return "JPEG_IO";
    default: return "JPEG_ERROR";
  }
}

// Worker thread: the plan's last steps on a finished uint8 image (see pixel_output.h).
void ApplyOutputSteps(const labjpeg::OutputSteps& steps, std::vector<uint8_t>* bytes, std::vector<float>* floats, int height, int width) {
  if (steps.toFloat) {
    *floats = labjpeg::ToFloat(bytes->data(), height, width, steps);
    bytes->clear();
    bytes->shrink_to_fit();
  } else if (steps.flip) {
    labjpeg::MirrorRows(bytes->data(), height, width);
  }
}

// Main thread: `{ pixels, height, width }`, the pixels moved into a Buffer (uint8) or a Float32Array
// without a copy; the finalizer frees them.
Napi::Object PixelsResult(Napi::Env env, std::vector<uint8_t>* bytes, std::vector<float>* floats, bool isFloat, int height, int width) {
  Napi::Object result = Napi::Object::New(env);
  if (isFloat) {
    auto* owned = new std::vector<float>(std::move(*floats));
    auto buffer = Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(float), [](Napi::Env, void*, std::vector<float>* data) { delete data; }, owned);
    result.Set("pixels", Napi::Float32Array::New(env, owned->size(), buffer, 0));
  } else {
    auto* owned = new std::vector<uint8_t>(std::move(*bytes));
    result.Set("pixels", Napi::Buffer<uint8_t>::New(env, owned->data(), owned->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* data) { delete data; }, owned));
  }
  result.Set("height", Napi::Number::New(env, height));
  result.Set("width", Napi::Number::New(env, width));
  return result;
}

// Where float output goes when the caller supplies the memory: a Float32Array kept alive by a
// reference while the worker writes into [offset, offset + length).
struct FloatDestination {
  Napi::Reference<Napi::Float32Array> array;
  float* data = nullptr;
  size_t length = 0;
  size_t offset = 0;

  bool active() const { return data != nullptr; }

  static FloatDestination From(const Napi::Value& output, bool toFloat, const char* function) {
    FloatDestination destination;
    if (!output.IsObject()) return destination;
    Napi::Value value = output.As<Napi::Object>().Get("destination");
    if (value.IsUndefined()) return destination;
    Napi::Env env = output.Env();
    if (!toFloat) throw Napi::TypeError::New(env, std::string(function) + ": output.destination needs output.table (it receives float32 values)");
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(env, std::string(function) + ": output.destination must be a Float32Array");
    }
    Napi::Value offset = output.As<Napi::Object>().Get("offset");
    const double at = offset.IsNumber() ? offset.As<Napi::Number>().DoubleValue() : 0.0;
    Napi::Float32Array array = value.As<Napi::Float32Array>();
    if (at < 0 || at != double(size_t(at)) || size_t(at) > array.ElementLength()) {
      throw Napi::RangeError::New(env, std::string(function) + ": output.offset must be an integer inside the destination");
    }
    destination.array = Napi::Persistent(array);
    destination.data = array.Data();
    destination.length = array.ElementLength();
    destination.offset = size_t(at);
    return destination;
  }

  // Worker thread: writes the image, or returns false when it does not fit.
  bool Write(const uint8_t* pixels, int height, int width, const labjpeg::OutputSteps& steps) const {
    if (size_t(height) * width * 3 > length - offset) return false;
    labjpeg::ToFloatInto(pixels, height, width, steps, data + offset);
    return true;
  }

  Napi::Float32Array View(Napi::Env env, int height, int width) const {
    Napi::Float32Array whole = array.Value();
    return Napi::Float32Array::New(env, size_t(height) * width * 3, whole.ArrayBuffer(), whole.ByteOffset() + offset * sizeof(float));
  }
};

// Reads the optional `{ flip, table }` argument; anything malformed is a TypeError.
labjpeg::OutputSteps OutputStepsFrom(const Napi::Value& value, const char* function) {
  labjpeg::OutputSteps steps;
  if (value.IsUndefined() || value.IsNull()) return steps;
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), std::string(function) + ": output must be { flip?, table? }");
  Napi::Object options = value.As<Napi::Object>();
  Napi::Value flip = options.Get("flip");
  if (!flip.IsUndefined()) {
    if (!flip.IsBoolean()) throw Napi::TypeError::New(value.Env(), std::string(function) + ": output.flip must be a boolean");
    steps.flip = flip.As<Napi::Boolean>().Value();
  }
  Napi::Value table = options.Get("table");
  if (!table.IsUndefined()) {
    if (!table.IsTypedArray() || table.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || table.As<Napi::Float32Array>().ElementLength() != 3 * 256) {
      throw Napi::TypeError::New(value.Env(), std::string(function) + ": output.table must be a Float32Array of 768 values (3 channels x 256 bytes)");
    }
    Napi::Float32Array values = table.As<Napi::Float32Array>();
    std::copy(values.Data(), values.Data() + 3 * 256, steps.table);
    steps.toFloat = true;
  }
  return steps;
}

// The bytes to decode: a file read on the worker thread, or a Buffer kept alive by a reference.
class Source {
 public:
  static std::unique_ptr<Source> FromValue(const Napi::Value& value, const char* function) {
    auto source = std::make_unique<Source>();
    if (value.IsString()) {
      source->path_ = value.As<Napi::String>().Utf8Value();
    } else if (value.IsBuffer()) {
      auto buffer = value.As<Napi::Buffer<uint8_t>>();
      source->reference_ = Napi::Persistent(buffer.As<Napi::Object>());
      source->borrowed_ = buffer.Data();
      source->borrowedSize_ = buffer.Length();
    } else {
      throw Napi::TypeError::New(value.Env(), std::string(function) + ": the first argument must be a file path or a Buffer");
    }
    return source;
  }

  // Worker thread. Returns false (with `message`, `failure`) when the bytes cannot be had or are no JPEG.
  bool Load(std::string* message, Failure* failure) {
    if (borrowed_ != nullptr) {
      if (!labjpeg::LooksLikeJpeg(borrowed_, borrowedSize_)) return NotJpeg(message, failure);
      return true;
    }
    std::FILE* file = std::fopen(path_.c_str(), "rb");
    if (file == nullptr) {
      *message = "cannot open " + path_;
      *failure = Failure::kIo;
      return false;
    }
    // Three bytes first: a PNG or GIF is turned away without reading the whole file.
    owned_.resize(3);
    const bool jpeg = std::fread(owned_.data(), 1, 3, file) == 3 && labjpeg::LooksLikeJpeg(owned_.data(), 3);
    if (jpeg) {
      std::vector<uint8_t> chunk(1 << 16);
      size_t got = 0;
      while ((got = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) owned_.insert(owned_.end(), chunk.begin(), chunk.begin() + got);
    }
    const bool readError = std::ferror(file) != 0;
    std::fclose(file);
    if (readError) {
      *message = "error reading " + path_;
      *failure = Failure::kIo;
      return false;
    }
    return jpeg ? true : NotJpeg(message, failure);
  }

  const uint8_t* data() const { return borrowed_ != nullptr ? borrowed_ : owned_.data(); }
  size_t size() const { return borrowed_ != nullptr ? borrowedSize_ : owned_.size(); }

 private:
  static bool NotJpeg(std::string* message, Failure* failure) {
    *message = "not a JPEG (no start-of-image marker)";
    *failure = Failure::kUnsupported;
    return false;
  }

  std::string path_;
  Napi::ObjectReference reference_;
  const uint8_t* borrowed_ = nullptr;
  size_t borrowedSize_ = 0;
  std::vector<uint8_t> owned_;
};

// Shared promise plumbing: subclasses fill `failure_`/`message_` or their result in Work().
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::unique_ptr<Source> source)
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
  std::unique_ptr<Source> source_;
  Failure failure_ = Failure::kNone;
  std::string message_;
};

class DecodeWorker : public PromiseWorker {
 public:
  DecodeWorker(Napi::Env env, std::unique_ptr<Source> source, labjpeg::DecodeRequest request, labjpeg::OutputSteps steps, FloatDestination destination)
      : PromiseWorker(env, std::move(source)), request_(request), steps_(steps), destination_(std::move(destination)) {}

 protected:
  void Work() override {
    image_ = labjpeg::DecodeJpeg(source_->data(), source_->size(), request_);
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
    if (destination_.active()) {
      Napi::Object result = Napi::Object::New(env);
      result.Set("pixels", destination_.View(env, image_.height, image_.width));
      result.Set("height", Napi::Number::New(env, image_.height));
      result.Set("width", Napi::Number::New(env, image_.width));
      return result;
    }
    return PixelsResult(env, &image_.pixels, &floats_, steps_.toFloat, image_.height, image_.width);
  }

 private:
  labjpeg::DecodeRequest request_;
  labjpeg::OutputSteps steps_;
  FloatDestination destination_;
  labjpeg::DecodedImage image_;
  std::vector<float> floats_;
};

class HeaderWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;

 protected:
  void Work() override {
    header_ = labjpeg::ReadJpegHeader(source_->data(), source_->size());
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
  labjpeg::JpegHeader header_;
};

// Crops and resizes RGB pixels already in memory (ImageFolder's image cache) exactly as a decode plan
// does while decoding, so cached and uncached epochs give the same pixels.
class ResizeWorker : public Napi::AsyncWorker {
 public:
  ResizeWorker(Napi::Env env, Napi::Uint8Array input, int height, int width, labjpeg::DecodeRequest request, labjpeg::OutputSteps steps,
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
    const labjpeg::CropBox& box = request_.box;
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
      labjpeg::BilinearResampler resampler(box.height, box.width, outHeight, outWidth);
      for (int r = 0; r < box.height; r++) resampler.AddRow(r, first + r * stride);
      resampler.Finish(output_.data());
    }
    if (!destination_.active()) {
      ApplyOutputSteps(steps_, &output_, &floats_, outHeight, outWidth);
    } else if (!destination_.Write(output_.data(), outHeight, outWidth, steps_)) {
      SetError("resize: the " + std::to_string(outHeight) + "x" + std::to_string(outWidth) + " result does not fit in output.destination after output.offset");
    }
  }

  void OnOK() override {
    if (!destination_.active()) {
      deferred_.Resolve(PixelsResult(Env(), &output_, &floats_, steps_.toFloat, height_, outWidth_));
      return;
    }
    Napi::Object result = Napi::Object::New(Env());
    result.Set("pixels", destination_.View(Env(), height_, outWidth_));
    result.Set("height", Napi::Number::New(Env(), height_));
    result.Set("width", Napi::Number::New(Env(), outWidth_));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference reference_;
  const uint8_t* input_;
  int width_;
  labjpeg::DecodeRequest request_;
  labjpeg::OutputSteps steps_;
  FloatDestination destination_;
  std::vector<uint8_t> output_;
  std::vector<float> floats_;
  int height_ = 0;
  int outWidth_ = 0;
};

// Reads an array of `count` integers, or returns false for null/undefined; anything else is a TypeError.
bool IntegerList(const Napi::Value& value, size_t count, const char* function, const char* name, int* out) {
  if (value.IsNull() || value.IsUndefined()) return false;
  if (!value.IsArray() || value.As<Napi::Array>().Length() != count) {
    throw Napi::TypeError::New(value.Env(), std::string(function) + ": " + name + " must be an array of " + std::to_string(count) + " integers or null");
  }
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(function) + ": " + name + " must hold numbers");
    const double number = item.As<Napi::Number>().DoubleValue();
    if (number != double(int(number))) throw Napi::TypeError::New(value.Env(), std::string(function) + ": " + name + " must hold integers");
    out[i] = int(number);
  }
  return true;
}

Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto source = Source::FromValue(info[0], "decode");
  labjpeg::DecodeRequest request;
  int box[4];
  int size[2];
  if (IntegerList(info[1], 4, "decode", "box [top, left, height, width]", box)) {
    request.crop = true;
    request.box = {box[0], box[1], box[2], box[3]};
  }
  if (IntegerList(info[2], 2, "decode", "size [height, width]", size)) {
    request.resize = true;
    request.outputHeight = size[0];
    request.outputWidth = size[1];
  }
  const labjpeg::OutputSteps steps = OutputStepsFrom(info[3], "decode");
  auto* worker = new DecodeWorker(env, std::move(source), request, steps, FloatDestination::From(info[3], steps.toFloat, "decode"));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Resize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "resize: pixels must be a Uint8Array (RGB, height x width x 3)");
  }
  Napi::Uint8Array input = info[0].As<Napi::Uint8Array>();
  if (!info[1].IsNumber() || !info[2].IsNumber()) throw Napi::TypeError::New(env, "resize: height and width must be numbers");
  const int height = info[1].As<Napi::Number>().Int32Value();
  const int width = info[2].As<Napi::Number>().Int32Value();
  if (height <= 0 || width <= 0 || input.ElementLength() != size_t(height) * width * 3) {
    throw Napi::RangeError::New(env, "resize: " + std::to_string(input.ElementLength()) + " bytes are not " + std::to_string(height) + "x" + std::to_string(width) + "x3");
  }
  labjpeg::DecodeRequest request;
  int box[4];
  int size[2];
  if (IntegerList(info[3], 4, "resize", "box [top, left, height, width]", box)) {
    request.crop = true;
    request.box = {box[0], box[1], box[2], box[3]};
    if (box[0] < 0 || box[1] < 0 || box[2] <= 0 || box[3] <= 0 || box[0] + box[2] > height || box[1] + box[3] > width) {
      throw Napi::RangeError::New(env, "resize: the box is not inside the " + std::to_string(height) + "x" + std::to_string(width) + " image");
    }
  }
  if (IntegerList(info[4], 2, "resize", "size [height, width]", size)) {
    if (size[0] <= 0 || size[1] <= 0) throw Napi::RangeError::New(env, "resize: size must be positive");
    request.resize = true;
    request.outputHeight = size[0];
    request.outputWidth = size[1];
  }
  const labjpeg::OutputSteps steps = OutputStepsFrom(info[5], "resize");
  auto* worker = new ResizeWorker(env, input, height, width, request, steps, FloatDestination::From(info[5], steps.toFloat, "resize"));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value ReadHeader(const Napi::CallbackInfo& info) {
  auto* worker = new HeaderWorker(info.Env(), Source::FromValue(info[0], "readHeader"));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decode", Napi::Function::New(env, Decode, "decode"));
  exports.Set("readHeader", Napi::Function::New(env, ReadHeader, "readHeader"));
  exports.Set("resize", Napi::Function::New(env, Resize, "resize"));
#ifdef LIBJPEG_TURBO_VERSION
  exports.Set("libjpegTurboVersion", Napi::String::New(env, LAB_STRINGIFY(LIBJPEG_TURBO_VERSION)));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(lab_jpeg, Init)
