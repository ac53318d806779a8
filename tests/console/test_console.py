#!/usr/bin/env python3
"""The web console in headless Chromium, driven over the Chrome DevTools Protocol.

Started by tests/console/run.sh. Starts keel-fake-upstream and `keel serve`, sends traffic through
Keel with two teams' keys, then loads every console page and checks what a user would see.
"""
import argparse
import base64
import json
import os
import pathlib
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import http.client as httpclient

import websocket  # websocket-client

MASTER_KEY = "sk-keel-console-test-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, key=None, body=None, timeout=10):
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read(), dict(res.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def wait_until(what, predicate, timeout=10.0, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


# ------------------------------------------------------------------------------------------------
# TEST DOUBLE for GET /admin/requests and /admin/requests/{id}.
#
# The request-log API is developed separately. When the keel under test does not serve it yet
# (it answers 404), this stand-in — used only by this test harness, never shipped — answers those
# two paths from keel's own SQLite request log, in the API's documented shape, and forwards every
# other request to keel unchanged. When keel serves the API itself, everything is forwarded and
# the console is tested against the real thing.
# ------------------------------------------------------------------------------------------------

class ConsoleProxy:
    def __init__(self, keel_url, db_path, emulate_requests_api):
        self.keel = urllib.parse.urlparse(keel_url)
        self.db_path = db_path
        self.emulate = emulate_requests_api
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy.handle(self)

            do_POST = do_PATCH = do_DELETE = do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()

    def forward(self, handler, method, target, body):
        conn = httpclient.HTTPConnection(self.keel.hostname, self.keel.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(method, target, body=body, headers=headers)
        res = conn.getresponse()
        data = res.read()
        return res.status, [(k, v) for k, v in res.getheaders() if k.lower() not in ("transfer-encoding", "connection", "content-length")], data

    def handle(self, handler):
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else None
        path = urllib.parse.urlparse(handler.path)
        if self.emulate and handler.command == "GET" and (path.path == "/admin/requests" or path.path.startswith("/admin/requests/")):
            status, headers, data = self.requests_api(handler, path)
        else:
            status, headers, data = self.forward(handler, handler.command, handler.path, body)
        handler.send_response(status)
        for k, v in headers:
            handler.send_header(k, v)
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    def requests_api(self, handler, path):
        status, headers, data = self.forward(handler, "GET", "/admin/whoami", None)
        if status != 200:
            return status, headers, data
        who = json.loads(data)
        scope_team = None if who["role"] == "super_admin" else (who.get("team") or "")
        json_headers = [("content-type", "application/json")]
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        try:
            rows = [self.entry(r) for r in db.execute("SELECT * FROM requests ORDER BY time DESC, id DESC")]
        finally:
            db.close()
        if scope_team is not None:
            rows = [r for r in rows if r["team"] == scope_team]
        if path.path != "/admin/requests":
            wanted = urllib.parse.unquote(path.path[len("/admin/requests/"):])
            for r in rows:
                if r["id"] == wanted:
                    r["feedback"] = []
                    return 200, json_headers, json.dumps(r).encode()
            return 404, json_headers, json.dumps({"error": {"message": "no such request", "type": "invalid_request_error", "param": None, "code": "request_not_found"}}).encode()
        q = dict(urllib.parse.parse_qsl(path.query))

        def keep(r):
            if "from" in q and r["time_ms"] < int(q["from"]) * 1000:
                return False
            if "to" in q and r["time_ms"] > int(q["to"]) * 1000:
                return False
            for name, field in (("model", "model"), ("provider", "provider"), ("team", "team"), ("key", "key_id")):
                if name in q and r[field] != q[name]:
                    return False
            if "status" in q:
                s = q["status"].lower()
                if s.endswith("xx") and str(r["status"])[0] != s[0]:
                    return False
                if not s.endswith("xx") and r["status"] != int(s):
                    return False
            if "min_latency_ms" in q and r["latency_ms"] < float(q["min_latency_ms"]):
                return False
            if "error_contains" in q and q["error_contains"].lower() not in (r["error"] or "").lower():
                return False
            return True

        rows = [r for r in rows if keep(r)]
        offset = int(base64.urlsafe_b64decode(q["cursor"] + "==").decode()) if "cursor" in q else 0
        limit = int(q.get("limit", "50"))
        page = rows[offset:offset + limit]
        summary_keys = [k for k in page[0].keys() if k not in ("attempts", "metadata", "timings")] if page else []
        data = [{k: r[k] for k in summary_keys} for r in page]
        more = offset + limit < len(rows)
        cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode().rstrip("=") if more else None
        return 200, json_headers, json.dumps({"object": "list", "data": data, "has_more": more, "next_cursor": cursor}).encode()

    @staticmethod
    def entry(row):
        metadata = json.loads(row["metadata"] or "{}")
        attempts = json.loads(row["attempts"] or "[]")
        usage = None
        if row["input_tokens"] is not None or row["output_tokens"] is not None:
            usage = {"input_tokens": row["input_tokens"], "output_tokens": row["output_tokens"], "cached_input_tokens": row["cached_input_tokens"], "estimated": False}
        return {
            "id": row["id"], "object": "request",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["time"] / 1000)), "time_ms": row["time"],
            "inbound_api": row["inbound_api"], "model": row["model"], "provider": row["provider"], "upstream_model": row["upstream_model"],
            "status": row["status"], "latency_ms": row["latency_ms"], "time_to_first_token_ms": row["ttft_ms"], "stream": bool(row["stream"]),
            "usage": usage, "cost_usd": float(metadata["cost_usd"]) if "cost_usd" in metadata else None, "cache": row["cache"],
            "attempt_count": len(attempts), "team": metadata.get("team"), "key_id": metadata.get("key_id"), "trace_id": metadata.get("trace_id"),
            "error": row["error_message"], "attempts": attempts, "metadata": metadata,
            "timings": {"latency_ms": row["latency_ms"], "time_to_first_token_ms": row["ttft_ms"]},
        }


# ------------------------------------------------------------------------------------------------
# A small Chrome DevTools Protocol client over one page's websocket.
# ------------------------------------------------------------------------------------------------

class Browser:
    def __init__(self, chromium, workdir):
        self.profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--hide-scrollbars", "--mute-audio", "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--user-data-dir={self.profile}", "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "chromium.log"), "wb"), start_new_session=True)
        port_file = pathlib.Path(self.profile, "DevToolsActivePort")
        port = wait_until("chromium's DevTools port", lambda: port_file.exists() and port_file.read_text().split("\n")[0].strip(), timeout=20)
        targets = wait_until("a page target", lambda: [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list")) if t["type"] == "page"])
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=20, suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.errors = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def close(self):
        try:
            self.ws.close()
        finally:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def _record(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params["exceptionDetails"]
            self.errors.append("exception: " + (d.get("exception", {}).get("description") or d.get("text", "")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            e = params["entry"]
            self.errors.append(f"log ({e.get('source')}): {e.get('text')} {e.get('url', '')}")
        self.events.append(message)

    def send(self, method, params=None):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)

    def pump(self, seconds):
        """Reads the events that arrive within `seconds`."""
        self.ws.settimeout(seconds)
        try:
            while True:
                self._record(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.ws.settimeout(20)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails'].get('exception', {}).get('description')}")
        return result["result"].get("value")

    def navigate(self, url, reload=False):
        """Loads `url` (a full load, not a fragment change); `reload` loads the current page again."""
        self.events.clear()
        if reload:
            self.send("Page.reload", {"ignoreCache": True})
        else:
            self.send("Page.navigate", {"url": url})
        wait_until(f"the load of {url}", lambda: any(e.get("method") == "Page.loadEventFired" for e in self.events) or self.pump(0.05), timeout=15, interval=0)

    def fresh_console(self, url):
        """The console with nobody logged in."""
        self.navigate(url)
        self.evaluate("sessionStorage.clear(); true")
        self.navigate(url, reload=True)

    def wait_for(self, what, expression, timeout=10):
        def check():
            self.pump(0.02)
            return self.evaluate(expression)
        return wait_until(what, check, timeout=timeout, interval=0.05)

    def screenshot(self, path):
        self.pump(0.3)  # let layout settle
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                      "clip": {"x": 0, "y": 0, "width": 1280, "height": min(max(height, 900), 2400), "scale": 1}})
        pathlib.Path(path).write_bytes(base64.b64decode(shot["data"]))


# ------------------------------------------------------------------------------------------------

class Stack:
    """keel-fake-upstream and keel serve, each in its own process group."""

    def __init__(self, keel, fake, workdir):
        self.workdir = workdir
        self.procs = []
        self.fake = self.spawn([fake, "--port", "0"], "fake.log", stdout=subprocess.PIPE)
        fake_port = int(self.fake.stdout.readline().decode().strip())
        self.keel_port = free_port()
        self.db = os.path.join(workdir, "keel.db")
        upstream = f"http://127.0.0.1:{fake_port}"
        pathlib.Path(workdir, "keel.yaml").write_text(f"""
server:
  listen: "127.0.0.1:{self.keel_port}"
  master_key: "{MASTER_KEY}"
  log_level: warning
storage:
  url: "sqlite:{self.db}"
  flush_interval_ms: 50
providers:
  fake-openai: {{kind: openai, base_url: "{upstream}/v1", api_key: "sk-fake-openai-upstream-key"}}
  fake-anthropic: {{kind: anthropic, base_url: "{upstream}", api_key: "sk-ant-fake-anthropic-upstream-key"}}
models:
  - name: gpt-fake
    routes: [{{provider: fake-openai, model: gpt-4o-mini-2024-07-18}}]
    pricing: {{input_per_million: 0.15, output_per_million: 0.60}}
  - name: gpt-failover
    routes:
      - {{provider: fake-openai, model: status-503, weight: 1}}
      - {{provider: fake-openai, model: gpt-4o-mini-2024-07-18, weight: 0}}
    retries: 2
    pricing: {{input_per_million: 0.15, output_per_million: 0.60}}
  - name: gpt-503
    routes: [{{provider: fake-openai, model: status-503}}]
    retries: 0
    pricing: {{input_per_million: 0.15, output_per_million: 0.60}}
  - name: claude-fake
    routes: [{{provider: fake-anthropic, model: claude-3-5-haiku-20241022}}]
    pricing: {{input_per_million: 0.80, output_per_million: 4.00}}
guardrails:
  policies:
    default:
      input: [{{detector: pii, action: redact}}]
telemetry:
  capture_content: true
""")
        self.keel = self.spawn([keel, "serve", "--config", os.path.join(workdir, "keel.yaml")], "keel.log")
        self.url = f"http://127.0.0.1:{self.keel_port}"
        wait_until("keel to be ready", lambda: http("GET", self.url + "/readyz")[0] == 200, timeout=20)

    def spawn(self, argv, log, stdout=subprocess.DEVNULL):
        p = subprocess.Popen(argv, cwd=self.workdir, stdout=stdout, stderr=open(os.path.join(self.workdir, log), "wb"), start_new_session=True)
        self.procs.append(p)
        return p

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()


def make_traffic(keel):
    """Two teams with keys of each role; requests that succeed, fail, and fail over."""
    keys = {}
    for team in ("search", "support"):
        status, body, _ = http("POST", keel + "/admin/teams", MASTER_KEY, {"name": team, "max_budget_usd": 100})
        assert status == 201, (status, body)
        for role in ("developer", "viewer", "team_admin"):
            status, body, _ = http("POST", keel + "/admin/keys", MASTER_KEY, {"team": team, "name": f"{team}-{role}", "role": role})
            assert status == 201, (status, body)
            keys[(team, role)] = json.loads(body)["key"]
    chat = lambda model: {"model": model, "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 32}
    sent = {"gpt-fake": 0, "gpt-failover": 0, "gpt-503": 0, "claude-fake": 0}
    for i in range(6):
        team = "search" if i % 2 == 0 else "support"
        key = keys[(team, "developer")]
        status, body, _ = http("POST", keel + "/v1/chat/completions", key, chat("gpt-fake"))
        assert status == 200, (status, body)
        sent["gpt-fake"] += 1
        status, body, _ = http("POST", keel + "/v1/messages", key, {"model": "claude-fake", "max_tokens": 32, "messages": [{"role": "user", "content": "Hi"}]})
        assert status == 200, (status, body)
        sent["claude-fake"] += 1
    for _ in range(2):
        status, body, headers = http("POST", keel + "/v1/chat/completions", keys[("search", "developer")], chat("gpt-failover"))
        assert status == 200 and headers.get("x-keel-attempts") == "2", (status, body, headers)
        sent["gpt-failover"] += 1
    for _ in range(3):
        status, _, _ = http("POST", keel + "/v1/chat/completions", keys[("support", "developer")], chat("gpt-503"))
        assert status >= 500, status  # the upstream's 503, answered as a gateway error
        sent["gpt-503"] += 1
    status, body, _ = http("POST", keel + "/v1/guardrails/apply", MASTER_KEY, {"policy": "default", "source": "input", "content": "write to ann@example.com"})
    assert status == 200, (status, body)
    return keys, sent


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def run(args):
    workdir = tempfile.mkdtemp(prefix="keel-console-")
    stack = browser = proxy = None
    failures = 0
    try:
        stack = Stack(args.keel, args.fake, workdir)
        keys, sent = make_traffic(stack.url)
        status, _, _ = http("GET", stack.url + "/admin/requests?limit=1", MASTER_KEY)
        emulate = status == 404
        print("console: /admin/requests is " + ("not served by this keel: using the harness's test double" if emulate else "served by keel"))
        proxy = ConsoleProxy(stack.url, stack.db, emulate)
        total = sum(sent.values())
        wait_until("the request log", lambda: len(json.loads(http("GET", proxy.url + f"/admin/requests?limit={total}", MASTER_KEY)[1])["data"]) >= total)
        browser = Browser(args.chromium, workdir)
        ctx = {"ui": proxy.url + "/ui/", "keel": stack.url, "keys": keys, "sent": sent, "shots": pathlib.Path(args.screenshots)}
        ctx["shots"].mkdir(parents=True, exist_ok=True)
        for fn in CHECKS:
            browser.errors.clear()
            try:
                fn(browser, ctx)
                browser.pump(0.2)
                assert not browser.errors, f"console errors: {browser.errors}"
                print(f"  ok    {fn.__name__}")
            except Exception:  # noqa: BLE001 - reported, the run continues
                failures += 1
                print(f"  FAIL  {fn.__name__}")
                traceback.print_exc()
    except Exception:  # noqa: BLE001
        failures += 1
        traceback.print_exc()
        for log in ("keel.log", "fake.log", "chromium.log"):
            p = pathlib.Path(workdir, log)
            if p.exists():
                print(f"--- {log} (last lines)\n" + "\n".join(p.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
    finally:
        if browser:
            browser.close()
        if proxy:
            proxy.stop()
        if stack:
            stack.stop()
    print("console: " + ("passed" if not failures else f"FAILED ({failures} failure{'s' if failures > 1 else ''})"))
    return 1 if failures else 0


def login(b, ctx, key):
    b.fresh_console(ctx["ui"])
    b.wait_for("the login form", "!!document.getElementById('login-form')")
    b.evaluate(f"document.getElementById('login-key').value = {json.dumps(key)}; document.getElementById('login-form').requestSubmit(); true")
    b.wait_for("the overview after login", "location.hash === '#/overview' && !!document.getElementById('overview-cards')")
    assert key not in b.evaluate("location.href"), "the key must never appear in the URL"
    assert b.evaluate("sessionStorage.getItem('keel.console.key')") == key


def nav_links(b):
    return b.evaluate("[...document.querySelectorAll('#nav a')].map(a => a.textContent)")


def table_models(b, table_id, column=1):
    return b.evaluate(f"[...document.querySelectorAll('#{table_id} tbody tr')].map(tr => tr.children[{column}].textContent)")


@check
def static_files_are_served_with_a_strict_policy(b, ctx):
    status, body, headers = http("GET", ctx["keel"] + "/ui/")
    headers = {k.lower(): v for k, v in headers.items()}
    assert status == 200 and headers["content-type"].startswith("text/html"), (status, headers)
    assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in headers["content-security-policy"]
    status, _, headers = http("GET", ctx["keel"] + "/ui/app.js")
    assert status == 200 and dict((k.lower(), v) for k, v in headers.items())["content-type"].startswith("text/javascript")
    assert http("GET", ctx["keel"] + "/ui/nothing.js")[0] == 404


@check
def login_rejects_a_wrong_key_without_errors(b, ctx):
    b.fresh_console(ctx["ui"])
    b.wait_for("the login form", "!!document.getElementById('login-form')")
    b.screenshot(ctx["shots"] / "login.png")
    # The refused whoami is a 401 the page handles; Chromium still logs the failed fetch, which is expected here.
    b.evaluate("document.getElementById('login-key').value = 'sk-keel-not-a-key'; document.getElementById('login-form').requestSubmit(); true")
    b.wait_for("the refusal", "document.getElementById('login-error').textContent.includes('not valid')")
    b.pump(0.2)
    b.errors[:] = [e for e in b.errors if "401" not in e]


@check
def overview_shows_throughput_errors_latency_and_spend(b, ctx):
    login(b, ctx, MASTER_KEY)
    b.wait_for("the overview cards", "!!document.getElementById('card-spend') && !!document.getElementById('top-models')")
    total = sum(ctx["sent"].values())
    assert b.evaluate("document.querySelector('#card-requests .value').textContent") == str(total)
    error_rate = b.evaluate("document.querySelector('#card-errors .value').textContent")
    assert error_rate != "0.00%" and error_rate != "—", error_rate
    assert b.evaluate("document.querySelector('#card-p50 .value').textContent").endswith("ms")
    assert b.evaluate("document.querySelector('#card-spend .value').textContent").startswith("$")
    assert set(table_models(b, "top-models", 0)) == set(ctx["sent"]), table_models(b, "top-models", 0)
    assert nav_links(b) == ["Overview", "Requests", "Spend", "Guardrails", "Routes"], nav_links(b)
    b.screenshot(ctx["shots"] / "overview.png")


@check
def requests_filters_change_the_table(b, ctx):
    b.evaluate("location.hash = '#/requests'")
    b.wait_for("the requests table", "document.querySelectorAll('#requests-table tbody tr').length > 0")
    everything = table_models(b, "requests-table")
    assert len(everything) == min(25, sum(ctx["sent"].values())), everything
    assert len(set(everything)) > 1
    b.screenshot(ctx["shots"] / "requests.png")
    b.evaluate("document.getElementById('filter-model').value = 'gpt-503'; document.getElementById('apply-filters').click(); true")
    b.wait_for("the filtered table", "location.hash.includes('model=gpt-503') && document.querySelectorAll('#requests-table tbody tr').length > 0 && [...document.querySelectorAll('#requests-table tbody tr')].every(tr => tr.children[1].textContent === 'gpt-503')")
    assert table_models(b, "requests-table") == ["gpt-503"] * ctx["sent"]["gpt-503"]
    b.evaluate("document.getElementById('filter-model').value = ''; document.getElementById('filter-status').value = '2xx'; document.getElementById('apply-filters').click(); true")
    b.wait_for("the 2xx table", "location.hash.includes('status=2xx') && !location.hash.includes('model=')")
    b.wait_for("rows without gpt-503", "document.querySelectorAll('#requests-table tbody tr').length > 0 && ![...document.querySelectorAll('#requests-table tbody tr')].some(tr => tr.children[1].textContent === 'gpt-503')")


@check
def a_requests_detail_shows_the_attempt_timeline(b, ctx):
    b.evaluate("location.hash = '#/requests?model=gpt-failover'")
    b.wait_for("the failover requests", "document.querySelectorAll('#requests-table tbody tr').length === %d && [...document.querySelectorAll('#requests-table tbody tr')].every(tr => tr.children[1].textContent === 'gpt-failover')" % ctx["sent"]["gpt-failover"])
    b.evaluate("document.querySelector('#requests-table tbody tr td:nth-child(2)').click(); true")
    b.wait_for("the detail page", "location.hash.startsWith('#/requests/') && !!document.getElementById('attempt-timeline')")
    bars = b.evaluate("[...document.querySelectorAll('#attempt-timeline .attempt-bar')].map(r => r.getAttribute('class'))")
    assert bars == ["attempt-bar retryable", "attempt-bar ok"], bars
    rows = b.evaluate("[...document.querySelectorAll('#attempts-table tbody tr')].map(tr => tr.children[3].textContent)")
    assert rows == ["503", "200"], rows
    b.screenshot(ctx["shots"] / "request-detail.png")


@check
def a_requests_detail_shows_the_captured_content(b, ctx):
    status, body, headers = http("POST", ctx["keel"] + "/v1/chat/completions", ctx["keys"][("search", "developer")],
                                 {"model": "gpt-fake", "max_tokens": 32, "messages": [{"role": "user", "content": "Mail <b>ann@example.com</b>, then say hello"}]})
    assert status == 200, (status, body)
    ctx["sent"]["gpt-fake"] += 1
    rid = next((v for k, v in headers.items() if k.lower() == "x-request-id"), None)
    assert rid, headers
    wait_until("the captured request", lambda: http("GET", ctx["keel"] + "/admin/requests/" + urllib.parse.quote(rid), MASTER_KEY)[0] == 200)
    b.evaluate(f"location.hash = '#/requests/' + encodeURIComponent({json.dumps(rid)})")
    b.wait_for("the captured content", "!!document.querySelector('#content-input .message pre') && !!document.querySelector('#content-output .message pre')")
    prompt = b.evaluate("document.querySelector('#content-input .message pre').textContent")
    # Shown as text (never parsed as HTML), with the address replaced by its placeholder.
    assert prompt == "Mail <b>[EMAIL_1]</b>, then say hello", prompt
    assert b.evaluate("document.querySelectorAll('#content-input b').length") == 0
    answer = b.evaluate("document.querySelector('#content-output .message pre').textContent")
    assert answer.strip(), "the answer is shown"
    assert b.evaluate("document.querySelector('#content-output .role').textContent").startswith("assistant")
    assert not b.evaluate("!!document.getElementById('content-not-captured')")
    assert "placeholders" in b.evaluate("document.getElementById('content-redaction').textContent")


@check
def spend_charts_by_team_and_model(b, ctx):
    b.evaluate("location.hash = '#/spend'")
    b.wait_for("the spend charts", "!!document.querySelector('#spend-by-model-chart svg') && !!document.querySelector('#spend-by-team-chart svg')")
    recorded = json.loads(http("GET", ctx["keel"] + "/admin/spend?group_by=team", MASTER_KEY)[1])["data"]
    teams = b.evaluate("[...document.querySelectorAll('#spend-by-team tbody tr')].map(tr => tr.children[0].textContent)")
    if recorded:
        assert set(teams) >= {"search", "support"}, teams
        assert b.evaluate("document.querySelectorAll('#spend-by-model-chart rect.bar').length") >= 2
        assert b.evaluate("document.querySelectorAll('#spend-by-team-chart polyline').length") >= 2
    else:
        # This keel records no spend for gateway traffic yet: the page must say so, not show stale numbers.
        print("        (this keel records no spend: checking the empty state)")
        assert teams == [], teams
        assert "No spend in this period." in b.evaluate("document.getElementById('spend-by-team').textContent")
        assert b.evaluate("document.querySelector('#spend-total .value').textContent") == "$0.0000"
    b.screenshot(ctx["shots"] / "spend.png")


@check
def guardrail_events(b, ctx):
    b.evaluate("location.hash = '#/guardrails'")
    b.wait_for("the guardrail counters", "!!document.getElementById('guardrail-table') && !!document.getElementById('guardrail-requests')")
    text = b.evaluate("document.getElementById('guardrail-table').textContent")
    assert "pii" in text and "redact" in text, text
    b.screenshot(ctx["shots"] / "guardrails.png")


@check
def route_health(b, ctx):
    b.evaluate("location.hash = '#/routes'")
    b.wait_for("the routes", "document.querySelectorAll('.route-model').length === 4")
    failover = b.evaluate("[...document.querySelectorAll('.route-model[data-model=\"gpt-failover\"] tbody tr')].map(tr => [tr.children[1].textContent, tr.children[6].textContent, tr.children[7].textContent])")
    assert failover == [["status-503", "2", "2"], ["gpt-4o-mini-2024-07-18", "2", "0"]], failover
    b.screenshot(ctx["shots"] / "routes.png")


@check
def roles_see_only_their_pages(b, ctx):
    login(b, ctx, ctx["keys"][("search", "viewer")])
    assert nav_links(b) == ["Overview", "Requests", "Spend", "Guardrails"], nav_links(b)
    b.wait_for("the viewer's spend card", "!!document.getElementById('card-spend')")
    assert "team search" in b.evaluate("document.getElementById('who').textContent")
    b.evaluate("location.hash = '#/spend'")
    b.wait_for("the viewer's spend", "!!document.getElementById('spend-by-team')")
    teams = b.evaluate("[...document.querySelectorAll('#spend-by-team tbody tr')].map(tr => tr.children[0].textContent)")
    assert teams in (["search"], []), teams  # only its own team (nothing when this keel records no spend)
    b.evaluate("location.hash = '#/routes'")  # not offered to viewers: back to the overview
    b.wait_for("the redirect", "location.hash === '#/overview'")
    login(b, ctx, ctx["keys"][("support", "developer")])
    assert nav_links(b) == ["Overview", "Guardrails"], nav_links(b)  # developers cannot read the request log
    login(b, ctx, ctx["keys"][("support", "team_admin")])
    assert nav_links(b) == ["Overview", "Requests", "Spend", "Guardrails", "Routes"], nav_links(b)
    b.evaluate("document.getElementById('logout').click(); true")
    b.wait_for("the login page", "location.hash === '#/login' && !!document.getElementById('login-form')")
    assert b.evaluate("sessionStorage.getItem('keel.console.key')") is None


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--keel", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--screenshots", required=True)
    sys.exit(run(parser.parse_args()))
