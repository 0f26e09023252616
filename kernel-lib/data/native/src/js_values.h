// Conversions between the binding's JavaScript arguments/results and the decoder's C++ types. Argument
// errors throw (a TypeError or RangeError naming the function and the argument) on the calling thread.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "jpeg_decoder.h"
#include "pixel_output.h"

namespace labjpeg {

// Reads an array of `count` integers, or returns false for null/undefined; anything else is a TypeError.
inline bool IntegerList(const Napi::Value& value, size_t count, const char* function, const char* name, int* out) {
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

// Reads a decode plan's optional crop `box` [top, left, height, width] and output `size` [height, width]
// (null/undefined: no crop, no resize) into a request; malformed lists are a TypeError. Ranges are the
// caller's to check: only it knows the image size.
inline DecodeRequest PlanRequest(const Napi::Value& box, const Napi::Value& size, const char* function) {
  DecodeRequest request;
  int boxValues[4];
  int sizeValues[2];
  if (IntegerList(box, 4, function, "box [top, left, height, width]", boxValues)) {
    request.crop = true;
    request.box = {boxValues[0], boxValues[1], boxValues[2], boxValues[3]};
  }
  if (IntegerList(size, 2, function, "size [height, width]", sizeValues)) {
    request.resize = true;
    request.outputHeight = sizeValues[0];
    request.outputWidth = sizeValues[1];
  }
  return request;
}

// Reads the optional `{ flip, table }` argument; anything malformed is a TypeError.
inline OutputSteps OutputStepsFrom(const Napi::Value& value, const char* function) {
  OutputSteps steps;
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
  bool Write(const uint8_t* pixels, int height, int width, const OutputSteps& steps) const {
    if (size_t(height) * width * 3 > length - offset) return false;
    ToFloatInto(pixels, height, width, steps, data + offset);
    return true;
  }

  Napi::Float32Array View(Napi::Env env, int height, int width) const {
    Napi::Float32Array whole = array.Value();
    return Napi::Float32Array::New(env, size_t(height) * width * 3, whole.ArrayBuffer(), whole.ByteOffset() + offset * sizeof(float));
  }
};

// Main thread: `{ pixels, height, width }`, the pixels moved into a Buffer (uint8) or a Float32Array
// without a copy; the finalizer frees them.
inline Napi::Object PixelsResult(Napi::Env env, std::vector<uint8_t>* bytes, std::vector<float>* floats, bool isFloat, int height, int width) {
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

// `{ pixels, height, width }` for a result: the floats written into `destination` when it is active,
// otherwise the image's own bytes or floats (PixelsResult).
inline Napi::Object ImageResult(Napi::Env env, const FloatDestination& destination, std::vector<uint8_t>* bytes, std::vector<float>* floats,
                                bool isFloat, int height, int width) {
  if (!destination.active()) return PixelsResult(env, bytes, floats, isFloat, height, width);
  Napi::Object result = Napi::Object::New(env);
  result.Set("pixels", destination.View(env, height, width));
  result.Set("height", Napi::Number::New(env, height));
  result.Set("width", Napi::Number::New(env, width));
  return result;
}

}  // namespace labjpeg
