/**
 * Every setting Ferry reads, with its type and default. `ferry.toml` sections and keys map 1:1;
 * each can be overridden by the environment variable FERRY_<SECTION>_<KEY>.
 */
export type SettingType = 'string' | 'port' | 'boolean' | 'size' | 'integer' | 'duration';

export interface SettingSpec {
  readonly type: SettingType;
  readonly default: string | number | boolean;
  readonly doc: string;
}

export const SETTINGS = {
  ssh: {
    port: { type: 'port', default: 2222, doc: 'SSH port (0 picks a free one)' },
    listen: { type: 'string', default: '127.0.0.1', doc: 'address the SSH server binds (127.0.0.1: this machine only; 0.0.0.0: every interface)' },
    public_host: { type: 'string', default: '', doc: 'host name in ssh:// clone URLs, the SSH greeting and the ~/.ssh/config lines (empty: the host of http.base_url, else localhost when ssh.listen is a loopback address, the machine name when it is 0.0.0.0 or ::, the listen address otherwise)' },
  },
  http: {
    port: { type: 'port', default: 8080, doc: 'HTTP port (0 picks a free one)' },
    listen: { type: 'string', default: '127.0.0.1', doc: 'address the HTTP server binds (127.0.0.1: this machine only; 0.0.0.0: every interface)' },
    trusted_proxies: { type: 'string', default: '', doc: 'load balancers or reverse proxies (IP addresses or CIDR ranges, space-separated) whose X-Forwarded-For header names the client; the failed-sign-in limit then counts per real client address (empty: the socket\'s address always)' },
    base_url: { type: 'string', default: '', doc: 'public URL of the HTTP server, for links Ferry hands out (empty: the Host the client used, else http://HOST:PORT with the public host; https:// when tls_cert and tls_key are set)' },
    tls_cert: { type: 'string', default: '', doc: 'PEM file with the server certificate (and the intermediate certificates after it); with tls_key set too, the HTTP port speaks HTTPS only, HTTP/2 to clients that offer it. Read again on SIGHUP' },
    tls_key: { type: 'string', default: '', doc: 'PEM file with the private key of tls_cert (unencrypted); set both or neither. Read again on SIGHUP' },
  },
  hg: {
    executable: { type: 'string', default: '/usr/bin/hg', doc: 'the hg program' },
    chg: { type: 'string', default: '/usr/bin/chg', doc: 'the chg program, for SSH sessions and the web\'s hg command servers (empty: never use chg)' },
    http_workers: { type: 'integer', default: 0, doc: 'most hgweb processes serving hg over HTTP (0: one per core, at most 4)' },
    evolve: { type: 'boolean', default: true, doc: 'load evolve and topic (Debian\'s mercurial-evolve) in every hg process, so obsolescence markers and topics are exchanged over SSH and HTTP (false: plain Mercurial; markers already in repos are kept but neither used nor exchanged)' },
    clone_bundle_min_size: { type: 'size', default: '4MB', doc: 'repos whose store is at least this big get a pre-made stream clone bundle for full clones over HTTP and SSH (0: never)' },
  },
  git: {
    executable: { type: 'string', default: '/usr/bin/git', doc: 'the git program' },
    repack_after_pushes: { type: 'integer', default: 20, doc: 'pushes (or mirror syncs) to a git repo after which it is repacked in the background, with a bitmap and a commit-graph, for fast clones (0: never)' },
  },
  cdn: {
    memory: { type: 'size', default: '300MB', doc: 'what the CDN holds in memory (file contents read on demand, their compressed forms, file lists), split between the workers; it bounds what is held, not the size of repos served' },
    max_file_size: { type: 'size', default: '50MB', doc: 'largest single file the CDN serves; a larger one is refused with 403' },
    workers: { type: 'integer', default: 0, doc: 'CDN worker processes (0: one per core)' },
    trusted: { type: 'string', default: '', doc: 'repos (space-separated paths) whose HTML and SVG the CDN serves without the sandbox CSP' },
    native_hot: { type: 'boolean', default: true, doc: 'workers answer reused answers from the native addon\'s table, idle connections included, without JavaScript per request (false: the JavaScript lane alone, to compare)' },
  },
  limits: {
    shutdown_grace: { type: 'duration', default: '30s', doc: 'how long SIGTERM waits for transfers in flight' },
    head_timeout: { type: 'duration', default: '20s', doc: 'longest an HTTP request head may take to arrive, from its first byte to its blank line (408 after)' },
    body_timeout: { type: 'duration', default: '60s', doc: 'longest an HTTP request body may stall (no byte arriving while Ferry waits for one); the connection is closed after' },
    ssh_handshake_timeout: { type: 'duration', default: '20s', doc: 'longest an SSH connection may take from connect to signed-in (banner, key exchange, authentication)' },
    min_free_disk: { type: 'size', default: '64MB', doc: 'pushes are refused (reads go on) while the data dir\'s disk has less free space than this, plus twice a push\'s announced size' },
  },
  mirrors: {
    key: { type: 'string', default: '', doc: 'key sealing mirror credentials (base64 of 32 bytes; empty: secrets/mirror.key in the data dir)' },
    concurrency: { type: 'integer', default: 2, doc: 'scheduled mirror syncs running at once' },
  },
  webhooks: {
    allowed_hosts: { type: 'string', default: '', doc: 'where hooks may deliver besides public addresses, comma- or space-separated (like Gitea\'s ALLOWED_HOST_LIST): loopback, private (RFC 1918, unique-local and link-local), external (public addresses only, the meaning of empty), *, host names (with * wildcards) or CIDRs; checked on the address actually connected to' },
    timeout: { type: 'duration', default: '10s', doc: 'longest one delivery may take, connect to last byte of the answer' },
    max_attempts: { type: 'integer', default: 5, doc: 'attempts per delivery on network errors and 5xx answers (a 4xx or 3xx ends it)' },
    retry_delay: { type: 'duration', default: '10s', doc: 'wait before the first retry; each next waits twice as long, at most an hour' },
    disable_after: { type: 'integer', default: 20, doc: 'consecutive failed attempts that disable a hook (shown in ferry hook list; a redelivery or an edit enables it again)' },
  },
  database: {
    url: { type: 'string', default: '', doc: 'where Ferry keeps its rows: empty for SQLite in the data dir (ferry.db), or a postgres:// URL (e.g. postgres://ferry:secret@db.example/ferry, or postgres://ferry@%2Fvar%2Frun%2Fpostgresql/ferry for a Unix socket) whose database Ferry creates its tables in; ferry db copy --to URL moves an existing SQLite install there' },
  },
  bootstrap: {
    admin_keys: { type: 'string', default: '', doc: 'public key lines; on first start with no users an admin user gets them' },
  },
  log: {
    level: { type: 'string', default: 'info', doc: 'pino log level' },
  },
  server: {
    run_dir: { type: 'string', default: '', doc: "this node's own sockets, pid files and hg push spool (empty: DATA/run); give each node sharing a data dir its own, on a local disk" },
  },
} as const satisfies Record<string, Record<string, SettingSpec>>;

type ValueOf<T extends SettingType> = T extends 'port' | 'size' | 'integer' | 'duration' ? number : T extends 'boolean' ? boolean : string;

export type Settings = {
  readonly [S in keyof typeof SETTINGS]: {
    readonly [K in keyof (typeof SETTINGS)[S]]: (typeof SETTINGS)[S][K] extends { type: infer T extends SettingType } ? ValueOf<T> : never;
  };
};
