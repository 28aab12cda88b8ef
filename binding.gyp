{
  "targets": [
    {
      "target_name": "ringcore",
      "sources": ["native/ringcore.c", "native/v8pin.cc"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=c++17"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
