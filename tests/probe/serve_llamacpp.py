"""Run llama.cpp's HTTP server (xllamacpp) on 127.0.0.1:PORT until killed: `python serve_llamacpp.py MODEL PORT`."""

from __future__ import annotations

import signal
import sys

import xllamacpp

params = xllamacpp.CommonParams()
params.model.path = sys.argv[1]
params.port = int(sys.argv[2])
params.hostnames = ["127.0.0.1"]
params.n_parallel = 2
params.n_ctx = 512
params.cache_prompt = False  # each request from scratch: answers that do not depend on the order of cases
server = xllamacpp.Server(params)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
