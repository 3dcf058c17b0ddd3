"""Several worker processes behind one port, each new connection given to the least busy worker.

uvicorn's own multi-process mode lets every worker accept from the shared listening socket. Whichever
worker's event loop wakes first takes the connection, whatever it already has, so at moments one worker
serves noticeably more clients than the other while both get the same share of the CPU: the clients of the
busier one wait longer. In a deadline rush (``bench/deadline_rush.py``) that was the whole difference between
the median and the slowest submissions.

Here the supervisor process alone accepts. It hands each connection (the file descriptor, over a Unix
socket pair: ``SCM_RIGHTS``) to the worker with the fewest open connections, taking turns between equals,
and each worker reports back when one of its connections closes. No request bytes pass through the
supervisor. Node.js's cluster module distributes connections from its primary in the same way, for the same
reason. A worker that dies is replaced at once (the supervisor does not wait for it); a worker told to stop
first says so and hands back any connection given to it meanwhile, for another worker; while no worker is
ready, connections wait in the listening socket's backlog. A worker that fails to start stops the whole
server (a configuration error does not become a restart loop).

Each worker's event loop sends a heartbeat every second; a worker silent for ``PORTAL_WORKER_TIMEOUT`` seconds
(its event loop blocked, or the process stopped) is killed and replaced, as gunicorn's arbiter does. SIGHUP
starts a new worker beside each one; once the new one serves, it takes the new connections and the old one
stops gracefully. A worker past ``PORTAL_WORKER_MAX_REQUESTS`` is replaced the same way. ``arbiter.py`` runs
gunicorn with uvicorn workers instead (``PORTAL_SERVER=gunicorn``). SIGTERM or SIGINT: the supervisor stops
accepting and the workers finish the requests in flight (uvicorn's graceful shutdown).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.serving.supervisor import Balancer, Supervisor, WorkerLoad, serve
from app.serving.worker import Worker

__all__: Sequence[str] = ["Balancer", "Supervisor", "Worker", "WorkerLoad", "serve"]
