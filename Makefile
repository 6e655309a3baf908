# Shortcuts for the README's two commands (which work without make, too).
.PHONY: run test setup bench nlu-cv
run:
	python3 scripts/assist.py run
test:
	python3 scripts/assist.py test
setup:
	python3 scripts/assist.py setup
bench:
	python3 scripts/assist.py setup && .venv/bin/python -m bench
nlu-cv:
	python3 scripts/assist.py setup && .venv/bin/python -m bench.nlu_cv
