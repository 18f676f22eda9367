# OpenDMS: the two commands of the README are `make run` and `make test`.
GO ?= go
BIN := bin

.PHONY: run build test vet bench bench-all fuzz routes

build:
	$(GO) build -o $(BIN)/dmsd ./cmd/dmsd
	$(GO) build -o $(BIN)/dmsctl ./cmd/dmsctl

# Builds and runs the server on 127.0.0.1:9780 with its data in ./data. The Kafka jars of the local
# engine are resolved first when Java and Maven are here (dmsd falls back to the embedded engine
# otherwise, and says why).
run: build
	-./$(BIN)/dmsd kafka fetch
	./$(BIN)/dmsd

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# The whole suite: unit, API (official Go SDK against an in-process server) and process tests.
test: vet
	$(GO) test -count=1 -timeout 30m ./...

# The data-plane ratios (keyword search, produce, request path, each beside its franz-go or bare
# net/http ceiling) on the local engine, printed as one table: 2 to 5 minutes.
bench:
	$(GO) test -run '^$$' -bench DataPlane -benchtime 1x -timeout 60m ./internal/httpapi/

# Every other benchmark (each prints its table), on the embedded engine unless it says otherwise.
bench-all:
	$(GO) test -run '^$$' -bench . -skip DataPlane -benchmem -timeout 60m ./internal/httpapi/ ./aksk/ ./internal/kafkaops/

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseAuthorization -fuzztime 30s ./aksk/
	$(GO) test -run '^$$' -fuzz FuzzCanonicalRequest -fuzztime 30s ./aksk/

routes: build
	./$(BIN)/dmsd routes
