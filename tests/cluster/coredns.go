package main

import (
	"github.com/coredns/coredns/coremain"

	// The plugins of a cluster DNS, and bind so that it listens only on the
	// address a test gives it. Each registers itself with CoreDNS on import;
	// the Corefile's directives are checked against these at start.
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// runCoreDNS runs CoreDNS with its own flags (-conf Corefile, ...), which it
// parses from os.Args itself; it returns only on a failed start (it exits).
func runCoreDNS(_ []string) int {
	coremain.Run()
	return 0
}
