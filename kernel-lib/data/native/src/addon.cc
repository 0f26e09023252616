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

#include <jpeglib.h>

#include "js_values.h"
#include "workers.h"

#define LAB_STRINGIFY_VALUE(x) #x
#define LAB_STRINGIFY(x) LAB_STRINGIFY_VALUE(x)

namespace {

Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto source = labjpeg::ByteSource::FromValue(info[0], "decode");
  const labjpeg::DecodeRequest request = labjpeg::PlanRequest(info[1], info[2], "decode");
  const labjpeg::OutputSteps steps = labjpeg::OutputStepsFrom(info[3], "decode");
  auto* worker = new labjpeg::DecodeWorker(env, std::move(source), request, steps, labjpeg::FloatDestination::From(info[3], steps.toFloat, "decode"));
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
  const labjpeg::DecodeRequest request = labjpeg::PlanRequest(info[3], info[4], "resize");
  const labjpeg::CropBox& box = request.box;
  if (request.crop && (box.top < 0 || box.left < 0 || box.height <= 0 || box.width <= 0 || box.top + box.height > height || box.left + box.width > width)) {
    throw Napi::RangeError::New(env, "resize: the box is not inside the " + std::to_string(height) + "x" + std::to_string(width) + " image");
  }
  if (request.resize && (request.outputHeight <= 0 || request.outputWidth <= 0)) throw Napi::RangeError::New(env, "resize: size must be positive");
  const labjpeg::OutputSteps steps = labjpeg::OutputStepsFrom(info[5], "resize");
  auto* worker = new labjpeg::ResizeWorker(env, input, height, width, request, steps, labjpeg::FloatDestination::From(info[5], steps.toFloat, "resize"));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value ReadHeader(const Napi::CallbackInfo& info) {
  auto* worker = new labjpeg::HeaderWorker(info.Env(), labjpeg::ByteSource::FromValue(info[0], "readHeader"));
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
