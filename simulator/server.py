"""HTTP layer: routing table, Basic auth, Thulium error bodies, body parsing."""

import base64
import hmac
import json
import logging
import random
import re
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger("simulator")
ROUTES = []
_rid = random.Random()

# error codes (ours; Thulium's are undocumented)
E_AUTH, E_FORBIDDEN, E_NOT_FOUND, E_VALIDATION, E_STATE, E_INTERNAL = (
    10401,
    10403,
    10404,
    10400,
    10409,
    10500,
)


class ApiError(Exception):
    def __init__(self, status, en, pl=None, code=None, errors=None):
        super().__init__(en)
        self.status = status
        self.errors = errors or [
            (
                en,
                pl or en,
                code
                or {400: E_VALIDATION, 401: E_AUTH, 403: E_FORBIDDEN, 404: E_NOT_FOUND}.get(
                    status, E_INTERNAL
                ),
            )
        ]


def route(method, pattern, auth=True):
    full = pattern if pattern.startswith("_sim/") else "api/" + pattern

    def deco(fn):
        ROUTES.append((method, re.compile("^" + full + "$"), fn, auth))
        return fn

    return deco


class Request:
    def __init__(self, method, path, query, body, headers, args):
        self.method, self.path, self.query, self.body, self.headers = (
            method,
            path,
            query,
            body,
            headers,
        )
        self.args = args
        self.lang = (
            "pl"
            if (headers.get("Accept-Language") or "").strip().lower().startswith("pl")
            else "en"
        )
        self.params = dict(query)
        if isinstance(body, dict):
            self.params.update(body)

    def get(self, name, default=None):
        v = self.params.get(name, default)
        return v

    def get_list(self, name):
        v = self.params.get(name)
        if v is None:
            v = self.params.get(name + "[]")
        if v is None:
            return None
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("["):
                try:
                    return list(json.loads(v))
                except ValueError:
                    pass
            return [x for x in v.split(",") if x != ""]
        return v if isinstance(v, list) else [v]


def parse_qs(s):
    out = {}
    for k, v in urllib.parse.parse_qsl(s, keep_blank_values=True):
        if k.endswith("[]"):
            out.setdefault(k[:-2], []).append(v)
        elif k in out:
            out[k] = out[k] if isinstance(out[k], list) else [out[k]]
            out[k].append(v)
        else:
            out[k] = v
    return out


def request_id():
    return f"{_rid.getrandbits(52):013x}"


def error_body(errors, lang):
    return {
        "request_id": request_id(),
        "errors": [
            {"message": pl if lang == "pl" else en, "code": code} for en, pl, code in errors
        ],
    }


def make_handler(centre, api_user, api_password):
    expected = "Basic " + base64.b64encode((f"{api_user}:{api_password}").encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        server_version = "ThuliumSimulator/1.0"
        protocol_version = "HTTP/1.1"
        # An answer's headers and body go out in two writes: with Nagle's algorithm on, the
        # body waited for the client's delayed ACK, 40 ms on every keep-alive request.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):  # quiet
            log.debug("%s " + fmt, self.address_string(), *args)

        def _send(self, status, payload):
            data = (
                b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _send_raw(self, status, text):
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            raw = self._raw
            if not raw.strip():
                return {}
            ctype = (self.headers.get("Content-Type") or "").lower()
            text = raw.decode("utf-8", "replace")
            if "json" in ctype or text.lstrip()[:1] in "{[":
                try:
                    data = json.loads(text)
                except ValueError:
                    raise ApiError(
                        400, "Malformed JSON body.", "Niepoprawny format JSON."
                    ) from None
                return data if isinstance(data, dict) else {"_list": data}
            return parse_qs(text)

        def _handle(self):
            lang = (
                "pl"
                if (self.headers.get("Accept-Language") or "").lower().startswith("pl")
                else "en"
            )
            try:
                n = int(self.headers.get("Content-Length") or 0)
                self._raw = self.rfile.read(n) if n > 0 else b""
                url = urllib.parse.urlsplit(self.path)
                path = urllib.parse.unquote(url.path).strip("/")
                query = parse_qs(url.query)
                found = None
                path_known = False
                for method, rx, fn, auth in ROUTES:
                    m = rx.match(path)
                    if m:
                        path_known = True
                        if method == self.command:
                            found = (fn, auth, m.groupdict())
                            break
                is_api = path == "api" or path.startswith("api/")
                if is_api and (found is None or found[1]):
                    got = self.headers.get("Authorization") or ""
                    if not hmac.compare_digest(got.strip().encode(), expected.encode()):
                        raise ApiError(
                            401,
                            "Authorization failed: wrong user or password.",
                            "Autoryzacja nie powiodła się: błędny użytkownik lub hasło.",
                        )
                if is_api and time.monotonic() < centre.outage_until:
                    raise ApiError(
                        503,
                        "Service temporarily unavailable, try again later.",
                        "Usługa chwilowo niedostępna, spróbuj ponownie później.",
                        E_INTERNAL,
                    )
                fault = centre.faults.get((self.command, path[4:])) if is_api else None
                if fault is not None:
                    if "body" in fault:  # a 2xx body as given, e.g. not strict JSON
                        self._send_raw(fault["status"], fault["body"])
                        return
                    raise ApiError(fault["status"], fault["message"], code=fault.get("code"))
                if found is None:
                    if path_known:
                        raise ApiError(
                            404,
                            f"Method {self.command} is not supported for this URI.",
                            f"Metoda {self.command} nie jest obsługiwana dla tego URI.",
                        )
                    raise ApiError(
                        404, f"Resource not found: /{path}", f"Nie znaleziono zasobu: /{path}"
                    )
                fn, _, args = found
                body = self._body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else {}
                req = Request(self.command, path, query, body, self.headers, args)
                with centre.lock:
                    centre.api_now()
                    status, payload = fn(centre, req)
                self._send(status, payload)
            except ApiError as e:
                self._send(e.status, error_body(e.errors, lang))
            except Exception:
                log.exception("internal error on %s %s", self.command, self.path)
                self._send(
                    500,
                    error_body(
                        [("Internal server error.", "Wewnętrzny błąd serwera.", E_INTERNAL)], lang
                    ),
                )

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def build_server(centre, host, port, api_user, api_password):
    from . import (  # noqa: F401
        agents_api,
        chat_history,
        chats_api,
        control,
        customers_api,
        outbounds_api,
        tickets_api,
        work_report_api,
    )
    from .work_history import attach

    attach(centre)  # agents' work history: agents_work_report
    chat_history.attach(centre)  # the day's chats: chats/reports/summary
    return Server((host, port), make_handler(centre, api_user, api_password))
