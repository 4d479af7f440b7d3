.PHONY: run test lint format messages bench lock

run:  ## set everything up and serve the portal at http://127.0.0.1:8000
	scripts/run

test:  ## install what is missing and run ruff, checks and the whole suite on PostgreSQL + Redis
	scripts/test

lock:  ## compile pyproject.toml into requirements/runtime.lock and requirements/dev.lock (hashed)
	scripts/lock $(ARGS)

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

messages:  ## refresh the English catalogue after changing strings
	DJANGO_DEBUG=true .venv/bin/python manage.py makemessages -l en --no-location --no-obsolete --ignore=.venv --ignore=var --ignore=artifacts --ignore=tests --ignore=bench
	DJANGO_DEBUG=true .venv/bin/python manage.py makemessages -d djangojs -l en --no-location --no-obsolete --ignore=.venv --ignore=var --ignore=artifacts --ignore=tests --ignore=bench --ignore=staticfiles --ignore=static/vendor
	DJANGO_DEBUG=true .venv/bin/python manage.py compilemessages --ignore=.venv

bench:
	.venv/bin/python bench/run_all.py
