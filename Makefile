# weft front door. `make run`: set up, build, run the main campaign.
# `make test`: set up, build every preset, run every test; ends "N passed, N failed".
.PHONY: all setup run test clean

all: test

setup:
	@bash scripts/setup.sh

run: setup
	@bash scripts/run.sh

test: setup
	@bash scripts/test.sh

clean:
	rm -rf build
