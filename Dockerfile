# One image for the three services; compose.yaml picks the process with `command`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir -e . && useradd --create-home hub \
    && mkdir -p /tmp/hub/metrics && chown -R hub /tmp/hub
USER hub
ENV HUB_VAR_DIR=/tmp/hub
