"""``portal serve --workers N`` (N > 1): gunicorn's arbiter with uvicorn workers (``arbiter.py``).

The arbiter binds the port and forks the workers; each worker accepts from the shared socket and serves with
uvicorn (``uvicorn_worker.UvicornWorker``). The arbiter replaces a worker that dies, kills and replaces one whose
event loop has not checked in for ``PORTAL_WORKER_TIMEOUT`` seconds (a blocked loop or a stopped process),
reloads on SIGHUP (new workers load the code anew, the old ones finish their requests in flight and stop),
replaces a worker after ``PORTAL_WORKER_MAX_REQUESTS`` requests, and on SIGTERM lets the workers finish their
requests in flight for at most ``STOP_SECONDS``.

Until 2026-12 the portal ran its workers under a supervisor of its own that handed each connection to the least
busy worker. Measured side by side on a quiet machine (``docs/benchmarks.md``), gunicorn's arbiter had the
shorter tail in the deadline rush and the same public-page throughput, so the portal switched to it rather than
keep hand-written process management.
"""
