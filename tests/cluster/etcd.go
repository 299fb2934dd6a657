package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// runEtcd runs a single-member embedded etcd until SIGINT or SIGTERM. Writes
// skip fsync: the data only has to survive an apiserver restart, not a crash
// of the machine, and tests run several clusters on two cores.
func runEtcd(args []string) int {
	flags := flag.NewFlagSet("etcd", flag.ContinueOnError)
	dataDir := flags.String("data-dir", "", "directory holding the etcd data")
	clientURL := flags.String("listen-client-url", "", "URL served to clients, e.g. http://127.0.0.1:2379")
	peerURL := flags.String("listen-peer-url", "", "URL served to peers, e.g. http://127.0.0.1:2380")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	client, err := parseURLFlag("listen-client-url", *clientURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	peer, err := parseURLFlag("listen-peer-url", *peerURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "etcd: --data-dir is required")
		return 2
	}

	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = *dataDir
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true
	cfg.Logger = "zap"
	cfg.LogOutputs = []string{"stderr"}
	cfg.LogLevel = "warn"

	server, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd: cannot start: %v\n", err)
		return 1
	}
	defer server.Close()
	select {
	case <-server.Server.ReadyNotify():
		fmt.Fprintf(os.Stderr, "etcd: ready on %s\n", client)
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "etcd: not ready after 60s")
		return 1
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	select {
	case sig := <-stop:
		fmt.Fprintf(os.Stderr, "etcd: %v received, stopping\n", sig)
		return 0
	case err := <-server.Err():
		fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
		return 1
	}
}

// runEtcdCompact compacts the etcd history up to its current revision and
// prints that revision, so every older resourceVersion becomes 410 Gone.
func runEtcdCompact(args []string) int {
	flags := flag.NewFlagSet("etcd-compact", flag.ContinueOnError)
	endpoint := flags.String("endpoint", "", "etcd client URL, e.g. http://127.0.0.1:2379")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if _, err := parseURLFlag("endpoint", *endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd-compact: cannot connect to %s: %v\n", *endpoint, err)
		return 1
	}
	defer client.Close()
	// Any read returns the store's current revision in its header.
	current, err := client.Get(ctx, "/", clientv3.WithCountOnly())
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd-compact: cannot read revision: %v\n", err)
		return 1
	}
	revision := current.Header.Revision
	if _, err := client.Compact(ctx, revision, clientv3.WithCompactPhysical()); err != nil {
		fmt.Fprintf(os.Stderr, "etcd-compact: cannot compact at revision %d: %v\n", revision, err)
		return 1
	}
	fmt.Println(revision)
	return 0
}

func parseURLFlag(name, value string) (*url.URL, error) {
	parsed, err := url.Parse(value)
	if err != nil || parsed.Scheme == "" || parsed.Host == "" {
		return nil, fmt.Errorf("--%s must be an absolute URL like http://127.0.0.1:2379: current value is %q", name, value)
	}
	return parsed, nil
}
