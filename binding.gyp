{
  "targets": [
    {
      "target_name": "ringcore",
      "sources": ["native/ringcore.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
