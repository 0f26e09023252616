{
  "targets": [
    {
      "target_name": "lab_jpeg",
      "sources": ["src/addon.cc", "src/jpeg_decoder.cc", "src/bilinear_resampler.cc", "src/exif_orientation.cc", "src/pixel_output.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-ljpeg"]
    }
  ]
}
