# cspflow in a container: a Debian 12 build stage (the same packages as
# scripts/install-deps --build) and a slim runtime stage with only the
# shared libraries. docker-compose.yml runs it next to an Apache Kafka 3.9
# broker:
#   docker build -t cspflow .
#   docker run --rm cspflow simulate examples/01-happy-path.jsonl
#   docker compose up cspflow-demo
FROM debian:12-slim AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN bash scripts/install-deps --build && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY cmake cmake
COPY common common
COPY handlers handlers
COPY schemas schemas
COPY consumer consumer
COPY producer producer
COPY ops ops
COPY registry registry
COPY cli cli
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCSPFLOW_TESTS=OFF -DCSPFLOW_WERROR=ON \
 && cmake --build build -j"$(nproc)" \
 && strip build/cspflow

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        librdkafka1 libavro23 libcurl4 libjansson4 libxxhash0 libmicrohttpd12 \
        ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --home-dir /opt/cspflow cspflow
COPY --from=build /src/build/cspflow /usr/local/bin/cspflow
WORKDIR /opt/cspflow
COPY examples examples
USER cspflow
ENTRYPOINT ["cspflow"]
CMD ["--help"]
