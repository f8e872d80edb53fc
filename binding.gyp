{
  "variables": {
    "simdjson_dir": "<!(node -p \"require('path').relative('.', require('path').dirname(require.resolve('@nozbe/simdjson/src/simdjson.h')))\")",
    "core_sources": ["<!@(node scripts/sources.js native/core)"],
    "binding_sources": ["<!@(node scripts/sources.js native/binding)"],
    "sio_cflags": ["-std=c++20", "-O2", "-fno-exceptions", "-fno-rtti", "-fvisibility=hidden"],
    "sio_warnings": ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]
  },
  "target_defaults": {
    "cflags!": ["-O3"],
    "cflags_cc!": ["-O3", "-std=gnu++17", "-std=gnu++20"],
    "cflags_cc": ["<@(sio_cflags)"],
    "defines": ["SIMDJSON_EXCEPTIONS=0"],
    "xcode_settings": {
      "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
      "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    }
  },
  "targets": [
    {
      "target_name": "simdjson",
      "type": "static_library",
      "sources": ["<(simdjson_dir)/simdjson.cpp"],
      "include_dirs": ["<(simdjson_dir)"],
      "direct_dependent_settings": { "include_dirs": ["<(simdjson_dir)"] }
    },
    {
      "target_name": "sio_core",
      "type": "static_library",
      "dependencies": ["simdjson"],
      "sources": ["<@(core_sources)"],
      "include_dirs": ["native/core"],
      "cflags_cc": ["<@(sio_warnings)"],
      "direct_dependent_settings": { "include_dirs": ["native/core"] },
      "export_dependent_settings": ["simdjson"]
    },
    {
      "target_name": "socket_io_native",
      "dependencies": ["sio_core"],
      "sources": ["<@(binding_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["<@(sio_warnings)"]
    }
  ]
}
