# jit serve: the GitHub App's webhook server, as a small static image.
# Build: docker build -t jit .
# Run:   docker run -p 8080:8080 -e JIT_APP_ID=... -e JIT_PRIVATE_KEY_FILE=/run/secrets/key.pem \
#          -e JIT_WEBHOOK_SECRET_FILE=/run/secrets/webhook -v /path/to/secrets:/run/secrets:ro jit
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/jit ./cmd/jit

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jit /jit
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/jit", "serve"]
