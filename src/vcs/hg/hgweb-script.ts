/**
 * The Python program behind Mercurial over HTTP: one long-lived, threaded hgweb server on a UNIX
 * socket in the data dir. Ferry authenticates and authorizes every request itself, then forwards
 * it here with the repository (relative to the repos dir) and whether the caller may push.
 * Mercurial checks that push flag again (`web.allow-push`), so a request Ferry classified as a
 * read can never write.
 *
 * argv: SOCKET REPOS_DIR. It prints `ready` once listening. When its stdin closes (Ferry is gone,
 * even killed with SIGKILL) or on SIGTERM, it takes no new request, lets every request in flight
 * end — a push's transaction commits or rolls back, and hg removes its `hg-unbundle-*` spool
 * file — then exits (after DRAIN_SECONDS at most), so no orphan outlives the server and no
 * transaction is abandoned halfway.
 */
export const HGWEB_SERVER_SCRIPT = String.raw`# Written by Ferry on every start; edits are overwritten.
import collections
import http.client
import os
import signal
import socketserver
import sys
import threading

from mercurial import extensions, ui as uimod
from mercurial.hgweb import hgweb_mod, server as hgserver

SOCKET = sys.argv[1]
ROOT = os.path.realpath(sys.argv[2])
PUSHER = 'ferry-authorized-push'
CACHE_SIZE = 64
DRAIN_SECONDS = 600

baseui = uimod.ui.load()
extensions.loadall(baseui)
extensions.populateui(baseui)
baseui.setconfig(b'web', b'allow-push', PUSHER.encode(), b'ferry')
baseui.setconfig(b'web', b'deny_push', b'', b'ferry')
baseui.setconfig(b'web', b'push_ssl', b'false', b'ferry')
baseui.setconfig(b'web', b'allow-pull', b'true', b'ferry')
# hg sends a command's arguments as X-HgArg-N headers of 1 KB (25 heads each); Python's http.server
# stops at 100 headers (431). Ferry's node server bounds the head's size (MAX_REQUEST_HEAD_BYTES)
# before this. hgweb reads arguments from the body (X-HgArgs-Post) whatever its configuration;
# Ferry offers the httppostargs capability itself, to signed-in clients (src/http/routes/wire.ts).
http.client._MAXHEADERS = 1000

apps = collections.OrderedDict()
apps_lock = threading.Lock()
active = [0]
active_changed = threading.Condition()
draining = threading.Event()


def hgrc_stamp(path):
    # A repo's .hg/hgrc (its phase setting, written by Ferry) is read when its app is made:
    # an app made before the file changed is made again.
    try:
        st = os.stat(os.path.join(path, '.hg', 'hgrc'))
        return (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        return None


def webapp(rel):
    path = os.path.realpath(os.path.join(ROOT, rel))
    stamp = hgrc_stamp(path)
    with apps_lock:
        cached = apps.get(rel)
        if cached is not None and cached[1] == stamp:
            apps.move_to_end(rel)
            return cached[0]
    if not rel or not path.startswith(ROOT + os.sep):
        raise ValueError('repository outside the repos dir: %r' % rel)
    app = hgweb_mod.hgweb(os.fsencode(path), baseui=baseui)
    with apps_lock:
        apps[rel] = (app, stamp)
        apps.move_to_end(rel)
        while len(apps) > CACHE_SIZE:
            apps.popitem(last=False)
    return app


def application(environ, start_response):
    rel = environ.pop('HTTP_X_FERRY_REPO', '')
    push = environ.pop('HTTP_X_FERRY_PUSH', '') == '1'
    environ.pop('REMOTE_USER', None)
    environ.pop('HTTP_AUTHORIZATION', None)
    if push:
        environ['REMOTE_USER'] = PUSHER
    try:
        app = webapp(rel)
    except Exception as e:
        body = ('no repository: %s\n' % e).encode()
        start_response('404 Not Found', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
        return [body]
    return app(environ, start_response)


class Handler(hgserver._httprequesthandler):
    # A second bound behind Ferry's own ([limits] body_timeout): a request whose socket moves no
    # byte for this long (a body that stopped coming, a reader that stopped reading) ends, so no
    # thread, spool file or shutdown waits on it for ever. Transactions touch no socket.
    timeout = 120

    def log_message(self, format, *args):
        pass

    def log_error(self, format, *args):
        sys.stderr.write('hgweb: ' + (format % args) + '\n')
        sys.stderr.flush()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, path):
        socketserver.UnixStreamServer.__init__(self, path, Handler)
        self.application = application
        self.prefix = b''
        self.serverheader = None
        self.server_name = 'ferry'
        self.server_port = 0
        self.accesslog = sys.stderr
        self.errorlog = sys.stderr

    def finish_request(self, request, client_address):
        self.RequestHandlerClass(request, ('ferry', 0), self)

    def process_request_thread(self, request, client_address):
        with active_changed:
            active[0] += 1
        try:
            socketserver.ThreadingMixIn.process_request_thread(self, request, client_address)
        finally:
            with active_changed:
                active[0] -= 1
                active_changed.notify_all()


def drain():
    if draining.is_set():
        return
    draining.set()
    srv.shutdown()
    srv.server_close()
    try:
        os.unlink(SOCKET)
    except OSError:
        pass
    with active_changed:
        active_changed.wait_for(lambda: active[0] == 0, timeout=DRAIN_SECONDS)
    os._exit(0)


def watch_parent():
    while sys.stdin.buffer.read(65536):
        pass
    drain()


if os.path.exists(SOCKET):
    os.unlink(SOCKET)
old_umask = os.umask(0o077)
srv = Server(SOCKET)
os.umask(old_umask)
threading.Thread(target=watch_parent, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=drain, daemon=True).start())
sys.stdout.write('ready\n')
sys.stdout.flush()
srv.serve_forever()
# shutdown() came from drain(), which ends the process once the requests in flight are over.
threading.Event().wait()
`;
