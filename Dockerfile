# Doorbraak on the embedded default: SQLite in a volume, one process, in-process live hub.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DOORBRAAK_DATA_DIR=/data

RUN groupadd --system doorbraak && useradd --system --gid doorbraak --home-dir /app doorbraak

# Symbola: the emoji in the PDF besluitenlijst (app/exports/pdf.py falls back to a box without it)
RUN apt-get update && apt-get install -y --no-install-recommends fonts-symbola && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# dependencies first, so a code change does not reinstall them
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py && pip install . && pip uninstall -y doorbraak && rm -rf app build

COPY app ./app
COPY session_templates ./session_templates
COPY static ./static
COPY migrations ./migrations
# editable: templates, formats and static files are read from /app next to the code
RUN pip install --no-deps -e . && mkdir -p /data && chown doorbraak:doorbraak /data

USER doorbraak
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["doorbraak", "serve", "--host", "0.0.0.0", "--port", "8000"]
