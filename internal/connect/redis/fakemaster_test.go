package redis

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// emptyRDB is an RDB payload without keys (version 11, EOF, checksum).
const emptyRDB = "REDIS0011\xff\x00\x00\x00\x00\x00\x00\x00\x00"

// fakeMaster accepts one replica link, answers its handshake with +OK, and answers PSYNC with
// reply (written as is). The connection then stays open, silent, until the test ends.
func fakeMaster(tb testing.TB, reply string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	tb.Cleanup(func() { close(done); ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rd := &respReader{r: bufio.NewReader(c)}
		for {
			args, _, err := rd.readCommand()
			if err != nil {
				return
			}
			switch strings.ToUpper(string(args[0])) {
			case "PSYNC":
				c.Write([]byte(reply))
				<-done
				return
			default:
				c.Write([]byte("+OK\r\n"))
			}
		}
	}()
	return ln.Addr().String()
}

// fakeSource is a CUSTOM_OFFSET source of the master at addr, whose Kafka client is never reached
// (the tests' payloads produce no records).
func fakeSource(tb testing.TB, addr string) *source {
	tb.Helper()
	kc, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:1"), kgo.DefaultProduceTopic("t"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(kc.Close)
	log := slog.New(slog.DiscardHandler)
	s := &source{cfg: SourceConfig{Topic: "t", SyncMode: SyncCustomOffset,
		Redis: Conn{Addrs: []string{addr}, Type: TypeStandalone}}, kc: kc, log: log, offset: -1}
	s.r, _ = newRunner(context.Background(), "source", PhaseFullSync, log)
	return s
}
