"""CLI: python -m simulator [options]"""

import argparse
import logging
import os
import signal
import sys
import threading

from . import traffic
from .centre import Centre
from .server import build_server
from .webhooks import Deliverer


def parse_args(argv=None):
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m simulator", description="Thulium REST API simulator"
    )
    p.add_argument("--port", type=int, default=8100)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument(
        "--seed", type=int, default=None, help="same seed -> same centre and traffic sequence"
    )
    p.add_argument(
        "--speed", type=float, default=1.0, help="simulated time runs this many times faster"
    )
    p.add_argument("--agents", type=int, default=40)
    p.add_argument("--groups", type=int, default=4)
    p.add_argument("--queues", type=int, default=5)
    p.add_argument(
        "--no-traffic", action="store_true", help="serve the API, no spontaneous traffic"
    )
    p.add_argument("--api-user", default=env("THULIUM_API_USER") or "api")
    p.add_argument("--api-password", default=env("THULIUM_API_PASSWORD") or "api-secret")
    p.add_argument("--webhook-url", default="")
    p.add_argument("--webhook-user", default=env("THULIUM_WEBHOOK_USER") or "")
    p.add_argument("--webhook-password", default=env("THULIUM_WEBHOOK_PASSWORD") or "")
    p.add_argument("--timezone", default="Europe/Warsaw")
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper(), logging.INFO),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    centre = Centre(
        seed=args.seed,
        speed=args.speed,
        tz=args.timezone,
        n_agents=max(1, args.agents),
        n_groups=args.groups,
        n_queues=args.queues,
    )
    centre.webhook.update(
        url=args.webhook_url or "",
        user=args.webhook_user or "",
        password=args.webhook_password or "",
    )
    deliverer = Deliverer(centre)
    with centre.lock:
        traffic.install(centre, traffic=not args.no_traffic)
    server = build_server(centre, args.host, args.port, args.api_user, args.api_password)
    threads = [
        threading.Thread(target=centre.run_scheduler, name="engine", daemon=True),
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True
        ),
    ]
    deliverer.start()
    for t in threads:
        t.start()
    done = threading.Event()

    def stop(signum, frame):
        done.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    logging.getLogger("simulator").info(
        "seed %d, speed %s, traffic %s, webhooks -> %s",
        centre.seed,
        centre.clock.speed,
        "off" if args.no_traffic else "on",
        centre.webhook["url"] or "(none)",
    )
    print(
        "Thulium simulator listening on http://%s:%d/api/ (%d agents)"
        % (host, port, len(centre.agents) - 1),
        flush=True,
    )
    while not done.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    centre.stop()
    deliverer.stop()
    print("Thulium simulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
