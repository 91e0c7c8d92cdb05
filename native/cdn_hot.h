/* Shared by native/cdn_syscalls.c and native/cdn_hot.c (the reused-answer table): sends, argument checks, numbers. */
#ifndef FERRY_CDN_HOT_H
#define FERRY_CDN_HOT_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/*
 * From cdn_syscalls.c, on a non-blocking socket: the first `length` bytes of `file` by sendfile(2),
 * and `length` bytes at `data` (with MSG_MORE when `more`): how many went out before the socket's
 * buffer filled, or -errno when it failed before any did.
 */
int64_t send_file_prefix(int sock, int file, int64_t length);
int64_t send_bytes(int sock, const char *data, size_t length, int more);

/* Any argument node-api cannot read as asked is a caller's mistake: throw `message` (in a function returning napi_value). */
#define CDN_CHECK(ok, message)                                                  \
  do {                                                                          \
    if (!(ok)) {                                                                \
      napi_throw_type_error(env, "ERR_CDN_SYSCALLS_ARGUMENTS", message);        \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

/* `value` as a JS number (NULL when node-api fails). */
napi_value cdn_number(napi_env env, int64_t value);

/* Adds hotInit, hotPut, hotRemove, hotClear, hotScope, hotEncoding, hotServe, hotStats, the adoption calls and hotKeyOf (tests) to `exports`: 1, or 0 on failure. */
int cdn_hot_register(napi_env env, napi_value exports);

#endif
