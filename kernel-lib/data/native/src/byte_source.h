// The bytes a binding call decodes: a file, read on the worker thread, or a Node Buffer kept alive by a
// reference until the worker is done with it.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "jpeg_decoder.h"

namespace labjpeg {

class ByteSource {
 public:
  static std::unique_ptr<ByteSource> FromValue(const Napi::Value& value, const char* function) {
    auto source = std::make_unique<ByteSource>();
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
  bool Load(std::string* message, labjpeg::Failure* failure) {
    if (borrowed_ != nullptr) {
      if (!labjpeg::LooksLikeJpeg(borrowed_, borrowedSize_)) return NotJpeg(message, failure);
      return true;
    }
    std::FILE* file = std::fopen(path_.c_str(), "rb");
    if (file == nullptr) {
      *message = "cannot open " + path_;
      *failure = labjpeg::Failure::kIo;
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
      *failure = labjpeg::Failure::kIo;
      return false;
    }
    return jpeg ? true : NotJpeg(message, failure);
  }

  const uint8_t* data() const { return borrowed_ != nullptr ? borrowed_ : owned_.data(); }
  size_t size() const { return borrowed_ != nullptr ? borrowedSize_ : owned_.size(); }

 private:
  static bool NotJpeg(std::string* message, labjpeg::Failure* failure) {
    *message = "not a JPEG (no start-of-image marker)";
    *failure = labjpeg::Failure::kUnsupported;
    return false;
  }

  std::string path_;
  Napi::ObjectReference reference_;
  const uint8_t* borrowed_ = nullptr;
  size_t borrowedSize_ = 0;
  std::vector<uint8_t> owned_;
};


}  // namespace labjpeg
