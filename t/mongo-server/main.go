// mongo-server: a MongoDB-compatible server for the test suite.
//
// No MongoDB server can be installed on the build/test machines, so the C
// libmongoc storage backend is tested against this small program instead.
// It embeds FerretDB v1 (github.com/FerretDB/FerretDB/ferretdb), which speaks
// the MongoDB wire protocol and stores data in SQLite files under -data.
// FerretDB is not MongoDB: see docs/ferretdb.md for the known differences.
//
// Usage:
//
//	mongo-server [-listen 127.0.0.1:27017] [-data DIR] [-log-level warn]
//
// Once the listening socket is open it prints exactly one line,
// "ready <addr>", on stdout (use port 0 to get a free port and read it
// from that line). It stops cleanly on SIGTERM or SIGINT.
//
// Build with t/mongo-server/build.sh OUT_PATH.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (port 0 picks a free port)")
	data := flag.String("data", "data", "SQLite data directory (created if missing)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error (logs go to stderr)")
	flag.Parse()

	if err := run(*listen, *data, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "mongo-server:", err)
		os.Exit(1)
	}
}

func run(listen, data, logLevel string) error {
	// Catch signals first, so that even an early SIGTERM means a clean exit.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad -log-level: %w", err)
	}
	logger := slog.New(quietResponses{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})})

	dir, err := filepath.Abs(data)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	// The SQLite handler wants a "file:" URI naming a directory, ending in "/";
	// each MongoDB database becomes one SQLite file in it.
	sqliteURL := (&url.URL{Scheme: "file", Path: dir + "/", OmitHost: true}).String()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// ferretdb.New has already bound the socket, so clients can connect now;
	// MongoDBURI waits for the listener and gives the real port.
	u, err := url.Parse(f.MongoDBURI())
	if err != nil {
		return err
	}
	fmt.Printf("ready %s\n", u.Host)

	return <-done
}

// quietResponses demotes FerretDB's per-request "Response header/message"
// records to DEBUG. FerretDB logs them at WARN for every command that fails
// (a test expecting an error, the "endSessions" libmongoc sends on shutdown,
// ...); the client gets the error anyway, so at the default level it is noise.
type quietResponses struct{ slog.Handler }

func (h quietResponses) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelError && strings.HasPrefix(r.Message, "Response ") {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietResponses) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietResponses{h.Handler.WithAttrs(attrs)}
}

func (h quietResponses) WithGroup(name string) slog.Handler {
	return quietResponses{h.Handler.WithGroup(name)}
}
