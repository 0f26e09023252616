{
  "targets": [
    {
      "target_name": "torch_engine",
      "sources": ["src/addon.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -p \"process.env.TORCH_ENGINE_INCLUDE\")",
        "<!(node -p \"process.env.TORCH_ENGINE_INCLUDE + '/torch/csrc/api/include'\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "_GLIBCXX_USE_CXX11_ABI=<!(node -p \"process.env.TORCH_ENGINE_CXX11_ABI\")"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L<!(node -p \"process.env.TORCH_ENGINE_LIB\")",
        "-Wl,-rpath,<!(node -p \"process.env.TORCH_ENGINE_LIB\")",
        "-Wl,--no-as-needed",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10",
        "<!@(node -p \"process.env.TORCH_ENGINE_EXTRA_LIBS || ''\")"
      ]
    }
  ]
}
