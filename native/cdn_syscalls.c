/*
 * System calls node does not offer, for the CDN workers (src/cdn/workers/syscalls.ts).
 *
 * Zero-copy sends for hot answers (zero-copy.ts): node can only write() a Buffer to a socket,
 * which copies every byte into the kernel; nginx sendfile()s from the page cache instead. Here an
 * answer is put once into a memfd (anonymous memory behind a file descriptor, no disk), and each
 * time it is sent, sendfile() from that memfd hands the socket references to its pages: nothing
 * is copied, one system call per answer.
 *
 * The send is non-blocking and synchronous; the caller uses it only while libuv has nothing
 * queued on the socket, and writes whatever did not fit the usual way.
 *
 * Plain writes (writeBytes): an answer too small for a memfd goes to the socket in one write(),
 * without node's stream machinery, under the same rule (nothing queued by libuv).
 *
 * A head and a memfd body (sendHeadFile): the head, which holds the Date of the second, is sent
 * with MSG_MORE and the body from the memfd after it (as nginx does with TCP_NOPUSH), so the memfd
 * holds the body only and is made once, not once a second.
 *
 * Yielding the core (yield-cpu.ts): sched_yield() once per event-loop turn that answered requests.
 *
 * Reused answers found and sent without JavaScript: cdn_hot.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

#include "cdn_hot.h"
#ifdef __linux__
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#endif

/*
 * The system calls themselves, in plain C: a result >= 0, or -errno. Where Linux's memfd and
 * sendfile are missing, both answer -ENOSYS and the callers copy instead.
 */
#ifdef __linux__
/* A new memfd holding a copy of `length` bytes at `data`. */
static int64_t memfd_copy(const void *data, size_t length) {
  int fd = memfd_create("ferry-cdn-body", MFD_CLOEXEC);
  if (fd < 0) return -errno;
  size_t done = 0;
  while (done < length) {
    ssize_t n = write(fd, (const char *)data + done, length - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return -err;
    }
    done += (size_t)n;
  }
  return fd;
}

/* The first `length` bytes of `file` on `sock`, without blocking: how many went out. */
int64_t send_file_prefix(int sock, int file, int64_t length) {
  off_t offset = 0;
  while (offset < length) {
    /* The socket is libuv's, non-blocking: sendfile stops where its buffer is full. */
    ssize_t n = sendfile(sock, file, &offset, (size_t)(length - offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return offset > 0 ? (int64_t)offset : -errno;
    }
    if (n == 0) break;
  }
  return offset;
}

/* `length` bytes at `data` on `sock` (non-blocking, as libuv's sockets are): how many went out. */
int64_t send_bytes(int sock, const char *data, size_t length, int more) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = send(sock, data + done, length - done, MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return done > 0 ? (int64_t)done : -errno;
    }
    done += (size_t)n;
  }
  return (int64_t)done;
}
#else
static int64_t memfd_copy(const void *data, size_t length) {
  (void)data;
  (void)length;
  return -ENOSYS;
}

int64_t send_file_prefix(int sock, int file, int64_t length) {
  (void)sock;
  (void)file;
  (void)length;
  return -ENOSYS;
}

int64_t send_bytes(int sock, const char *data, size_t length, int more) {
  (void)sock;
  (void)data;
  (void)length;
  (void)more;
  return -ENOSYS;
}
#endif

#define CHECK(ok) CDN_CHECK(ok, "cdn_syscalls: bad arguments")
#define number cdn_number

napi_value cdn_number(napi_env env, int64_t value) {
  napi_value result;
  if (napi_create_int64(env, value, &result) != napi_ok) return NULL;
  return result;
}

/* memfdFrom(bytes: Buffer): a new memfd holding a copy of `bytes`, or -errno. */
static napi_value memfd_from(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  size_t length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok);
  CHECK(argc >= 1);
  CHECK(napi_get_buffer_info(env, argv[0], &data, &length) == napi_ok);
  return number(env, memfd_copy(data, length));
}

/*
 * sendFile(socketFd, fileFd, length): sends the first `length` bytes of `fileFd` on the socket
 * without blocking. Returns how many went out (fewer than `length` when the socket's buffer
 * filled), or -errno when the socket failed before any did.
 */
static napi_value send_file(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t sock, file;
  int64_t length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok);
  CHECK(argc >= 3);
  CHECK(napi_get_value_int32(env, argv[0], &sock) == napi_ok);
  CHECK(napi_get_value_int32(env, argv[1], &file) == napi_ok);
  CHECK(napi_get_value_int64(env, argv[2], &length) == napi_ok);
  CHECK(length >= 0);
  return number(env, send_file_prefix(sock, file, length));
}

/*
 * writeBytes(socketFd, bytes: Buffer, offset): sends `bytes` from `offset` on the socket without
 * blocking. Returns how many went out (fewer when the socket's buffer filled), or -errno when the
 * socket failed before any did.
 */
static napi_value write_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t sock;
  int64_t offset;
  void *data;
  size_t length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok);
  CHECK(argc >= 3);
  CHECK(napi_get_value_int32(env, argv[0], &sock) == napi_ok);
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length) == napi_ok);
  CHECK(napi_get_value_int64(env, argv[2], &offset) == napi_ok);
  CHECK(offset >= 0 && (size_t)offset <= length);
  return number(env, send_bytes(sock, (const char *)data + offset, length - (size_t)offset, 0));
}

/*
 * sendHeadFile(socketFd, head: Buffer, fileFd, length): sends `head`, then the first `length`
 * bytes of `fileFd`, on the socket without blocking. Returns how many bytes of the two went out
 * (fewer than head + length when the socket's buffer filled), or -errno when the socket failed
 * before any did.
 */
static napi_value send_head_file(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t sock, file;
  int64_t length;
  void *head;
  size_t headLength;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok);
  CHECK(argc >= 4);
  CHECK(napi_get_value_int32(env, argv[0], &sock) == napi_ok);
  CHECK(napi_get_buffer_info(env, argv[1], &head, &headLength) == napi_ok);
  CHECK(napi_get_value_int32(env, argv[2], &file) == napi_ok);
  CHECK(napi_get_value_int64(env, argv[3], &length) == napi_ok);
  CHECK(length >= 0);
  int64_t sent = send_bytes(sock, (const char *)head, headLength, length > 0);
  if (sent < 0 || (size_t)sent < headLength || length == 0) return number(env, sent);
  int64_t body = send_file_prefix(sock, file, length);
  return number(env, body < 0 ? sent : sent + body);
}

/* yieldCpu(): lets another runnable task on this core run first; 0, or -errno. */
static napi_value yield_cpu(napi_env env, napi_callback_info info) {
  (void)info;
  return number(env, sched_yield() == 0 ? 0 : -errno);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "memfdFrom", NAPI_AUTO_LENGTH, memfd_from, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "memfdFrom", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "sendFile", NAPI_AUTO_LENGTH, send_file, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sendFile", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "writeBytes", NAPI_AUTO_LENGTH, write_bytes, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "writeBytes", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "sendHeadFile", NAPI_AUTO_LENGTH, send_head_file, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sendHeadFile", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "yieldCpu", NAPI_AUTO_LENGTH, yield_cpu, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "yieldCpu", fn) != napi_ok) return NULL;
  if (!cdn_hot_register(env, exports)) return NULL;
  return exports;
}
