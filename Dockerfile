# datacustoms serve: the HTTP API, web UI and worker in one image.
#   docker build -t datacustoms .
#   docker compose up            (service + worker + PostgreSQL + Redis, see compose.yaml)
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[serve,postgres,queue]'

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 customs && mkdir /data && chown customs /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels 'datacustoms[serve,postgres,queue]' && rm -rf /wheels
USER customs
VOLUME /data
EXPOSE 8000
# --database, --ledger and --queue come from the command line (compose.yaml) or stay embedded:
# SQLite in /data and an in-process worker.
CMD ["datacustoms", "serve", "--host", "0.0.0.0", "--port", "8000", "--data-dir", "/data"]
