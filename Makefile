# weft front door. `make run`: set up, build, run the main campaign.
# `make test`: set up, build every preset, run every test; ends "N passed, N failed".
.PHONY: all setup run test nightly web clean coverage gate

all: test

# On a machine without make, the README's commands run scripts/setup.sh
# first (it needs only bash and apt); here it runs again and finds all present.
setup:
	@bash scripts/setup.sh test

run:
	@bash scripts/setup.sh run
	@bash scripts/run.sh

test:
	@bash scripts/setup.sh test
	@bash scripts/test.sh

# The nightly campaign (docs/campaign.md): every fuzz target, every workload
# across strategies and core counts, the OOM and kill sweeps, coverage; the
# report in build/reports/out/DATE/index.html. WEFT_NIGHTLY_TIME=8h for a night.
WEFT_NIGHTLY_TIME ?= 3m
nightly:
	@bash scripts/setup.sh test
	@python3 scripts/campaign.py --time $(WEFT_NIGHTLY_TIME) --coverage

# The kernel in a browser page: build the wasm preset, serve the page on
# http://127.0.0.1:8811/ until Ctrl-C (WEFT_WEB_PORT to change the port).
web:
	@bash scripts/setup.sh test
	@cmake --preset wasm >/dev/null && cmake --build --preset wasm
	@node bsp/wasm/web/serve.js build/wasm/bsp/wasm --port $${WEFT_WEB_PORT:-8811}

# Line and branch coverage of kernel/ and sim/ (coverage preset, gcovr):
# the report in build/coverage-report/index.html, the figures printed.
coverage:
	@bash scripts/setup.sh test
	@bash scripts/coverage.sh build/coverage-report

# What a firmware release must pass (docs/gate.md): one table, exit 0 or 1.
# GATE_FLAGS=--quick for the short form.
gate:
	@bash scripts/setup.sh test
	@bash scripts/gate.sh $(GATE_FLAGS)

clean:
	rm -rf build
