"""Webhook delivery: a background thread posts events as application/x-www-form-urlencoded,
every value a string (None -> "null"), with HTTP Basic auth when configured. A short timeout,
two retries, then the event is dropped with a log line. Never blocks the simulation."""

import base64
import http.client
import logging
import queue
import threading
import time
import urllib.parse

log = logging.getLogger("simulator.webhooks")


def encode(ev):
    out = []
    for k, v in ev.items():
        if v is None or v == "":
            v = "null"
        elif isinstance(v, bool):
            v = "true" if v else "false"
        out.append((k, str(v)))
    return urllib.parse.urlencode(out).encode()


class Deliverer:
    def __init__(self, centre, timeout=3.0, retries=2):
        self.centre = centre
        self.q = queue.Queue(maxsize=200000)
        self.timeout, self.retries = timeout, retries
        self.conn = None
        self.conn_key = None
        self.stopped = False
        centre.sink = self.push
        self.thread = threading.Thread(target=self.run, name="webhooks", daemon=True)

    def start(self):
        self.thread.start()

    def push(self, ev):
        cfg = self.centre.webhook
        if not cfg.get("url"):
            return
        try:
            self.q.put_nowait((dict(cfg), ev))
            self.centre.webhook_stats["queued"] += 1
        except queue.Full:
            self.centre.webhook_stats["dropped"] += 1

    def _connection(self, url):
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        if self.conn is None or self.conn_key != key:
            self.close()
            cls = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self.conn = cls(parts.hostname, parts.port, timeout=self.timeout)
            self.conn_key = key
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return self.conn, path

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = None

    def send(self, cfg, ev):
        body = encode(ev)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "Thulium-Simulator",
        }
        if cfg.get("user") or cfg.get("password"):
            token = base64.b64encode(
                ("{}:{}".format(cfg.get("user") or "", cfg.get("password") or "")).encode()
            )
            headers["Authorization"] = "Basic " + token.decode()
        conn, path = self._connection(cfg["url"])
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return resp.status
        except Exception:
            self.close()
            raise

    def run(self):
        stats = self.centre.webhook_stats
        while not self.stopped:
            try:
                cfg, ev = self.q.get(timeout=0.5)
            except queue.Empty:
                continue
            for attempt in range(self.retries + 1):
                try:
                    status = self.send(cfg, ev)
                    if status < 500:
                        if status >= 400:
                            log.warning("webhook %s answered %s", ev.get("action"), status)
                            stats["failed"] += 1
                        else:
                            stats["sent"] += 1
                        break
                    err = f"HTTP {status}"
                except Exception as e:  # connection refused, timeout...
                    err = repr(e)
                if attempt < self.retries:
                    time.sleep(0.2 * (attempt + 1))
            else:
                stats["dropped"] += 1
                log.warning(
                    "webhook %s to %s dropped after %d attempts: %s",
                    ev.get("action"),
                    cfg["url"],
                    self.retries + 1,
                    err,
                )

    def stop(self):
        self.stopped = True
        self.close()
