# syntax=docker/dockerfile:1
# Waybill's image: the one static binary, with the admin UI inside (the
# built UI is committed in frontend/dist, so there is no Node stage), on a
# distroless base, as a non-root user. `docker build -t waybill .`
FROM golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (SQLite included) and time zones embedded: no libc, no tzdata needed.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/waybill .

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/waybill /usr/local/bin/waybill
USER nonroot:nonroot
# 8080: the app (PORT); 9091: a worker's /metrics (waybill worker --metrics-port 9091).
EXPOSE 8080 9091
ENTRYPOINT ["/usr/local/bin/waybill"]
CMD ["serve"]
