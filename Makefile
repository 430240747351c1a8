# cc112 — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DEBUG=true  # also in .env; explicit so `make run` never runs without it
PORT ?= 8000
# Under `make run` the demo's escalation emails are not printed in full (the worker logs one line
# per batch); EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend make run prints them.
EMAIL_BACKEND ?= django.core.mail.backends.dummy.EmailBackend

.PHONY: install run test lint migrate demo clean

$(BIN)/.installed: requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

install: $(BIN)/.installed .env

.env:
	cp .env.example .env

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

# The portal with demo data: web server, Celery workers and beat together; Ctrl-C stops all.
# The address and the logins are printed last, once the portal answers (Procfile.dev: banner).
run: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo --no-logins
	$(DEV_ENV) PORT=$(PORT) CC112_PORTAL_URL=http://127.0.0.1:$(PORT) \
		EMAIL_BACKEND=$(EMAIL_BACKEND) CC112_TASK_LOG_LEVEL=WARNING \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

# The whole suite. DATABASE_URL / CELERY_BROKER_URL from the environment choose the servers.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
