"""`matcalc serve`: a local web page that typesets derivatives, and its JSON API.

The server is the standard library's ThreadingHTTPServer: the page needs four routes and no
templates, so a framework would add an install for nothing. It listens on 127.0.0.1 unless
told otherwise and opens no browser.

    GET  /                 the page (matcalc/web/index.html); its inputs may come in the URL:
                           /?expr=...&wrt=w&shapes=X:%20n%20x%20d
    GET  /static/<file>    the page's script and style, and KaTeX, shipped inside the package
    POST /api/diff         {"expr", "wrt", "shapes": {"X": "n x d"}, "symmetric": [...],
                            "layout"?} -> what `matcalc diff --json --steps` prints
    POST /api/solve        the same request -> what `matcalc solve --json` prints
    POST /api/check        {"lhs", "rhs", "shapes", "symmetric"} -> {"holds", "why", ...}

Bad input is a 400 with {"error", "line", "column", "context"} (the caret line); a body
over MAX_BODY bytes a 413; work that takes longer than the time limit a 504. The work runs
in a separate worker process, so a slow request can be stopped (the worker is replaced)
without stopping the server. Input is only ever read by matcalc's parser: nothing is
evaluated as code.
"""

import json
import multiprocessing
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from .errors import MatcalcError

MAX_BODY = 20_000            # bytes of a request
MAX_TEXT = 5_000             # characters of one expression
TIME_LIMIT = 20.0            # seconds of work per request
STATIC = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".woff2": "font/woff2",
          ".png": "image/png", ".md": "text/plain; charset=utf-8"}


def _web_root():
    return Path(str(resources.files("matcalc").joinpath("web")))


# ----------------------------------------------------------------- the work (in a worker)

def _text(payload, key, required=True):
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise MatcalcError(f"'{key}' must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise MatcalcError(f"'{key}' has {len(value)} characters; the limit is {MAX_TEXT}")
    return value


def handle(kind, payload):
    """The JSON answer to one API request (runs in the worker process)."""
    from . import answers, api
    if not isinstance(payload, dict):
        raise MatcalcError("the request body must be a JSON object")
    shapes, symmetric = answers.declarations(payload.get("shapes"), payload.get("symmetric"))
    if kind == "check":
        return answers.check_answer(_text(payload, "lhs"), _text(payload, "rhs"),
                                        shapes, symmetric)
    expr = api.parse(_text(payload, "expr"), shapes, symmetric)
    wrt = _text(payload, "wrt")
    if kind == "solve":
        return answers.solve_answer(expr, wrt)
    layout = _text(payload, "layout", required=False) or "denominator"
    document, _ = answers.diff_answer(expr, wrt, layout, steps=True)
    return document


def _error_json(error):
    return {"error": error.message, "line": error.line, "column": error.column,
            "context": error.context}


def _serve_requests(connection):
    """The worker's loop: (kind, payload) in, ("ok" | "error" | "crash", answer) out."""
    while True:
        try:
            kind, payload = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", handle(kind, payload)))
        except MatcalcError as error:
            connection.send(("error", _error_json(error)))
        except Exception as error:                      # noqa: BLE001 - never a traceback
            connection.send(("crash", {"error": f"internal error ({type(error).__name__})"}))


class Worker:
    """One worker process, replaced when a request runs past the time limit."""

    def __init__(self, time_limit=TIME_LIMIT):
        self.time_limit = time_limit
        self.lock = threading.Lock()
        self.context = multiprocessing.get_context("spawn")   # the server has threads
        self.process = self.connection = None

    def _start(self):
        self.connection, child = self.context.Pipe()
        self.process = self.context.Process(target=_serve_requests, args=(child,),
                                            daemon=True)
        self.process.start()
        child.close()

    def call(self, kind, payload):
        """(status, answer) for one request."""
        with self.lock:
            if self.process is None or not self.process.is_alive():
                self._start()
            self.connection.send((kind, payload))
            if not self.connection.poll(self.time_limit):
                self.stop()
                return HTTPStatus.GATEWAY_TIMEOUT, {
                    "error": f"stopped after {self.time_limit:g} s; try a smaller expression"}
            try:
                outcome, answer = self.connection.recv()
            except EOFError:
                self.stop()
                return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "the worker stopped"}
        status = {"ok": HTTPStatus.OK, "error": HTTPStatus.BAD_REQUEST,
                  "crash": HTTPStatus.INTERNAL_SERVER_ERROR}[outcome]
        return status, answer

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.join(5)
        self.process = None


# ----------------------------------------------------------------- HTTP

API = {"/api/diff": "diff", "/api/solve": "solve", "/api/check": "check"}


class Handler(BaseHTTPRequestHandler):
    server_version = "matcalc"
    worker = None                     # set per server (make_server)
    quiet = False

    def log_message(self, format, *args):           # noqa: A002 - the base class's name
        if not self.quiet:
            super().log_message(format, *args)

    def _send(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, answer):
        self._send(status, json.dumps(answer).encode(), "application/json")

    def do_GET(self):                                  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            return self._file("index.html")
        if path.startswith("/static/"):
            return self._file(path[len("/static/"):])
        if path in API:                               # the API answers POST only
            return self._send(HTTPStatus.METHOD_NOT_ALLOWED, json.dumps(
                {"error": f"{path} takes POST"}).encode(), "application/json",
                [("Allow", "POST")])
        return self._json(HTTPStatus.NOT_FOUND, {"error": f"no page {path}"})

    def _file(self, relative):
        root = _web_root().resolve()
        target = (root / relative).resolve()
        if root not in target.parents or not target.is_file() or target.suffix not in STATIC:
            return self._json(HTTPStatus.NOT_FOUND, {"error": "no such file"})
        self._send(HTTPStatus.OK, target.read_bytes(), STATIC[target.suffix])

    def do_POST(self):                                 # noqa: N802
        kind = API.get(self.path.split("?", 1)[0])
        if kind is None:
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no API {self.path}"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {
                "error": f"the request must be at most {MAX_BODY} bytes"})
        try:
            payload = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            return self._json(HTTPStatus.BAD_REQUEST, {"error": "the body is not JSON"})
        status, answer = self.worker.call(kind, payload)
        self._json(status, answer)


def make_server(host="127.0.0.1", port=8000, time_limit=TIME_LIMIT, quiet=False):
    """A server (not yet serving); port 0 picks a free one (server.server_address). A port
    out of range or taken is a MatcalcError (the CLI's one line and exit 2)."""
    if not 0 <= port <= 65535:
        raise MatcalcError(f"the port must be between 0 and 65535, not {port}")
    worker = Worker(time_limit)
    handler = type("MatcalcHandler", (Handler,), {"worker": worker, "quiet": quiet})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as error:                    # in use, not permitted, an unknown host
        worker.stop()
        raise MatcalcError(f"cannot listen on {host}:{port}: {error.strerror or error}") \
            from None
    server.daemon_threads = True
    return server


def serve(host="127.0.0.1", port=8000, time_limit=TIME_LIMIT, out=None):
    server = make_server(host, port, time_limit)
    address = f"http://{server.server_address[0]}:{server.server_address[1]}/"
    print(f"matcalc serving on {address} (Ctrl-C to stop)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.RequestHandlerClass.worker.stop()
    return 0
