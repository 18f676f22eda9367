# OpenDMS: the two commands of the README are `make run` and `make test`.
GO ?= go
BIN := bin

.PHONY: run build test vet bench fuzz routes

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

# Benchmarks of the request path, printed as a table.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/httpapi/ ./aksk/ ./internal/kafkaops/

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseAuthorization -fuzztime 30s ./aksk/
	$(GO) test -run '^$$' -fuzz FuzzCanonicalRequest -fuzztime 30s ./aksk/

routes: build
	./$(BIN)/dmsd routes
