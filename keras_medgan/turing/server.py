"""A local rating page for a visual Turing test (stdlib ``http.server``, no dependencies).

A reader enters a name, then marks each image "real" or "synthetic". Every answer is sent
at once and saved by the server in ``answers/<reader>.json``, written to a temporary file
and renamed (atomic), so a reload or a crash loses nothing; the page then resumes at the
first unanswered image. Several readers can rate at the same time (one file each, a lock
around writes). The server binds 127.0.0.1 by default and serves only ``public/`` (the
images and the manifest) — never ``key.csv``.

Routes::

    GET  /                      the page
    GET  /manifest.json         presentation order
    GET  /images/<name>         an image listed in the manifest (nothing else)
    GET  /api/answers?reader=N  that reader's saved answers
    POST /api/answer            {"reader", "image", "answer": "real" | "synthetic"}
"""

from __future__ import annotations

import json
import pathlib
import re
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.turing.study import TRUTHS, read_manifest

_READER_RE = re.compile(r"^[\w .\-]{1,40}$")
MAX_BODY = 4096


def reader_slug(name: str) -> str:
    """A reader's display name → safe file stem (``answers/<slug>.json``)."""
    name = (name or "").strip()
    if not _READER_RE.match(name):
        raise ValueError("reader name must be 1–40 letters, digits, spaces, '.', '_' or '-'")
    return re.sub(r"[^\w.\-]", "_", name).strip("._") or "reader"


class AnswerStore:
    """Per-reader answer files under ``answers/``, updated atomically under a lock."""

    def __init__(self, study_dir):
        self.dir = pathlib.Path(study_dir) / "answers"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()

    def path(self, reader: str) -> pathlib.Path:
        return self.dir / f"{reader_slug(reader)}.json"

    def load(self, reader: str) -> dict[str, object]:
        path = self.path(reader)
        if path.is_file():
            return json.loads(path.read_text())
        return {"reader": reader.strip(), "answers": {}}

    def save_answer(self, reader: str, image: str, answer: str) -> dict[str, object]:
        with self.lock:
            record = self.load(reader)
            record["answers"][image] = {
                "answer": answer,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            }
            write_text_atomic(self.path(reader), json.dumps(record, indent=2))
            return record


def make_handler(study_dir):
    """A request handler class bound to one study folder."""
    study = pathlib.Path(study_dir)
    manifest = read_manifest(study)
    images = list(manifest["images"])
    allowed = set(images)
    store = AnswerStore(study)
    page = PAGE.replace("__TITLE__", manifest.get("title", "Visual Turing test"))

    class Handler(BaseHTTPRequestHandler):
        server_version = "keras-medgan-turing/1"

        def log_message(self, fmt, *args):  # quiet: one line per answer is enough
            pass

        def _send(self, status, body: bytes, ctype: str):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, payload, status=HTTPStatus.OK):
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _error(self, status, message: str):
            self._json({"error": message}, status)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path in ("/", "/index.html"):
                return self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")
            if url.path == "/manifest.json":
                return self._json(
                    {"title": manifest.get("title"), "images": images, "choices": list(TRUTHS)}
                )
            if url.path.startswith("/images/"):
                name = unquote(url.path[len("/images/") :])
                if name not in allowed:
                    return self._error(HTTPStatus.NOT_FOUND, "no such image")
                data = (study / "public" / "images" / name).read_bytes()
                return self._send(HTTPStatus.OK, data, "image/png")
            if url.path == "/api/answers":
                reader = parse_qs(url.query).get("reader", [""])[0]
                try:
                    record = store.load(reader)
                except ValueError as exc:
                    return self._error(HTTPStatus.BAD_REQUEST, str(exc))
                return self._json(
                    {"reader": record["reader"], "answers": record["answers"], "total": len(images)}
                )
            return self._error(HTTPStatus.NOT_FOUND, "not found")

        def do_POST(self):
            if urlparse(self.path).path != "/api/answer":
                return self._error(HTTPStatus.NOT_FOUND, "not found")
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                return self._error(HTTPStatus.BAD_REQUEST, "missing or oversized body")
            try:
                body = json.loads(self.rfile.read(length))
                reader, image, answer = body["reader"], body["image"], body["answer"]
                reader_slug(reader)
            except (ValueError, KeyError, TypeError) as exc:
                return self._error(HTTPStatus.BAD_REQUEST, f"bad answer: {exc}")
            if image not in allowed:
                return self._error(HTTPStatus.BAD_REQUEST, "unknown image")
            if answer not in TRUTHS:
                return self._error(HTTPStatus.BAD_REQUEST, f"answer must be one of {TRUTHS}")
            record = store.save_answer(reader, image, answer)
            return self._json({"answered": len(record["answers"]), "total": len(images)})

    return Handler


def make_server(study_dir, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A ready (not yet serving) server; port 0 picks a free port (``server.server_port``)."""
    server = ThreadingHTTPServer((host, port), make_handler(study_dir))
    server.daemon_threads = True
    return server


def serve(
    study_dir, host: str = "127.0.0.1", port: int = 8000, announce: callable | None = print
) -> None:
    server = make_server(study_dir, host, port)
    if announce:
        announce(
            f"Visual Turing test at http://{host}:{server.server_port}/  "
            f"(answers → {pathlib.Path(study_dir) / 'answers'}; Ctrl-C to stop)"
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
 body{font-family:sans-serif;max-width:640px;margin:1.5em auto;text-align:center;background:#fafafa}
 #image{width:384px;height:384px;object-fit:contain;background:#000;border:1px solid #888}
 button{font-size:1.2em;padding:.5em 1.4em;margin:.6em}
 #progress{color:#555} .hidden{display:none}
</style></head><body>
<h1>__TITLE__</h1>
<section id="login">
 <p>Enter your name (answers are saved under it; use the same name to resume).</p>
 <form id="login-form"><input id="reader" autocomplete="off" maxlength="40" required>
 <button id="start" type="submit">Start</button></form>
 <p id="login-error" class="hidden" style="color:#b00"></p>
</section>
<section id="rate" class="hidden">
 <p>Reader: <b id="reader-name"></b> · <a href="#" id="switch">switch reader</a></p>
 <p id="progress"></p>
 <img id="image" alt="image to rate">
 <div><button id="btn-real" data-answer="real">Real (r)</button>
 <button id="btn-synthetic" data-answer="synthetic">Synthetic (s)</button></div>
</section>
<section id="done" class="hidden"><h2>All images rated — thank you.</h2>
 <p id="done-count"></p></section>
<script>
let manifest = null, reader = null, answers = {}, current = null, busy = false;
const $ = (id) => document.getElementById(id);
async function getJSON(url, opts) {
  const r = await fetch(url, opts);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
function nextImage() { return manifest.images.find((n) => !(n in answers)) || null; }
function show() {
  current = nextImage();
  const done = Object.keys(answers).length, total = manifest.images.length;
  if (current === null) {
    $("rate").classList.add("hidden"); $("done").classList.remove("hidden");
    $("done-count").textContent = done + " / " + total + " answered";
    return;
  }
  $("done").classList.add("hidden"); $("rate").classList.remove("hidden");
  $("progress").textContent = "Image " + (done + 1) + " of " + total + " (" + done + " answered)";
  $("image").src = "/images/" + encodeURIComponent(current);
  $("image").dataset.name = current;
}
async function start(name) {
  manifest = manifest || await getJSON("/manifest.json");
  const saved = await getJSON("/api/answers?reader=" + encodeURIComponent(name));
  reader = name; answers = saved.answers || {};
  localStorage.setItem("turing-reader", name);
  $("reader-name").textContent = name; $("login").classList.add("hidden");
  show();
}
async function answer(choice) {
  if (busy || current === null) return;
  busy = true;
  try {
    await getJSON("/api/answer", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({reader: reader, image: current, answer: choice})});
    answers[current] = {answer: choice};
    show();
  } catch (e) { alert("Could not save the answer: " + e.message); }
  finally { busy = false; }
}
$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  start($("reader").value.trim()).catch((e) => {
    $("login-error").textContent = e.message; $("login-error").classList.remove("hidden");
  });
});
$("btn-real").addEventListener("click", () => answer("real"));
$("btn-synthetic").addEventListener("click", () => answer("synthetic"));
$("switch").addEventListener("click", (ev) => {
  ev.preventDefault(); localStorage.removeItem("turing-reader"); location.reload();
});
document.addEventListener("keydown", (ev) => {
  if (reader === null) return;
  if (ev.key === "r") answer("real");
  if (ev.key === "s") answer("synthetic");
});
const remembered = localStorage.getItem("turing-reader");
if (remembered) { $("reader").value = remembered; start(remembered).catch(() => {}); }
</script></body></html>
"""
