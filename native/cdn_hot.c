/*
 * The CDN workers' reused answers, found and sent without running JavaScript per request
 * (src/cdn/workers/native-hot.ts drives it; src/cdn/workers/hot-answers.ts owns what is in it).
 *
 * A worker's answers to browsers are mostly reused ones (HotAnswers): the same file, encoding and
 * validators, whatever User-Agent, Referer, Cookie or Sec-Fetch-* said. Finding one in JavaScript
 * meant reading the whole head byte by byte, making the key string, hashing it, and three Map
 * lookups: on the bench's browser mix, two fifths of a worker's CPU was V8. Here one call does it
 * all from the bytes the socket just read into the worker's shared read buffer.
 *
 * The table mirrors HotAnswers: JS puts and removes every entry (hot_put, hot_remove, hot_clear)
 * and says which repos ("scopes") are fresh until when (hot_scope); an entry is sent only while
 * its scope is fresh (or, without a scope, until it expires), exactly when HotAnswers.stillHot
 * would. The key is the bytes of HotAnswers' key string (hotKeyOf) for the same request.
 *
 * The scan is deliberately narrower than JS's scanHead: anything it is not sure of — a repeated
 * field it keys on, any Connection value but keep-alive, HTTP/1.0 without keep-alive, an
 * Accept-Encoding value JS has not told it the negotiated encoding of, credentials — is a miss,
 * and JavaScript answers as before (src/cdn/workers/fast-http.ts). A miss costs one scan. Heads
 * with If-Match or If-Unmodified-Since are misses here and in JS alike (no answer is reused for
 * them: hotKey). test/unit/cdn-scanners-agree.test.ts holds this scan to scanHead (hotKeyOf).
 *
 * Connections the table serves on its own ("adopted", hotAdopt): once a connection is idle, JS
 * hands it here, and the table watches it on the worker's own event loop (a uv_poll_t beside
 * node's handles) and answers its requests as they come, no JavaScript at all per request. The
 * first request the table cannot answer goes back to JavaScript with the connection (hand-back
 * callback), bytes read included, and JS adopts it again once it is idle. Idle adopted
 * connections are closed after the idle time, as node's own are.
 *
 * Everything runs on the worker's JS thread (no locks): from JS calls, or from the event loop's
 * callbacks between them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "cdn_hot.h"

/* A request head longer than this is never answered here (fast-http.ts's MAX_HEAD). */
#define MAX_HEAD (16 * 1024)
/* Encodings JS negotiated for Accept-Encoding values seen: at most this many (then forgotten). */
#define MAX_ENCODINGS 256

typedef struct hot_entry {
  struct hot_entry *next; /* in its bucket */
  uint64_t hash;
  uint8_t *key;
  size_t key_len;
  napi_ref wire_ref;  /* the JS Buffer: head, date, CRLF CRLF, body (HotAnswer's wire) */
  uint8_t *wire;
  size_t wire_len;
  size_t date_at;     /* where the 29-byte date is in wire */
  size_t head_len;    /* wire's head: up to and with the blank line */
  int memfd;          /* >= 0: the body is sent from here after the head (the wire still holds it) */
  int32_t scope;      /* index into scopes, or -1 */
  double expires_ms;  /* without a scope: not sent from this time on (ms since the epoch) */
  int removed;
} hot_entry;

typedef struct {
  uint8_t *value;
  size_t value_len;
  char encoding[8];
  size_t encoding_len;
} negotiated_encoding;

static hot_entry **buckets = NULL;
static size_t bucket_count = 0;
static size_t entry_count = 0;
/*
 * Per scope (a repo at a path), in ms since the epoch: its entries are sent until `fresh_until`;
 * after it, until `due_until`, they are still sent while JavaScript checks the repo again (asked
 * once through the stale callback, as HotAnswers.get does); after that, not until it was checked.
 */
typedef struct {
  double fresh_until;
  double due_until;
  int asked;
} scope_state;

static scope_state *scopes = NULL;
static size_t scope_cap = 0;
static napi_ref stale_ref = NULL;
static napi_async_context stale_context = NULL;
static negotiated_encoding encodings[MAX_ENCODINGS];
static size_t encoding_count = 0;
/* The worker's shared read buffer (fast-http.ts SHARED_READ_BUFFER), kept alive by a reference. */
static napi_ref read_ref = NULL;
static const uint8_t *read_buf = NULL;
static size_t read_cap = 0;
/* Where a partial send's figures go for JS: [bytes sent, total, second of the date]. */
static napi_ref result_ref = NULL;
static double *result = NULL;
static uint64_t sent_count = 0;
static uint64_t adopted_sent_count = 0;
static uint64_t hand_backs = 0;

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h ^ (h >> 29);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
}

/* An IMF-fixdate (RFC 9110 section 5.6.7) of `second`, 29 bytes, made once a second. */
static char date_text[30];
static time_t date_second = -1;

static const char *http_date(time_t second) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (second == date_second) return date_text;
  struct tm tm;
  gmtime_r(&second, &tm);
  int year = tm.tm_year + 1900;
  date_text[0] = days[tm.tm_wday][0];
  date_text[1] = days[tm.tm_wday][1];
  date_text[2] = days[tm.tm_wday][2];
  date_text[3] = ',';
  date_text[4] = ' ';
  date_text[5] = (char)('0' + tm.tm_mday / 10);
  date_text[6] = (char)('0' + tm.tm_mday % 10);
  date_text[7] = ' ';
  memcpy(date_text + 8, months[tm.tm_mon], 3);
  date_text[11] = ' ';
  date_text[12] = (char)('0' + (year / 1000) % 10);
  date_text[13] = (char)('0' + (year / 100) % 10);
  date_text[14] = (char)('0' + (year / 10) % 10);
  date_text[15] = (char)('0' + year % 10);
  date_text[16] = ' ';
  date_text[17] = (char)('0' + tm.tm_hour / 10);
  date_text[18] = (char)('0' + tm.tm_hour % 10);
  date_text[19] = ':';
  date_text[20] = (char)('0' + tm.tm_min / 10);
  date_text[21] = (char)('0' + tm.tm_min % 10);
  date_text[22] = ':';
  date_text[23] = (char)('0' + tm.tm_sec / 10);
  date_text[24] = (char)('0' + tm.tm_sec % 10);
  memcpy(date_text + 25, " GMT", 4);
  date_text[29] = 0;
  date_second = second;
  return date_text;
}

/* ---- the table ---- */

static void unlink_entry(napi_env env, hot_entry *e) {
  size_t b = (size_t)(e->hash & (bucket_count - 1));
  for (hot_entry **at = &buckets[b]; *at; at = &(*at)->next) {
    if (*at == e) {
      *at = e->next;
      break;
    }
  }
  entry_count--;
  e->removed = 1;
  if (e->wire_ref) napi_delete_reference(env, e->wire_ref);
  e->wire_ref = NULL;
  free(e->key);
  e->key = NULL;
}

static void grow(void) {
  size_t count = bucket_count ? bucket_count * 2 : 1024;
  hot_entry **fresh = calloc(count, sizeof(hot_entry *));
  if (!fresh) return;
  for (size_t i = 0; i < bucket_count; i++) {
    hot_entry *e = buckets[i];
    while (e) {
      hot_entry *next = e->next;
      size_t b = (size_t)(e->hash & (count - 1));
      e->next = fresh[b];
      fresh[b] = e;
      e = next;
    }
  }
  free(buckets);
  buckets = fresh;
  bucket_count = count;
}

static hot_entry *find(const uint8_t *key, size_t key_len, uint64_t hash) {
  if (!bucket_count) return NULL;
  for (hot_entry *e = buckets[hash & (bucket_count - 1)]; e; e = e->next)
    if (e->hash == hash && e->key_len == key_len && memcmp(e->key, key, key_len) == 0) return e;
  return NULL;
}

/* The entry object JS holds is freed when JS lets go of it; by then it was removed. */
static void finalize_entry(napi_env env, void *data, void *hint) {
  (void)hint;
  hot_entry *e = data;
  if (!e->removed) unlink_entry(env, e);
  free(e);
}

/* ---- the scan ---- */

static uint8_t tchar[256];
static uint8_t vchar[256];

static void init_tables(void) {
  const char *t = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const char *c = t; *c; c++) tchar[(uint8_t)*c] = 1;
  vchar[0x09] = 1;
  for (int c = 0x20; c <= 0xff; c++)
    if (c != 0x7f) vchar[c] = 1;
}

static int name_is(const uint8_t *p, size_t n, const char *lower) {
  size_t m = strlen(lower);
  if (n != m) return 0;
  for (size_t i = 0; i < n; i++)
    if ((p[i] | 0x20) != (uint8_t)lower[i]) return 0;
  return 1;
}

typedef struct {
  const uint8_t *p;
  size_t n;
  int seen;
} field_value;

enum { F_ACCEPT_ENCODING, F_IF_NONE_MATCH, F_IF_MODIFIED_SINCE, F_RANGE, F_IF_RANGE, F_CONNECTION, F_HOST, F_COUNT };

/*
 * The key of the request head in buf[0, end) (end: where its blank line starts) into `key`, as
 * HotAnswers' hotKeyOf makes it: its length, or 0 when this head is for JavaScript to answer.
 */
static size_t scan_key(const uint8_t *buf, size_t end, uint8_t *key, size_t key_cap) {
  size_t i;
  const char *method;
  size_t method_len;
  if (end >= 4 && memcmp(buf, "GET ", 4) == 0) {
    method = "GET";
    method_len = 3;
    i = 4;
  } else if (end >= 5 && memcmp(buf, "HEAD ", 5) == 0) {
    method = "HEAD";
    method_len = 4;
    i = 5;
  } else
    return 0;
  size_t target = i;
  if (i + 5 > end || memcmp(buf + i, "/cdn/", 5) != 0) return 0;
  i += 5;
  while (i < end && buf[i] > 0x20 && buf[i] < 0x7f) i++;
  size_t target_end = i;
  if (i + 9 > end || memcmp(buf + i, " HTTP/1.", 8) != 0) return 0;
  uint8_t minor = buf[i + 8];
  if (minor != '0' && minor != '1') return 0;
  int http10 = minor == '0';
  i += 9;
  if (i < end) {
    if (buf[i] != '\r' || buf[i + 1] != '\n') return 0;
    i += 2;
  }
  field_value f[F_COUNT];
  memset(f, 0, sizeof f);
  while (i < end) {
    size_t name = i;
    while (i < end && tchar[buf[i]]) i++;
    size_t name_len = i - name;
    if (name_len == 0 || i >= end || buf[i] != ':') return 0;
    i++;
    while (i < end && (buf[i] == ' ' || buf[i] == '\t')) i++;
    size_t value = i;
    while (i < end && vchar[buf[i]]) i++;
    size_t value_end = i;
    if (i < end) {
      if (buf[i] != '\r' || buf[i + 1] != '\n') return 0;
      i += 2;
      if (i >= end) return 0;
    }
    while (value_end > value && (buf[value_end - 1] == ' ' || buf[value_end - 1] == '\t')) value_end--;
    int which = -1;
    const uint8_t *np = buf + name;
    switch (name_len) {
      case 4:
        if (name_is(np, name_len, "host")) which = F_HOST;
        break;
      case 5:
        if (name_is(np, name_len, "range")) which = F_RANGE;
        break;
      case 6:
        if (name_is(np, name_len, "expect")) return 0;
        break;
      case 7:
        if (name_is(np, name_len, "upgrade")) return 0;
        break;
      case 8:
        if (name_is(np, name_len, "if-range")) which = F_IF_RANGE;
        else if (name_is(np, name_len, "if-match")) return 0; /* preconditions: never reused (hotKey) */
        break;
      case 10:
        if (name_is(np, name_len, "connection")) which = F_CONNECTION;
        break;
      case 13:
        if (name_is(np, name_len, "authorization")) return 0; /* checked by JS on every request */
        if (name_is(np, name_len, "if-none-match")) which = F_IF_NONE_MATCH;
        break;
      case 14:
        if (name_is(np, name_len, "content-length")) return 0;
        break;
      case 15:
        if (name_is(np, name_len, "accept-encoding")) which = F_ACCEPT_ENCODING;
        break;
      case 17:
        if (name_is(np, name_len, "if-modified-since")) which = F_IF_MODIFIED_SINCE;
        else if (name_is(np, name_len, "transfer-encoding")) return 0;
        break;
      case 19:
        if (name_is(np, name_len, "if-unmodified-since")) return 0; /* preconditions: never reused (hotKey) */
        break;
      default:
        break;
    }
    if (which >= 0) {
      if (f[which].seen) return 0; /* a repeat: JS joins them as node does */
      f[which].seen = 1;
      f[which].p = buf + value;
      f[which].n = value_end - value;
    }
  }
  if (!http10 && !f[F_HOST].seen) return 0;
  if (f[F_CONNECTION].seen) {
    if (!name_is(f[F_CONNECTION].p, f[F_CONNECTION].n, "keep-alive")) return 0;
  } else if (http10)
    return 0;
  /* The encoding JS negotiated for this Accept-Encoding value, if it said. */
  const char *enc = "";
  size_t enc_len = 0;
  if (f[F_ACCEPT_ENCODING].seen) {
    size_t k = 0;
    for (; k < encoding_count; k++)
      if (encodings[k].value_len == f[F_ACCEPT_ENCODING].n && memcmp(encodings[k].value, f[F_ACCEPT_ENCODING].p, encodings[k].value_len) == 0) break;
    if (k == encoding_count) return 0;
    enc = encodings[k].encoding;
    enc_len = encodings[k].encoding_len;
  }
  /* `${method} ${url}\n${1.0|1.1}\n${enc}\n${inm}\n${ims}\n${range}\n${ifRange}` */
  size_t need = method_len + 1 + (target_end - target) + 5 + enc_len + 1 + f[F_IF_NONE_MATCH].n + 1 + f[F_IF_MODIFIED_SINCE].n + 1 + f[F_RANGE].n + 1 + f[F_IF_RANGE].n;
  if (need > key_cap) return 0;
  uint8_t *k = key;
  memcpy(k, method, method_len);
  k += method_len;
  *k++ = ' ';
  memcpy(k, buf + target, target_end - target);
  k += target_end - target;
  memcpy(k, http10 ? "\n1.0\n" : "\n1.1\n", 5);
  k += 5;
  memcpy(k, enc, enc_len);
  k += enc_len;
  static const int rest[4] = {F_IF_NONE_MATCH, F_IF_MODIFIED_SINCE, F_RANGE, F_IF_RANGE};
  for (int r = 0; r < 4; r++) {
    *k++ = '\n';
    if (f[rest[r]].n) memcpy(k, f[rest[r]].p, f[rest[r]].n);
    k += f[rest[r]].n;
  }
  return (size_t)(k - key);
}

/* ---- sending ---- */

/* The entry's answer on `sock`, dated `second`: bytes that went out, or -errno before any did. */
static int64_t send_entry(int sock, hot_entry *e, time_t second) {
  memcpy(e->wire + e->date_at, http_date(second), 29);
  if (e->memfd < 0) return send_bytes(sock, (const char *)e->wire, e->wire_len, 0);
  size_t body = e->wire_len - e->head_len;
  int64_t sent = send_bytes(sock, (const char *)e->wire, e->head_len, body > 0);
  if (sent < 0 || (size_t)sent < e->head_len || body == 0) return sent;
  int64_t more = send_file_prefix(sock, e->memfd, (int64_t)body);
  return more < 0 ? sent : sent + more;
}

/* ---- node-api ---- */

#define CHECK(ok) CDN_CHECK(ok, "cdn_hot: bad arguments")
#define int_value cdn_number

static napi_value undefined_value(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

/* Asks JavaScript (once per period) to check scope `scope` again: the stale callback. */
static void ask_check(napi_env env, int32_t scope) {
  if (!stale_ref || !env) return;
  napi_handle_scope handles;
  if (napi_open_handle_scope(env, &handles) != napi_ok) return;
  napi_value fn, recv, arg, result;
  if (napi_get_reference_value(env, stale_ref, &fn) == napi_ok && napi_get_global(env, &recv) == napi_ok && napi_create_int32(env, scope, &arg) == napi_ok &&
      napi_make_callback(env, stale_context, recv, fn, 1, &arg, &result) != napi_ok) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, handles);
}

/* Whether `e` may be sent now (HotAnswers.get's rule), asking for its scope's check when due. */
static int sendable(napi_env env, hot_entry *e, double now) {
  if (e->scope < 0) return e->expires_ms > now;
  if ((size_t)e->scope >= scope_cap) return 0;
  scope_state *state = &scopes[e->scope];
  if (now < state->fresh_until) return 1;
  if (now >= state->due_until) return 0;
  if (!state->asked) {
    state->asked = 1;
    ask_check(env, e->scope);
  }
  return 1;
}

/* Why requests were not answered from the table (hotStats): not one whole head, a head the scan leaves to JS, no entry, an entry not sendable now. */
static uint64_t misses[4];

/*
 * The entry that answers the request head in buf[0, n) — exactly one head, ending with its blank
 * line — if one may be sent now; else NULL (JavaScript answers), the reason counted.
 */
/*
 * The key of the request head buf[0, n) (exactly one head, ending with its blank line) into `key`:
 * its length, or 0 with `*why` set to the miss it is (0: not one whole head, 1: left by the scan).
 */
static size_t head_key(const uint8_t *buf, size_t n, uint8_t *key, size_t key_cap, int *why) {
  *why = 0;
  if (n < 4 || n > MAX_HEAD || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) return 0;
  size_t end = n - 4;
  /*
   * scan_key takes every line end as CRLF and every field line as non-empty, so a blank line
   * before the last (pipelined heads are JS's) or a bare LF (node's parser refuses it) is a miss
   * there already; the bytes are walked again only to say which miss it was.
   */
  size_t key_len = scan_key(buf, end, key, key_cap);
  if (key_len) return key_len;
  for (size_t i = 0; i + 4 <= end; i++) {
    if ((buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') || (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))) return 0;
  }
  *why = 1;
  return 0;
}

static hot_entry *lookup(napi_env env, const uint8_t *buf, size_t n, double now) {
  static uint8_t key[MAX_HEAD + 64];
  int why;
  size_t key_len = head_key(buf, n, key, sizeof key, &why);
  if (!key_len) {
    misses[why]++;
    return NULL;
  }
  hot_entry *e = find(key, key_len, hash_bytes(key, key_len));
  if (!e) {
    misses[2]++;
    return NULL;
  }
  if (!sendable(env, e, now)) {
    misses[3]++;
    return NULL;
  }
  return e;
}

/* ---- adopted connections ---- */

typedef struct hot_conn {
  uv_poll_t poll; /* poll.data: this */
  int fd;
  uint8_t *rest; /* an answer's bytes still to send (malloc), or NULL */
  size_t rest_len;
  size_t rest_off;
  double last_ms; /* last read or write */
  int closing;    /* close once `rest` is sent */
  struct hot_conn *prev;
  struct hot_conn *next;
} hot_conn;

static napi_env adopt_env = NULL;
static napi_ref hand_back_ref = NULL;
static napi_async_context hand_back_context = NULL;
static hot_conn *conns = NULL;
static size_t conn_count = 0;
static double idle_ms = 65000;
static uv_timer_t sweeper;
static int sweeper_started = 0;
/* Yielding the core after a loop turn that answered (as src/cdn/workers/yield-cpu.ts does for JS's answers). */
static uv_check_t yielder;
static int answered_this_turn = 0;
static uint8_t conn_buf[64 * 1024];

static void conn_unlink(hot_conn *c) {
  if (c->prev) c->prev->next = c->next;
  else conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  conn_count--;
}

static void conn_free(uv_handle_t *handle) {
  hot_conn *c = handle->data;
  free(c->rest);
  free(c);
}

/* Stops watching the connection; `close_fd`: close it too (else its fd now belongs to JS). */
static void conn_drop(hot_conn *c, int close_fd) {
  conn_unlink(c);
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, conn_free); /* the loop lets go of the fd now */
  if (close_fd) close(c->fd);
}

/* Gives the connection and the `n` bytes read from it to JavaScript (the hand-back callback). */
static void hand_back(hot_conn *c, const uint8_t *bytes, size_t n) {
  int fd = c->fd;
  hand_backs++;
  conn_drop(c, 0);
  napi_env env = adopt_env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    close(fd);
    return;
  }
  napi_value fn, recv, argv[2], result;
  int ok = napi_get_reference_value(env, hand_back_ref, &fn) == napi_ok && napi_get_global(env, &recv) == napi_ok && napi_create_int32(env, fd, &argv[0]) == napi_ok &&
           napi_create_buffer_copy(env, n, n ? bytes : (const uint8_t *)"", NULL, &argv[1]) == napi_ok;
  if (!ok) {
    close(fd);
  } else if (napi_make_callback(env, hand_back_context, recv, fn, 2, argv, &result) != napi_ok) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

/* Sends what is left of an answer: 1 when all went, 0 when the socket is full, -1 when it failed. */
static int conn_flush(hot_conn *c) {
  while (c->rest_off < c->rest_len) {
    ssize_t n = send(c->fd, c->rest + c->rest_off, c->rest_len - c->rest_off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    c->rest_off += (size_t)n;
  }
  free(c->rest);
  c->rest = NULL;
  c->rest_len = c->rest_off = 0;
  return 1;
}

static void on_conn_event(uv_poll_t *poll, int status, int events);

/* The request head in conn_buf[0, n) answered from the table: 1 sent (or queued), 0 not here, -1 the socket failed. */
static int conn_answer(hot_conn *c, size_t n, double now) {
  hot_entry *e = lookup(adopt_env, conn_buf, n, now);
  if (!e) return 0;
  int64_t sent = send_entry(c->fd, e, (time_t)(now / 1000.0));
  if (sent < 0) return -1;
  adopted_sent_count++;
  answered_this_turn = 1;
  if ((size_t)sent < e->wire_len) {
    /* The entry may be gone before the socket drains: the rest is copied. */
    c->rest_len = e->wire_len - (size_t)sent;
    c->rest = malloc(c->rest_len);
    if (!c->rest) return -1;
    memcpy(c->rest, e->wire + sent, c->rest_len);
    c->rest_off = 0;
    uv_poll_start(&c->poll, UV_WRITABLE | UV_DISCONNECT, on_conn_event);
  }
  return 1;
}

static void on_conn_event(uv_poll_t *poll, int status, int events) {
  hot_conn *c = poll->data;
  double now = now_ms();
  if (status < 0 || (events & UV_DISCONNECT && !(events & UV_READABLE))) {
    conn_drop(c, 1);
    return;
  }
  if (c->rest) {
    if (!(events & UV_WRITABLE)) return;
    int flushed = conn_flush(c);
    if (flushed < 0 || (flushed > 0 && c->closing)) {
      conn_drop(c, 1);
      return;
    }
    c->last_ms = now;
    if (flushed > 0) uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_conn_event);
    return;
  }
  if (!(events & UV_READABLE)) return;
  ssize_t n;
  do n = recv(c->fd, conn_buf, sizeof conn_buf, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    conn_drop(c, 1); /* the client closed, or the connection failed */
    return;
  }
  c->last_ms = now;
  int answered = c->closing ? 0 : conn_answer(c, (size_t)n, now);
  if (answered < 0) conn_drop(c, 1);
  else if (answered == 0) hand_back(c, conn_buf, (size_t)n);
}

/*
 * After the poll phase of a loop turn that answered requests, sched_yield() once: a client on the
 * same core (the primary, hg, git, a load generator) reads its answers now rather than after this
 * worker's time slice (yield-cpu.ts says why; the JS lane does the same).
 */
static void on_check(uv_check_t *check) {
  (void)check;
  if (!answered_this_turn) return;
  answered_this_turn = 0;
  sched_yield();
}

/* Closes adopted connections idle for the idle time (as node's server closes its own). */
static void on_sweep(uv_timer_t *timer) {
  (void)timer;
  double now = now_ms();
  for (hot_conn *c = conns; c;) {
    hot_conn *next = c->next;
    if (now - c->last_ms > idle_ms) conn_drop(c, 1);
    c = next;
  }
}

/*
 * hotAdoptInit(handBack: (fd, bytes: Buffer) => void, idleMs): adopted connections go back to
 * JavaScript through `handBack`, and are closed after `idleMs` without a request.
 */
static napi_value hot_adopt_init(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double idle;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 2);
  CHECK(napi_get_value_double(env, argv[1], &idle) == napi_ok && idle > 0);
  if (hand_back_ref) napi_delete_reference(env, hand_back_ref);
  CHECK(napi_create_reference(env, argv[0], 1, &hand_back_ref) == napi_ok);
  if (!hand_back_context) {
    napi_value name;
    CHECK(napi_create_string_utf8(env, "ferry:cdn-hand-back", NAPI_AUTO_LENGTH, &name) == napi_ok);
    CHECK(napi_async_init(env, NULL, name, &hand_back_context) == napi_ok);
  }
  adopt_env = env;
  idle_ms = idle;
  if (!sweeper_started) {
    uv_loop_t *loop;
    CHECK(napi_get_uv_event_loop(env, &loop) == napi_ok);
    uv_timer_init(loop, &sweeper);
    uint64_t every = (uint64_t)(idle / 13) + 1;
    uv_timer_start(&sweeper, on_sweep, every, every);
    uv_unref((uv_handle_t *)&sweeper);
    uv_check_init(loop, &yielder);
    uv_check_start(&yielder, on_check);
    uv_unref((uv_handle_t *)&yielder);
    sweeper_started = 1;
  }
  return undefined_value(env);
}

/*
 * hotAdopt(socketFd): watches a copy of the idle connection `socketFd` from now on (the caller
 * then closes its own handle, which leaves the connection open): true, or false when it cannot.
 */
static napi_value hot_adopt(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  napi_value out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1);
  CHECK(napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0);
  int ok = 0;
  uv_loop_t *loop;
  if (hand_back_ref && napi_get_uv_event_loop(env, &loop) == napi_ok) {
    hot_conn *c = calloc(1, sizeof *c);
    int copy = c ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
    if (copy >= 0 && uv_poll_init_socket(loop, &c->poll, copy) == 0) {
      c->poll.data = c;
      c->fd = copy;
      c->last_ms = now_ms();
      c->next = conns;
      if (conns) conns->prev = c;
      conns = c;
      conn_count++;
      uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_conn_event);
      ok = 1;
    } else {
      if (copy >= 0) close(copy);
      free(c);
    }
  }
  napi_get_boolean(env, ok, &out);
  return out;
}

/*
 * hotCloseConnections(force): closes the adopted connections that are idle (all of them when
 * `force`), the others once their answer is sent: how many are left.
 */
static napi_value hot_close_connections(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool force;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1);
  CHECK(napi_get_value_bool(env, argv[0], &force) == napi_ok);
  for (hot_conn *c = conns; c;) {
    hot_conn *next = c->next;
    if (force || !c->rest) conn_drop(c, 1);
    else c->closing = 1;
    c = next;
  }
  return int_value(env, (int64_t)conn_count);
}

/*
 * hotInit(readBuffer: Buffer, result: Float64Array(3)): the buffer requests are read into, and
 * where a partial send reports [sent, total, date's second]. Once per worker; again replaces both.
 */
static napi_value hot_init(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data;
  size_t length;
  napi_typedarray_type type;
  napi_value array_buffer;
  size_t offset;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 2);
  CHECK(napi_get_buffer_info(env, argv[0], &data, &length) == napi_ok);
  size_t count;
  void *rdata;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &count, &rdata, &array_buffer, &offset) == napi_ok);
  CHECK(type == napi_float64_array && count >= 3);
  if (read_ref) napi_delete_reference(env, read_ref);
  if (result_ref) napi_delete_reference(env, result_ref);
  CHECK(napi_create_reference(env, argv[0], 1, &read_ref) == napi_ok);
  CHECK(napi_create_reference(env, argv[1], 1, &result_ref) == napi_ok);
  read_buf = data;
  read_cap = length;
  result = rdata;
  if (!tchar['a']) init_tables();
  return undefined_value(env);
}

/*
 * hotPut(key: Buffer, wire: Buffer, dateAt, headLength, memfd, scope, expiresMs): an entry
 * object for hotRemove. `key`: the latin1 bytes of HotAnswers' key; `wire`: HotAnswer's bytes
 * (kept, not copied; the date at `dateAt` is rewritten in place as JS does); memfd -1 for none;
 * scope -1 for none, then `expiresMs` bounds it. Replaces an entry with the same key.
 */
static napi_value hot_put(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  void *key;
  size_t key_len;
  void *wire;
  size_t wire_len;
  int64_t date_at, head_len;
  int32_t memfd, scope;
  double expires;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 7);
  CHECK(napi_get_buffer_info(env, argv[0], &key, &key_len) == napi_ok);
  CHECK(napi_get_buffer_info(env, argv[1], &wire, &wire_len) == napi_ok);
  CHECK(napi_get_value_int64(env, argv[2], &date_at) == napi_ok);
  CHECK(napi_get_value_int64(env, argv[3], &head_len) == napi_ok);
  CHECK(napi_get_value_int32(env, argv[4], &memfd) == napi_ok);
  CHECK(napi_get_value_int32(env, argv[5], &scope) == napi_ok);
  CHECK(napi_get_value_double(env, argv[6], &expires) == napi_ok);
  CHECK(date_at >= 0 && (size_t)date_at + 29 <= wire_len && head_len >= date_at + 29 && (size_t)head_len <= wire_len);
  CHECK(scope >= -1 && scope < 1 << 24);
  hot_entry *e = calloc(1, sizeof *e);
  CHECK(e != NULL);
  e->key = malloc(key_len ? key_len : 1);
  if (!e->key) {
    free(e);
    CHECK(0);
  }
  memcpy(e->key, key, key_len);
  e->key_len = key_len;
  e->hash = hash_bytes(e->key, key_len);
  e->wire = wire;
  e->wire_len = wire_len;
  e->date_at = (size_t)date_at;
  e->head_len = (size_t)head_len;
  e->memfd = memfd;
  e->scope = scope;
  e->expires_ms = expires;
  if (napi_create_reference(env, argv[1], 1, &e->wire_ref) != napi_ok) {
    free(e->key);
    free(e);
    CHECK(0);
  }
  hot_entry *old = find(e->key, key_len, e->hash);
  if (old) unlink_entry(env, old);
  if (entry_count + 1 > bucket_count) grow();
  if (!bucket_count) {
    napi_delete_reference(env, e->wire_ref);
    free(e->key);
    free(e);
    CHECK(0);
  }
  size_t b = (size_t)(e->hash & (bucket_count - 1));
  e->next = buckets[b];
  buckets[b] = e;
  entry_count++;
  napi_value handle;
  if (napi_create_external(env, e, finalize_entry, NULL, &handle) != napi_ok) {
    unlink_entry(env, e);
    free(e);
    CHECK(0);
  }
  return handle;
}

/* hotRemove(entry): the entry is no longer sent (its memfd is JS's to close). */
static napi_value hot_remove(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1);
  CHECK(napi_get_value_external(env, argv[0], &data) == napi_ok);
  hot_entry *e = data;
  if (!e->removed) unlink_entry(env, e);
  return undefined_value(env);
}

/* hotClear(): no entry is sent any more, no scope is fresh (the encodings stay known). */
static napi_value hot_clear(napi_env env, napi_callback_info info) {
  (void)info;
  for (size_t i = 0; i < bucket_count; i++) {
    while (buckets[i]) unlink_entry(env, buckets[i]);
  }
  memset(scopes, 0, scope_cap * sizeof(scope_state));
  return undefined_value(env);
}

/*
 * hotScope(scope, freshUntilMs, dueUntilMs): the scope was just checked: its entries are sent
 * until `freshUntilMs`, and until `dueUntilMs` while it is checked again (0, 0: not at all).
 */
static napi_value hot_scope(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t scope;
  double fresh_until, due_until;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 3);
  CHECK(napi_get_value_int32(env, argv[0], &scope) == napi_ok && scope >= 0 && scope < 1 << 24);
  CHECK(napi_get_value_double(env, argv[1], &fresh_until) == napi_ok);
  CHECK(napi_get_value_double(env, argv[2], &due_until) == napi_ok);
  if ((size_t)scope >= scope_cap) {
    size_t cap = scope_cap ? scope_cap : 64;
    while (cap <= (size_t)scope) cap *= 2;
    scope_state *grown = realloc(scopes, cap * sizeof(scope_state));
    CHECK(grown != NULL);
    memset(grown + scope_cap, 0, (cap - scope_cap) * sizeof(scope_state));
    scopes = grown;
    scope_cap = cap;
  }
  scopes[scope].fresh_until = fresh_until;
  scopes[scope].due_until = due_until;
  scopes[scope].asked = 0;
  return undefined_value(env);
}

/* hotStaleInit(check: (scope) => void): called (once per period) when a scope is due for a check. */
static napi_value hot_stale_init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1);
  if (stale_ref) napi_delete_reference(env, stale_ref);
  CHECK(napi_create_reference(env, argv[0], 1, &stale_ref) == napi_ok);
  if (!stale_context) {
    napi_value name;
    CHECK(napi_create_string_utf8(env, "ferry:cdn-scope-check", NAPI_AUTO_LENGTH, &name) == napi_ok);
    CHECK(napi_async_init(env, NULL, name, &stale_context) == napi_ok);
  }
  if (!adopt_env) adopt_env = env;
  return undefined_value(env);
}

/* hotEncoding(acceptEncoding: Buffer, negotiated: string): what JS's chooseEncoding made of that value. */
static napi_value hot_encoding(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *value;
  size_t value_len;
  char enc[8];
  size_t enc_len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 2);
  CHECK(napi_get_buffer_info(env, argv[0], &value, &value_len) == napi_ok);
  CHECK(napi_get_value_string_latin1(env, argv[1], enc, sizeof enc, &enc_len) == napi_ok && enc_len < sizeof enc - 1);
  for (size_t k = 0; k < encoding_count; k++)
    if (encodings[k].value_len == value_len && memcmp(encodings[k].value, value, value_len) == 0) return undefined_value(env);
  if (encoding_count >= MAX_ENCODINGS) {
    for (size_t k = 0; k < encoding_count; k++) free(encodings[k].value);
    encoding_count = 0;
  }
  uint8_t *copy = malloc(value_len ? value_len : 1);
  CHECK(copy != NULL);
  memcpy(copy, value, value_len);
  negotiated_encoding *n = &encodings[encoding_count++];
  n->value = copy;
  n->value_len = value_len;
  memcpy(n->encoding, enc, enc_len);
  n->encoding_len = enc_len;
  return undefined_value(env);
}

/*
 * hotServe(socketFd, length): the request head in the first `length` bytes of the read buffer
 * (exactly one head, ending with its blank line) answered from the table on the socket, which
 * nothing else is writing to. 0: not here (JS answers; nothing was sent); 1: sent whole; 2: sent
 * in part, result holding [sent, total, second] for JS to write the rest; -errno: the socket
 * failed before anything went.
 */
static napi_value hot_serve(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t sock, length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 2);
  CHECK(napi_get_value_int32(env, argv[0], &sock) == napi_ok);
  CHECK(napi_get_value_int32(env, argv[1], &length) == napi_ok);
  if (!read_buf || (size_t)length > read_cap) return int_value(env, 0);
  double now = now_ms();
  hot_entry *e = lookup(env, read_buf, (size_t)length, now);
  if (!e) return int_value(env, 0);
  time_t second = (time_t)(now / 1000.0);
  int64_t sent = send_entry(sock, e, second);
  if (sent < 0) return int_value(env, sent);
  sent_count++;
  if ((size_t)sent == e->wire_len) return int_value(env, 1);
  result[0] = (double)sent;
  result[1] = (double)e->wire_len;
  result[2] = (double)second;
  return int_value(env, 2);
}

/*
 * hotStats(): [entries, answers sent by hotServe, answers sent on adopted connections, adopted
 * connections, hand-backs, then the misses: not one whole head, left by the scan, no entry, not sendable].
 */
static napi_value hot_stats(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  const double values[9] = {(double)entry_count, (double)sent_count, (double)adopted_sent_count, (double)conn_count, (double)hand_backs, (double)misses[0], (double)misses[1], (double)misses[2], (double)misses[3]};
  if (napi_create_array_with_length(env, 9, &out) != napi_ok) return NULL;
  for (uint32_t i = 0; i < 9; i++) {
    napi_create_double(env, values[i], &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

/*
 * hotKeyOf(head: Buffer): the key the table's scan makes of one whole request head (ending with
 * its blank line) as a latin1 string, or undefined where it leaves the head to JavaScript. For
 * tests only (test/unit/cdn-scanners-agree.test.ts holds it to JS's scanHead); nothing is looked
 * up or counted. Accept-Encoding values are keyed only once JS told them (hotEncoding).
 */
static napi_value hot_key_of(napi_env env, napi_callback_info info) {
  static uint8_t key[MAX_HEAD + 64];
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  size_t length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1);
  CHECK(napi_get_buffer_info(env, argv[0], &data, &length) == napi_ok);
  int why;
  size_t key_len = head_key(data, length, key, sizeof key, &why);
  if (!key_len) return undefined_value(env);
  napi_value out;
  CHECK(napi_create_string_latin1(env, (const char *)key, key_len, &out) == napi_ok);
  return out;
}

int cdn_hot_register(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"hotInit", hot_init}, {"hotPut", hot_put}, {"hotRemove", hot_remove}, {"hotClear", hot_clear}, {"hotScope", hot_scope}, {"hotEncoding", hot_encoding}, {"hotServe", hot_serve}, {"hotStats", hot_stats}, {"hotAdoptInit", hot_adopt_init}, {"hotStaleInit", hot_stale_init}, {"hotAdopt", hot_adopt}, {"hotCloseConnections", hot_close_connections}, {"hotKeyOf", hot_key_of}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn) != napi_ok) return 0;
    if (napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) return 0;
  }
  return 1;
}
