# Same install steps as `make install`, without the test extras; runs as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    REALISE_DB_PATH=/data/realise.db

RUN useradd --create-home --uid 10001 realise && mkdir -p /data && chown realise /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY prompts ./prompts
COPY evaluators ./evaluators
COPY rewriter ./rewriter
RUN python -m pip install --no-cache-dir --upgrade pip \
    && python -m pip install --no-cache-dir .

USER realise
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["realise", "serve", "--host", "0.0.0.0", "--port", "8000"]
