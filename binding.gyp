{
  "targets": [
    {
      "target_name": "zero_copy",
      "sources": ["native/zero_copy.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
