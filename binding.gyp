{
  "targets": [
    {
      "target_name": "cdn_syscalls",
      "sources": ["native/cdn_syscalls.c", "native/cdn_hot.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
