# Same install steps as `make install`, without the test extras, and with the evaluators
# compiled by mypyc (REALISE_MYPYC=1, setup.py): built where a C compiler is, run on slim.
FROM python:3.11 AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md LICENSE ./
COPY api ./api
COPY prompts ./prompts
COPY evaluators ./evaluators
COPY rewriter ./rewriter
RUN python -m pip install --no-cache-dir --upgrade pip \
    && REALISE_MYPYC=1 python -m pip wheel --no-cache-dir --no-deps -w /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    REALISE_DB_PATH=/data/realise.db

RUN useradd --create-home --uid 10001 realise && mkdir -p /data && chown realise /data
WORKDIR /app
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --upgrade pip \
    && python -m pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels

USER realise
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["realise", "serve", "--host", "0.0.0.0", "--port", "8000"]
