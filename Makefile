# weft front door. `make run`: set up, build, run the main campaign.
# `make test`: set up, build every preset, run every test; ends "N passed, N failed".
.PHONY: all setup run test clean

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

clean:
	rm -rf build
