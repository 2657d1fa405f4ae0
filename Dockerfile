# Gatescope for a school's server: the layout of `make serve` in one container (n Streamlit workers on the
# container's loopback, nginx in front on port 8501). Not built by the test suite.
#   docker build -t gatescope . && docker run -p 8501:8501 -e WORKERS=2 gatescope
FROM python:3.11-slim

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py ./
COPY assets assets
COPY cells cells
COPY deploy deploy
COPY ui ui
COPY views views
COPY viz viz
COPY lessons lessons
COPY workbench workbench

ENV WORKERS=2 PYTHONUNBUFFERED=1
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
# nginx listens on every interface of the container; the workers stay on its loopback.
CMD ["sh", "-c", "exec python deploy/serve.py --workers \"$WORKERS\" --host 0.0.0.0 --port 8501 --run-dir /tmp/gatescope"]
